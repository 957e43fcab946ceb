// Integer range analysis of an Lcfg function, for the LLVM backend at -O2 (issue 5).
//
// What: a forward abstract interpretation over the function's CFG that keeps an interval
// [lo, hi] for every integer and bool local whose address is never taken, and for the length
// of every such Vec local. Comparisons stored in a bool remember what they imply about their
// operands ("go => counter <= 9999999"), and a Branch on that bool refines its edges with it;
// a bounds check that passed refines the index (0 <= i < len). Loops go to a fixpoint with
// widening at their heads, then a few descending rounds win back bounds the widening lost.
// From the result it reads two things off:
//   - `noWrap`: the `+ - *` whose mathematical result always fits its type, so the emitter
//     may give them LLVM's `nsw` / `nuw` (a result that does not fit would be poison: a wrong
//     flag is a miscompile, so a flag is only given when proven);
//   - `inBounds`: the `v[i]` / `a[i]` whose index is always within the bounds, so the emitter
//     leaves out their check.
//
// Why: Zeta's integer arithmetic wraps (spec), so the emitter cannot mark adds `nsw`, and
// without that LLVM 14 cannot bound an induction variable like bench/sieve's `k += i` (SCEV has
// no trip count, LVI gives up on loop phis) and keeps the bounds check in the hot loop that
// gcc's value-range propagation removes from the C backend's output. Flags alone do not make
// LLVM drop the check there (the scan loop's `continue` gives it two back edges, and then
// neither the start `i*i` nor `i` is bounded for SCEV), so the check is left out here, where
// the bounds are known.
//
// Soundness: only locals whose address is never taken (no `Ref` reaches them; a Ref of an
// element of a Vec only exposes the heap buffer, not the Vec's header) are tracked: nothing
// but an assignment to the local itself can change them (calls, other threads and stores
// through pointers cannot reach them). Every other value is the full range of its type, and a
// Vec length is at most 2^63-1 (it is an i64, and the emitted check compares it unsigned). The
// final states are a post-fixpoint followed by descending rounds of the same transfer
// functions, so each over-approximates every state a run can reach; flags and elided checks
// are read off those final states, and a node that occurs more than once (shared subtrees)
// gets a claim only when every occurrence proves it. A function that does not settle within
// the iteration budget gets no claims at all.

import type { AnyNode } from '../../ir/lang.js';
import { operandTy, type Lcfg, type Node } from '../../ir/languages.js';
import { reversePostorder, successors, type FnDef, type Operand, type Place, type Rvalue, type Stmt } from '../../ir/cfg.js';
import { intBits, isSigned, type TyOf } from '../../ir/types.js';

type N<K extends string> = Node<typeof Lcfg, K>;

/** LLVM's no-wrap flags an add, sub or mul may carry. */
export interface NoWrap { nsw: boolean; nuw: boolean }

export interface RangeFacts {
  /** the `+ - *` BinOps of integer type whose result never wraps, with the flags that hold */
  readonly noWrap: ReadonlyMap<AnyNode, NoWrap>;
  /** the IndexPlaces whose index is always in bounds (their check may be left out) */
  readonly inBounds: ReadonlySet<AnyNode>;
}

/** An interval of mathematical values, within the range of its variable's type. */
export interface Iv { readonly lo: bigint; readonly hi: bigint }

/** What a bool implies about other variables when it is true (t) and when it is false (f). */
interface Facts { readonly t: ReadonlyMap<number, Iv>; readonly f: ReadonlyMap<number, Iv> }

/** The abstract state at a program point; a missing key is the full range of its type. */
interface State { v: Map<number, Iv>; facts: Map<number, Facts> }

/** The largest Vec length (the length is an i64; the emitted check compares it unsigned). */
const MAX_LEN = 2n ** 63n - 1n;
const LEN_RANGE: Iv = { lo: 0n, hi: MAX_LEN };
const BOOL_RANGE: Iv = { lo: 0n, hi: 1n };
/** visits of a loop head that join before they widen (a few exact rounds first) */
const WIDEN_DELAY = 1;
/** visits of a loop head after which every key widens there, not only the loop's own */
const WIDEN_ALL = 40;
/** descending rounds after the fixpoint */
const NARROW_ROUNDS = 3;

const RANGES = new Map<string, { own: Iv; signed: Iv; unsigned: Iv }>();

/** The values of an integer type's bits read as signed and as unsigned, and as the type reads them. */
function rangesOf(t: TyOf<'int'>): { own: Iv; signed: Iv; unsigned: Iv } {
  let r = RANGES.get(t.name);
  if (!r) {
    const bits = BigInt(intBits(t));
    const signed = { lo: -(2n ** (bits - 1n)), hi: 2n ** (bits - 1n) - 1n };
    const unsigned = { lo: 0n, hi: 2n ** bits - 1n };
    r = { own: isSigned(t) ? signed : unsigned, signed, unsigned };
    RANGES.set(t.name, r);
  }
  return r;
}

