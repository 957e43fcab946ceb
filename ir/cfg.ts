// Utilities over Lcfg functions, shared by the analyses that run on the final IR (delete
// tracking, liveness for E0024, drop insertion) and by tests: the shape of the graph
// (successors, predecessors, reverse postorder), a generic worklist dataflow solver and
// one for gen/kill bitset problems (solveBits), liveness of locals as a user of the
// latter, and a type-consistency check of a module.
//
// Sets of locals are bitsets over the function's `locals` list (LocalSet), so a dataflow
// over a function with L locals and B blocks costs O(B·L/32) words per sweep; liveness
// tracks only the locals that live across blocks, so L stays small in practice.

import type { Cat } from './lang.js';
import { operandTy, rvalueTy, type Lcfg, type Node } from './languages.js';
import { ptr, showTy, tyEq, type Ty } from './types.js';

type D = typeof Lcfg.decl;
export type FnDef = Node<typeof Lcfg, 'FnDef'>;
export type BasicBlock = Node<typeof Lcfg, 'BasicBlock'>;
export type Module = Node<typeof Lcfg, 'Module'>;
export type Term = Cat<D, 'Term'>;
export type Stmt = Cat<D, 'Stmt'>;
export type Place = Cat<D, 'Place'>;
export type Operand = Cat<D, 'Operand'>;
export type Rvalue = Cat<D, 'Rvalue'>;

// ---------------------------------------------------------------- graph shape

/** The blocks a terminator may jump to (`then` before `else`; none for Return/Unreachable). */
export function successors(term: Term): number[] {
  switch (term.kind) {
    case 'Goto': return [term.target];
    case 'Branch': return term.then === term.else ? [term.then] : [term.then, term.else];
    default: return [];
  }
}

/** For each block id, the ids of the blocks that jump to it (each listed once). */
export function predecessors(fn: FnDef): number[][] {
  const preds: number[][] = fn.blocks.map(() => []);
  for (const b of fn.blocks) for (const s of successors(b.term)) preds[s].push(b.id);
  return preds;
}

/**
 * The blocks reachable from the entry in reverse postorder: every block comes before its
 * successors except along back edges (the order forward dataflow converges fastest in).
 */
export function reversePostorder(fn: FnDef): number[] {
  const post = new Int32Array(fn.blocks.length);
  const count = postorderInto(fn, post, new Uint8Array(fn.blocks.length));
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = post[count - 1 - i];
  return out;
}

/**
 * Writes the blocks reachable from the entry in postorder to the start of `post` (as long
 * as the function has blocks) and returns how many there are; `state` (all 0 on entry)
 * ends nonzero exactly for them. Iterative, so deep graphs do not overflow the stack:
 * the stack of the depth-first walk grows down from the end of `post` (a block is on the
 * stack or written out, never both, so the two never meet), and `state` holds for each
 * block on the stack 1 + how many of its successors it has visited.
 */
function postorderInto(fn: FnDef, post: Int32Array, state: Uint8Array): number {
  const n = fn.blocks.length;
  if (n === 0) return 0;
  const DONE = 4;
  let count = 0, top = n - 1;
  post[top] = 0;
  state[0] = 1;
  while (top < n) {
    const b = post[top];
    const s = nthSuccessor(fn.blocks[b].term, state[b] - 1);
    if (s >= 0) {
      state[b]++;
      if (state[s] === 0) { state[s] = 1; post[--top] = s; }
    } else {
      state[b] = DONE;
      top++;
      post[count++] = b;
    }
  }
  return count;
}

/** Successor `i` of a terminator in the order of `successors`, or -1 past the last. */
function nthSuccessor(term: Term, i: number): number {
  switch (term.kind) {
    case 'Goto': return i === 0 ? term.target : -1;
    case 'Branch': return i === 0 ? term.then : i === 1 && term.else !== term.then ? term.else : -1;
    default: return -1;
  }
}

