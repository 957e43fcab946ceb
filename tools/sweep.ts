// A sweep: consecutive function passes (passes/pass.ts, FunctionPass) run one function at a
// time, each function going through all of them before the next one starts, so no
// function's intermediate IR outlives its trip (docs/ARCHITECTURE.md, "Function passes and
// sweeps"). The driver (tools/driver.ts) runs every pass after parse as one sweep. Also here:
// what running any pass needs (fresh ids, verifying its output).

import { freeze } from 'immer';
import { validate, type AnyNode } from '../ir/lang.js';
import { Diagnostics, type Diagnostic } from '../ir/diagnostics.js';
import type { PassTiming } from './driver.js';
import { takeCensus, type Census } from '../ir/census.js';
import { InternalError, needsBridge, sameUnit, ShardMismatch, unitNodes, type FunctionPass, type FunctionPassParts, type Pass, type PassContext, type UnitBridge } from '../passes/pass.js';

export function describeNode(n: AnyNode | undefined): string {
  return n ? `${n.kind} at bytes ${n.span?.start}..${n.span?.end}` : 'unknown node';
}

/**
 * Fresh ids (PassContext.freshId) need only be unique within a function. Pass `p` numbers
 * the locals it introduces from a base of its own, FRESH_IDS_PER_PASS apart, starting again
 * at it for each function (beginFunction), so a function's ids depend neither on the
 * functions before it nor on whether it went through a sweep.
 */
const FRESH_ID_BASE = 1 << 20;
const FRESH_IDS_PER_PASS = 1 << 20;