/** The values of an integer type. */
export function intRange(t: TyOf<'int'>): Iv { return rangesOf(t).own; }

const iv = (lo: bigint, hi: bigint): Iv => ({ lo, hi });
const eqIv = (a: Iv, b: Iv) => a.lo === b.lo && a.hi === b.hi;
const within = (a: Iv, r: Iv) => a.lo >= r.lo && a.hi <= r.hi;
const meet = (a: Iv, b: Iv): Iv | null => {
  const lo = a.lo > b.lo ? a.lo : b.lo;
  const hi = a.hi < b.hi ? a.hi : b.hi;
  return lo <= hi ? { lo, hi } : null;
};
const hull = (a: Iv, b: Iv): Iv => iv(a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi);
const min = (...xs: bigint[]) => xs.reduce((a, b) => (a < b ? a : b));
const max = (...xs: bigint[]) => xs.reduce((a, b) => (a > b ? a : b));

/** The exact (unbounded) result interval of `l op r` for + - *. */
export function exactArith(op: string, l: Iv, r: Iv): Iv | null {
  switch (op) {
    case '+': return iv(l.lo + r.lo, l.hi + r.hi);
    case '-': return iv(l.lo - r.hi, l.hi - r.lo);
    case '*': {
      const ps = [l.lo * r.lo, l.lo * r.hi, l.hi * r.lo, l.hi * r.hi];
      return iv(min(...ps), max(...ps));
    }
  }
  return null;
}

/**
 * The no-wrap flags of `l op r` (op + - *) on type t, whose operands lie in l and r: nsw when
 * the operation on the bits read as signed never overflows, nuw when read as unsigned.
 */
export function noWrapFlags(t: TyOf<'int'>, op: string, l: Iv, r: Iv): NoWrap {
  const { signed: sRange, unsigned: uRange } = rangesOf(t);
  // the operands' values read the other way agree with their values when in both ranges
  const both = iv(0n, sRange.hi);
  const exact = exactArith(op, l, r);
  if (!exact) return { nsw: false, nuw: false };
  const own = within(exact, isSigned(t) ? sRange : uRange);
  const other = within(l, both) && within(r, both) && within(exact, isSigned(t) ? uRange : sRange);
  return isSigned(t) ? { nsw: own, nuw: other } : { nsw: other, nuw: own };
}

/**
 * The name emit.ts gives an add, sub or mul that may carry these flags (`nw.s-`, `nw.u-`,
 * `nw.su-`; LLVM appends numbers to repeated names): no Zeta identifier makes such a name.
 * '' when there is no flag to give.
 */
export function noWrapMark(w: NoWrap): string {
  return w.nsw || w.nuw ? `nw.${w.nsw ? 's' : ''}${w.nuw ? 'u' : ''}-` : '';
}

/** An arithmetic instruction named by noWrapMark, as LLVM 14 prints it. */
const MARKED = /^(\s*%nw\.(su|s|u)-\d* = )(add|sub|mul) (?!nuw|nsw)/gm;

/**
 * The module's textual IR with `nsw` / `nuw` on the instructions named by noWrapMark
 * (llvm-bindings 0.4.2 cannot set instruction flags). Text without marks is returned unchanged.
 */
export function withNoWrap(ir: string): string {
  return ir.replace(MARKED, (_all, head: string, which: string, op: string) =>
    `${head}${op} ${which === 'su' ? 'nuw nsw' : which === 's' ? 'nsw' : 'nuw'} `);
}

/** Runs the analysis over one function. */
export function analyzeRanges(f: FnDef): RangeFacts {
  return new Analysis(f).run();
}

/**
 * The intervals at each block's entry that differ from the full range (null: unreachable),
 * by local id; a Vec's length under `len <id>`. For tests and debugging.
 */
export function blockRanges(f: FnDef): (Map<string, Iv> | null)[] {
  const a = new Analysis(f);
  return a.states().map((s) => s && new Map([...s.v].map(([k, i]) => [k < 0 ? `len ${-k - 1}` : String(k), i])));
}

/** The key of a Vec local's length (local ids are >= 0). */
const lenKey = (id: number) => -id - 1;

class Analysis {
  /** tracked keys -> the full range of their values */
  private readonly top = new Map<number, Iv>();
  /** tracked int locals -> their type */
  private readonly intTy = new Map<number, TyOf<'int'>>();
  private readonly bools = new Set<number>();
  private readonly vecs = new Set<number>();
  /** claims read off the final states: node -> holds at every occurrence so far */
  private readonly noWrap = new Map<AnyNode, NoWrap>();
  private readonly bounds = new Map<AnyNode, boolean>();
  private recording = false;

  constructor(private readonly f: FnDef) {}

