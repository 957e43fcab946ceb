// The driver: runs the pipeline (passes/pipeline.ts) over one source file, with the
// researcher's switches: verify each pass's output against its language, dump the IR
// after chosen passes, time the passes. It turns a thrown exception into an internal
// compiler error that names the pass, never an uncaught crash.

import { freeze } from 'immer';
import { validate, type AnyNode } from '../ir/lang.js';
import { Diagnostics, type Diagnostic, type SourceFile } from '../ir/diagnostics.js';
import { printIR } from '../ir/print.js';
import { InternalError, isFunctionPass, unitsChain, type FunctionPass, type Pass, type PassContext } from '../passes/pass.js';
import { PIPELINE } from '../passes/pipeline.js';

export interface PipelineOptions {
  /** validate every pass's output against its output language (and deep-freeze it) */
  verifyEach?: boolean;
  /** pass names whose output to print, or 'all' */
  dumpAfter?: readonly string[] | 'all';
  /** stop after this pass (for `--emit=ir` and tests) */
  stopAfter?: string;
  timePasses?: boolean;
  passes?: readonly Pass[];
  /**
   * run every pass over the whole module, never function passes as sweeps (the output is the
   * same; tests compare the two ways)
   */
  wholeModule?: boolean;
}

export interface PassTiming { pass: string; ms: number }

export interface PipelineResult {
  /** the last pass's output (an Lcfg Module after the full pipeline) unless errors stopped it */
  ir: AnyNode | null;
  lastPass: string | null;
  diagnostics: Diagnostic[];
  dumps: { pass: string; text: string }[];
  timings: PassTiming[];
}

export class InternalCompilerError extends Error {
  /** the IR dumps asked for that were made before the failing pass (to debug it with) */
  dumps: { pass: string; text: string }[] = [];
  constructor(readonly pass: string, readonly detail: string, readonly causeError?: unknown) {
    super(`internal compiler error in pass \`${pass}\`: ${detail}`);
  }
}

function describeNode(n: AnyNode | undefined): string {
  return n ? `${n.kind} at bytes ${n.span?.start}..${n.span?.end}` : 'unknown node';
}

export function runPipeline(src: SourceFile, opts: PipelineOptions = {}): PipelineResult {
  const passes = opts.passes ?? PIPELINE;
  const diag = new Diagnostics();
  let stopped = false;
  const ctx: PassContext = {
    src, diag, freshId: () => { throw new InternalError('freshId of no pass'); }, stop: () => { stopped = true; }, reported: () => diag.list,
  };
  const result: PipelineResult = { ir: null, lastPass: null, diagnostics: diag.list, dumps: [], timings: [] };
  let ir: AnyNode = { kind: 'SourceText', span: { start: 0, end: src.text.length }, path: src.path, text: src.text };
  const wantDump = (name: string) => opts.dumpAfter === 'all' || (opts.dumpAfter ?? []).includes(name);
  /** An internal error of `pass`, carrying the dumps made so far (to debug it with). */
  const ice = (pass: Pass, detail: string, cause?: unknown) => {
    const err = new InternalCompilerError(pass.name, detail, cause);
    err.dumps = result.dumps;
    return err;
  };
  /** The internal error for what `pass` threw. */
  const iceOf = (pass: Pass, e: unknown) => (e instanceof InternalError
    ? ice(pass, `${e.message} (${describeNode(e.node)})`, e)
    : ice(pass, e instanceof Error ? e.stack ?? e.message : String(e), e));

  for (let p = 0; p < passes.length; p++) {
    const pass = passes[p];
    const sweep = opts.wholeModule ? 1 : sweepLength(passes, p, opts);
    if (sweep > 1) {
      const group = passes.slice(p, p + sweep) as FunctionPass[];
      try {
        const out = runSweep(group, p, ir, ctx, opts, result.timings);
        if (out === null) break; // errors reported: no code generated (result.ir stays null)
        ir = out;
      } catch (e) {
        if (!(e instanceof SweepError)) throw iceOf(pass, e);
        throw e.detail !== undefined ? ice(e.pass, e.detail) : iceOf(e.pass, e.cause);
      }
      p += sweep - 1;
      result.lastPass = group[group.length - 1].name;
      if (wantDump(result.lastPass)) result.dumps.push({ pass: result.lastPass, text: printIR(group[group.length - 1].to, ir) });
      if (stopped) return result;
      if (opts.stopAfter === result.lastPass) break;
      continue;
    }
    if (pass.generatesCode && diag.hasErrors) break;
    const t0 = performance.now();
    let out: AnyNode;
    try {
      out = pass.run(ir, { ...ctx, ...freshIds(p) });
    } catch (e) {
      throw iceOf(pass, e);
    }
    result.timings.push({ pass: pass.name, ms: performance.now() - t0 });
    if (opts.verifyEach && !stopped) verifyOutput(pass, out, (detail) => ice(pass, detail));
    if (wantDump(pass.name)) result.dumps.push({ pass: pass.name, text: printIR(pass.to, out) });
    ir = out;
    result.lastPass = pass.name;
    if (stopped) return result;
    if (opts.stopAfter === pass.name) break;
  }
  // checks that do not stop the pipeline still prevent code generation
  result.ir = diag.hasErrors ? null : ir;
  return result;
}

