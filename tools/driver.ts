// The driver: runs the pipeline (passes/pipeline.ts) over one source file, with the
// researcher's switches: verify each pass's output against its language, dump the IR
// after chosen passes, time the passes. It turns a thrown exception into an internal
// compiler error that names the pass, never an uncaught crash.

import { freeze } from 'immer';
import { validate, type AnyNode } from '../ir/lang.js';
import { Diagnostics, type Diagnostic, type SourceFile } from '../ir/diagnostics.js';
import { printIR } from '../ir/print.js';
import { InternalError, isFunctionPass, needsBridge, unitsChain, type FunctionPass, type Pass, type PassContext } from '../passes/pass.js';
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
      let made: SweepResult;
      try {
        made = runSweep(group, p, ir, ctx, opts, result.timings);
      } catch (e) {
        if (!(e instanceof SweepError)) throw iceOf(pass, e);
        throw e.detail !== undefined ? ice(e.pass, e.detail) : iceOf(e.pass, e.cause);
      }
      result.lastPass = group[made.last].name;
      if (stopped) return result;
      if (made.ir === null) break; // errors reported: no code generated (result.ir stays null)
      ir = made.ir;
      p += sweep - 1;
      if (wantDump(result.lastPass)) result.dumps.push({ pass: result.lastPass, text: printIR(group[group.length - 1].to, ir) });
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

/** Thrown by ctx.wholeModule when pass `at` of the sweep ends the pipeline. */
class PipelineEnds {
  constructor(readonly at: number) {}
}

/** A failure inside a sweep, with the pass it happened in. */
class SweepError extends Error {
  /** detail: what --verify-each found (the output of `pass` is invalid) */
  constructor(readonly pass: Pass, readonly cause: unknown, readonly detail?: string) { super(pass.name); }
}

/** What a sweep made: its output (null: errors left no code to generate) and its last pass that ran. */
interface SweepResult { ir: AnyNode | null; last: number }

/**
 * Runs function passes as one sweep: each function goes through every pass of the group
 * before the next function starts (see FunctionPass). Each pass reports into its own sink,
 * merged in pipeline order afterwards, so the diagnostics come out as they would pass by
 * pass; with --verify-each every function is validated after every pass. A pass may end
 * the pipeline in its `finish` (check-types); the passes after it then count as not run.
 */