  /** The final states at the blocks' entries ([] when the function is not analysed). */
  states(): (State | null)[] {
    const f = this.f;
    if (f.blocks.length === 0 || f.blocks.some((bb, i) => bb.id !== i)) return [];
    if (f.locals.some((l) => l.id < 0)) return [];
    const taken = addressTaken(f);
    for (const l of f.locals) {
      if (taken.has(l.id)) continue;
      const t = l.ty;
      if (t.k === 'int') { this.intTy.set(l.id, t); this.top.set(l.id, intRange(t)); }
      else if (t.k === 'bool') { this.bools.add(l.id); this.top.set(l.id, BOOL_RANGE); }
      else if (t.k === 'vec') { this.vecs.add(l.id); this.top.set(lenKey(l.id), LEN_RANGE); }
    }
    return this.fixpoint() ?? [];
  }

  run(): RangeFacts {
    const ins = this.states();
    this.recording = true;
    ins.forEach((s, i) => {
      if (!s) return;
      const out = this.block(i, s);
      if (out) this.edges(i, out);
    });
    // (a function not analysed has no states, and so no claims)
    const noWrap = new Map<AnyNode, NoWrap>();
    for (const [n, w] of this.noWrap) if (w.nsw || w.nuw) noWrap.set(n, w);
    const inBounds = new Set<AnyNode>();
    for (const [n, ok] of this.bounds) if (ok) inBounds.add(n);
    return { noWrap, inBounds };
  }

  // ------------------------------------------------------------ fixpoint
  /** The state at each block's entry (null: unreachable), or null when it did not settle. */
  private fixpoint(): (State | null)[] | null {
    const blocks = this.f.blocks;
    const order = reversePostorder(this.f);
    const rank = new Map(order.map((b, i) => [b, i]));
    const preds: number[][] = blocks.map(() => []);
    for (const b of order) for (const s of successors(blocks[b].term)) if (blocks[s]) preds[s].push(b);
    // loop heads (targets of edges going back in reverse postorder), and per head the keys
    // assigned in its loop: only those can grow around it, so only those are widened there
    const modified = new Map<number, Set<number>>();
    for (const b of order) {
      for (const h of successors(blocks[b].term)) {
        if (!rank.has(h) || rank.get(h)! > rank.get(b)!) continue;
        const keys = modified.get(h) ?? new Set<number>();
        modified.set(h, keys);
        for (const x of loopBody(h, b, preds)) this.assignedIn(x, keys);
      }
    }
    const entry: State = { v: new Map(), facts: new Map() };
    const ins: (State | null)[] = blocks.map(() => null);
    const visits = blocks.map(() => 0);
    const dirty = blocks.map(() => false);
    ins[0] = entry;
    dirty[0] = true;
    let budget = 50 * order.length + 1000;
    let widened = false;
    for (let changed = true; changed;) {
      changed = false;
      for (const b of order) {
        if (!dirty[b]) continue;
        dirty[b] = false;
        if (--budget < 0) return null;
        const out = this.block(b, ins[b]!);
        if (!out) continue;
        for (const [s, st] of this.edges(b, out)) {
          if (!st) continue;
          const old = ins[s];
          let next = old ? this.join(old, st) : st;
          const keys = modified.get(s);
          if (old && keys) {
            // a late safety net: everything widens once a head has been visited many times
            const n = ++visits[s];
            if (n > WIDEN_DELAY) { next = this.widen(old, next, n > WIDEN_ALL ? null : keys); widened = true; }
          }
          if (old && this.same(old, next)) continue;
          ins[s] = next;
          dirty[s] = true;
          changed = true;
        }
      }
    }
    // without widening the iteration found the least fixpoint: nothing to win back
    if (!widened) return ins;
    // descending rounds: each block's entry recomputed from its predecessors' latest states
    // (in reverse postorder, so a round carries a refinement through a whole loop body)
    const edgeStates = new Map<string, State>();
    const propagate = (b: number) => {
      for (const s of successors(blocks[b].term)) edgeStates.delete(`${b}>${s}`);
      const out = ins[b] && this.block(b, ins[b]!);
      if (!out) return;
      for (const [s, st] of this.edges(b, out)) {
        if (!st) continue;
        const k = `${b}>${s}`;
        const prev = edgeStates.get(k);
        edgeStates.set(k, prev ? this.join(prev, st) : st);
      }
    };
    for (const b of order) propagate(b);
    for (let round = 0, changed = true; round < NARROW_ROUNDS && changed; round++) {
      changed = false;
      for (const b of order) {
        let st: State | null = b === 0 ? entry : null;
        for (const p of preds[b]) {
          const e = edgeStates.get(`${p}>${b}`);
          if (e) st = st ? this.join(st, e) : e;
        }
        const old = ins[b];
        if (st && old ? this.same(old, st) : st === old) continue;
        changed = true;
        ins[b] = st;
        propagate(b);
      }
    }
    return ins;
  }