/**
 * Fresh ids (PassContext.freshId) need only be unique within a function. Pass `p` numbers
 * the locals it introduces from a base of its own, FRESH_IDS_PER_PASS apart, starting again
 * at it for each function (beginFunction), so a function's ids depend neither on the
 * functions before it nor on whether it went through a sweep.
 */
const FRESH_ID_BASE = 1 << 20;
const FRESH_IDS_PER_PASS = 1 << 20;

function freshIds(p: number): Pick<PassContext, 'freshId' | 'beginFunction'> {
  const base = FRESH_ID_BASE + p * FRESH_IDS_PER_PASS;
  let next = base;
  return {
    freshId: () => {
      if (next === base + FRESH_IDS_PER_PASS) throw new InternalError(`a pass introduced more than ${FRESH_IDS_PER_PASS} locals in one function`);
      return next++;
    },
    beginFunction: () => { next = base; },
  };
}

/** Validates a pass's output (a module, or one function of a sweep) and deep-freezes it. */
function verifyOutput(pass: Pass, out: AnyNode, fail: (detail: string) => Error): void {
  const problems = validate(pass.to, out);
  if (problems.length > 0) {
    const p = problems[0];
    throw fail(`output is not valid ${pass.to.name}: ${p.message} at ${p.path} (${describeNode(p.node)})` +
      (problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : ''));
  }
  freeze(out, true);
}

/**
 * How many passes from `start` run as one sweep: consecutive function passes, unless the
 * researcher asked to see the whole module between two of them (--dump-after, stop after).
 */
function sweepLength(passes: readonly Pass[], start: number, opts: PipelineOptions): number {
  let n = 0;
  while (start + n < passes.length && isFunctionPass(passes[start + n]) &&
    (n === 0 || unitsChain(passes[start + n - 1] as FunctionPass, passes[start + n] as FunctionPass))) {
    const name = passes[start + n].name;
    n++;
    if (opts.dumpAfter === 'all' || opts.dumpAfter?.includes(name) || opts.stopAfter === name) break;
  }
  return n;
}

/** How each pass runs by default: over the whole module (0), or in sweep 1, 2, ... */
export function sweepOfEachPass(passes: readonly Pass[]): number[] {
  const out: number[] = [];
  let sweeps = 0;
  for (let p = 0; p < passes.length;) {
    const n = sweepLength(passes, p, {});
    if (n > 1) sweeps++;
    for (let i = 0; i < Math.max(n, 1); i++) out.push(n > 1 ? sweeps : 0);
    p += Math.max(n, 1);
  }
  return out;
}

/** A failure inside a sweep, with the pass it happened in. */
class SweepError extends Error {
  /** detail: what --verify-each found (the output of `pass` is invalid) */
  constructor(readonly pass: Pass, readonly cause: unknown, readonly detail?: string) { super(pass.name); }
}

