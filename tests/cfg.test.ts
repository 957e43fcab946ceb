import { describe, expect, it } from 'vitest';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lcfg } from '../ir/languages.js';
import { T, ptr, type Ty } from '../ir/types.js';
import {
  formatFnDef, lcfgTypeErrors, liveBeforeEachStmt, liveness, LocalIndex, LocalSet, predecessors, reversePostorder,
  solveBits, solveDataflow, successors, wordsFor, zeroedInt32s, type BasicBlock, type FnDef, type Module, type Operand, type Place, type Rvalue, type Stmt, type Term,
} from '../ir/cfg.js';

// ---------------------------------------------------------------- a tiny Lcfg builder
const sp = { start: 0, end: 0 };
const L = (id: number, ty: Ty = T.i32): Place => ({ kind: 'LocalPlace', span: sp, id, ty });
const c = (value: number | boolean, ty: Ty = typeof value === 'boolean' ? T.bool : T.i32): Operand =>
  ({ kind: 'Const', span: sp, value: typeof value === 'number' ? String(value) : value, ty });
const cp = (p: Place): Operand => ({ kind: 'Copy', span: sp, place: p });
const mv = (p: Place): Operand => ({ kind: 'Move', span: sp, place: p });
const use = (op: Operand): Rvalue => ({ kind: 'Use', span: sp, op });
const binop = (op: string, left: Operand, right: Operand, ty: Ty = T.i32): Rvalue => ({ kind: 'BinOp', span: sp, op, left, right, ty });
const set = (place: Place, value: Rvalue): Stmt => ({ kind: 'Assign', span: sp, place, value });
const goto = (target: number): Term => ({ kind: 'Goto', span: sp, target });
const branch = (cond: Operand, then: number, els: number): Term => ({ kind: 'Branch', span: sp, cond, then, else: els });
const ret = (value: Operand | null = null): Term => ({ kind: 'Return', span: sp, value });
const bb = (id: number, stmts: Stmt[], term: Term): BasicBlock => ({ kind: 'BasicBlock', span: sp, id, stmts, term });
const fnDef = (locals: [number, string, Ty][], params: number[], ret: Ty, blocks: BasicBlock[]): FnDef => ({
  kind: 'FnDef', span: sp, name: 'f', params, ret, unsafe: false, blocks,
  locals: locals.map(([id, name, ty]) => ({ kind: 'LocalDef', span: sp, id, name, ty, mut: true })),
});
const moduleOf = (...fns: FnDef[]): Module => ({ kind: 'Module', span: sp, classes: [], globals: [], externs: [], fns, main: 'f', init: null });

// c: bool param; a, b: i32
//   bb0: a = 1; branch c ? bb1 : bb2
//   bb1: b = copy a; goto bb3
//   bb2: b = 2; goto bb3
//   bb3: return copy b
const [C, A, B] = [1, 2, 3];
const diamond = fnDef([[C, 'c', T.bool], [A, 'a', T.i32], [B, 'b', T.i32]], [C], T.i32, [
  bb(0, [set(L(A), use(c(1)))], branch(cp(L(C, T.bool)), 1, 2)),
  bb(1, [set(L(B), use(cp(L(A))))], goto(3)),
  bb(2, [set(L(B), use(c(2)))], goto(3)),
  bb(3, [], ret(cp(L(B)))),
]);

// sum of 0..n:
//   bb0: i = 0; s = 0; goto bb1
//   bb1: t = copy i < copy n; branch move t ? bb2 : bb3
//   bb2: s = copy s + copy i; i = copy i + 1; goto bb1
//   bb3: return copy s
//   bb4: return copy dead        (unreachable)
const [N, I, S, TT, DEAD] = [1, 2, 3, 4, 5];
const loop = fnDef([[N, 'n', T.i32], [I, 'i', T.i32], [S, 's', T.i32], [TT, 't', T.bool], [DEAD, 'dead', T.i32]], [N], T.i32, [
  bb(0, [set(L(I), use(c(0))), set(L(S), use(c(0)))], goto(1)),
  bb(1, [set(L(TT, T.bool), binop('<', cp(L(I)), cp(L(N)), T.bool))], branch(mv(L(TT, T.bool)), 2, 3)),
  bb(2, [set(L(S), binop('+', cp(L(S)), cp(L(I)))), set(L(I), binop('+', cp(L(I)), c(1)))], goto(1)),
  bb(3, [], ret(cp(L(S)))),
  bb(4, [], ret(cp(L(DEAD)))),
]);