function runSweep(
  group: readonly FunctionPass[], first: number, ir: AnyNode, ctx: PassContext, opts: PipelineOptions, timings: PassTiming[],
): SweepResult {
  const k = group.length;
  const ms = new Array<number>(k).fill(0);
  // ctx.wholeModule of pass i: passes 0..i-1 over the whole module, as wholeModule mode runs
  // them, into a sink of their own (what they report, the sweep reports). One of them may end
  // the pipeline there: it will end it in the sweep too, so pass i would never have run.
  const wholeModules: AnyNode[] = [];
  const asideDiag = new Diagnostics();
  let asideEnds = -1;
  const wholeModule = (i: number, endsHere = false): AnyNode => {
    for (let j = wholeModules.length; j < i && asideEnds < 0; j++) {
      const aside: PassContext = {
        src: ctx.src, diag: asideDiag, ...freshIds(first + j),
        stop: () => { asideEnds = j; }, reported: () => [...ctx.diag.list, ...asideDiag.list],
      };
      wholeModules.push(group[j].run(j === 0 ? ir : wholeModules[j - 1], aside));
    }
    if (asideEnds >= 0 && !(endsHere && asideEnds === i - 1)) throw new PipelineEnds(asideEnds);
    return i === 0 ? ir : wholeModules[i - 1];
  };
  // a function pass reports errors and goes on: only its `finish`, which has seen every
  // function, may stop the pipeline
  let finishing = false;
  let stopped = false;
  const stop = () => {
    if (!finishing) throw new InternalError('a function pass can stop the pipeline only in its `finish`');
    stopped = true;
    ctx.stop?.();
  };
  const ctxs: PassContext[] = group.map((_, i) => ({
    ...ctx, ...freshIds(first + i), diag: new Diagnostics(), stop, wholeModule: () => wholeModule(i),
    reported: () => [...ctx.diag.list, ...ctxs.slice(0, i + 1).flatMap((c) => c.diag.list)],
  }));
  /** how many diagnostics passes 0..i have reported */
  const reportedUpTo = (i: number) => ctxs.slice(0, i + 1).reduce((n, c) => n + c.diag.list.length, ctx.diag.list.length);
  // passes from `ran` on count as not run: a pass before them ends the pipeline (goesOn,
  // finish), or a code generator was not run because of errors (Pass.generatesCode)
  let ran = k;
  /** Reports what the passes that ran found and how long they took, in pipeline order. */
  const report = () => {
    for (let i = 0; i < ran; i++) {
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
  let errors = ctx.diag.hasErrors;
  /** for each pass with goesOn: the diagnostics count when it was last asked */
  const asked = new Array<number>(k).fill(ctx.diag.list.length);
  let codegenSkipped = false;
  /** Runs passes lo..hi-1 over one unit (those that still run: see `ran`). */
  // (hot: run for every unit and pass, so the parts are looked up once, and one clock
  // reading ends one pass's time and starts the next's)
  const parts = group.map((p) => p.perFunction);
  const runPasses = (unit: unknown, lo: number, hi: number): unknown => {
    let x = unit;
    let i = lo;
    let t = performance.now();
    try {
      for (; i < hi && i < ran; i++) {
        if (errors && group[i].generatesCode) { ran = i; codegenSkipped = true; break; }
        ctxs[i].beginFunction!();
        x = parts[i].runFunction(x, facts[i], ctxs[i]);
        const now = performance.now();
        ms[i] += now - t;
        t = now;
        if (!errors && ctxs[i].diag.hasErrors) errors = true;
        if (opts.verifyEach) {
          const nodes = parts[i].nodesOf?.(x) ?? [x as AnyNode];
          for (const n of nodes) verifyOutput(group[i], n, (detail) => new SweepError(group[i], null, detail));
        }
        const goesOn = parts[i].goesOn;
        if (goesOn && errors && asked[i] !== reportedUpTo(i)) {
          asked[i] = reportedUpTo(i);
          if (!goesOn(facts[i], ctxs[i])) { ran = i + 1; break; }
        }
      }
    } catch (e) {
      if (e instanceof SweepError) throw e;
      if (!(e instanceof PipelineEnds)) throw new SweepError(group[i], e);
      ran = e.at + 1; // (this unit is abandoned: its output will not be used)
    }
    return x;
  };
  // Where the units change kind (item groups to bodies), pass `b`'s bridge makes its units
  // of the earlier passes' (b = k: no bridge). Declarations first seen there (closure
  // environments) are declared to pass b and the ones after it before any body that uses them.
  const b = group.findIndex((p, i) => i > 0 && needsBridge(group[i - 1], p));
  const bridge = b > 0 ? group[b].perFunction.bridge!(shells[b]) : null;
  const declare = (declarations: AnyNode) => {
    let d = declarations;
    for (let j = b; j < k; j++) {
      const pf = group[j].perFunction;
      const t0 = performance.now();
      try {
        pf.declare?.(d, facts[j], ctxs[j]);
        if (j < k - 1) d = pf.assemble(d, facts[j], []);
      } catch (e) { throw new SweepError(group[j], e); }
      ms[j] += performance.now() - t0;
    }
  };
  const units = group[0].perFunction.functionsOf(ir);
  const done: unknown[] = [];
  for (let u = 0; u < units.length; u++) {
    if (!bridge) { done.push(runPasses(units[u], 0, k)); continue; }
    const x = runPasses(units[u], 0, b);
    if (ran <= b) continue; // (the passes after a closed gate do not run)
    const made = bridge.take(x);
    if (made.declarations !== null) declare(made.declarations);
    for (const y of made.units) done.push(runPasses(y, b, k));
  }
  if (bridge && ran > b) for (const y of bridge.end()) done.push(runPasses(y, b, k));
  // what each pass assembles into: past the bridge, the declarations as the passes wrote them
  const into = shells.slice();
  if (bridge && ran > b) {
    into[b] = bridge.module();
    for (let j = b; j < k - 1; j++) {
      try { into[j + 1] = group[j].perFunction.assemble(into[j], facts[j], []); } catch (e) { throw new SweepError(group[j], e); }
    }
  }
  // module-wide checks, in pipeline order; one may end the pipeline
  const closed = ran < k && !codegenSkipped;
  for (let i = 0; i < ran; i++) {
    const finish = group[i].perFunction.finish;
    if (!finish) continue;
    const t0 = performance.now();
    try {
      finishing = true;
      finish(into[i], facts[i], ctxs[i], () => wholeModule(i + 1, true));
      finishing = false;
    } catch (e) { throw new SweepError(group[i], e); }
    ms[i] += performance.now() - t0;
    if (stopped) { ran = i + 1; break; }
  }
  if (closed && !stopped) throw new SweepError(group[ran - 1], null, '`goesOn` said the pipeline ends here, but `finish` did not end it');
  if (ran < k) {
    report();
    return { ir: null, last: ran - 1 };
  }
  const last = group[k - 1];
  const t0 = performance.now();
  let out: AnyNode;
  try {
    out = last.perFunction.assemble(into[k - 1], facts[k - 1], done);
  } catch (e) { throw new SweepError(last, e); }
  ms[k - 1] += performance.now() - t0;
  if (opts.verifyEach) verifyOutput(last, out, (detail) => new SweepError(last, null, detail));
  report();
  return { ir: out, last: k - 1 };
}