  /** Adds the keys that block b assigns (not merely refines) to `keys`. */
  private assignedIn(b: number, keys: Set<number>): void {
    for (const s of this.f.blocks[b].stmts) {
      if (s.kind === 'Assign' && s.place.kind === 'LocalPlace') {
        keys.add(s.place.id);
        keys.add(lenKey(s.place.id));
      }
      if ((s.kind === 'Drop' || s.kind === 'Delete') && s.place.kind === 'LocalPlace') keys.add(lenKey(s.place.id));
      if (s.kind === 'Assign' || s.kind === 'Eval') {
        for (const op of operandsOf(s.value)) if (op.kind === 'Move' && op.place.kind === 'LocalPlace') keys.add(lenKey(op.place.id));
      }
    }
  }

  /** The state after block b's statements (null: one of them always panics). */
  private block(b: number, s: State): State | null {
    const st = clone(s);
    for (const stmt of this.f.blocks[b].stmts) if (!this.stmt(stmt, st)) return null;
    return st;
  }

  /** The states along the block's outgoing edges (null: the edge cannot be taken). */
  private edges(b: number, out: State): [number, State | null][] {
    const t = this.f.blocks[b].term;
    switch (t.kind) {
      case 'Goto': return [[t.target, out]];
      case 'Branch': {
        if (!this.checks(placesOfOperand(t.cond), out)) return [];
        const st = out;
        const c = t.cond;
        if (c.kind === 'Const') return [[c.value ? t.then : t.else, st]];
        if ((c.kind === 'Copy' || c.kind === 'Move') && c.place.kind === 'LocalPlace' && this.bools.has(c.place.id)) {
          return [[t.then, this.assume(st, c.place.id, true)], [t.else, this.assume(st, c.place.id, false)]];
        }
        return [[t.then, st], [t.else, st]];
      }
      case 'Return': if (t.value) this.checks(placesOfOperand(t.value), out); return [];
      default: return [];
    }
  }

  /** The state where bool b has the value `v`, with what b implies then (null: impossible). */
  private assume(s: State, b: number, v: boolean): State | null {
    const st = clone(s);
    const val = BigInt(v ? 1 : 0);
    if (!this.narrow(st, b, iv(val, val))) return null;
    const facts = st.facts.get(b);
    if (facts) for (const [k, i] of v ? facts.t : facts.f) if (!this.narrow(st, k, i)) return null;
    return st;
  }

  // ------------------------------------------------------------ lattice
  private get(s: State, k: number): Iv { return s.v.get(k) ?? this.top.get(k)!; }

  private set(s: State, k: number, i: Iv): void {
    if (eqIv(i, this.top.get(k)!)) s.v.delete(k); else s.v.set(k, i);
  }

  /** Intersects k's interval with i; false when that leaves nothing. */
  private narrow(s: State, k: number, i: Iv): boolean {
    const m = meet(this.get(s, k), i);
    if (!m) return false;
    this.set(s, k, m);
    return true;
  }

  private join(a: State, b: State): State {
    const v = new Map<number, Iv>();
    for (const [k, x] of a.v) {
      const y = b.v.get(k);
      if (y) this.setIn(v, k, hull(x, y));
    }
    const facts = new Map<number, Facts>();
    for (const id of new Set([...a.facts.keys(), ...b.facts.keys()])) {
      const side = (truth: boolean) => this.joinSide(a, b, id, truth);
      const t = side(true);
      const f = side(false);
      if (t.size || f.size) facts.set(id, { t, f });
    }
    return { v, facts };
  }

  /**
   * Like join, but a bound that grew jumps to the end of its type's range: for the keys in
   * `keys` and the facts of or about them (null: all).
   */
  private widen(old: State, next: State, keys: ReadonlySet<number> | null): State {
    const w = (o: Iv, n: Iv, k: number, b?: number): Iv => {
      if (keys && !keys.has(k) && (b === undefined || !keys.has(b))) return n;
      const r = this.top.get(k)!;
      return iv(n.lo < o.lo ? r.lo : n.lo, n.hi > o.hi ? r.hi : n.hi);
    };
    const v = new Map<number, Iv>();
    for (const [k, n] of next.v) this.setIn(v, k, w(this.get(old, k), n, k));
    const facts = new Map<number, Facts>();
    for (const [id, nf] of next.facts) {
      const of = old.facts.get(id);
      const side = (ns: ReadonlyMap<number, Iv>, os: ReadonlyMap<number, Iv> | undefined) => {
        const out = new Map<number, Iv>();
        for (const [k, n] of ns) this.setIn(out, k, w(os?.get(k) ?? this.get(old, k), n, k, id));
        return out;
      };
      const t = side(nf.t, of?.t);
      const f = side(nf.f, of?.f);
      if (t.size || f.size) facts.set(id, { t, f });
    }
    return { v, facts };
  }