export function freshIds(p: number): Pick<PassContext, 'freshId' | 'beginFunction'> {
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
export function verifyOutput(pass: Pass, out: AnyNode, fail: (detail: string) => Error): void {
  const problems = validate(pass.to, out);
  if (problems.length > 0) {
    const p = problems[0];
    throw fail(`output is not valid ${pass.to.name}: ${p.message} at ${p.path} (${describeNode(p.node)})` +
      (problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : ''));
  }
  freeze(out, true);
}

const NOTHING_REPORTED: readonly Diagnostic[] = Object.freeze([]);

/** A failure inside a sweep, with the pass it happened in. */
export class SweepError extends Error {
  /** detail: what --verify-each found (the output of `pass` is invalid) */
  constructor(readonly pass: Pass, readonly cause: unknown, readonly detail?: string) { super(pass.name); }
}

/** Thrown by ctx.wholeModule when pass `at` of the sweep ends the pipeline. */
class PipelineEnds {
  constructor(readonly at: number) {}
}

/** What a sweep made: its output (null: errors left no code to generate) and its last pass that ran. */
export interface SweepResult { ir: AnyNode | null; last: number }

/**
 * One thread's part of a sweep split between two threads (tools/shards.ts): the main
 * thread runs some functions and assembles the module, a worker runs the others and gives
 * what its last pass made of them (FunctionPassParts.shard). Only a compile without any
 * diagnostic is joined: as soon as either thread has one, both give up and the driver
 * runs the sweep in one thread, so diagnostics come out exactly as they always do.
 */
export interface SweepShard {
  /** which units of the sweep's first pass are this thread's (both threads compute the same split) */
  mine(units: readonly unknown[]): (u: number) => boolean;
  /** whether this thread runs the units held back to the end (the statics' initializers) */
  end: boolean;
  /** whether to give up now (the other thread did) */
  givenUp(): boolean;
  /** main thread: tells the worker to give up */
  giveUp?(): void;
  /** main thread: the worker's saved part, once it is done (null: it gave up) */
  join?(): unknown;
}

/** What a split sweep gives instead: the worker's saved part, or that the sweep must run in one thread. */
export type ShardOutcome = { saved: unknown } | 'run-alone';

/** The switches of runPipeline a sweep reads. */
export interface SweepOptions { verifyEach?: boolean }

/**
 * Runs function passes as one sweep over `ir`. Each pass reports into its own sink, merged
 * into `ctx.diag` in pipeline order at the end, so the diagnostics come out as they would
 * pass by pass; with --verify-each every function is validated after every pass. A pass
 * may end the pipeline in its `finish` (parse-bodies, check-types): the passes after it
 * then count as not run. `first` is the index of the sweep's first pass in the pipeline.
 */
export function runSweep(
  group: readonly FunctionPass[], first: number, ir: AnyNode, ctx: PassContext, opts: SweepOptions,
  timings: PassTiming[],
): SweepResult {
  return new Sweep(group, first, ir, ctx, opts).run(timings);
}

/**
 * Runs this thread's part of a split sweep (SweepShard). The main thread (with `join`)
 * gets the module assembled from both parts; a worker gets its saved part to send.
 */
export function runSweepShard(
  group: readonly FunctionPass[], first: number, ir: AnyNode, ctx: PassContext, opts: SweepOptions,
  timings: PassTiming[], shard: SweepShard,
): SweepResult | ShardOutcome {
  return new Sweep(group, first, ir, ctx, opts, shard).runShard(timings);
}

class Sweep {
  private readonly k: number;
  private readonly parts: readonly FunctionPassParts<AnyNode, unknown, unknown, AnyNode, unknown>[];
  /** each pass's context: its own sink and fresh ids */
  private readonly ctxs: PassContext[];
  private readonly facts: unknown[];
  /** what each pass prepares from: the declarations as the passes before it write them */
  private readonly shells: AnyNode[];
  private readonly ms: number[];
  /** passes from `ran` on count as not run: a pass before them ends the pipeline (goesOn,
   * finish), or a code generator was not run because of errors (Pass.generatesCode) */
  private ran: number;
  private codegenSkipped = false;
  /** whether any diagnostic has been reported (a code generator does not run then) */
  private errors: boolean;
  /** for each pass with goesOn: the diagnostics count when it was last asked */
  private readonly asked: number[];
  private finishing = false;
  private stopped = false;
  /** the census of the function going through (taken at the first pass with appliesTo) */
  private census: Census | null = null;
  // ctx.wholeModule: the sweep's passes run over the whole module, as wholeModule mode runs
  // them, into a sink of their own (what they report, the sweep reports)
  private readonly wholeModules: AnyNode[] = [];
  private readonly asideDiag = new Diagnostics();
  private asideEnds = -1;

  constructor(
    private readonly group: readonly FunctionPass[], private readonly first: number, private readonly ir: AnyNode,
    private readonly ctx: PassContext, private readonly opts: SweepOptions, private readonly shard: SweepShard | null = null,
  ) {
    const k = this.k = group.length;
    this.parts = group.map((p) => p.perFunction);
    this.ran = k;
    this.ms = new Array<number>(k).fill(0);
    this.facts = new Array(k);
    this.shells = new Array(k);
    this.errors = ctx.diag.hasErrors;
    this.asked = new Array<number>(k).fill(ctx.diag.list.length);
    // a function pass reports errors and goes on: only its `finish`, which has seen every
    // function, may stop the pipeline
    const stop = () => {
      if (!this.finishing) throw new InternalError('a function pass can stop the pipeline only in its `finish`');
      this.stopped = true;
      ctx.stop?.();
    };
    const ctxs: PassContext[] = this.ctxs = group.map((_, i) => ({
      ...ctx, ...freshIds(first + i), diag: new Diagnostics(), stop, wholeModule: () => this.wholeModule(i),
      // (asked per function by check-types: nothing to gather while nothing was reported)
      reported: () => (ctx.diag.list.length === 0 && ctxs.every((c, j) => j > i || c.diag.list.length === 0) ? NOTHING_REPORTED
        : [...ctx.diag.list, ...ctxs.slice(0, i + 1).flatMap((c) => c.diag.list)]),
    }));
  }

  run(timings: PassTiming[]): SweepResult {
    this.prepare();
    const { done, into } = this.runUnits();
    this.finish(into);
    if (this.ran < this.k) {
      this.report(timings);
      return { ir: null, last: this.ran - 1 };
    }
    return this.assembled(into, done, timings);
  }

  /** The last pass's output from every unit's (verified), and the sweep's report. */
  private assembled(into: readonly AnyNode[], done: readonly unknown[], timings: PassTiming[]): SweepResult {
    const k = this.k;
    const out = this.timed(k - 1, () => this.parts[k - 1].assemble(into[k - 1], this.facts[k - 1], done));
    if (this.opts.verifyEach) verifyOutput(this.group[k - 1], out, (detail) => new SweepError(this.group[k - 1], null, detail));
    this.report(timings);
    return { ir: out, last: k - 1 };
  }

  /** run() for one thread's part of a split sweep: see runSweepShard. */
  runShard(timings: PassTiming[]): SweepResult | ShardOutcome {
    const shard = this.shard!;
    const k = this.k;
    const { shard: parts } = this.parts[k - 1];
    if (!parts) throw new InternalError(`the sweep's last pass, ${this.group[k - 1].name}, cannot be split between threads`);
    this.prepare();
    const { done, into } = this.runUnits();
    const reported = () => this.ctxs.some((c) => c.diag.list.length > 0);
    if (this.ran < k || reported() || shard.givenUp()) { shard.giveUp?.(); return 'run-alone'; }
    if (!shard.join) return { saved: this.timed(k - 1, () => parts.save(this.facts[k - 1], done)) };
    const saved = shard.join();
    if (saved === null) return 'run-alone';
    let all: readonly unknown[];
    try {
      all = this.timed(k - 1, () => parts.merge(this.facts[k - 1], done, saved));
    } catch (e) {
      if (e instanceof SweepError && e.cause instanceof ShardMismatch) return 'run-alone';
      throw e;
    }
    this.finish(into);
    return this.ran < k || reported() ? 'run-alone' : this.assembled(into, all, timings);
  }

  /** Runs `f` as work of pass i: its time counts to the pass, and what it throws names it. */
  private timed<T>(i: number, f: () => T): T {
    const t0 = performance.now();
    let r: T;
    try {
      r = f();
    } catch (e) {
      throw e instanceof SweepError ? e : new SweepError(this.group[i], e);
    }
    this.ms[i] += performance.now() - t0;
    return r;
  }

  /** Each pass prepares from the declarations the previous one writes: its module assembled with no functions. */
  private prepare(): void {
    let shell = this.ir;
    for (let i = 0; i < this.k; i++) {
      const pf = this.parts[i];
      this.timed(i, () => {
        this.facts[i] = pf.prepare(shell, this.ctxs[i]);
        this.shells[i] = shell;
        if (i < this.k - 1) shell = pf.assemble(shell, this.facts[i], []);
      });
    }
  }

  /**
   * Every unit through every pass. Where the units change kind (item groups to bodies),
   * pass `b`'s bridge makes its units of the earlier passes' (b < 0: no bridge), and the
   * declarations first seen there (closure environments) are declared to pass b and the
   * ones after it before any body that uses them. Gives the last pass's units and what each
   * pass assembles into (past the bridge, the declarations as the passes wrote them).
   */
  private runUnits(): { done: unknown[]; into: AnyNode[] } {
    const { k, group } = this;
    const b = group.findIndex((p, i) => i > 0 && needsBridge(group[i - 1], p));
    const bridge: UnitBridge | null = b > 0 ? this.parts[b].bridge!(this.shells[b]) : null;
    const units = this.parts[0].functionsOf(this.ir);
    const mine = this.shard?.mine(units);
    const done: unknown[] = [];
    for (let u = 0; u < units.length; u++) {
      if (mine !== undefined && (!mine(u) || this.shard!.givenUp())) continue;
      this.census = null; // (what the bridge makes of a unit is the same function: it keeps its census)
      if (!bridge) { done.push(this.runPasses(units[u], 0, k)); continue; }
      const x = this.runPasses(units[u], 0, b);
      if (this.ran <= b) continue; // (the passes after a closed gate do not run)
      const made = bridge.take(x);
      if (made.declarations !== null) this.declare(b, made.declarations);
      for (const y of made.units) done.push(this.runPasses(y, b, k));
    }
    const into = this.shells.slice();
    if (bridge && this.ran > b) {
      if (this.shard?.end !== false) for (const y of bridge.end()) { this.census = null; done.push(this.runPasses(y, b, k)); }
      into[b] = bridge.module();
      for (let j = b; j < k - 1; j++) into[j + 1] = this.timed(j, () => this.parts[j].assemble(into[j], this.facts[j], []));
    }
    return { done, into };
  }

  /**
   * Runs passes lo..hi-1 (those that still run: see `ran`) over one unit. Hot, run for
   * every unit and pass: one clock reading ends one pass's time and starts the next's.
   */
  private runPasses(unit: unknown, lo: number, hi: number): unknown {
    const { group, parts, facts, ctxs, ms } = this;
    let x = unit;
    let i = lo;
    let t = performance.now();
    try {
      for (; i < hi && i < this.ran; i++) {
        if (this.errors && group[i].generatesCode) { this.ran = i; this.codegenSkipped = true; break; }
        ctxs[i].beginFunction!();
        const applies = parts[i].appliesTo;
        if (applies === undefined || applies(this.census ??= takeCensus(group[i].from, unitNodes(x)), facts[i])) {
          x = parts[i].runFunction(x, facts[i], ctxs[i]);
        } else if (this.opts.verifyEach) {
          x = this.checkedSkip(i, x);
        }
        const now = performance.now();
        ms[i] += now - t;
        t = now;
        if (!this.errors && ctxs[i].diag.hasErrors) this.errors = true;
        if (this.opts.verifyEach) {
          const nodes = parts[i].nodesOf?.(x) ?? [x as AnyNode];
          for (const n of nodes) verifyOutput(group[i], n, (detail) => new SweepError(group[i], null, detail));
        }
        const goesOn = parts[i].goesOn;
        if (goesOn && this.errors && this.asked[i] !== this.reportedUpTo(i)) {
          this.asked[i] = this.reportedUpTo(i);
          if (!goesOn(facts[i], ctxs[i])) { this.ran = i + 1; break; }
        }
      }
    } catch (e) {
      if (e instanceof SweepError) throw e;
      if (!(e instanceof PipelineEnds)) throw new SweepError(group[i], e);
      this.ran = e.at + 1; // (this unit is abandoned: its output will not be used)
    }
    return x;
  }

  /** Runs pass i over a unit it says it would leave alone (appliesTo), and fails if it does not. */
  private checkedSkip(i: number, x: unknown): unknown {
    const reported = this.ctxs[i].diag.list.length;
    const out = this.parts[i].runFunction(x, this.facts[i], this.ctxs[i]);
    const changed = !sameUnit(x, out) ? 'changed it' : this.ctxs[i].diag.list.length !== reported ? 'reported on it' : null;
    if (changed !== null) {
      throw new SweepError(this.group[i], null, `appliesTo said the pass does nothing to ${describeNode(unitNodes(x)[0])}, but it ${changed}`);
    }
    return out;
  }

  /** how many diagnostics passes 0..i have reported */
  private reportedUpTo(i: number): number {
    return this.ctxs.slice(0, i + 1).reduce((n, c) => n + c.diag.list.length, this.ctx.diag.list.length);
  }

  /** Declares `declarations` (a module of them, in pass b's language) to pass b and the passes after it. */
  private declare(b: number, declarations: AnyNode): void {
    let d = declarations;
    for (let j = b; j < this.k; j++) {
      const pf = this.parts[j];
      this.timed(j, () => {
        pf.declare?.(d, this.facts[j], this.ctxs[j]);
        if (j < this.k - 1) d = pf.assemble(d, this.facts[j], []);
      });
    }
  }

  /** The module-wide checks (`finish`), in pipeline order; one may end the pipeline. */
  private finish(into: readonly AnyNode[]): void {
    const closed = this.ran < this.k && !this.codegenSkipped;
    for (let i = 0; i < this.ran; i++) {
      const finish = this.parts[i].finish;
      if (!finish) continue;
      this.timed(i, () => {
        this.finishing = true;
        finish(into[i], this.facts[i], this.ctxs[i], () => this.wholeModule(i + 1, true));
        this.finishing = false;
      });
      if (this.stopped) { this.ran = i + 1; break; }
    }
    if (closed && !this.stopped) throw new SweepError(this.group[this.ran - 1], null, '`goesOn` said the pipeline ends here, but `finish` did not end it');
  }

  /**
   * ctx.wholeModule of pass i: passes 0..i-1 over the whole module. One of them may end the
   * pipeline there: it will end it in the sweep too, so pass i would never have run (unless
   * `endsHere`: pass i-1's `finish` asks for its own output).
   */
  private wholeModule(i: number, endsHere = false): AnyNode {
    const { wholeModules, asideDiag, ctx } = this;
    for (let j = wholeModules.length; j < i && this.asideEnds < 0; j++) {
      const aside: PassContext = {
        src: ctx.src, diag: asideDiag, ...freshIds(this.first + j),
        stop: () => { this.asideEnds = j; }, reported: () => [...ctx.diag.list, ...asideDiag.list],
      };
      wholeModules.push(this.group[j].run(j === 0 ? this.ir : wholeModules[j - 1], aside));
    }
    if (this.asideEnds >= 0 && !(endsHere && this.asideEnds === i - 1)) throw new PipelineEnds(this.asideEnds);
    return i === 0 ? this.ir : wholeModules[i - 1];
  }

  /** Reports what the passes that ran found and how long they took, in pipeline order. */
  private report(timings: PassTiming[]): void {
    for (let i = 0; i < this.ran; i++) {
      timings.push({ pass: this.group[i].name, ms: this.ms[i] });
      // (once each, as if the pass had reported into the compile's sink directly)
      for (const d of this.ctxs[i].diag.list) this.ctx.diag.add(d);
    }
  }
}