const ids = (s: LocalSet | Set<number>) => (s instanceof Set ? [...s] : s.ids()).sort((x, y) => x - y);

describe('cfg: graph shape', () => {
  it('the hand-made functions are valid, well-typed Lcfg', () => {
    const m = moduleOf(diamond, loop);
    expect(validate(Lcfg, m as unknown as AnyNode)).toEqual([]);
    expect(lcfgTypeErrors(m)).toEqual([]);
  });

  it('lists successors and predecessors', () => {
    expect(successors(diamond.blocks[0].term)).toEqual([1, 2]);
    expect(successors(diamond.blocks[3].term)).toEqual([]);
    expect(successors(branch(c(true), 4, 4))).toEqual([4]);
    expect(predecessors(diamond)).toEqual([[], [0], [0], [1, 2]]);
    expect(predecessors(loop)).toEqual([[], [0, 2], [1], [1], []]);
  });

  it('orders reachable blocks in reverse postorder', () => {
    const rpo = reversePostorder(diamond);
    expect(rpo[0]).toBe(0);
    expect(rpo[3]).toBe(3);
    expect(new Set(rpo)).toEqual(new Set([0, 1, 2, 3]));
    // the unreachable block is left out; the loop body comes after its head
    const lr = reversePostorder(loop);
    expect(lr).not.toContain(4);
    expect(lr.indexOf(1)).toBeLessThan(lr.indexOf(2));
    expect(lr[0]).toBe(0);
  });

  it('handles a deep chain without recursion', () => {
    const n = 100000;
    const blocks = Array.from({ length: n }, (_, i) => bb(i, [], i + 1 < n ? goto(i + 1) : ret()));
    const f = fnDef([], [], T.void, blocks);
    const rpo = reversePostorder(f);
    expect(rpo.length).toBe(n);
    expect(rpo[n - 1]).toBe(n - 1);
  });
});

describe('cfg: liveness', () => {
  it('on a diamond', () => {
    const lv = liveness(diamond);
    expect(ids(lv.liveIn[0])).toEqual([C]);
    expect(ids(lv.liveOut[0])).toEqual([A]);
    expect(ids(lv.liveIn[1])).toEqual([A]);
    expect(ids(lv.liveIn[2])).toEqual([]);
    expect(ids(lv.liveOut[1])).toEqual([B]);
    expect(ids(lv.liveOut[2])).toEqual([B]);
    expect(ids(lv.liveIn[3])).toEqual([B]);
    expect(ids(lv.liveOut[3])).toEqual([]);
  });

  it('on a loop: values carried around the back edge stay live; block-local temporaries are left out', () => {
    const lv = liveness(loop);
    expect(ids(lv.liveIn[0])).toEqual([N]);
    expect(ids(lv.liveIn[1])).toEqual([N, I, S]);
    expect(ids(lv.liveOut[1])).toEqual([N, I, S]);
    expect(ids(lv.liveIn[2])).toEqual([N, I, S]);
    expect(ids(lv.liveOut[2])).toEqual([N, I, S]);
    expect(ids(lv.liveIn[3])).toEqual([S]);
    expect(lv.index.of(TT)).toBe(-1); // t is defined and used in bb1 only
    expect(ids(lv.liveIn[4])).toEqual([]); // unreachable: bottom
  });

  it('at statement granularity, including block-local temporaries', () => {
    const lv = liveness(loop);
    const bb1 = liveBeforeEachStmt(loop, lv, 1);
    expect(bb1.map(ids)).toEqual([[N, I, S], [N, I, S, TT]]);
    const bb2 = liveBeforeEachStmt(loop, lv, 2);
    expect(bb2.map(ids)).toEqual([[N, I, S], [N, I, S], [N, I, S]]);
    const bb0 = liveBeforeEachStmt(loop, lv, 0);
    expect(bb0.map(ids)).toEqual([[N], [N, I], [N, I, S]]);
  });

  it('treats a partial store and a Ref as reads, and a whole store as a kill', () => {
    const P = 1, Q = 2, R = 3;
    const arr: Ty = { k: 'array', elem: T.i32, n: 2 };
    const f = fnDef([[P, 'p', arr], [Q, 'q', ptr(arr)], [R, 'r', arr]], [P], T.void, [
      bb(0, [set({ kind: 'IndexPlace', span: sp, base: L(P, arr), index: c(0), ty: T.i32 }, use(c(1)))], goto(1)),
      bb(1, [set(L(Q, ptr(arr)), { kind: 'Ref', span: sp, place: L(P, arr), mut: false, ty: ptr(arr) })], goto(2)),
      bb(2, [set(L(R, arr), use(c(0, arr))), { kind: 'Drop', span: sp, place: L(R, arr) }], ret()),
    ]);
    const lv = liveness(f);
    expect(ids(lv.liveIn[0])).toEqual([P]);
    expect(ids(lv.liveIn[1])).toEqual([P]);
    expect(ids(lv.liveIn[2])).toEqual([]);
  });
});