  /**
   * One side of bool id's facts in the join of a and b. A state where id cannot have that
   * value contributes nothing; a fact missing on one side is that side's interval of the key.
   */
  private joinSide(a: State, b: State, id: number, truth: boolean): Map<number, Iv> {
    const val = truth ? 1n : 0n;
    const possible = (s: State) => { const i = this.get(s, id); return i.lo <= val && val <= i.hi; };
    const of = (s: State) => { const fs = s.facts.get(id); return truth ? fs?.t : fs?.f; };
    const out = new Map<number, Iv>();
    const pa = possible(a);
    const pb = possible(b);
    if (!pa && !pb) return out;
    if (!pa || !pb) {
      for (const [k, i] of of(pa ? a : b) ?? []) this.setIn(out, k, i);
      return out;
    }
    const fa = of(a);
    const fb = of(b);
    for (const k of new Set([...(fa?.keys() ?? []), ...(fb?.keys() ?? [])])) {
      const x = meet(fa?.get(k) ?? this.get(a, k), this.get(a, k)) ?? fa!.get(k)!;
      const y = meet(fb?.get(k) ?? this.get(b, k), this.get(b, k)) ?? fb!.get(k)!;
      this.setIn(out, k, hull(x, y));
    }
    return out;
  }

  private setIn(m: Map<number, Iv>, k: number, i: Iv): void {
    if (!eqIv(i, this.top.get(k)!)) m.set(k, i);
  }

  private same(a: State, b: State): boolean {
    if (!sameMap(a.v, b.v) || a.facts.size !== b.facts.size) return false;
    for (const [id, x] of a.facts) {
      const y = b.facts.get(id);
      if (!y || !sameMap(x.t, y.t) || !sameMap(x.f, y.f)) return false;
    }
    return true;
  }

  // ------------------------------------------------------------ statements
  /**
   * Runs statement s on st, in place, in the emitter's order: the rvalue's operands (their
   * bounds checks), the operation, the destination place (its checks), the store. False
   * when the statement always panics.
   */
  private stmt(s: Stmt, st: State): boolean {
    switch (s.kind) {
      case 'Assign': {
        if (!this.checks(placesOfRvalue(s.value), st, refines(s.value))) return false;
        const r = this.rvalue(s.value, st);
        if (!this.checks(placesOfPlace(s.place), st)) return false;
        this.movedVecs(s.value, st);
        this.assign(st, s.place, s.value, r);
        return true;
      }
      case 'Eval':
        if (!this.checks(placesOfRvalue(s.value), st, refines(s.value))) return false;
        this.rvalue(s.value, st);
        this.movedVecs(s.value, st);
        return true;
      case 'Drop': case 'Delete':
        if (!this.checks(placesOfPlace(s.place), st)) return false;
        // the Vec's buffer is freed: its length says nothing any more
        if (s.place.kind === 'LocalPlace' && this.vecs.has(s.place.id)) st.v.delete(lenKey(s.place.id));
        return true;
    }
    return true;
  }

  /**
   * The bounds checks among `places`, which one step of a statement makes (in an order
   * not modelled): each is recorded as proven or not from st as it is before all of them,
   * then, since they all passed when the step is done, each index is within its bounds:
   * that refines st in place (when `refine`). False when a check always fails.
   */
  private checks(places: N<'IndexPlace'>[], st: State, refine = true): boolean {
    if (places.length === 0) return true;
    const refinements: [number, Iv][] = [];
    for (const p of places) {
      const idx = this.operand(p.index, st);
      const base = p.base;
      let limit: Iv | null = null; // the length's interval
      if (base.ty.k === 'array') limit = iv(BigInt(base.ty.n), BigInt(base.ty.n));
      else if (base.ty.k === 'vec') {
        limit = base.kind === 'LocalPlace' && this.vecs.has(base.id) ? this.get(st, lenKey(base.id)) : LEN_RANGE;
      }
      if (this.recording) {
        const ok = !!idx && !!limit && idx.lo >= 0n && idx.hi < limit.lo;
        this.bounds.set(p, (this.bounds.get(p) ?? true) && ok);
      }
      if (!limit || !refine) continue;
      const k = localOf(p.index);
      if (k !== null && this.intTy.has(k)) refinements.push([k, iv(0n, limit.hi - 1n)]);
      if (idx && base.kind === 'LocalPlace' && this.vecs.has(base.id)) refinements.push([lenKey(base.id), iv(idx.lo + 1n, MAX_LEN)]);
    }
    return refinements.every(([k, i]) => this.narrow(st, k, i));
  }

  /** A moved Vec local no longer owns its buffer. */
  private movedVecs(rv: Rvalue, st: State): void {
    for (const op of operandsOf(rv)) {
      if (op.kind === 'Move' && op.place.kind === 'LocalPlace' && this.vecs.has(op.place.id)) st.v.delete(lenKey(op.place.id));
    }
  }

