// The drop properties can fail: deliberately broken variants of elaborate-drops' output
// must be caught.
//  - "drop too early": one `Drop x` is moved before a use of x in its block (a direct use,
//    or, in a second variant, a use of a pointer taken to x before it);
//  - "drop removed": one Drop is deleted.
// The static checker (drop-checker.ts) must report each such mutant (use after drop; leak),
// and at run time a removed drop of a Box shows in the allocation trace of runtime-c:
// exactly one free missing per execution of the removed drop.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { programArb } from './gen/program-generator.js';
import { checkDrops, formatProblem, LEAK_KINDS, USE_KINDS, type DropProblem } from './drop-checker.js';
import { buildC, compiledSeed, mapLimit, runTraced, type Module } from './drop-harness.js';
import { interpret } from '../ir/interpret.js';
import { classTable, needsDrop } from '../ir/needs-drop.js';
import type { FnDef, Operand, Place, Stmt } from '../ir/cfg.js';
import { T } from '../ir/types.js';

const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));

// ---------------------------------------------------------------- looking at statements

/** The local whose storage a place lies in (through fields, elements, payloads and Box contents), or null. */
function ownerOf(p: Place): number | null {
  switch (p.kind) {
    case 'LocalPlace': return p.id;
    case 'FieldPlace': case 'PayloadPlace': case 'IndexPlace': return ownerOf(p.base);
    case 'DerefPlace': {
      const q = p.ptr;
      return (q.kind === 'Copy' || q.kind === 'Move') && q.place.ty.k === 'box' ? ownerOf(q.place) : null;
    }
    default: return null;
  }
}

/** Every place a statement reads or writes into (not the whole-local destination of an Assign). */
function placesTouched(s: Stmt, f: (p: Place) => void): void {
  const op = (o: Operand) => { if (o.kind === 'Copy' || o.kind === 'Move') place(o.place); };
  const place = (p: Place) => {
    f(p);
    if (p.kind === 'FieldPlace' || p.kind === 'PayloadPlace') place(p.base);
    else if (p.kind === 'IndexPlace') { place(p.base); op(p.index); }
    else if (p.kind === 'DerefPlace') op(p.ptr);
  };
  if (s.kind === 'Drop' || s.kind === 'Delete') { place(s.place); return; }
  const rv = s.value as unknown as Record<string, unknown>;
  for (const v of Object.values(rv)) {
    if (Array.isArray(v)) v.forEach((x) => isOperand(x) && op(x));
    else if (isOperand(v)) op(v);
  }
  if (s.value.kind === 'Ref') place(s.value.place);
  if (s.kind === 'Assign' && s.place.kind !== 'LocalPlace') place(s.place);
}
const isOperand = (x: unknown): x is Operand =>
  typeof x === 'object' && x !== null && ['Copy', 'Move', 'Const', 'FnRef'].includes((x as { kind: string }).kind);

const readsLocal = (s: Stmt, x: number): boolean => {
  let hit = false;
  placesTouched(s, (p) => { if (ownerOf(p) === x) hit = true; });
  return hit;
};
const definesWhole = (s: Stmt, x: number) => s.kind === 'Assign' && s.place.kind === 'LocalPlace' && s.place.id === x;

/** Blocks reachable from the entry, and blocks from which a Return is reachable. */
function reach(fn: FnDef): { fromEntry: boolean[]; toReturn: boolean[] } {
  const succ = fn.blocks.map((b) => (b.term.kind === 'Goto' ? [b.term.target] : b.term.kind === 'Branch' ? [b.term.then, b.term.else] : []));
  const fromEntry = fn.blocks.map(() => false);
  const work = [0];
  fromEntry[0] = true;
  while (work.length) for (const s of succ[work.pop()!]) if (!fromEntry[s]) { fromEntry[s] = true; work.push(s); }
  const toReturn = fn.blocks.map((b) => b.term.kind === 'Return');
  for (let changed = true; changed;) {
    changed = false;
    fn.blocks.forEach((b, i) => { if (!toReturn[i] && succ[i].some((s) => toReturn[s])) { toReturn[i] = true; changed = true; } });
  }
  return { fromEntry, toReturn };
}

// ---------------------------------------------------------------- mutations

interface Site { fn: number; block: number; drop: number; local: number }
interface EarlySite extends Site { to: number; viaPointer: boolean }

function withStmts(m: Module, fi: number, bi: number, stmts: Stmt[]): Module {
  const fn = m.fns[fi];
  const blocks = fn.blocks.map((b, i) => (i === bi ? { ...b, stmts } : b));
  return { ...m, fns: m.fns.map((f, i) => (i === fi ? { ...fn, blocks } : f)) };
}