describe('cfg: the generic solver', () => {
  it('solves a forward must-problem (definitely assigned) with intersection as the join', () => {
    // `top` (nothing known to be unassigned yet) is the bottom of the solver's order
    type Must = { top: boolean; set: LocalSet };
    const definitelyAssigned = (f: FnDef, params: number[]) => {
      const idx = new LocalIndex(f);
      return solveDataflow<Must>(f, {
        direction: 'forward',
        boundary: () => { const s = new LocalSet(idx); params.forEach((p) => s.add(p)); return { top: false, set: s }; },
        bottom: () => ({ top: true, set: new LocalSet(idx) }),
        copy: (s) => ({ top: s.top, set: s.set.copy() }),
        join: (into, from) => {
          if (from.top) return false;
          if (into.top) { into.top = false; into.set = from.set.copy(); return true; }
          return into.set.intersectWith(from.set);
        },
        transfer: (b, input) => {
          const out = { top: input.top, set: input.set.copy() };
          for (const s of b.stmts) if (s.kind === 'Assign' && s.place.kind === 'LocalPlace') out.set.add(s.place.id);
          return out;
        },
      });
    };
    const m = definitelyAssigned(loop, [N]);
    expect(ids(m.entry[1].set)).toEqual([N, I, S]);
    expect(ids(m.exit[1].set)).toEqual([N, I, S, TT]);
    expect(ids(m.entry[3].set)).toEqual([N, I, S, TT]);
    expect(m.entry[4].top).toBe(true); // unreachable
    const d = definitelyAssigned(diamond, [C]);
    expect(ids(d.entry[3].set)).toEqual([C, A, B]);
    expect(ids(d.entry[1].set)).toEqual([C, A]);
  });

  it('counts loop iterations to a fixpoint with a bounded lattice', () => {
    // "how many times may bb2 have run", saturating at 3: forward, max as join
    const r = solveDataflow<{ n: number }>(loop, {
      direction: 'forward',
      boundary: () => ({ n: 0 }),
      bottom: () => ({ n: 0 }),
      copy: (s) => ({ n: s.n }),
      join: (into, from) => { if (from.n > into.n) { into.n = from.n; return true; } return false; },
      transfer: (b, input) => ({ n: b.id === 2 ? Math.min(3, input.n + 1) : input.n }),
    });
    expect(r.entry[1].n).toBe(3);
    expect(r.exit[3].n).toBe(3);
  });
});