  private assign(st: State, place: Place, rv: Rvalue, r: Result): void {
    if (place.kind !== 'LocalPlace') return; // nothing tracked lives elsewhere
    const id = place.id;
    if (this.vecs.has(id)) { this.set(st, lenKey(id), r.len ?? LEN_RANGE); return; }
    if (!this.top.has(id)) return;
    const shift = this.shiftOf(id, rv, st);
    const ty = this.intTy.get(id);
    // what bools imply about the old value: shifted along with it, or forgotten
    for (const [b, fs] of st.facts) {
      const move = (m: ReadonlyMap<number, Iv>) => {
        const old = m.get(id);
        if (!old) return m;
        const out = new Map(m);
        out.delete(id);
        if (shift && ty) {
          const moved = iv(old.lo + shift.lo, old.hi + shift.hi);
          if (within(moved, intRange(ty))) this.setIn(out, id, moved);
        }
        return out;
      };
      const t = move(fs.t);
      const f = move(fs.f);
      if (t !== fs.t || f !== fs.f) {
        if (t.size || f.size) st.facts.set(b, { t, f }); else st.facts.delete(b);
      }
    }
    // a copy of another local: what bools imply about that one holds for this one too
    const src = rv.kind === 'Use' ? localOf(rv.op) : null;
    if (src !== null && src !== id && this.intTy.has(src) && this.intTy.has(id)) {
      for (const [b, fs] of st.facts) {
        if (b === id) continue;
        const add = (m: ReadonlyMap<number, Iv>) => {
          const i = m.get(src);
          if (!i) return m;
          const out = new Map(m);
          out.set(id, i);
          return out;
        };
        st.facts.set(b, { t: add(fs.t), f: add(fs.f) });
      }
    }
    this.set(st, id, r.iv ?? this.top.get(id)!);
    if (this.bools.has(id)) {
      st.facts.delete(id);
      if (r.facts && (r.facts.t.size || r.facts.f.size)) st.facts.set(id, r.facts);
    }
  }

  /** For `x = x + d`, `x = d + x` or `x = x - d` without wrapping: the interval x moves by. */
  private shiftOf(id: number, rv: Rvalue, st: State): Iv | null {
    if (rv.kind !== 'BinOp' || (rv.op !== '+' && rv.op !== '-') || !this.intTy.has(id)) return null;
    const l = localOf(rv.left);
    const r = localOf(rv.right);
    const other = l === id ? rv.right : rv.op === '+' && r === id ? rv.left : null;
    if (!other) return null;
    const d = this.operand(other, st);
    if (!d) return null;
    return rv.op === '+' ? d : iv(-d.hi, -d.lo);
  }

  // ------------------------------------------------------------ values
  /** An operand's interval (null when it is not an integer or bool). */
  private operand(op: Operand, st: State): Iv | null {
    const t = operandTy(op);
    if (op.kind === 'Const') {
      if (t.k === 'bool') return op.value ? iv(1n, 1n) : iv(0n, 0n);
      if (t.k !== 'int') return null;
      let n: bigint;
      try { n = BigInt(String(op.value)); } catch { return intRange(t); }
      // the emitter keeps the low bits, read as the type
      const bits = intBits(t);
      n = isSigned(t) ? BigInt.asIntN(bits, n) : BigInt.asUintN(bits, n);
      return iv(n, n);
    }
    if (t.k !== 'int' && t.k !== 'bool') return null;
    const k = localOf(op);
    if (k !== null && this.top.has(k)) return this.get(st, k);
    return t.k === 'bool' ? BOOL_RANGE : intRange(t);
  }

  private rvalue(rv: Rvalue, st: State): Result {
    switch (rv.kind) {
      case 'Use': {
        const k = localOf(rv.op);
        if (k !== null && this.vecs.has(k)) return { len: this.get(st, lenKey(k)) };
        return { iv: this.operand(rv.op, st) ?? undefined, facts: k !== null ? st.facts.get(k) : undefined };
      }
      case 'BinOp': return this.binop(rv, st);
      case 'UnOp': {
        const x = this.operand(rv.operand, st);
        const t = rv.ty;
        if (!x) return {};
        if (rv.op === '!' && t.k === 'bool') {
          const k = localOf(rv.operand);
          const fs = k !== null ? st.facts.get(k) : undefined;
          return { iv: iv(1n - x.hi, 1n - x.lo), facts: fs ? { t: fs.f, f: fs.t } : undefined };
        }
        if (t.k !== 'int') return {};
        const r = intRange(t);
        if (rv.op === '-') { const n = iv(-x.hi, -x.lo); return { iv: within(n, r) ? n : r }; }
        if (rv.op === '~') return { iv: isSigned(t) ? iv(-x.hi - 1n, -x.lo - 1n) : iv(r.hi - x.hi, r.hi - x.lo) };
        return {};
      }
      case 'CastOp': {
        const x = this.operand(rv.op, st);
        const t = rv.ty;
        if (!x || t.k !== 'int') return {};
        const from = operandTy(rv.op);
        if (from.k !== 'int' && from.k !== 'bool') return {};
        const r = intRange(t);
        return { iv: within(x, r) ? x : r };
      }
      case 'Builtin':
        switch (rv.op) {
          case 'vec.filled': {
            const n = this.operand(rv.args[0], st);
            // n > 0 elements, or none
            return { len: n ? iv(max(n.lo, 0n), max(n.hi, 0n)) : LEN_RANGE };
          }
          case 'vec.new': case 'vec.with_capacity': return { len: iv(0n, 0n) };
          case 'vec.len': case 'string.len': case 'str.len': return { iv: LEN_RANGE };
        }
        return {};
    }
    return {};
  }