/**
 * Where a `Drop x` (x a whole local) can move before a use of x in its block: the last
 * statement before the drop that reads x directly, or (viaPointer) the first statement that
 * uses a pointer local made by `p = &x...` earlier in the block, with no direct read of x
 * between the Ref and that statement.
 */
function earlySites(m: Module, viaPointer: boolean): EarlySite[] {
  const out: EarlySite[] = [];
  m.fns.forEach((fn, fi) => {
    const { fromEntry } = reach(fn);
    fn.blocks.forEach((b, bi) => {
      if (!fromEntry[bi]) return;
      b.stmts.forEach((s, k) => {
        if (s.kind !== 'Drop' || s.place.kind !== 'LocalPlace') return;
        const x = s.place.id;
        if (!viaPointer) {
          for (let j = k - 1; j >= 0; j--) {
            if (definesWhole(b.stmts[j], x)) break;
            if (readsLocal(b.stmts[j], x)) { out.push({ fn: fi, block: bi, drop: k, local: x, to: j, viaPointer }); break; }
          }
          return;
        }
        for (let i = 0; i < k; i++) {
          const r = b.stmts[i];
          if (r.kind !== 'Assign' || r.place.kind !== 'LocalPlace' || r.value.kind !== 'Ref' || ownerOf(r.value.place) !== x) continue;
          const p = r.place.id;
          for (let j = i + 1; j < k; j++) {
            const sj = b.stmts[j];
            if (definesWhole(sj, x) || readsLocal(sj, x) || definesWhole(sj, p)) break;
            if (readsLocal(sj, p)) { out.push({ fn: fi, block: bi, drop: k, local: x, to: j, viaPointer }); break; }
          }
        }
      });
    });
  });
  return out;
}

/**
 * Where a `Drop x` can move to another block: right after the last direct read of x in a
 * block (with no drop of x after it there) from which, along some path that does not
 * assign x, a later block reads x again (a read, not a drop).
 */
function crossBlockSites(m: Module): (Site & { after: { block: number; stmt: number } })[] {
  const out: (Site & { after: { block: number; stmt: number } })[] = [];
  m.fns.forEach((fn, fi) => {
    const { fromEntry } = reach(fn);
    const succ = (b: number) => { const t = fn.blocks[b].term; return t.kind === 'Goto' ? [t.target] : t.kind === 'Branch' ? [t.then, t.else] : []; };
    /** Whether some path from the successors of b reads x before assigning it. */
    const readLater = (b: number, x: number): boolean => {
      const seen = new Set<number>();
      const work = succ(b);
      while (work.length > 0) {
        const c = work.pop()!;
        if (seen.has(c)) continue;
        seen.add(c);
        let stop = false;
        for (const st of fn.blocks[c].stmts) {
          if (st.kind !== 'Drop' && readsLocal(st, x)) return true;
          if (definesWhole(st, x)) { stop = true; break; }
        }
        if (!stop) work.push(...succ(c));
      }
      return false;
    };
    fn.blocks.forEach((b, bi) => {
      if (!fromEntry[bi]) return;
      b.stmts.forEach((s, k) => {
        if (s.kind !== 'Drop' || s.place.kind !== 'LocalPlace') return;
        const x = s.place.id;
        // the first block (in order) with a read of x followed by a read in a later block
        for (const [pi, pb] of fn.blocks.entries()) {
          if (!fromEntry[pi] || pi === bi) continue;
          let last = -1;
          pb.stmts.forEach((st, j) => { if (st.kind !== 'Drop' && readsLocal(st, x)) last = j; else if (definesWhole(st, x) || st.kind === 'Drop') last = -1; });
          if (last >= 0 && readLater(pi, x)) { out.push({ fn: fi, block: bi, drop: k, local: x, after: { block: pi, stmt: last } }); break; }
        }
      });
    });
  });
  return out;
}

function moveDropToBlock(m: Module, s: Site & { after: { block: number; stmt: number } }): Module {
  const fn = m.fns[s.fn];
  const drop = fn.blocks[s.block].stmts[s.drop];
  const blocks = fn.blocks.map((b, i) => {
    if (i === s.block) return { ...b, stmts: b.stmts.filter((_, k) => k !== s.drop) };
    if (i === s.after.block) return { ...b, stmts: [...b.stmts.slice(0, s.after.stmt + 1), drop, ...b.stmts.slice(s.after.stmt + 1)] };
    return b;
  });
  return { ...m, fns: m.fns.map((f, i) => (i === s.fn ? { ...fn, blocks } : f)) };
}

function moveDropEarlier(m: Module, s: EarlySite): Module {
  const stmts = m.fns[s.fn].blocks[s.block].stmts.slice();
  const [drop] = stmts.splice(s.drop, 1);
  stmts.splice(s.to, 0, drop);
  return withStmts(m, s.fn, s.block, stmts);
}

