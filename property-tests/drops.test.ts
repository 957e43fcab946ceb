// Property tests of drop insertion (explicate-control schedules drops, elaborate-drops
// keeps the ones that find a value): over random valid programs (programArb), the IR after
// elaborate-drops is checked on every CFG path by an independent abstract interpreter
// (drop-checker.ts):
//   Property 1: no drop precedes a use of the dropped value, or of a pointer into it;
//   Property 2: every value that needs drop is dropped exactly once on every path
//               (no double drop, no drop of a moved or never-initialized value, no leak).
// The run-time side of Property 2 (allocations == frees) is in drops-runtime.test.ts.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { programArb } from './gen/program-generator.js';
import { checkDrops, formatProblem, DOUBLE_DROP_KINDS, LEAK_KINDS, USE_KINDS, type DropProblem, type ProblemKind } from './drop-checker.js';
import { compileBeforeDrops, compiledSeed, compileToDrops, showFn, type Module } from './drop-harness.js';

// one fast-check seed per run, shared by both properties so each program is compiled once
// (FC_SEED=n reproduces a run; a failure also prints the program's own seed)
const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const NUM_RUNS = 100;

function problemsOf(seed: number, kinds: readonly ProblemKind[]): { m: Module; found: DropProblem[] } {
  const m = compiledSeed(seed);
  const r = checkDrops(m);
  return { m, found: r.problems.filter((p) => kinds.includes(p.kind)) };
}

function explain(seed: number, m: Module, found: DropProblem[]): string {
  return [`program seed ${seed} (fast-check seed ${FC_SEED}):`, ...found.slice(0, 8).map(formatProblem), showFn(m, found[0].fn)].join('\n');
}

describe('the checker itself', () => {
  // Small hand-written programs whose elaborated IR is known to be right; the checker must
  // accept them (no false alarms on moves, deletes on some paths, pointers, loops).
  const ok: Record<string, string> = {
    'conditional delete with a drop flag': `
      main() {
        mut v: Vec<i64> := Vec::new();
        v.push(1i64);
        if v.len() > 0 { unsafe { delete v; } }
        println("end");
      }`,
    'a last use becomes a move': `
      take(s: String) -> i64 { return s.len(); }
      main() {
        s := String::from("abc");
        t := s;
        println(take(t));
      }`,
    'reassignment in a loop, pointer into a Box': `
      main() {
        mut b := Box::new(1i64);
        mut i := 0i64;
        while i < 3 {
          i = i + 1;
          b = Box::new(i);
          p := *(*b);
          println(*p);
        }
      }`,
  };
  for (const [name, src] of Object.entries(ok)) {
    it(`accepts: ${name}`, () => {
      const r = checkDrops(compileToDrops(src, name));
      expect(r.problems.map(formatProblem)).toEqual([]);
    });
  }

  it('rejects the IR as explicate-control leaves it (drops of moved and deleted values)', () => {
    // before elaboration a temporary moved into a call is still dropped at the end of its
    // statement, and a deleted variable is dropped again at the end of its scope
    const r = checkDrops(compileBeforeDrops(`
      take(s: String) -> i64 { return s.len(); }
      f(c: bool) -> i64 {
        s := String::from("x");
        n := take(String::from("abc")) + s.len();
        if c { unsafe { delete s; } }
        return n;
      }
      main() { println(f(true)); }`));
    const kinds = new Set(r.problems.map((p) => p.kind));
    expect(kinds.has('drop-after-move')).toBe(true);
    expect(kinds.has('double-drop')).toBe(true);
  });
});

describe('drop elaboration on generated programs', () => {
  it(`Property 1: no drop precedes a use of the dropped value or of a pointer into it (${NUM_RUNS} programs)`, () => {
    fc.assert(fc.property(programArb(), (p) => {
      const { m, found } = problemsOf(p.seed, USE_KINDS);
      if (found.length > 0) expect.fail(explain(p.seed, m, found));
    }), { numRuns: NUM_RUNS, seed: FC_SEED });
  });

  it(`Property 2: every value that needs drop is dropped exactly once on every path (${NUM_RUNS} programs)`, () => {
    let drops = 0, flagged = 0;
    fc.assert(fc.property(programArb(), (p) => {
      const { m, found } = problemsOf(p.seed, [...DOUBLE_DROP_KINDS, ...LEAK_KINDS]);
      if (found.length > 0) expect.fail(explain(p.seed, m, found));
      for (const f of m.fns) {
        // every `delete` became a Drop (backends need not know Delete)
        for (const b of f.blocks) expect(b.stmts.filter((s) => s.kind === 'Delete'), `seed ${p.seed}: ${f.name} bb${b.id}`).toEqual([]);
        for (const b of f.blocks) drops += b.stmts.filter((s) => s.kind === 'Drop').length;
        flagged += f.locals.filter((l) => l.name.endsWith('_dropflag')).length;
      }
    }), { numRuns: NUM_RUNS, seed: FC_SEED });
    // the programs exercise what is checked: many drops, some of them behind drop flags
    expect(drops).toBeGreaterThan(NUM_RUNS * 5);
    expect(flagged).toBeGreaterThan(0);
  });
});
