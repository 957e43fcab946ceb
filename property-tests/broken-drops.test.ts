// The drop properties can fail: deliberately broken variants of elaborate-drops' output
// must be caught.
//  - "drop too early": one `Drop x` is moved before a use of x: in its block (before a direct
//    use, or between a `Ref` of x and a use of that pointer), or to another block, after a
//    use of x that a later block follows with another use;
//  - "copy of a Drop value": a move of a value holding a Drop class becomes a copy;
//  - "drop removed": one Drop is deleted.
// The static checker (drop-checker.ts) must report each such mutant (use after drop; copy of
// a Drop class; leak), and at run time a removed drop of a Box shows in the allocation trace
// of runtime-c: exactly one free missing per execution of the removed drop.
// Each mutation is applied to one site picked at random among those of a random program.

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArb } from './gen/program-generator.js';
import { checkDrops, formatProblem, LEAK_KINDS, USE_KINDS, type DropProblem } from './drop-checker.js';
import { buildC, compiledSeed, mapLimit, runTraced, type Module } from './drop-harness.js';
import { interpret } from '../ir/interpret.js';
import { classTable, needsDrop } from '../ir/needs-drop.js';
import type { Stmt } from '../ir/cfg.js';
import { T } from '../ir/types.js';
import {
  crossBlockSites, describeSite, dropClassMoves, earlySites, localName, moveDropEarlier, moveDropToBlock, moveToCopy,
  removableSites, removeDrop, withStmts, type Site,
} from './drop-mutations.js';

const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

// every static test draws the same RUNS programs from FC_SEED, so each is compiled once
const RUNS = 100;
const feasibleBlocks = new WeakMap<Module, Map<string, ReadonlySet<number>>>();
/**
 * The sites in blocks some path reaches. Blocks behind a branch on a bool that is only ever
 * assigned constants (`ok := true; if ok {..} else {..}`) may be dead; the checker proves
 * that, and a dead block cannot go wrong, whatever it contains.
 */
function feasibleOnly<S extends Site>(m: Module, sites: S[], blocks: (s: S) => number[] = (s) => [s.block]): S[] {
  let f = feasibleBlocks.get(m);
  if (!f) { f = checkDrops(m).feasible; feasibleBlocks.set(m, f); }
  const live = f;
  return sites.filter((s) => blocks(s).every((b) => live.get(m.fns[s.fn].name)?.has(b)));
}

// ---------------------------------------------------------------- static detection

describe('the checker catches broken drop elaboration', () => {
  for (const viaPointer of [false, true]) {
    const what = viaPointer ? 'a Drop moved between a Ref of the value and a use of that pointer' : 'a Drop moved before a direct use';
    it(`${what}: reported as a use after drop at that use`, () => {
      let applicable = 0;
      const missed: string[] = [];
      fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
        const m = compiledSeed(p.seed);
        const sites = feasibleOnly(m, earlySites(m, viaPointer));
        fc.pre(sites.length > 0);
        applicable++;
        const site = sites[pick % sites.length];
        const found = checkDrops(moveDropEarlier(m, site)).problems;
        const name = localName(m, site);
        // the use now sits right after the moved drop
        const hit = found.some((q: DropProblem) => USE_KINDS.includes(q.kind) && q.local === name
          && q.fn === m.fns[site.fn].name && q.block === site.block && q.stmt === site.to + 1);
        if (!hit) missed.push(`${describeSite(p.seed, m, site, `drop moved to [${site.to}]`)}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
      }), { numRuns: RUNS, seed: FC_SEED, maxSkipsPerRun: 1000 });
      expect(applicable).toBeGreaterThan(RUNS / 2);
      expect(missed, `fast-check seed ${FC_SEED}`).toEqual([]);
    });
  }

  it('a Drop moved to right after a use of the value that a later block reads again: reported as a use after drop', () => {
    let applicable = 0;
    const missed: string[] = [];
    fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
      const m = compiledSeed(p.seed);
      const sites = feasibleOnly(m, crossBlockSites(m), (s) => [s.block, s.after.block]);
      fc.pre(sites.length > 0);
      applicable++;
      const site = sites[pick % sites.length];
      const found = checkDrops(moveDropToBlock(m, site)).problems;
      const name = localName(m, site);
      const hit = found.some((q) => USE_KINDS.includes(q.kind) && q.local === name && q.fn === m.fns[site.fn].name);
      if (!hit) missed.push(`${describeSite(p.seed, m, site, `drop moved after bb${site.after.block}[${site.after.stmt}]`)}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
    }), { numRuns: RUNS, seed: FC_SEED, maxSkipsPerRun: 1000 });
    expect(applicable).toBeGreaterThan(RUNS / 2);
    expect(missed, `fast-check seed ${FC_SEED}`).toEqual([]);
  });

  it('a move of a value holding a Drop class turned back into a copy: reported as a copy of a Drop class', () => {
    let applicable = 0;
    const missed: string[] = [];
    fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
      const m = compiledSeed(p.seed);
      const sites = feasibleOnly(m, dropClassMoves(m));
      fc.pre(sites.length > 0);
      applicable++;
      const site = sites[pick % sites.length];
      const found = checkDrops(moveToCopy(m, site)).problems;
      const name = localName(m, site);
      const hit = found.some((q) => q.kind === 'copy-of-drop-class' && q.local === name && q.fn === m.fns[site.fn].name
        && q.block === site.block && q.stmt === site.drop);
      if (!hit) missed.push(`${describeSite(p.seed, m, site, 'move turned into a copy')}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
    }), { numRuns: RUNS, seed: FC_SEED, maxSkipsPerRun: 1000 });
    expect(applicable).toBeGreaterThan(RUNS / 2);
    expect(missed, `fast-check seed ${FC_SEED}`).toEqual([]);
  });

  it('a removed Drop: reported as a leak of that local (drops through raw pointers counted apart)', () => {
    let applicable = 0, throughPointer = 0;
    const missed: string[] = [];
    fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
      const m = compiledSeed(p.seed);
      const sites = feasibleOnly(m, removableSites(m));
      fc.pre(sites.length > 0);
      const site = sites[pick % sites.length];
      if (site.throughPointer) { throughPointer++; return; }
      applicable++;
      const found = checkDrops(removeDrop(m, site)).problems;
      const name = localName(m, site);
      const hit = found.some((q) => LEAK_KINDS.includes(q.kind) && q.local === name && q.fn === m.fns[site.fn].name);
      if (!hit) missed.push(`${describeSite(p.seed, m, site, 'drop removed')}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
    }), { numRuns: RUNS, seed: FC_SEED, maxSkipsPerRun: 1000 });
    expect(applicable).toBeGreaterThan(RUNS / 2);
    expect(missed, `fast-check seed ${FC_SEED}`).toEqual([]);
    // generated programs never drop through a raw pointer (the checker cannot see such a leak)
    expect(throughPointer).toBe(0);
  });
});