// ---------------------------------------------------------------- sets of locals

/**
 * Dense numbering of one function's locals (in `fn.locals` order), or of the subset that
 * `include` accepts: sets over a subset are smaller, and ignore the other locals.
 */
export class LocalIndex {
  private readonly pos = new Map<number, number>();
  readonly ids: readonly number[];
  constructor(fn: FnDef, include?: (id: number) => boolean) {
    const ids: number[] = [];
    for (const l of fn.locals) {
      if (include !== undefined && !include(l.id)) continue;
      this.pos.set(l.id, ids.length);
      ids.push(l.id);
    }
    this.ids = ids;
  }
  get size(): number { return this.ids.length; }
  /** position of local `id`, or -1 if the function declares no such local */
  of(id: number): number { return this.pos.get(id) ?? -1; }
}

/**
 * A mutable set of locals of one function, as a bitset of 32-bit words (a dataflow
 * allocates several sets per block; the words may be a view into one array for all blocks).
 */
export class LocalSet {
  readonly words: Int32Array;
  constructor(readonly index: LocalIndex, words?: Int32Array) {
    this.words = words ?? new Int32Array(wordsFor(index.size));
  }
  has(id: number): boolean {
    const i = this.index.of(id);
    return i >= 0 && (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  add(id: number): void { const i = this.index.of(id); if (i >= 0) this.words[i >>> 5] |= 1 << (i & 31); }
  delete(id: number): void { const i = this.index.of(id); if (i >= 0) this.words[i >>> 5] &= ~(1 << (i & 31)); }
  copy(): LocalSet { return new LocalSet(this.index, this.words.slice()); }
  /** Adds every member of `other`; true when this set grew. */
  unionWith(other: LocalSet): boolean {
    let changed = false;
    for (let w = 0; w < this.words.length; w++) {
      const v = this.words[w] | other.words[w];
      if (v !== this.words[w]) { this.words[w] = v; changed = true; }
    }
    return changed;
  }
  /** Keeps only members of `other`; true when this set shrank. */
  intersectWith(other: LocalSet): boolean {
    let changed = false;
    for (let w = 0; w < this.words.length; w++) {
      const v = this.words[w] & other.words[w];
      if (v !== this.words[w]) { this.words[w] = v; changed = true; }
    }
    return changed;
  }
  equals(other: LocalSet): boolean {
    for (let w = 0; w < this.words.length; w++) if (this.words[w] !== other.words[w]) return false;
    return true;
  }
  /** The local ids in the set, in declaration order. */
  ids(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words.length; w++) {
      if (this.words[w] === 0) continue;
      for (let b = 0; b < 32; b++) if (this.words[w] & (1 << b)) out.push(this.index.ids[w * 32 + b]);
    }
    return out;
  }
}

/** The number of 32-bit words a bitset of `bits` bits takes. */
export function wordsFor(bits: number): number { return (bits + 31) >>> 5; }

/**
 * Zeroed arrays of lengths a, b and c. A typed array over 64 bytes gets its own off-heap
 * buffer, which costs ~0.2 µs to allocate and later to free, and a dataflow needs several
 * per function: so bigger ones are views into one buffer (a view costs a fifth of that),
 * while small ones stay separate (a view would move an on-heap array off the heap).
 */
export function zeroedInt32s(a: number, b: number, c: number): [Int32Array, Int32Array, Int32Array] {
  if (a <= 16 && b <= 16 && c <= 16) return [new Int32Array(a), new Int32Array(b), new Int32Array(c)];
  const all = new Int32Array(a + b + c);
  return [all.subarray(0, a), all.subarray(a, a + b), all.subarray(a + b)];
}

// ---------------------------------------------------------------- dataflow

/**
 * A dataflow problem over states S. Forward problems flow from the entry along jumps;
 * backward ones from the exits against them. States must form a join semilattice of
 * finite height and `transfer` must be monotone, so the solver terminates.
 */
export interface DataflowProblem<S> {
  readonly direction: 'forward' | 'backward';
  /** The state where flow starts: at the entry's start (forward) or after a Return/Unreachable (backward). */
  boundary(fn: FnDef): S;
  /** The least state (nothing known yet), the initial state of every other block edge. */
  bottom(fn: FnDef): S;
  /** Joins `from` into `into` (mutating it); true when `into` changed. */
  join(into: S, from: S): boolean;
  /** A copy of a state that may then be changed independently. */
  copy(s: S): S;
  /**
   * The state on the other side of a block: at its end given its start (forward), or at
   * its start given its end (backward). Must not change `input`.
   */
  transfer(block: BasicBlock, input: S): S;
}

/** The fixpoint: each reachable block's state at its start (`entry`) and end (`exit`), in program order. */
export interface DataflowResult<S> { entry: S[]; exit: S[] }

/**
 * Solves a dataflow problem with a worklist, seeded in reverse postorder (forward) or
 * postorder (backward). Unreachable blocks keep the bottom state.
 */
export function solveDataflow<S>(fn: FnDef, p: DataflowProblem<S>): DataflowResult<S> {
  const n = fn.blocks.length;
  const entry: S[] = new Array(n);
  const exit: S[] = new Array(n);
  for (let b = 0; b < n; b++) { entry[b] = p.bottom(fn); exit[b] = p.bottom(fn); }
  if (n === 0) return { entry, exit };
  const forward = p.direction === 'forward';
  const rpo = reversePostorder(fn);
  const succs = fn.blocks.map((b) => successors(b.term));
  const preds = predecessors(fn);
  const reachable = new Uint8Array(n);
  for (const b of rpo) reachable[b] = 1;
  // a block's input is the join of its sources' results; a change in its result re-queues its sinks
  const sources = forward ? preds : succs;
  const sinks = forward ? succs : preds;
  const input = forward ? entry : exit;
  const result = forward ? exit : entry;
  const isBoundary = (b: number) => (forward ? b === 0 : succs[b].length === 0);

  const queue: number[] = forward ? rpo : rpo.slice().reverse();
  const queued = new Uint8Array(n);
  for (const b of queue) queued[b] = 1;
  // every block is processed once in order; afterwards only when a source's result changed
  for (let head = 0; head < queue.length; head++) {
    const b = queue[head];
    queued[b] = 0;
    const into = isBoundary(b) ? p.copy(p.boundary(fn)) : p.bottom(fn);
    for (const x of sources[b]) if (reachable[x]) p.join(into, result[x]);
    input[b] = into;
    // states only grow (monotone transfer), so joining the new result in detects a change
    if (p.join(result[b], p.transfer(fn.blocks[b], into))) {
      for (const y of sinks[b]) if (reachable[y] && !queued[y]) { queued[y] = 1; queue.push(y); }
    }
  }
  return { entry, exit };
}

/**
 * A gen/kill problem over bitsets: the state on the other side of block b is
 * `(state & ~kill[b]) | gen[b]`, and states join by union. Its states are stored flat,
 * `words` 32-bit words per block (block b's at [b * words, (b + 1) * words)), so solving it
 * allocates a few arrays per function instead of objects per block and visit.
 */
export interface BitProblem {
  readonly direction: 'forward' | 'backward';
  readonly words: number;
  // (plain arrays of int32 values do too: they are cheaper to allocate than typed arrays over 64 bytes)
  readonly gen: ArrayLike<number>;
  readonly kill: ArrayLike<number>;
  /** the state where flow starts: at the entry's start (forward) or after a Return/Unreachable (backward) */
  readonly boundary: ArrayLike<number>;
}

/** The fixpoint of a BitProblem, flat like its gen and kill; unreachable blocks keep empty states. */
export interface BitResult { entry: Int32Array; exit: Int32Array; reachable: Uint8Array }

/**
 * Solves a BitProblem by sweeps in reverse postorder (forward) or postorder (backward)
 * until one changes nothing: the least fixpoint, which solveDataflow finds too. A forward
 * sweep pushes each block's result into its successors' inputs, a backward one pulls its
 * successors' results, so neither needs the predecessor lists.
 */
export function solveBits(fn: FnDef, p: BitProblem): BitResult {
  const n = fn.blocks.length, W = p.words;
  const [entry, exit, post] = zeroedInt32s(n * W, n * W, n);
  const reachable = new Uint8Array(n);
  const count = postorderInto(fn, post, reachable);
  for (let b = 0; b < n; b++) if (reachable[b] !== 0) reachable[b] = 1;
  if (W === 0 || count === 0) return { entry, exit, reachable };
  const { gen, kill, boundary } = p;
  if (p.direction === 'forward') {
    for (let w = 0; w < W; w++) entry[w] = boundary[w];
    for (let changed = true; changed;) {
      changed = false;
      for (let k = count - 1; k >= 0; k--) {
        const b = post[k], at = b * W, term = fn.blocks[b].term;
        for (let w = 0; w < W; w++) exit[at + w] = (entry[at + w] & ~kill[at + w]) | gen[at + w];
        for (let i = 0, y; (y = nthSuccessor(term, i)) >= 0; i++) {
          for (let w = 0; w < W; w++) {
            const v = entry[y * W + w] | exit[at + w];
            if (v !== entry[y * W + w]) { entry[y * W + w] = v; changed = true; }
          }
        }
      }
    }
  } else {
    for (let changed = true; changed;) {
      changed = false;
      for (let k = 0; k < count; k++) {
        const b = post[k], at = b * W, term = fn.blocks[b].term;
        const isBoundary = nthSuccessor(term, 0) < 0;
        for (let w = 0; w < W; w++) exit[at + w] = isBoundary ? boundary[w] : 0;
        for (let i = 0, y; (y = nthSuccessor(term, i)) >= 0; i++) {
          for (let w = 0; w < W; w++) exit[at + w] |= entry[y * W + w];
        }
        for (let w = 0; w < W; w++) {
          const v = (exit[at + w] & ~kill[at + w]) | gen[at + w];
          if (v !== entry[at + w]) { entry[at + w] = v; changed = true; }
        }
      }
    }
  }
  return { entry, exit, reachable };
}

// ---------------------------------------------------------------- uses and definitions

/**
 * Calls `f(op, arg)` on each operand read when a place is used (index and pointer operands
 * inside it). `arg` is passed through so that hot callers need no closure per call.
 */
function placeOperands<A>(p: Place, f: (op: Operand, arg: A) => void, arg?: A): void {
  switch (p.kind) {
    case 'FieldPlace': case 'PayloadPlace': placeOperands(p.base, f, arg); break;
    case 'IndexPlace': placeOperands(p.base, f, arg); f(p.index, arg as A); break;
    case 'DerefPlace': f(p.ptr, arg as A); break;
    default: break;
  }
}

/** The local a place is rooted at (`x` in `x.a[i]`), or null (a global, or through a pointer). */
export function placeRoot(p: Place): number | null {
  switch (p.kind) {
    case 'LocalPlace': return p.id;
    case 'FieldPlace': case 'PayloadPlace': case 'IndexPlace': return placeRoot(p.base);
    default: return null;
  }
}

/** Calls `f(op, arg)` on every operand an rvalue reads (`arg` as in placeOperands). */
export function rvalueOperands<A>(rv: Rvalue, f: (op: Operand, arg: A) => void, arg?: A): void {
  const a = arg as A;
  switch (rv.kind) {
    case 'Use': f(rv.op, a); break;
    case 'BinOp': f(rv.left, a); f(rv.right, a); break;
    case 'UnOp': f(rv.operand, a); break;
    case 'CastOp': case 'Repeat': case 'MakeSome': case 'IsSome': f(rv.op, a); break;
    case 'Ref': placeOperands(rv.place, f, a); break;
    case 'CallFn': case 'Builtin': for (const x of rv.args) f(x, a); break;
    case 'CallValue': f(rv.callee, a); for (const x of rv.args) f(x, a); break;
    case 'Closure': f(rv.env, a); break;
    case 'Aggregate': for (const o of rv.ops) f(o, a); break;
    case 'MakeNone': break;
  }
}

// Reading an operand or a place reads the local it is rooted at, then the locals of the
// operands inside the place. (Functions, not closures: these run on every statement.)
function useOperand(op: Operand, use: (id: number) => void): void {
  if (op.kind === 'Copy' || op.kind === 'Move') usePlace(op.place, use);
}
function usePlace(p: Place, use: (id: number) => void): void {
  const r = placeRoot(p);
  if (r !== null) use(r);
  placeOperands(p, useOperand, use);
}

/**
 * Locals a statement reads (`use`) and the local it overwrites whole (`def`, or null).
 * A read of `x.f` or `x[i]` reads x; `Ref x` counts as a read (the value may be read
 * through the pointer); storing into part of x (`x.f = v`) reads x and does not kill it;
 * `Drop x` reads x.
 */
export function stmtUsesDefs(s: Stmt, use: (id: number) => void): number | null {
  switch (s.kind) {
    case 'Assign':
      rvalueOperands(s.value, useOperand, use);
      if (s.value.kind === 'Ref') usePlace(s.value.place, use);
      if (s.place.kind === 'LocalPlace') return s.place.id;
      usePlace(s.place, use);
      return null;
    case 'Eval':
      rvalueOperands(s.value, useOperand, use);
      if (s.value.kind === 'Ref') usePlace(s.value.place, use);
      return null;
    case 'Drop': case 'Delete':
      usePlace(s.place, use);
      return null;
  }
}

/** Calls `use` on every local a terminator reads. */
export function termUses(t: Term, use: (id: number) => void): void {
  if (t.kind === 'Branch') useOperand(t.cond, use);
  else if (t.kind === 'Return' && t.value !== null) useOperand(t.value, use);
}

// ---------------------------------------------------------------- liveness

export interface Liveness {
  /**
   * The locals that can be live at a block boundary: those read in some block before that
   * block overwrites them. The others (most temporaries) live within one block; the sets
   * below leave them out, which keeps them small in large functions.
   */
  readonly index: LocalIndex;
  /** locals live at the start of each block */
  readonly liveIn: LocalSet[];
  /** locals live at the end of each block (after its terminator reads its operands) */
  readonly liveOut: LocalSet[];
}

/** Updates `live` (the locals live after s) to those live before s: its def dies, then its uses live. */
function liveStep(s: Stmt, live: Set<number>): void {
  const uses: number[] = [];
  const def = stmtUsesDefs(s, (id) => uses.push(id));
  if (def !== null) live.delete(def);
  for (const u of uses) live.add(u);
}

/**
 * Which locals are live (their current value may still be read directly) at each block's
 * start and end: the backward dataflow `in = gen ∪ (out − kill)`, with each block's gen
 * and kill computed once. This is syntactic liveness: a local whose address was taken
 * (`Ref`) may also be read through the pointer; analyses that care (E0024) track pointers.
 */
export function liveness(fn: FnDef): Liveness {
  // locals read in a block before any definition in it (upward exposed somewhere)
  const all = new LocalIndex(fn);
  const definedIn = new Int32Array(all.size).fill(-1);
  const crosses = new Uint8Array(all.size);
  let block = 0;
  const useAll = (id: number) => { const i = all.of(id); if (i >= 0 && definedIn[i] !== block) crosses[i] = 1; };
  for (const b of fn.blocks) {
    block = b.id;
    for (const s of b.stmts) {
      const def = stmtUsesDefs(s, useAll);
      if (def !== null) { const i = all.of(def); if (i >= 0) definedIn[i] = b.id; }
    }
    termUses(b.term, useAll);
  }
  const index = new LocalIndex(fn, (id) => crosses[all.of(id)] === 1);
  // gen and kill of each block, walking it backwards: a def leaves gen for kill, a use enters gen
  const n = fn.blocks.length, W = wordsFor(index.size);
  const gen: number[] = new Array(n * W).fill(0), kill: number[] = new Array(n * W).fill(0);
  let at = 0;
  const uses: number[] = [];
  const collect = (id: number) => { uses.push(id); };
  const genAdd = (id: number) => { const i = index.of(id); if (i >= 0) gen[at + (i >>> 5)] |= 1 << (i & 31); };
  for (let b = 0; b < n && W > 0; b++) {
    at = b * W;
    const blk = fn.blocks[b];
    termUses(blk.term, genAdd);
    for (let k = blk.stmts.length - 1; k >= 0; k--) {
      uses.length = 0;
      const def = stmtUsesDefs(blk.stmts[k], collect);
      const i = def === null ? -1 : index.of(def);
      if (i >= 0) { gen[at + (i >>> 5)] &= ~(1 << (i & 31)); kill[at + (i >>> 5)] |= 1 << (i & 31); }
      for (const u of uses) genAdd(u);
    }
  }
  const r = solveBits(fn, { direction: 'backward', words: W, gen, kill, boundary: new Array(W).fill(0) });
  const liveIn: LocalSet[] = new Array(n), liveOut: LocalSet[] = new Array(n);
  for (let b = 0; b < n; b++) {
    liveIn[b] = new LocalSet(index, r.entry.subarray(b * W, b * W + W));
    liveOut[b] = new LocalSet(index, r.exit.subarray(b * W, b * W + W));
  }
  return { index, liveIn, liveOut };
}

/**
 * Liveness at statement granularity within block `b`: element i is the set of locals live
 * just before stmts[i], the last element those live before the terminator. Includes the
 * block-local temporaries the block-level sets leave out.
 */
export function liveBeforeEachStmt(fn: FnDef, live: Liveness, b: number): Set<number>[] {
  const block = fn.blocks[b];
  const out: Set<number>[] = new Array(block.stmts.length + 1);
  const cur = new Set(live.liveOut[b].ids());
  termUses(block.term, (id) => cur.add(id));
  out[block.stmts.length] = new Set(cur);
  for (let i = block.stmts.length - 1; i >= 0; i--) {
    liveStep(block.stmts[i], cur);
    out[i] = new Set(cur);
  }
  return out;
}

// ---------------------------------------------------------------- type consistency

/**
 * Checks that an Lcfg module's types agree: every local place names a declared local of
 * that type, globals/fields/elements/payloads/pointees have the types their places claim,
 * a Ref's type is a pointer to its place, an Assign stores a value of the place's type
 * (a `*mut T` may be stored where a `*T` is expected), params and block ids are consistent.
 * Returns human-readable problems (empty when consistent).
 */
export function lcfgTypeErrors(m: Module): string[] {
  const errors: string[] = [];
  const globals = new Map(m.globals.map((g) => [g.name, g.ty]));
  const classes = new Map(m.classes.map((c) => [c.name, new Map(c.fields.map((f) => [f.name, f.ty]))]));
  for (const fn of m.fns) {
    const locals = new Map<number, Ty>();
    const where = (what: string) => `${fn.name}: ${what}`;
    for (const l of fn.locals) {
      if (locals.has(l.id)) errors.push(where(`local ${l.id} declared twice`));
      if (l.ty.k === 'void' || l.ty.k === 'never') errors.push(where(`local ${l.name} has type ${showTy(l.ty)}`));
      locals.set(l.id, l.ty);
    }
    for (const p of fn.params) if (!locals.has(p)) errors.push(where(`parameter ${p} is not a local`));
    const same = (a: Ty, b: Ty, what: string) => { if (!tyEq(a, b)) errors.push(where(`${what}: ${showTy(a)} vs ${showTy(b)}`)); };
    const place = (p: Place): void => {
      switch (p.kind) {
        case 'LocalPlace': {
          const t = locals.get(p.id);
          if (t === undefined) errors.push(where(`local ${p.id} is not declared`));
          else same(p.ty, t, `local ${p.id}`);
          return;
        }
        case 'GlobalPlace': {
          const t = globals.get(p.name);
          if (t === undefined) errors.push(where(`global ${p.name} is not declared`));
          else same(p.ty, t, `global ${p.name}`);
          return;
        }
        case 'FieldPlace': {
          place(p.base);
          const cls = p.base.ty.k === 'class' ? classes.get(p.base.ty.name) : undefined;
          const t = cls?.get(p.field);
          if (t === undefined) errors.push(where(`no field ${p.field} in ${showTy(p.base.ty)}`));
          else same(p.ty, t, `field ${p.field}`);
          return;
        }
        case 'IndexPlace': {
          place(p.base);
          operand(p.index);
          const bt = p.base.ty;
          if (bt.k === 'array') same(p.ty, bt.elem, 'array element');
          else if (bt.k === 'vec') same(p.ty, bt.of, 'Vec element');
          else errors.push(where(`indexing a ${showTy(bt)}`));
          if (operandTy(p.index).k !== 'int') errors.push(where(`index of type ${showTy(operandTy(p.index))}`));
          return;
        }
        case 'DerefPlace': {
          operand(p.ptr);
          const t = operandTy(p.ptr);
          if (t.k === 'ptr') same(p.ty, t.to, 'pointee');
          else if (t.k === 'box') same(p.ty, t.of, 'Box content');
          else errors.push(where(`dereferencing a ${showTy(t)}`));
          return;
        }
        case 'PayloadPlace': {
          place(p.base);
          if (p.base.ty.k === 'option') same(p.ty, p.base.ty.of, 'Option payload');
          else errors.push(where(`payload of a ${showTy(p.base.ty)}`));
          return;
        }
      }
    };
    const operand = (op: Operand) => { if (op.kind === 'Copy' || op.kind === 'Move') place(op.place); };
    for (const [i, b] of fn.blocks.entries()) {
      if (b.id !== i) errors.push(where(`block ${i} has id ${b.id}`));
      for (const s of b.stmts) {
        if (s.kind === 'Drop' || s.kind === 'Delete') { place(s.place); continue; }
        rvalueOperands(s.value, operand);
        if (s.value.kind === 'Ref') {
          place(s.value.place);
          same(s.value.ty, ptr(s.value.place.ty, s.value.mut), 'Ref type');
        }
        if (s.kind === 'Assign') {
          place(s.place);
          if (!assignable(rvalueTy(s.value), s.place.ty)) {
            errors.push(where(`storing a ${showTy(rvalueTy(s.value))} into a ${showTy(s.place.ty)}`));
          }
        }
      }
      const t = b.term;
      for (const s of successors(t)) if (s < 0 || s >= fn.blocks.length) errors.push(where(`jump to missing block ${s}`));
      if (t.kind === 'Branch') { operand(t.cond); same(operandTy(t.cond), { k: 'bool' }, 'branch condition'); }
      if (t.kind === 'Return') {
        if (t.value === null) { if (fn.ret.k !== 'void') errors.push(where(`return without a value from a ${showTy(fn.ret)} function`)); }
        else { operand(t.value); if (!assignable(operandTy(t.value), fn.ret)) errors.push(where(`returning a ${showTy(operandTy(t.value))} from a ${showTy(fn.ret)} function`)); }
      }
    }
  }
  return errors;
}

/** A value of type `from` may be stored where `to` is expected (equal, or `*mut T` into `*T`). */
function assignable(from: Ty, to: Ty): boolean {
  if (tyEq(from, to)) return true;
  if (from.k === 'ptr' && to.k === 'ptr') return (from.mut || !to.mut) && assignable(from.to, to.to);
  if (from.k === 'option' && to.k === 'option') return assignable(from.of, to.of);
  return false;
}

// ---------------------------------------------------------------- text

/**
 * A function as MIR-like text, one statement per line, for tests and debugging:
 * `bb0: x = copy a + 1 / goto bb1`. Locals print by name, globals as `@name`.
 */
export function formatFnDef(fn: FnDef): string {
  const names = new Map(fn.locals.map((l) => [l.id, l.name]));
  const place = (p: Place): string => {
    switch (p.kind) {
      case 'LocalPlace': return names.get(p.id) ?? `?${p.id}`;
      case 'GlobalPlace': return `@${p.name}`;
      case 'FieldPlace': return `${place(p.base)}.${p.field}`;
      case 'IndexPlace': return `${place(p.base)}[${operand(p.index)}]`;
      case 'DerefPlace': return `(*${operand(p.ptr)})`;
      case 'PayloadPlace': return `${place(p.base)}.some`;
    }
  };
  const operand = (o: Operand): string => {
    switch (o.kind) {
      case 'Const': return typeof o.value === 'string' && o.ty.k === 'str' ? JSON.stringify(o.value) : String(o.value);
      case 'Copy': return `copy ${place(o.place)}`;
      case 'Move': return `move ${place(o.place)}`;
      case 'FnRef': return `fn ${o.name}`;
    }
  };
  const ops = (xs: readonly Operand[]) => xs.map(operand).join(', ');
  const rvalue = (r: Rvalue): string => {
    switch (r.kind) {
      case 'Use': return operand(r.op);
      case 'BinOp': return `${operand(r.left)} ${r.op} ${operand(r.right)}`;
      case 'UnOp': return `${r.op}${operand(r.operand)}`;
      case 'CastOp': return `${operand(r.op)} as ${showTy(r.ty)}`;
      case 'Ref': return `${r.mut ? '&mut ' : '&'}${place(r.place)}`;
      case 'CallFn': return `${r.fn}(${ops(r.args)})`;
      case 'CallValue': return `(${operand(r.callee)})(${ops(r.args)})`;
      case 'Closure': return `closure ${r.fn}(${operand(r.env)})`;
      case 'Aggregate': return r.ty.k === 'array' ? `[${ops(r.ops)}]` : `${showTy(r.ty)} {${ops(r.ops)}}`;
      case 'Repeat': return `[${operand(r.op)}; ${r.count}]`;
      case 'MakeSome': return `Some(${operand(r.op)})`;
      case 'MakeNone': return 'None';
      case 'IsSome': return `is_some(${operand(r.op)})`;
      case 'Builtin': return `${r.op}!(${ops(r.args)})`;
    }
  };
  const lines: string[] = [];
  for (const b of fn.blocks) {
    lines.push(`bb${b.id}:`);
    for (const s of b.stmts) {
      if (s.kind === 'Assign') lines.push(`  ${place(s.place)} = ${rvalue(s.value)}`);
      else if (s.kind === 'Eval') lines.push(`  ${rvalue(s.value)}`);
      else lines.push(`  drop ${place(s.place)}`);
    }
    const t = b.term;
    switch (t.kind) {
      case 'Goto': lines.push(`  goto bb${t.target}`); break;
      case 'Branch': lines.push(`  branch ${operand(t.cond)} ? bb${t.then} : bb${t.else}`); break;
      case 'Return': lines.push(t.value === null ? '  return' : `  return ${operand(t.value)}`); break;
      case 'Unreachable': lines.push('  unreachable'); break;
    }
  }
  return lines.join('\n');
}
