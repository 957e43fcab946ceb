// Property 2 at run time: generated programs (programArb), compiled through elaborate-drops
// and the C backend, free every heap block they allocate. The runtime counts its
// allocations and frees when ZETA_TRACE_ALLOC is set (runtime-c/zeta_rt.c) and prints
// `zeta-trace: allocs=N frees=M` at exit; each program must exit 0 with allocs == frees
// and print exactly what the reference interpreter (ir/interpret.ts) prints for the same
// IR, drop output (`drop <id>` of the Drop classes) included. A few also run under
// valgrind's leak checker, which sees every allocation (not only the runtime's).

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArb } from './gen/program-generator.js';
import { interpret } from '../ir/interpret.js';
import { buildC, compiledSeed, mapLimit, runTraced } from './drop-harness.js';
import { buildLlvmAsync } from '../backends/llvm/index.js';
import { loadLlvm } from '../backends/llvm/bindings.js';

const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PROGRAMS = 20;
const VALGRIND_PROGRAMS = 3;

const LLVM_PROGRAMS = 3;

const hasValgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' }).status === 0;
const hasLlvm = (() => { try { loadLlvm(); return true; } catch { return false; } })();

describe('generated programs free what they allocate (C backend, allocation trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeta-drops-rt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const seeds = fc.sample(programArb(), { numRuns: PROGRAMS, seed: FC_SEED }).map((p) => p.seed);
  const built = new Map<number, string>();
  const traces = new Map<number, { stdout: string; allocs: number; frees: number }>();

  it(`${PROGRAMS} programs: exit 0, allocs == frees, stdout == the interpreter's`, async () => {
    const results = await mapLimit(seeds, 2, async (seed) => {
      const m = compiledSeed(seed);
      const expected = interpret(m, { maxBlocks: 5_000_000 });
      const exe = join(dir, `gen-${seed}`);
      await buildC(m, exe);
      built.set(seed, exe);
      return { seed, expected, run: await runTraced(exe) };
    });
    let allocs = 0;
    for (const { seed, expected, run } of results) {
      const ctx = `program seed ${seed}, fast-check seed ${FC_SEED} (stderr: ${run.stderr.slice(0, 300)})`;
      expect(expected.status, ctx).toBe(0);
      expect(run.status, ctx).toBe(0);
      expect(run.stdout, ctx).toBe(expected.stdout);
      expect(run.allocs, ctx).toBeGreaterThanOrEqual(0);
      expect(run.frees, ctx).toBe(run.allocs);
      allocs += run.allocs;
      traces.set(seed, run);
    }
    // the programs do allocate (else the trace would prove nothing)
    expect(allocs).toBeGreaterThan(PROGRAMS);
  }, 120_000);

  const valgrindTitle = hasValgrind
    ? `${VALGRIND_PROGRAMS} programs under valgrind --leak-check=full: no leak, no invalid access`
    : 'valgrind leak check (SKIPPED: valgrind is not installed)';
  it.skipIf(!hasValgrind)(valgrindTitle, async () => {
    const exes = seeds.slice(0, VALGRIND_PROGRAMS).map((seed) => [seed, built.get(seed)] as const);
    const results = await mapLimit(exes, 2, async ([seed, exe]) => {
      if (exe === undefined) throw new Error(`program seed ${seed} was not built by the previous test`);
      return { seed, run: await runTraced(exe, ['valgrind', '--leak-check=full', '--error-exitcode=9', '-q'], 60_000) };
    });
    for (const { seed, run } of results) {
      const ctx = `program seed ${seed}: ${run.stderr.slice(0, 2000)}`;
      expect(run.status, ctx).toBe(0);
      expect(run.frees, ctx).toBe(run.allocs);
    }
  }, 120_000);

  // the LLVM backend links the same runtime: the traced runtime must still link there, and
  // a program allocates and frees the same blocks whichever backend built it
  it.skipIf(!hasLlvm)(hasLlvm ? `${LLVM_PROGRAMS} programs built by the LLVM backend: the same trace and stdout as the C build`
    : 'LLVM backend (SKIPPED: llvm-bindings is not available)', async () => {
    const picked = seeds.filter((seed) => (traces.get(seed)?.allocs ?? 0) > 0).slice(0, LLVM_PROGRAMS);
    expect(picked.length).toBe(LLVM_PROGRAMS);
    const results = await mapLimit(picked, 2, async (seed) => {
      const exe = join(dir, `llvm-${seed}`);
      await buildLlvmAsync(compiledSeed(seed), { optLevel: 0, sanitize: [], out: exe });
      return { seed, run: await runTraced(exe) };
    });
    for (const { seed, run } of results) {
      const c = traces.get(seed)!;
      const ctx = `program seed ${seed}, fast-check seed ${FC_SEED} (stderr: ${run.stderr.slice(0, 300)})`;
      expect(run.status, ctx).toBe(0);
      expect(run.stdout, ctx).toBe(c.stdout);
      expect([run.allocs, run.frees], ctx).toEqual([c.allocs, c.frees]);
    }
  }, 120_000);
});
