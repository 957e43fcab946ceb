// The drop properties of drops.test.ts and drops-runtime.test.ts, over generated programs
// WITH lambdas (programArb({ lambdas: true }): non-capturing and capturing lambdas, called
// and passed down to functions). Lambdas are lowered to functions and closure values
// (desugar-lambdas) before drops are scheduled, so the drops are elaborated around the
// lowered code; the generator's lambdas capture i64 scalars (read and assigned), their
// bodies and enclosing functions use every drop feature:
//   Property 1: no drop precedes a use of the dropped value, or of a pointer into it;
//   Property 2: every value that needs drop is dropped exactly once on every path;
//   at run time: built with the C backend, each program exits 0, frees every block it
//   allocates (ZETA_TRACE_ALLOC) and prints what the reference interpreter prints.

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArb, type GenOptions } from './gen/program-generator.js';
import { checkDrops, formatProblem, DOUBLE_DROP_KINDS, LEAK_KINDS, USE_KINDS, type DropProblem, type ProblemKind } from './drop-checker.js';
import { buildC, compiledSeed, mapLimit, runTraced, showFn, type Module } from './drop-harness.js';
import { interpret } from '../ir/interpret.js';

// FC_SEED=n reproduces a run; a failure also prints the program's own seed
const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const OPTS: GenOptions = { lambdas: true };
const NUM_RUNS = 60;
const RUNTIME_PROGRAMS = 8;
const LAMBDA_FEATURES = ['lambda', 'capturing-lambda', 'lambda-arg'];

function problemsOf(seed: number, kinds: readonly ProblemKind[]): { m: Module; found: DropProblem[] } {
  const m = compiledSeed(seed, OPTS);
  return { m, found: checkDrops(m).problems.filter((p) => kinds.includes(p.kind)) };
}

function explain(seed: number, m: Module, found: DropProblem[]): string {
  return [`program seed ${seed} with lambdas (fast-check seed ${FC_SEED}):`, ...found.slice(0, 8).map(formatProblem), showFn(m, found[0].fn)].join('\n');
}

describe('drop elaboration on generated programs with lambdas', () => {
  it(`Property 1: no drop precedes a use of the dropped value or of a pointer into it (${NUM_RUNS} programs)`, () => {
    const seen = new Set<string>();
    fc.assert(fc.property(programArb(OPTS), (p) => {
      for (const f of p.features) seen.add(f);
      const { m, found } = problemsOf(p.seed, USE_KINDS);
      if (found.length > 0) expect.fail(explain(p.seed, m, found));
    }), { numRuns: NUM_RUNS, seed: FC_SEED });
    // the programs do contain lambdas of every kind (else this file tests nothing new)
    expect(LAMBDA_FEATURES.filter((f) => !seen.has(f))).toEqual([]);
  });

  it(`Property 2: every value that needs drop is dropped exactly once on every path (${NUM_RUNS} programs)`, () => {
    let drops = 0, closureFns = 0;
    fc.assert(fc.property(programArb(OPTS), (p) => {
      const { m, found } = problemsOf(p.seed, [...DOUBLE_DROP_KINDS, ...LEAK_KINDS]);
      if (found.length > 0) expect.fail(explain(p.seed, m, found));
      for (const f of m.fns) {
        for (const b of f.blocks) expect(b.stmts.filter((s) => s.kind === 'Delete'), `seed ${p.seed}: ${f.name} bb${b.id}`).toEqual([]);
        for (const b of f.blocks) drops += b.stmts.filter((s) => s.kind === 'Drop').length;
      }
      if (p.features.includes('lambda') || p.features.includes('capturing-lambda')) closureFns++;
    }), { numRuns: NUM_RUNS, seed: FC_SEED });
    expect(drops).toBeGreaterThan(NUM_RUNS * 5);
    expect(closureFns).toBeGreaterThan(NUM_RUNS / 4);
  });
});

describe('generated programs with lambdas free what they allocate (C backend, allocation trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeta-drops-lambdas-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // prefer programs that do capture (a closure object owning its captures is the new case)
  const sample = fc.sample(programArb(OPTS), { numRuns: RUNTIME_PROGRAMS * 3, seed: FC_SEED });
  const picked = [
    ...sample.filter((p) => p.features.includes('capturing-lambda')),
    ...sample.filter((p) => !p.features.includes('capturing-lambda')),
  ].slice(0, RUNTIME_PROGRAMS);

  it(`${RUNTIME_PROGRAMS} programs: exit 0, allocs == frees, stdout == the interpreter's`, async () => {
    const results = await mapLimit(picked, 2, async (p) => {
      const m = compiledSeed(p.seed, OPTS);
      const expected = interpret(m, { maxBlocks: 5_000_000 });
      const exe = join(dir, `gen-${p.seed}`);
      await buildC(m, exe);
      return { p, expected, run: await runTraced(exe) };
    });
    let allocs = 0, capturing = 0;
    for (const { p, expected, run } of results) {
      const ctx = `program seed ${p.seed} with lambdas, fast-check seed ${FC_SEED} (stderr: ${run.stderr.slice(0, 300)})`;
      expect(expected.status, ctx).toBe(0);
      expect(run.status, ctx).toBe(0);
      expect(run.stdout, ctx).toBe(expected.stdout);
      expect(run.allocs, ctx).toBeGreaterThanOrEqual(0);
      expect(run.frees, ctx).toBe(run.allocs);
      allocs += run.allocs;
      if (p.features.includes('capturing-lambda')) capturing++;
    }
    expect(allocs).toBeGreaterThan(RUNTIME_PROGRAMS);
    expect(capturing).toBeGreaterThan(0);
  }, 120_000);
});