/** Drops (of anything) in blocks that run on some path that can still return (a leak there is observable). */
function removableSites(m: Module): (Site & { throughPointer: boolean })[] {
  const out: (Site & { throughPointer: boolean })[] = [];
  m.fns.forEach((fn, fi) => {
    const { fromEntry, toReturn } = reach(fn);
    fn.blocks.forEach((b, bi) => {
      if (!fromEntry[bi] || !toReturn[bi]) return;
      b.stmts.forEach((s, k) => {
        if (s.kind !== 'Drop') return;
        const x = ownerOf(s.place);
        out.push({ fn: fi, block: bi, drop: k, local: x ?? -1, throughPointer: x === null });
      });
    });
  });
  return out;
}

function removeDrop(m: Module, s: Site): Module {
  const stmts = m.fns[s.fn].blocks[s.block].stmts.slice();
  stmts.splice(s.drop, 1);
  return withStmts(m, s.fn, s.block, stmts);
}

const localName = (m: Module, s: Site) => {
  const l = m.fns[s.fn].locals.find((x) => x.id === s.local);
  return `${l?.name}#${s.local}`;
};
const describeSite = (seed: number, m: Module, s: Site, what: string) =>
  `seed ${seed}: ${what} in ${m.fns[s.fn].name} bb${s.block}[${s.drop}] (${localName(m, s)})`;

// ---------------------------------------------------------------- static detection

describe('the checker catches broken drop elaboration', () => {
  const RUNS = 60;
  for (const viaPointer of [false, true]) {
    const what = viaPointer ? 'a Drop moved between a Ref of the value and a use of that pointer' : 'a Drop moved before a direct use';
    it(`${what}: reported as a use after drop at that use`, () => {
      let applicable = 0;
      const missed: string[] = [];
      fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
        const m = compiledSeed(p.seed);
        const sites = earlySites(m, viaPointer);
        fc.pre(sites.length > 0);
        applicable++;
        const site = sites[pick % sites.length];
        const found = checkDrops(moveDropEarlier(m, site)).problems;
        const name = localName(m, site);
        // the use now sits right after the moved drop
        const hit = found.some((q: DropProblem) => USE_KINDS.includes(q.kind) && q.local === name
          && q.fn === m.fns[site.fn].name && q.block === site.block && q.stmt === site.to + 1);
        if (!hit) missed.push(`${describeSite(p.seed, m, site, `drop moved to [${site.to}]`)}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
      }), { numRuns: RUNS, seed: FC_SEED + (viaPointer ? 1 : 0), maxSkipsPerRun: 1000 });
      expect(applicable).toBeGreaterThan(RUNS / 2);
      expect(missed).toEqual([]);
    });
  }

  it('a Drop moved to right after a use of the value that a later block reads again: reported as a use after drop', () => {
    let applicable = 0;
    const missed: string[] = [];
    fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
      const m = compiledSeed(p.seed);
      const sites = crossBlockSites(m);
      fc.pre(sites.length > 0);
      applicable++;
      const site = sites[pick % sites.length];
      const found = checkDrops(moveDropToBlock(m, site)).problems;
      const name = localName(m, site);
      const hit = found.some((q) => USE_KINDS.includes(q.kind) && q.local === name && q.fn === m.fns[site.fn].name);
      if (!hit) missed.push(`${describeSite(p.seed, m, site, `drop moved after bb${site.after.block}[${site.after.stmt}]`)}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
    }), { numRuns: 60, seed: FC_SEED + 4, maxSkipsPerRun: 1000 });
    expect(applicable).toBeGreaterThan(30);
    expect(missed).toEqual([]);
  });

  it('a removed Drop: reported as a leak of that local (drops through raw pointers counted apart)', () => {
    let applicable = 0, throughPointer = 0;
    const missed: string[] = [];
    fc.assert(fc.property(programArb(), fc.nat(), (p, pick) => {
      const m = compiledSeed(p.seed);
      const sites = removableSites(m);
      fc.pre(sites.length > 0);
      const site = sites[pick % sites.length];
      if (site.throughPointer) { throughPointer++; return; }
      applicable++;
      const found = checkDrops(removeDrop(m, site)).problems;
      const name = localName(m, site);
      const hit = found.some((q) => LEAK_KINDS.includes(q.kind) && q.local === name && q.fn === m.fns[site.fn].name);
      if (!hit) missed.push(`${describeSite(p.seed, m, site, 'drop removed')}; found: ${found.map(formatProblem).join('; ') || 'nothing'}`);
    }), { numRuns: 60, seed: FC_SEED + 2, maxSkipsPerRun: 1000 });
    expect(applicable).toBeGreaterThan(30);
    expect(missed).toEqual([]);
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
