// Mutations of elaborate-drops' output for broken-drops.test.ts: each finds the sites where
// it applies in a module (Lcfg after elaborate-drops) and breaks one of them, so the tests
// can check that the drop checker and the allocation trace notice.

import type { FnDef, Operand, Place, Rvalue, Stmt } from '../ir/cfg.js';
import { BUILTINS, isBuiltin } from '../ir/builtins.js';
import { classTable, dropClassIn } from '../ir/needs-drop.js';
import type { Module } from './drop-harness.js';

// ---------------------------------------------------------------- looking at statements

/** The local whose storage a place lies in (through fields, elements, payloads and Box contents), or null. */
export function ownerOf(p: Place): number | null {
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
/** Whether a statement reads through pointer local p: dereferences it, or passes it to a callee. */
const derefsOrPasses = (s: Stmt, p: number): boolean => {
  const isP = (o: Operand) => (o.kind === 'Copy' || o.kind === 'Move') && o.place.kind === 'LocalPlace' && o.place.id === p;
  let hit = false;
  placesTouched(s, (pl) => { if (pl.kind === 'DerefPlace' && isP(pl.ptr)) hit = true; });
  if (s.kind === 'Assign' || s.kind === 'Eval') {
    const rv = s.value;
    if ((rv.kind === 'CallFn' || rv.kind === 'Builtin' || rv.kind === 'CallValue') && rv.args.some(isP)) hit = true;
  }
  return hit;
};
const definesWhole = (s: Stmt, x: number) => s.kind === 'Assign' && s.place.kind === 'LocalPlace' && s.place.id === x;

/** Blocks reachable from the entry, and blocks from which a Return is reachable. */
export function reach(fn: FnDef): { fromEntry: boolean[]; toReturn: boolean[] } {
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

export interface Site { fn: number; block: number; drop: number; local: number }
export interface EarlySite extends Site { to: number; viaPointer: boolean }

export function withStmts(m: Module, fi: number, bi: number, stmts: Stmt[]): Module {
  const fn = m.fns[fi];
  const blocks = fn.blocks.map((b, i) => (i === bi ? { ...b, stmts } : b));
  return { ...m, fns: m.fns.map((f, i) => (i === fi ? { ...fn, blocks } : f)) };
}

/**
 * Where a `Drop x` (x a whole local) can move before a use of x in its block: the last
 * statement before the drop that reads x directly, or (viaPointer) the first statement that
 * dereferences or passes a pointer local made by `p = &x...` earlier in the block, with no
 * direct read of x between the Ref and that statement.
 */
export function earlySites(m: Module, viaPointer: boolean): EarlySite[] {
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
            if (derefsOrPasses(sj, p)) { out.push({ fn: fi, block: bi, drop: k, local: x, to: j, viaPointer }); break; }
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
export function crossBlockSites(m: Module): (Site & { after: { block: number; stmt: number } })[] {
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

export function moveDropToBlock(m: Module, s: Site & { after: { block: number; stmt: number } }): Module {
  const fn = m.fns[s.fn];
  const drop = fn.blocks[s.block].stmts[s.drop];
  const blocks = fn.blocks.map((b, i) => {
    if (i === s.block) return { ...b, stmts: b.stmts.filter((_, k) => k !== s.drop) };
    if (i === s.after.block) return { ...b, stmts: [...b.stmts.slice(0, s.after.stmt + 1), drop, ...b.stmts.slice(s.after.stmt + 1)] };
    return b;
  });
  return { ...m, fns: m.fns.map((f, i) => (i === s.fn ? { ...fn, blocks } : f)) };
}

export function moveDropEarlier(m: Module, s: EarlySite): Module {
  const stmts = m.fns[s.fn].blocks[s.block].stmts.slice();
  const [drop] = stmts.splice(s.drop, 1);
  stmts.splice(s.to, 0, drop);
  return withStmts(m, s.fn, s.block, stmts);
}

/** Drops (of anything) in blocks that run on some path that can still return (a leak there is observable). */
export function removableSites(m: Module): (Site & { throughPointer: boolean })[] {
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

export function removeDrop(m: Module, s: Site): Module {
  const stmts = m.fns[s.fn].blocks[s.block].stmts.slice();
  stmts.splice(s.drop, 1);
  return withStmts(m, s.fn, s.block, stmts);
}

/** Rewrites the operands of a statement whose value goes to a new owner (stored, passed by value). */
function mapOwnedOperands(s: Stmt, f: (op: Operand) => Operand): Stmt {
  if (s.kind !== 'Assign' && s.kind !== 'Eval') return s;
  const rv = s.value;
  const list = (ops: readonly Operand[], owned: (i: number) => boolean) => ops.map((o, i) => (owned(i) ? f(o) : o));
  let value: Rvalue = rv;
  switch (rv.kind) {
    case 'Use': value = { ...rv, op: f(rv.op) }; break;
    case 'MakeSome': case 'Repeat': value = { ...rv, op: f(rv.op) }; break;
    case 'CallFn': value = { ...rv, args: list(rv.args, () => true) }; break;
    case 'CallValue': value = { ...rv, args: list(rv.args, () => true) }; break;
    case 'Aggregate': value = { ...rv, ops: list(rv.ops, () => true) }; break;
    case 'Builtin': value = { ...rv, args: list(rv.args, (i) => isBuiltin(rv.op) && (BUILTINS[rv.op].args as readonly string[])[i] === 'T') }; break;
    default: break;
  }
  return { ...s, value } as Stmt;
}

/**
 * Moves of a value holding a Drop class into a new owner (the moves elaborate-drops made of
 * last-use copies, and temporaries handed over): as a Copy, the class's drop() would run twice.
 */
export function dropClassMoves(m: Module): (Site & { nth: number })[] {
  const classes = classTable(m.classes);
  const out: (Site & { nth: number })[] = [];
  m.fns.forEach((fn, fi) => {
    const { fromEntry } = reach(fn);
    fn.blocks.forEach((b, bi) => {
      if (!fromEntry[bi]) return;
      b.stmts.forEach((s, k) => {
        let nth = 0;
        mapOwnedOperands(s, (op) => {
          if (op.kind === 'Move' && dropClassIn(op.place.ty, classes) !== null) {
            const x = ownerOf(op.place);
            if (x !== null) out.push({ fn: fi, block: bi, drop: k, local: x, nth });
          }
          nth++;
          return op;
        });
      });
    });
  });
  return out;
}

export function moveToCopy(m: Module, site: Site & { nth: number }): Module {
  const stmts = m.fns[site.fn].blocks[site.block].stmts.slice();
  let nth = 0;
  stmts[site.drop] = mapOwnedOperands(stmts[site.drop], (op) => (nth++ === site.nth && op.kind === 'Move' ? { ...op, kind: 'Copy' } : op));
  return withStmts(m, site.fn, site.block, stmts);
}

export const localName = (m: Module, s: Site) => {
  const l = m.fns[s.fn].locals.find((x) => x.id === s.local);
  return `${l?.name}#${s.local}`;
};
export const describeSite = (seed: number, m: Module, s: Site, what: string) =>
  `seed ${seed}: ${what} in ${m.fns[s.fn].name} bb${s.block}[${s.drop}] (${localName(m, s)})`;
