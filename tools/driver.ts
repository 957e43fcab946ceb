// The driver: runs the pipeline (passes/pipeline.ts) over one source file, with the
// researcher's switches: verify each pass's output against its language, dump the IR
// after chosen passes, time the passes. It turns a thrown exception into an internal
// compiler error that names the pass, never an uncaught crash.

import type { AnyNode } from '../ir/lang.js';
import { Diagnostics, type Diagnostic, type SourceFile } from '../ir/diagnostics.js';
import { printIR } from '../ir/print.js';
import { InternalError, isFunctionPass, unitsChain, type FunctionPass, type Pass, type PassContext } from '../passes/pass.js';
import { PIPELINE } from '../passes/pipeline.js';
import { describeNode, freshIds, runSweep, runSweepShard, SweepError, verifyOutput, type SweepResult, type SweepShard } from './sweep.js';
import { splits, startShard } from './shards.js';
import { getBackend } from '../backends/index.js';

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
  /**
   * How many threads a large compile may be split between (tools/shards.ts): 1 never splits;
   * by default, as many as the machine has cores (two are used). The output is the same.
   */
  jobs?: number;
  /** the smallest source (bytes) that is split (tests split small programs; default shards.ts SHARD_MIN_BYTES) */
  shardMinBytes?: number;
  /** the share of the source the main thread compiles when split (tests; default one half) */
  shardShare?: number;
  /** for the worker of a split compile (tools/shard-worker.ts): its side of the split sweep */
  shardOf?: SweepShard;
}

export interface PassTiming { pass: string; ms: number }

export interface PipelineResult {
  /** the last pass's output (an Lcfg Module after the full pipeline) unless errors stopped it */
  ir: AnyNode | null;
  lastPass: string | null;
  diagnostics: Diagnostic[];
  dumps: { pass: string; text: string }[];
  timings: PassTiming[];
  /** how many threads compiled it: 2 when it was split (tools/shards.ts) */
  threads: number;
  /** for the worker of a split compile: what its part of the sweep made, to send */
  shardSaved?: unknown;
}

export class InternalCompilerError extends Error {
  /** the IR dumps asked for that were made before the failing pass (to debug it with) */
  dumps: { pass: string; text: string }[] = [];
  constructor(readonly pass: string, readonly detail: string, readonly causeError?: unknown) {
    super(`internal compiler error in pass \`${pass}\`: ${detail}`);
  }
}

export function runPipeline(src: SourceFile, opts: PipelineOptions = {}): PipelineResult {
  const atEnd: (() => void)[] = [];
  const passes = opts.passes ?? PIPELINE;
  const shard = opts.shardOf ?? splitShard(src, opts, passes);
  try {
    return pipeline(src, opts, passes, shard, atEnd);
  } finally {
    shard?.giveUp?.(); // (the worker stops if the compile ended before joining it)
    for (const release of atEnd) release();
  }
}

/**
 * The main thread's side of a split compile, with the worker started, when this compile is
 * split (tools/shards.ts): a large program through the C backend's whole pipeline, with
 * nothing asked for that looks between passes.
 */
function splitShard(src: SourceFile, opts: PipelineOptions, passes: readonly Pass[]): SweepShard | null {
  if (!splits(src.text.length, opts.jobs, opts.shardMinBytes) || opts.wholeModule || opts.dumpAfter || opts.stopAfter) return null;
  let c: readonly Pass[];
  try {
    c = [...PIPELINE, ...getBackend('c').passes];
  } catch {
    return null;
  }
  if (passes.length !== c.length || passes.some((p, i) => p !== c[i])) return null;
  return startShard({ path: src.path, text: src.text, backend: 'c', verifyEach: opts.verifyEach ?? false, share: opts.shardShare ?? 0.5 });
}

function pipeline(
  src: SourceFile, opts: PipelineOptions, passes: readonly Pass[], shard: SweepShard | null, atEnd: (() => void)[],
): PipelineResult {
  const diag = new Diagnostics();
  let stopped = false;
  const ctx: PassContext = {
    src, diag, freshId: () => { throw new InternalError('freshId of no pass'); }, stop: () => { stopped = true; }, reported: () => diag.list,
    atEnd: (release) => { atEnd.push(release); },
  };
  const result: PipelineResult = { ir: null, lastPass: null, diagnostics: diag.list, dumps: [], timings: [], threads: 1 };
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
        // split between threads: the whole rest of the pipeline, and only from a clean start
        const split = shard && p + sweep === passes.length && diag.list.length === 0
          ? runSplitSweep(group, p, ir, ctx, opts, shard) : 'run-alone';
        if (split !== 'run-alone' && 'saved' in split) {
          result.shardSaved = split.saved; // (a worker's part, to send)
          return result;
        }
        if (split !== 'run-alone') {
          made = split.made;
          result.timings.push(...split.timings);
          result.threads = 2;
        } else if (shard !== null && shard.join === undefined) {
          return result; // (a worker gives up: the main thread compiles alone)
        } else {
          made = runSweep(group, p, ir, ctx, opts, result.timings);
        }
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
 * This thread's side of a split sweep, into a context of its own: what it reports (or a
 * `stop`) means the sweep runs again in one thread, which reports it as it always does.
 */
function runSplitSweep(
  group: readonly FunctionPass[], first: number, ir: AnyNode, ctx: PassContext, opts: PipelineOptions, shard: SweepShard,
): { made: SweepResult; timings: PassTiming[] } | { saved: unknown } | 'run-alone' {
  const timings: PassTiming[] = [];
  let stopped = false;
  const own: PassContext = { ...ctx, diag: new Diagnostics(), stop: () => { stopped = true; } };
  const out = runSweepShard(group, first, ir, own, opts, timings, shard);
  if (out === 'run-alone' || 'saved' in out) return out;
  return stopped || own.diag.list.length > 0 ? 'run-alone' : { made: out, timings };
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
