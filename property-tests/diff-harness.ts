// Differential running of one program, shared by the backends-diff property test and the
// fuzzer (tools/fuzz.mjs, through dist/api.mjs): compile the source through the whole
// pipeline once, then run the final IR on each engine asked for (the C backend, the LLVM
// backend, the reference interpreter ir/interpret.ts) and list every way the runs
// disagree. Generated programs are valid and exit 0, so a rejection, an internal compiler
// error, a non-zero exit, a leak or any difference between engines is a bug.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { RUNTIME_DIR, runTraced, type Module } from './drop-harness.js';
import { interpret } from '../ir/interpret.js';
import { InternalCompilerError, runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { BackendUnavailable, getBackend, type Backend } from '../backends/index.js';
import '../backends/register.js';
import { compileC } from '../backends/c/toolchain.js';
import { buildLlvmAsync } from '../backends/llvm/index.js';

export type Engine = 'c' | 'llvm' | 'interp';
export const ENGINES: readonly Engine[] = ['c', 'llvm', 'interp'];

/** One engine's run; `error` when it could not build or run (a compiler or interpreter bug). */
export interface EngineRun {
  engine: Engine;
  status: number | null;
  stdout: string;
  stderr: string;
  /** heap blocks allocated / freed (the runtime's ZETA_TRACE_ALLOC line; -1 for the interpreter) */
  allocs: number;
  frees: number;
  error?: string;
}

export type DiffOutcome =
  /** the compiler reported diagnostics (a generated program must have none) */
  | { kind: 'rejected'; lastPass: string | null; diagnostics: string[] }
  /** an internal compiler error while compiling (exit 70 in the CLI) */
  | { kind: 'ice'; pass: string; message: string }
  /** it compiled and ran; `problems` is empty when every engine agreed and behaved */
  | { kind: 'ran'; runs: EngineRun[]; problems: string[] };

export function backendOrNull(name: 'c' | 'llvm'): Backend | null {
  try { return getBackend(name); } catch (e) { if (e instanceof BackendUnavailable) return null; throw e; }
}

/** The final IR of the whole pipeline, or why there is none. */
export function compileFinal(source: string, what: string, verifyEach = false):
  { ok: true; module: Module } | { ok: false; outcome: Exclude<DiffOutcome, { kind: 'ran' }> } {
  let r;
  try {
    r = runPipeline({ path: `${what}.zeta`, text: source }, { passes: PIPELINE, verifyEach });
  } catch (e) {
    if (e instanceof InternalCompilerError) return { ok: false, outcome: { kind: 'ice', pass: e.pass, message: e.detail } };
    return { ok: false, outcome: { kind: 'ice', pass: '(driver)', message: e instanceof Error ? e.stack ?? e.message : String(e) } };
  }
  // every diagnostic is an error (ir/diagnostics.ts)
  if (r.ir === null || r.ir.kind !== 'Module' || r.diagnostics.length > 0 || r.lastPass !== PIPELINE[PIPELINE.length - 1].name) {
    return {
      ok: false,
      outcome: { kind: 'rejected', lastPass: r.lastPass, diagnostics: r.diagnostics.map((d) => {
        const line = source.slice(0, d.span.start).split('\n').length;
        return `${d.code} ${d.message} at line ${line}: ${source.split('\n')[line - 1]?.trim().slice(0, 160) ?? ''}`;
      }) },
    };
  }
  return { ok: true, module: r.ir as unknown as Module };
}

const message = (e: unknown): string => (e instanceof InternalCompilerError ? e.message : e instanceof Error ? e.message : String(e));

export interface BuildFlags {
  /** -O level of both backends (default 0: the tests build many programs) */
  optLevel?: 0 | 2;
  /** sanitizers to build with, e.g. ['address', 'undefined'] (default none) */
  sanitize?: string[];
}

/** Builds and runs `m` on one engine; exe files go into `dir`. */
export async function runEngine(m: Module, engine: Engine, dir: string, name: string, timeoutMs = 20_000, flags: BuildFlags = {}): Promise<EngineRun> {
  const failed = (error: string): EngineRun => ({ engine, status: null, stdout: '', stderr: '', allocs: -1, frees: -1, error });
  if (engine === 'interp') {
    try {
      const r = interpret(m, { maxBlocks: 5_000_000 });
      return { engine, status: r.status, stdout: r.stdout, stderr: r.stderr, allocs: -1, frees: -1 };
    } catch (e) {
      return failed(`interpreter: ${message(e)}`);
    }
  }
  const backend = backendOrNull(engine);
  if (backend === null) return failed(`the ${engine} backend is not available`);
  const exe = join(dir, `${engine}-${name}`);
  try {
    const optLevel = flags.optLevel ?? 0;
    const sanitize = flags.sanitize ?? [];
    if (engine === 'c') await compileC(backend.emitText(m, { optLevel, sanitize }), exe, { optLevel, sanitize, runtimeDir: RUNTIME_DIR });
    else await buildLlvmAsync(m, { optLevel, sanitize, out: exe });
  } catch (e) {
    return failed(`build: ${message(e)}`);
  }
  try {
    return { engine, ...(await runTraced(exe, [], timeoutMs)) };
  } finally {
    rmSync(exe, { force: true });
  }
}

/**
 * Every way the runs break the contract of a generated program: an engine that failed,
 * a non-zero exit, different stdout or status between engines, different allocation
 * counts between the backends, or a leak.
 */
export function compareRuns(runs: readonly EngineRun[]): string[] {
  const problems: string[] = [];
  for (const r of runs) {
    if (r.error) problems.push(`${r.engine}: ${r.error.split('\n')[0]}`);
    else if (r.status !== 0) problems.push(`${r.engine}: exit ${r.status}${r.stderr ? ` (${r.stderr.trim().split('\n')[0]})` : ''}`);
  }
  const ok = runs.filter((r) => !r.error);
  for (let i = 1; i < ok.length; i++) {
    const [a, b] = [ok[0], ok[i]];
    if (a.status !== b.status) problems.push(`exit status: ${a.engine} ${a.status}, ${b.engine} ${b.status}`);
    if (a.stdout !== b.stdout) problems.push(`stdout: ${a.engine} and ${b.engine} differ ${firstDifference(a.stdout, b.stdout)}`);
  }
  const traced = ok.filter((r) => r.allocs >= 0);
  for (let i = 1; i < traced.length; i++) {
    const [a, b] = [traced[0], traced[i]];
    if (a.allocs !== b.allocs || a.frees !== b.frees) {
      problems.push(`heap blocks: ${a.engine} ${a.allocs} allocs/${a.frees} frees, ${b.engine} ${b.allocs}/${b.frees}`);
    }
  }
  for (const r of ok) {
    if (r.engine !== 'interp' && r.allocs < 0) problems.push(`${r.engine}: no allocation trace`);
    else if (r.allocs !== r.frees) problems.push(`${r.engine}: leak (${r.allocs} allocs, ${r.frees} frees)`);
  }
  return problems;
}

/** Where two outputs first differ, as `at line N: "…" vs "…"`. */
export function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `at line ${i + 1}: ${JSON.stringify(la[i] ?? '<eof>')} vs ${JSON.stringify(lb[i] ?? '<eof>')}`;
  }
  return '';
}

export interface DiffOptions extends BuildFlags {
  engines?: readonly Engine[];
  /** where executables go (a fresh temporary directory, removed afterwards, by default) */
  dir?: string;
  /** per-run timeout of an executable */
  timeoutMs?: number;
  /** validate every pass's output against its language (an invalid one is an internal error) */
  verifyEach?: boolean;
}

/** Compiles `source` once and runs it on every engine (backends one after the other). */
export async function diffProgram(source: string, what: string, opts: DiffOptions = {}): Promise<DiffOutcome> {
  const compiled = compileFinal(source, what, opts.verifyEach);
  if (!compiled.ok) return compiled.outcome;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'zeta-diff-'));
  try {
    const runs: EngineRun[] = [];
    for (const e of opts.engines ?? ENGINES) runs.push(await runEngine(compiled.module, e, dir, what, opts.timeoutMs, opts));
    return { kind: 'ran', runs, problems: compareRuns(runs) };
  } finally {
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  }
}