  private binop(rv: N<'BinOp'>, st: State): Result {
    const lt = operandTy(rv.left);
    if (lt.k !== 'int' || operandTy(rv.right).k !== 'int') return {};
    const l = this.operand(rv.left, st)!;
    const r = this.operand(rv.right, st)!;
    const op = rv.op;
    const range = intRange(lt);
    if (op === '+' || op === '-' || op === '*') {
      const flags = noWrapFlags(lt, op, l, r);
      if (this.recording) {
        const prev = this.noWrap.get(rv);
        this.noWrap.set(rv, prev ? { nsw: prev.nsw && flags.nsw, nuw: prev.nuw && flags.nuw } : flags);
      }
      const exact = exactArith(op, l, r)!;
      return { iv: within(exact, range) ? exact : range };
    }
    switch (op) {
      case '/':
        // truncating; only the plain case (a zero divisor panics, MIN / -1 too)
        if (l.lo >= 0n && r.lo > 0n) return { iv: iv(l.lo / r.hi, l.hi / r.lo) };
        return {};
      case '%':
        // the sign of the dividend, smaller than the divisor in magnitude
        if (r.lo > 0n) return { iv: iv(max(min(l.lo, 0n), 1n - r.hi), min(max(l.hi, 0n), r.hi - 1n)) };
        return {};
      case '&':
        if (l.lo >= 0n && r.lo >= 0n) return { iv: iv(0n, min(l.hi, r.hi)) };
        if (l.lo >= 0n) return { iv: iv(0n, l.hi) };
        if (r.lo >= 0n) return { iv: iv(0n, r.hi) };
        return {};
      case '|': case '^':
        if (l.lo >= 0n && r.lo >= 0n) return { iv: iv(0n, allOnesAbove(max(l.hi, r.hi))) };
        return {};
      case '>>':
        if (r.lo === r.hi) {
          // the amount is taken modulo the width; >> of a signed value is arithmetic (floor)
          const c = BigInt.asUintN(64, r.lo) % BigInt(intBits(lt));
          return { iv: iv(l.lo >> c, l.hi >> c) };
        }
        if (l.lo >= 0n) return { iv: iv(0n, l.hi) };
        return {};
      case '<': case '<=': case '>': case '>=': case '==': case '!=':
        return this.compare(op, rv.left, l, rv.right, r);
    }
    return {};
  }

  /** `l op r` as a bool, with what each outcome implies about tracked operands. */
  private compare(op: string, lop: Operand, l: Iv, rop: Operand, r: Iv): Result {
    const lk = localOf(lop);
    const rk = localOf(rop);
    // a > b is b < a, a >= b is b <= a
    if (op === '>' || op === '>=') return this.compare(op === '>' ? '<' : '<=', rop, r, lop, l);
    let tl: Iv | null; let tr: Iv | null; let fl: Iv | null; let fr: Iv | null;
    switch (op) {
      case '<':
        tl = meet(l, iv(l.lo, r.hi - 1n)); tr = meet(r, iv(l.lo + 1n, r.hi));
        fl = meet(l, iv(r.lo, l.hi)); fr = meet(r, iv(r.lo, l.hi));
        break;
      case '<=':
        tl = meet(l, iv(l.lo, r.hi)); tr = meet(r, iv(l.lo, r.hi));
        fl = meet(l, iv(r.lo + 1n, l.hi)); fr = meet(r, iv(r.lo, l.hi - 1n));
        break;
      default: { // == and !=
        const both = meet(l, r);
        const eqL = both; const eqR = both;
        const neL = r.lo === r.hi ? without(l, r.lo) : l;
        const neR = l.lo === l.hi ? without(r, l.lo) : r;
        [tl, tr, fl, fr] = op === '==' ? [eqL, eqR, neL, neR] : [neL, neR, eqL, eqR];
      }
    }
    const side = (a: Iv | null, b: Iv | null): Map<number, Iv> | null => {
      if (!a || !b) return null;
      const m = new Map<number, Iv>();
      const put = (k: number | null, i: Iv): boolean => {
        if (k === null || !this.intTy.has(k)) return true;
        const prev = m.get(k);
        const j = prev ? meet(prev, i) : i;
        if (!j) return false;
        m.set(k, j);
        return true;
      };
      return put(lk, a) && put(rk, b) ? m : null;
    };
    const t = side(tl, tr);
    const f = side(fl, fr);
    if (!t) return { iv: iv(0n, 0n) };
    if (!f) return { iv: iv(1n, 1n) };
    return { iv: BOOL_RANGE, facts: { t, f } };
  }
}