describe('cfg: the gen/kill solver', () => {
  it('zeroedInt32s gives zeroed arrays of the asked lengths that do not overlap', () => {
    for (const [a, b, c] of [[3, 4, 1], [40, 40, 20], [0, 17, 0]]) {
      const arrays = zeroedInt32s(a, b, c);
      expect(arrays.map((x) => x.length)).toEqual([a, b, c]);
      arrays.forEach((x, i) => x.fill(i + 1));
      arrays.forEach((x, i) => expect(x.every((v) => v === i + 1)).toBe(true));
    }
  });

  // "may be assigned" (gen: assigned in the block; kill: nothing) and "assigned, then read
  // before reassigned" shapes, solved by solveBits and by the generic solver, must agree
  const viaBoth = (f: FnDef, direction: 'forward' | 'backward', killOf: (b: BasicBlock, id: number) => boolean) => {
    const idx = new LocalIndex(f);
    const W = wordsFor(idx.size), n = f.blocks.length;
    const gen = new Int32Array(n * W), kill = new Int32Array(n * W), boundary = new Int32Array(W);
    const genSets = f.blocks.map((b) => {
      const g = new LocalSet(idx);
      for (const s of b.stmts) if (s.kind === 'Assign' && s.place.kind === 'LocalPlace') g.add(s.place.id);
      return g;
    });
    const killSets = f.blocks.map((b) => { const k = new LocalSet(idx); for (const id of idx.ids) if (killOf(b, id)) k.add(id); return k; });
    f.blocks.forEach((_, b) => { gen.set(genSets[b].words, b * W); kill.set(killSets[b].words, b * W); });
    const bits = solveBits(f, { direction, words: W, gen, kill, boundary });
    const generic = solveDataflow<LocalSet>(f, {
      direction,
      boundary: () => new LocalSet(idx),
      bottom: () => new LocalSet(idx),
      join: (into, from) => into.unionWith(from),
      copy: (s) => s.copy(),
      transfer: (b, input) => {
        const out = input.copy();
        for (let w = 0; w < W; w++) out.words[w] = (out.words[w] & ~killSets[b.id].words[w]) | genSets[b.id].words[w];
        return out;
      },
    });
    const at = (flat: Int32Array, b: number) => ids(new LocalSet(idx, flat.slice(b * W, b * W + W)));
    return { bits, generic, at };
  };

  for (const [name, f] of [['loop', loop], ['diamond', diamond]] as const) {
    for (const direction of ['forward', 'backward'] as const) {
      it(`agrees with solveDataflow on the ${name}, ${direction}`, () => {
        const { bits, generic, at } = viaBoth(f, direction, (b, id) => b.id % 2 === 1 && id % 2 === 0);
        for (let b = 0; b < f.blocks.length; b++) {
          expect(at(bits.entry, b)).toEqual(ids(generic.entry[b]));
          expect(at(bits.exit, b)).toEqual(ids(generic.exit[b]));
        }
      });
    }
  }

  it('leaves unreachable blocks empty and marks the reachable ones', () => {
    const { bits, at } = viaBoth(loop, 'forward', () => false);
    expect([...bits.reachable]).toEqual([1, 1, 1, 1, 0]);
    expect(at(bits.entry, 3)).toEqual([I, S, TT]);
    expect(at(bits.entry, 4)).toEqual([]);
  });
});

describe('cfg: type consistency and text', () => {
  it('reports places whose types disagree', () => {
    const bad = fnDef([[1, 'x', T.i32]], [], T.void, [
      bb(0, [set(L(1, T.i64), use(c(1, T.i64))), set(L(9), use(c(1))), set(L(1), use(c(true)))], ret(c(3))),
    ]);
    const errs = lcfgTypeErrors(moduleOf(bad));
    expect(errs).toEqual([
      'f: local 1: i64 vs i32',
      'f: local 9 is not declared',
      'f: storing a bool into a i32',
      'f: returning a i32 from a void function',
    ]);
  });

  it('allows a *mut T where a *T is expected, not the reverse', () => {
    const f = fnDef([[1, 'x', T.i32], [2, 'p', ptr(T.i32)], [3, 'q', ptr(T.i32, true)]], [], T.void, [
      bb(0, [
        set(L(2, ptr(T.i32)), { kind: 'Ref', span: sp, place: L(1), mut: true, ty: ptr(T.i32, true) }),
        set(L(3, ptr(T.i32, true)), { kind: 'Ref', span: sp, place: L(1), mut: false, ty: ptr(T.i32) }),
      ], ret()),
    ]);
    expect(lcfgTypeErrors(moduleOf(f))).toEqual(['f: storing a *i32 into a *mut i32']);
  });

  it('prints a function as text', () => {
    expect(formatFnDef(loop)).toBe([
      'bb0:', '  i = 0', '  s = 0', '  goto bb1',
      'bb1:', '  t = copy i < copy n', '  branch move t ? bb2 : bb3',
      'bb2:', '  s = copy s + copy i', '  i = copy i + 1', '  goto bb1',
      'bb3:', '  return copy s',
      'bb4:', '  return copy dead',
    ].join('\n'));
  });
});