// ---------------------------------------------------------------- run-time detection

describe('the allocation trace catches a removed drop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeta-broken-drops-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A copy of m that prints a marker line right before the chosen drop. */
  function withMarker(m: Module, s: Site, marker: string): Module {
    const stmts = m.fns[s.fn].blocks[s.block].stmts.slice();
    const span = stmts[s.drop].span;
    stmts.splice(s.drop, 0, { kind: 'Eval', span, value: { kind: 'Builtin', span, op: 'println', args: [{ kind: 'Const', span, value: marker, ty: T.str }], ty: T.void } });
    return withStmts(m, s.fn, s.block, stmts);
  }

  it('removing an executed drop of a Box<T> (T owning nothing) leaves exactly one block unfreed per execution', async () => {
    // Box drops free exactly one block each; the reference interpreter tells how often the
    // drop runs (a marker printed before it)
    const MARK = '@@drop-marker@@';
    const cases: { seed: number; m: Module; mutant: Module; runs: number; what: string }[] = [];
    const seeds = fc.sample(programArb(), { numRuns: 40, seed: FC_SEED + 3 }).map((p) => p.seed);
    for (const seed of seeds) {
      if (cases.length >= 6) break;
      const m = compiledSeed(seed);
      const classes = classTable(m.classes);
      const sites = removableSites(m).filter((s) => {
        const st = m.fns[s.fn].blocks[s.block].stmts[s.drop];
        const ty = (st as Extract<Stmt, { kind: 'Drop' }>).place.ty;
        return st.kind === 'Drop' && st.place.kind === 'LocalPlace' && ty.k === 'box' && !needsDrop(ty.of, classes);
      });
      for (const s of sites) {
        const out = interpret(withMarker(m, s, MARK), { maxBlocks: 5_000_000 }).stdout;
        const runs = out.split('\n').filter((l) => l === MARK).length;
        if (runs > 0) { cases.push({ seed, m, mutant: removeDrop(m, s), runs, what: describeSite(seed, m, s, 'drop removed') }); break; }
      }
    }
    expect(cases.length).toBeGreaterThanOrEqual(4);
    const results = await mapLimit(cases, 2, async (c, i) => {
      const orig = join(dir, `orig-${i}`), mut = join(dir, `mut-${i}`);
      await buildC(c.m, orig);
      await buildC(c.mutant, mut);
      return { c, orig: await runTraced(orig), mut: await runTraced(mut) };
    });
    for (const { c, orig, mut } of results) {
      const ctx = `${c.what} (runs ${c.runs} times)`;
      expect(orig.status, ctx).toBe(0);
      expect(orig.allocs, ctx).toBe(orig.frees);
      expect(mut.status, ctx).toBe(0);
      expect(mut.allocs, ctx).toBe(orig.allocs);
      expect(mut.frees, ctx).toBe(orig.frees - c.runs);
    }
  }, 120_000);
});