/** What an rvalue yields for the analysis: an interval, a bool's implications, a Vec's length. */
interface Result { iv?: Iv; facts?: Facts; len?: Iv }

/** i without the value x, when x is one of its ends (null when nothing is left). */
function without(i: Iv, x: bigint): Iv | null {
  if (i.lo === x && i.hi === x) return null;
  if (i.lo === x) return iv(x + 1n, i.hi);
  if (i.hi === x) return iv(i.lo, x - 1n);
  return i;
}

/** The smallest 2^k - 1 >= x (x >= 0): a bound of `|` and `^` of values up to x. */
function allOnesAbove(x: bigint): bigint {
  let m = 0n;
  while (m < x) m = m * 2n + 1n;
  return m;
}

function clone(s: State): State { return { v: new Map(s.v), facts: new Map(s.facts) }; }

function sameMap(a: ReadonlyMap<number, Iv>, b: ReadonlyMap<number, Iv>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) { const y = b.get(k); if (!y || !eqIv(x, y)) return false; }
  return true;
}

/** The local an operand reads directly (`Copy x` / `Move x`), if any. */
function localOf(op: Operand): number | null {
  return (op.kind === 'Copy' || op.kind === 'Move') && op.place.kind === 'LocalPlace' ? op.place.id : null;
}

/** The blocks of the loop closed by the edge tail -> head: those reaching tail without passing head. */
function loopBody(head: number, tail: number, preds: number[][]): Set<number> {
  const body = new Set<number>([head]);
  const work = [tail];
  while (work.length) {
    const b = work.pop()!;
    if (body.has(b)) continue;
    body.add(b);
    work.push(...preds[b]);
  }
  return body;
}

/**
 * Locals whose address some `Ref` takes (or exposes through a field or an array element):
 * they can change behind the analysis' back. A Ref of a Vec's element points into its heap
 * buffer and leaves the Vec itself alone.
 */
function addressTaken(f: FnDef): Set<number> {
  const taken = new Set<number>();
  const root = (p: Place): void => {
    switch (p.kind) {
      case 'LocalPlace': taken.add(p.id); return;
      case 'FieldPlace': case 'PayloadPlace': root(p.base); return;
      case 'IndexPlace': if (p.base.ty.k !== 'vec') root(p.base); return;
      default: return; // globals and derefs are not locals
    }
  };
  for (const bb of f.blocks) {
    for (const s of bb.stmts) {
      if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'Ref') root(s.value.place);
    }
  }
  return taken;
}

// ------------------------------------------------------------ where the bounds checks are
/** The operands an rvalue reads. */
function operandsOf(rv: Rvalue): readonly Operand[] {
  switch (rv.kind) {
    case 'Use': return [rv.op];
    case 'BinOp': return [rv.left, rv.right];
    case 'UnOp': return [rv.operand];
    case 'CastOp': case 'Repeat': case 'MakeSome': case 'IsSome': return [rv.op];
    case 'CallFn': case 'Builtin': return rv.args;
    case 'CallValue': return [rv.callee, ...rv.args];
    case 'Aggregate': return rv.ops;
    case 'Closure': return [rv.env];
    default: return [];
  }
}

/**
 * Whether a bounds check among the rvalue's operands has surely run once the statement is
 * done. Builtins are left out (refining less is sound): not all of them are plain
 * evaluations of their operands in order.
 */
const refines = (rv: Rvalue) => rv.kind !== 'Builtin';

/** The bounds checks an rvalue makes (see `refines` for whether they all run). */
function placesOfRvalue(rv: Rvalue): N<'IndexPlace'>[] {
  if (rv.kind === 'Ref') return placesOfPlace(rv.place);
  const ops = operandsOf(rv);
  if (ops.every((op) => placesOfOperand(op) === NONE)) return NONE;
  return ops.flatMap(placesOfOperand);
}

const NONE: N<'IndexPlace'>[] = [];

function placesOfOperand(op: Operand): N<'IndexPlace'>[] {
  return (op.kind === 'Copy' || op.kind === 'Move') && op.place.kind !== 'LocalPlace' ? placesOfPlace(op.place) : NONE;
}

/** The IndexPlaces in a place (its bounds checks), innermost first. */
function placesOfPlace(p: Place): N<'IndexPlace'>[] {
  switch (p.kind) {
    case 'IndexPlace': return [...placesOfPlace(p.base), ...placesOfOperand(p.index), p];
    case 'FieldPlace': case 'PayloadPlace': return placesOfPlace(p.base);
    case 'DerefPlace': return placesOfOperand(p.ptr);
    default: return NONE;
  }
}