/**
 * Runs function passes as one sweep: each function goes through every pass of the group
 * before the next function starts (see FunctionPass). Each pass reports into its own sink,
 * merged in pipeline order afterwards, so the diagnostics come out as they would pass by
 * pass; with --verify-each every function is validated after every pass. Returns null when
 * a code generator was not run because of errors.
 */
function runSweep(
  group: readonly FunctionPass[], first: number, ir: AnyNode, ctx: PassContext, opts: PipelineOptions, timings: PassTiming[],
): AnyNode | null {
  const k = group.length;
  const ms = new Array<number>(k).fill(0);
  // ctx.wholeModule of pass i: passes 0..i-1 over the whole module, into sinks of their own
  // (what they report, the sweep reports)
  const wholeModules: AnyNode[] = [];
  const wholeModule = (i: number): AnyNode => {
    for (let j = wholeModules.length; j < i; j++) {
      const aside: PassContext = { src: ctx.src, diag: new Diagnostics(), ...freshIds(first + j) };
      wholeModules.push(group[j].run(j === 0 ? ir : wholeModules[j - 1], aside));
    }
    return i === 0 ? ir : wholeModules[i - 1];
  };
  // a function pass reports errors and goes on: only the last one's `assemble`, which has
  // seen every function, may stop the pipeline
  let assembling = false;
  const stop = () => {
    if (!assembling) throw new InternalError('a function pass can stop the pipeline only when the sweep ends with it');
    ctx.stop?.();
  };
  const ctxs: PassContext[] = group.map((_, i) => ({
    ...ctx, ...freshIds(first + i), diag: new Diagnostics(), stop, wholeModule: () => wholeModule(i),
    reported: () => [...ctx.diag.list, ...ctxs.slice(0, i + 1).flatMap((c) => c.diag.list)],
  }));
  /** Reports what the passes found and how long they took, in pipeline order. */
  const finish = () => {
    for (let i = 0; i < k; i++) {
      timings.push({ pass: group[i].name, ms: ms[i] });
      // (once each, as if the pass had reported into the compile's sink directly)
      for (const d of ctxs[i].diag.list) ctx.diag.add(d);
    }
  };
  const facts: unknown[] = new Array(k);
  // each pass prepares from the declarations the previous one would have written: its
  // module assembled with no functions
  let shell = ir;
  const shells: AnyNode[] = new Array(k);
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    const pf = group[i].perFunction;
    try {
      facts[i] = pf.prepare(shell, ctxs[i]);
      shells[i] = shell;
      if (i < k - 1) shell = pf.assemble(shell, facts[i], []);
    } catch (e) { throw new SweepError(group[i], e); }
    ms[i] += performance.now() - t0;
  }
  // a code generator stops the sweep once a pass has reported an error (Pass.generatesCode)
  let errors = ctx.diag.hasErrors;
  let end = k;
  const units = group[0].perFunction.functionsOf(ir);
  const done: unknown[] = new Array(units.length);
  for (let u = 0; u < units.length; u++) {
    let x = units[u];
    for (let i = 0; i < end; i++) {
      if (errors && group[i].generatesCode) { end = i; break; }
      const t0 = performance.now();
      try {
        ctxs[i].beginFunction!();
        x = group[i].perFunction.runFunction(x, facts[i], ctxs[i]);
      } catch (e) { throw new SweepError(group[i], e); }
      ms[i] += performance.now() - t0;
      if (!errors && ctxs[i].diag.hasErrors) errors = true;
      if (opts.verifyEach) {
        const nodes = group[i].perFunction.nodesOf?.(x) ?? [x as AnyNode];
        for (const n of nodes) verifyOutput(group[i], n, (detail) => new SweepError(group[i], null, detail));
      }
    }
    done[u] = x;
  }
  if (end < k) {
    finish();
    return null;
  }
  const last = group[k - 1];
  const t0 = performance.now();
  let out: AnyNode;
  try {
    assembling = true;
    out = last.perFunction.assemble(shells[k - 1], facts[k - 1], done);
  } catch (e) { throw new SweepError(last, e); }
  ms[k - 1] += performance.now() - t0;
  if (opts.verifyEach) verifyOutput(last, out, (detail) => new SweepError(last, null, detail));
  finish();
  return out;
}
