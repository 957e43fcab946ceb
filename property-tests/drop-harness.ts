// Shared by the drop property tests (drops.test.ts, drops-runtime.test.ts, broken-drops.test.ts):
// compiling a generated program to the IR after `elaborate-drops`, building it with the C
// backend and running it with the runtime's allocation trace (ZETA_TRACE_ALLOC, runtime-c).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import type { Lcfg, Node } from '../ir/languages.js';
import { formatFnDef } from '../ir/cfg.js';
import { emitC } from '../backends/c/emit-c.js';
import { compileC } from '../backends/c/toolchain.js';
import { generateProgram, type GenOptions } from './gen/program-generator.js';

export type Module = Node<typeof Lcfg, 'Module'>;

const PASSES = PIPELINE;
if (!PASSES.some((p) => p.name === 'elaborate-drops')) throw new Error('the pipeline has no elaborate-drops pass');

/** A program's IR after elaborate-drops; throws with the diagnostics when it does not compile. */
export function compileToDrops(source: string, what = 'program'): Module {
  const r = runPipeline({ path: `${what}.zeta`, text: source }, { passes: PASSES, stopAfter: 'elaborate-drops' });
  if (r.ir === null || r.ir.kind !== 'Module' || r.lastPass !== 'elaborate-drops') {
    const diags = r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ');
    throw new Error(`${what} did not compile to elaborate-drops (last pass ${r.lastPass}): ${diags}`);
  }
  return r.ir as unknown as Module;
}

/** A program's IR as explicate-control and the checks of the final IR leave it (drops scheduled, not elaborated). */
export function compileBeforeDrops(source: string, what = 'program'): Module {
  const passes = PASSES.slice(0, PASSES.findIndex((p) => p.name === 'elaborate-drops'));
  const r = runPipeline({ path: `${what}.zeta`, text: source }, { passes });
  if (r.ir === null || r.ir.kind !== 'Module') throw new Error(`${what} did not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.ir as unknown as Module;
}

const cache = new Map<string, Module>();
/** compileToDrops of generateProgram(seed, opts), memoized (the properties share their programs). */
export function compiledSeed(seed: number, opts: GenOptions = {}): Module {
  const key = `${seed}:${JSON.stringify(opts)}`;
  let m = cache.get(key);
  if (!m) {
    m = compileToDrops(generateProgram(seed, opts).source, `gen-${seed}`);
    cache.set(key, m);
  }
  return m;
}

/** A function of a module as text, for failure messages. */
export function showFn(m: Module, name: string): string {
  const f = m.fns.find((x) => x.name === name);
  return f ? `fn ${name}:\n${formatFnDef(f)}` : `(no function ${name})`;
}

export const ROOT = join(import.meta.dirname, '..');
export const RUNTIME_DIR = join(ROOT, 'runtime-c');

/** Builds an Lcfg module with the C backend (unoptimized: the tests build many programs). */
export async function buildC(m: Module, out: string): Promise<void> {
  await compileC(emitC(m as Parameters<typeof emitC>[0]), out, { optLevel: 0, runtimeDir: RUNTIME_DIR });
}

export interface TracedRun { status: number | null; stdout: string; stderr: string; allocs: number; frees: number }

/** Runs an executable with ZETA_TRACE_ALLOC=1 and reads the runtime's `zeta-trace:` line (-1 when missing). */
export function runTraced(exe: string, cmd: string[] = [], timeoutMs = 20_000): Promise<TracedRun> {
  const [file, args] = cmd.length > 0 ? [cmd[0], [...cmd.slice(1), exe]] : [exe, []];
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ZETA_TRACE_ALLOC: '1' }, timeout: timeoutMs, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const m = /zeta-trace: allocs=(\d+) frees=(\d+)/.exec(stderr);
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ status, stdout, stderr, allocs: m ? Number(m[1]) : -1, frees: m ? Number(m[2]) : -1 });
      });
  });
}

/** Runs async jobs with at most `limit` at a time, in order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => { while (next < items.length) { const i = next++; out[i] = await f(items[i], i); } };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
