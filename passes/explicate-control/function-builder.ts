// The mutable workbench explicate-control builds one Lcfg function on: its basic blocks
// (statements so far, terminator once known), its locals, and a stack of scopes whose
// exit actions run whenever control leaves them (falling off the end, `return`, `break`,
// `continue`). `Finally` cleanups (a region's free) run this way, and scheduled drops (spec §5.3) use the
// same stack: a variable's drop is an exit action of the scope that declares it, and a
// compiler temporary's drop one of the innermost statement scope (`stmt`), its "home".
//
// Blocks are numbered as they are created; `finish` drops the unreachable ones, threads
// jumps through empty `Goto` blocks, merges straight-line chains and renumbers densely,
// so `blocks[i].id === i`.
//
// One builder serves every function of a module in turn (`begin` .. `finish`): its scope
// stack and work arrays are allocated once per compile, not once per function.

import type { Cat, Span } from '../../ir/lang.js';
import type { Lcfg, Node } from '../../ir/languages.js';
import { showTy, type Ty } from '../../ir/types.js';
import { InternalError } from '../pass.js';

type D = typeof Lcfg.decl;
export type CfgStmt = Cat<D, 'Stmt'>;
export type CfgTerm = Cat<D, 'Term'>;
export type CfgPlace = Cat<D, 'Place'>;
export type CfgOperand = Cat<D, 'Operand'>;
export type CfgRvalue = Cat<D, 'Rvalue'>;
export type LocalPlace = Node<typeof Lcfg, 'LocalPlace'>;
export type LocalDef = Node<typeof Lcfg, 'LocalDef'>;
export type BasicBlock = Node<typeof Lcfg, 'BasicBlock'>;
export type FnDef = Node<typeof Lcfg, 'FnDef'>;

/** The statements of a block without any (shared: about half the blocks end up unused or threaded away). */
const NO_STMTS: readonly CfgStmt[] = [];

/** Types that never give a local: `void` (no value) and `never` (no value, ever). */
export const hasNoValue = (t: Ty): boolean => t.k === 'void' || t.k === 'never';

/**
 * What runs when control leaves a scope: `Drop` of a local (a scheduled drop, spec §5.3),
 * or any other code, emitted by a function into the builder's current block.
 */
export type ExitAction = LocalPlace | ((fb: FunctionBuilder, span: Span) => void);

/** `stmt`: one statement (or a condition), home of its temporaries and of its blocks' tails' ones. */
export type ScopeKind = 'fn' | 'block' | 'loop' | 'finally' | 'stmt';

export class FunctionBuilder {
  /** the function being built */
  private span: Span = { start: 0, end: 0 };
  // Per block (the first `nBlocks` entries: the arrays are reused, never truncated, since
  // truncating an array gives up its storage)
  private nBlocks = 0;
  /** the statements of each block left so far (the current block's are in `pending`) */
  private readonly stmts: (readonly CfgStmt[])[] = [];
  private readonly terms: (CfgTerm | null)[] = [];
  /** how many terminators emitted so far jump to each block */
  private readonly preds: number[] = [];
  // The current block's statements are collected in `pending`, a buffer reused for every
  // block, and copied out at their exact length when control leaves the block: the lists
  // have no spare capacity, and no garbage is left by growing them.
  private readonly pending: CfgStmt[] = [];
  private nPending = 0;
  /** the function's locals so far (the first `nLocals`; a buffer reused like `pending`) */
  private readonly locals: LocalDef[] = [];
  private nLocals = 0;
  /** the ids of user locals (temporaries have fresh ids, which cannot clash) */
  private readonly declared = new Set<number>();
  // The scope stack, one entry per depth in parallel arrays: a scope is pushed for every
  // statement, so its entry (and its exit list) is reused rather than allocated each time.
  private readonly scopeKinds: ScopeKind[] = [];
  /** for loops: where `break` and `continue` go (-1 for other scopes) */
  private readonly breakTargets: number[] = [];
  private readonly continueTargets: number[] = [];
  /** the depth of the innermost `stmt` scope at or outside each depth (0 when none) */
  private readonly homes: number[] = [];
  /** run innermost-last-added first when control leaves the scope, on every path */
  private readonly exits: ExitAction[][] = [];
  private depth = 0;
  private cur = 0;

  constructor(private readonly freshId: () => number) {}

  /** Starts building a function (after `finish` of the previous one). */
  begin(span: Span): void {
    if (this.depth !== 0) throw new InternalError('a function begun with scopes still open');
    this.span = span;
    this.nBlocks = 0;
    this.nLocals = 0;
    this.declared.clear();
    this.cur = 0;
    this.newBlock();
  }

  // ------------------------------------------------------------ blocks
  newBlock(): number {
    const b = this.nBlocks++;
    if (b === this.stmts.length) {
      this.stmts.push(NO_STMTS);
      this.terms.push(null);
      this.preds.push(0);
    } else {
      this.stmts[b] = NO_STMTS;
      this.terms[b] = null;
      this.preds[b] = 0;
    }
    return b;
  }

  /** Continues emitting into block `b` (which must still be open). */
  switchTo(b: number): void {
    if (this.terms[b] !== null) throw new InternalError(`block ${b} is already terminated`);
    if (b === this.cur) return;
    this.leaveCurrent();
    this.cur = b;
    // (a block left before it ended: its statements so far go back into the buffer)
    const had = this.stmts[b];
    if (had !== NO_STMTS) {
      this.nPending = this.gather(0, had);
      this.stmts[b] = NO_STMTS;
    }
  }

  /** Moves the current block's statements out of the buffer into a list of its own. */
  private leaveCurrent(): void {
    if (this.nPending === 0) return;
    this.stmts[this.cur] = this.pending.slice(0, this.nPending);
    this.nPending = 0;
  }

  /** Copies `list` into the buffer from position `n` on; returns the position after it. */
  private gather(n: number, list: readonly CfgStmt[]): number {
    const buf = this.pending;
    for (const x of list) {
      if (n < buf.length) buf[n] = x;
      else buf.push(x);
      n++;
    }
    return n;
  }

  get current(): number { return this.cur; }

  /**
   * True when no emitted jump reaches the current block (and it is not the entry): the
   * code being lowered is unreachable, after a `return`, `break`, `continue` or panic.
   * Blocks are only entered once every forward jump to them exists (loop heads are
   * entered by a jump), so a block dead now stays dead.
   */
  get isDead(): boolean { return this.cur !== 0 && this.preds[this.cur] === 0; }

  emit(s: CfgStmt): void {
    if (this.terms[this.cur] !== null) throw new InternalError(`emitting into terminated block ${this.cur}`);
    if (this.nPending < this.pending.length) this.pending[this.nPending] = s;
    else this.pending.push(s);
    this.nPending++;
  }

  /** Ends the current block; the caller must `switchTo` another before emitting. */
  terminate(t: CfgTerm): void {
    if (this.terms[this.cur] !== null) throw new InternalError(`block ${this.cur} terminated twice`);
    this.terms[this.cur] = t;
    this.leaveCurrent();
    switch (t.kind) {
      case 'Goto': this.preds[t.target]++; break;
      case 'Branch': this.preds[t.then]++; this.preds[t.else]++; break;
      default: break;
    }
  }

  /** Ends the current block with a jump away (`return`, `break`, ...): what follows is unreachable. */
  terminateAndContinueDead(t: CfgTerm): void {
    this.terminate(t);
    this.cur = this.newBlock();
  }

  goto(target: number, span: Span): void { this.terminate({ kind: 'Goto', span, target }); }

  branch(cond: CfgOperand, then: number, otherwise: number, span: Span): void {
    this.terminate({ kind: 'Branch', span, cond, then, else: otherwise });
  }

  /** How many blocks exist so far (the next new block's number). */
  get blockCount(): number { return this.nBlocks; }

  /**
   * Sends the jumps to `target` emitted since block `start` was current (by `start` and by
   * the blocks numbered from `firstNew` on) to `via` instead.
   */
  redirectJumps(start: number, firstNew: number, target: number, via: number): void {
    this.redirectJumpsOf(start, target, via);
    for (let b = firstNew; b < this.nBlocks; b++) this.redirectJumpsOf(b, target, via);
  }

  private redirectJumpsOf(b: number, target: number, via: number): void {
    // (the builder's own terminators, not yet handed out: changed in place)
    const t = this.terms[b] as { kind: string; target?: number; then?: number; else?: number } | null;
    if (t === null) return;
    let moved = 0;
    if (t.kind === 'Goto' && t.target === target) { t.target = via; moved++; }
    if (t.kind === 'Branch' && t.then === target) { t.then = via; moved++; }
    if (t.kind === 'Branch' && t.else === target) { t.else = via; moved++; }
    this.preds[target] -= moved;
    this.preds[via] += moved;
  }

  // ------------------------------------------------------------ locals
  /** Declares a user local (parameter, `let`, region handle); false for void/never ones, which get none. */
  declareLocal(id: number, name: string, ty: Ty, mut: boolean, span: Span): boolean {
    if (hasNoValue(ty)) return false;
    if (this.declared.has(id)) throw new InternalError(`local ${id} (${name}) declared twice`);
    this.declared.add(id);
    this.addLocal({ kind: 'LocalDef', span, id, name, ty, mut });
    return true;
  }

  /** A fresh compiler temporary `_tN` of type `ty`. */
  temp(ty: Ty, span: Span, mut = false): LocalPlace {
    if (hasNoValue(ty)) throw new InternalError(`a temporary of type ${showTy(ty)}`);
    const id = this.freshId();
    this.addLocal({ kind: 'LocalDef', span, id, name: `_t${id}`, ty, mut });
    return { kind: 'LocalPlace', span, id, ty };
  }

  private addLocal(def: LocalDef): void {
    if (this.nLocals < this.locals.length) this.locals[this.nLocals] = def;
    else this.locals.push(def);
    this.nLocals++;
  }

  freshLocalId(): number { return this.freshId(); }

  // ------------------------------------------------------------ scopes
  /** Opens a scope; returns its depth (0 = outermost), the handle to pop it with. */
  pushScope(kind: ScopeKind, breakTarget = -1, continueTarget = -1): number {
    const d = this.depth++;
    this.scopeKinds[d] = kind;
    this.breakTargets[d] = breakTarget;
    this.continueTargets[d] = continueTarget;
    this.homes[d] = kind === 'stmt' ? d : d > 0 ? this.homes[d - 1] : 0;
    if (d === this.exits.length) this.exits.push([]);
    return d;
  }

  /** Leaves the innermost scope (which must be `s`), running its exits if control falls off its end. */
  popScope(s: number, span: Span): void {
    if (s !== this.depth - 1) throw new InternalError('scopes popped out of order');
    if (!this.isDead) this.runExits(s, span);
    this.discardScope(s);
  }

  /** Adds an action to run whenever control leaves the innermost scope. */
  addExit(action: ExitAction): void {
    this.addExitAt(this.depth - 1, action);
  }

  /** Adds an exit action to the scope at depth `i` (0 = outermost). */
  addExitAt(i: number, action: ExitAction): void {
    if (!(i >= 0 && i < this.depth)) throw new InternalError(`no scope at depth ${i}`);
    this.exits[i].push(action);
  }

  /**
   * Depth of the scope that owns the temporaries created now: the innermost `stmt` scope,
   * else the outermost scope (a static initializer has no statements).
   */
  homeDepth(): number {
    return this.depth > 0 ? this.homes[this.depth - 1] : 0;
  }

  /** Leaves the innermost scope (which must be `s`) without running its exits: the caller ran them on every edge. */
  discardScope(s: number): void {
    if (s !== this.depth - 1) throw new InternalError('scopes popped out of order');
    const exits = this.exits[s];
    if (exits.length !== 0) exits.length = 0;
    this.depth--;
  }

  get scopeDepth(): number { return this.depth; }

  /** Index of the innermost loop scope (for `break` / `continue`), or -1. */
  innermostLoop(): number {
    for (let i = this.depth - 1; i >= 0; i--) if (this.scopeKinds[i] === 'loop') return i;
    return -1;
  }

  /** Where `break` / `continue` of the loop scope at depth `i` jump. */
  breakTarget(i: number): number { return this.breakTargets[i]; }
  continueTarget(i: number): number { return this.continueTargets[i]; }

  /** True when leaving every scope down to depth `floor` runs some action. */
  hasExitsFrom(floor: number): boolean {
    for (let i = this.depth - 1; i >= floor; i--) if (this.exits[i].length > 0) return true;
    return false;
  }

  /** Emits the exit actions of scopes `floor..top`, innermost scope first, each scope's last-added first. */
  runExits(floor: number, span: Span): void {
    for (let i = this.depth - 1; i >= floor; i--) {
      const exits = this.exits[i];
      for (let j = exits.length - 1; j >= 0; j--) {
        const a = exits[j];
        if (typeof a === 'function') a(this, span);
        else this.emit({ kind: 'Drop', span, place: { kind: 'LocalPlace', span, id: a.id, ty: a.ty } });
      }
    }
  }

  // ------------------------------------------------------------ result
  /**
   * The finished function: only blocks reachable from the entry, jumps through empty
   * `Goto` blocks short-circuited, a block reached only by a `Goto` merged into its
   * predecessor, renumbered densely in creation order.
   */
  finish(name: string, params: readonly number[], ret: Ty, unsafe: boolean): FnDef {
    this.leaveCurrent();
    const n = this.nBlocks;
    const terms = this.terms;
    if (this.forward.length < n) this.growScratch(n);
    const { forward, reachable, stack, incoming, gotoFrom, newId } = this;
    forward.fill(-1, 0, n);
    reachable.fill(0, 0, n);
    let top = 0; // (each block is pushed on `stack` at most once)
    stack[top++] = 0;
    reachable[0] = 1;
    while (top > 0) {
      const b = stack[--top];
      const t = terms[b];
      if (t === null) throw new InternalError(`reachable block ${b} has no terminator`);
      for (let k = 0, s = successor(t, 0); s !== -1; s = successor(t, ++k)) {
        const r = this.resolve(s);
        if (!reachable[r]) { reachable[r] = 1; stack[top++] = r; }
      }
    }
    // A block whose only predecessor jumps to it unconditionally continues that block.
    incoming.fill(0, 0, n);
    gotoFrom.fill(-1, 0, n);
    for (let b = 0; b < n; b++) {
      if (!reachable[b]) continue;
      const t = terms[b]!;
      if (t.kind === 'Goto') { const s = this.resolve(t.target); incoming[s]++; gotoFrom[s] = b; }
      else if (t.kind === 'Branch') { incoming[this.resolve(t.then)]++; incoming[this.resolve(t.else)]++; }
    }
    const absorbed = (b: number) => b !== 0 && incoming[b] === 1 && gotoFrom[b] !== -1 && gotoFrom[b] !== b;
    newId.fill(-1, 0, n);
    let next = 0;
    for (let b = 0; b < n; b++) if (reachable[b] && !absorbed(b)) newId[b] = next++;
    // (blocks are made in the order of their new numbers)
    const blocks: BasicBlock[] = [];
    for (let b = 0; b < n; b++) {
      if (newId[b] === -1) continue;
      let stmts = this.stmts[b];
      let t = terms[b]!;
      let s = t.kind === 'Goto' ? this.resolve(t.target) : -1;
      if (s !== -1 && absorbed(s)) {
        // the blocks absorbed here (each has the one before as its only predecessor): their
        // statements are gathered in the buffer and copied out at their exact length
        let len = this.gather(0, stmts);
        for (;;) {
          len = this.gather(len, this.stmts[s]);
          t = terms[s]!;
          if (t.kind !== 'Goto' || !absorbed(s = this.resolve(t.target))) break;
        }
        stmts = this.pending.slice(0, len);
      }
      // The jumps are renumbered in place: the builder made them and nothing else holds them
      // (and every jump target is resolved already, so `resolve` reads no target any more).
      if (t.kind === 'Goto') (t as { target: number }).target = newId[this.resolve(t.target)];
      // (a Branch whose arms meet stays a Branch: reading its condition may panic)
      else if (t.kind === 'Branch') {
        const jump = t as { then: number; else: number };
        jump.then = newId[this.resolve(t.then)];
        jump.else = newId[this.resolve(t.else)];
      }
      // (a fresh empty list: the result's lists are its own, to change)
      blocks.push({ kind: 'BasicBlock', span: t.span, id: newId[b], stmts: stmts === NO_STMTS ? [] : stmts as CfgStmt[], term: t });
    }
    const locals = this.locals.slice(0, this.nLocals);
    return { kind: 'FnDef', span: this.span, name, params, ret, locals, blocks, unsafe };
  }

  // finish's work arrays, one entry per block (reused for every function, grown as needed)
  /** where a jump to each block may go directly (-1: not known yet, -2: being resolved) */
  private forward = new Int32Array(0);
  private reachable = new Int32Array(0);
  private stack = new Int32Array(0);
  /** jumps into each block, and the block whose Goto is one of them (-1: none) */
  private incoming = new Int32Array(0);
  private gotoFrom = new Int32Array(0);
  /** each block's number in the result (-1: dropped or merged into its predecessor) */
  private newId = new Int32Array(0);

  private growScratch(n: number): void {
    const size = Math.max(n, 2 * this.forward.length, 64);
    this.forward = new Int32Array(size);
    this.reachable = new Int32Array(size);
    this.stack = new Int32Array(size);
    this.incoming = new Int32Array(size);
    this.gotoFrom = new Int32Array(size);
    this.newId = new Int32Array(size);
  }

  /** Where a jump to `b` may go directly: past blocks that only `Goto` elsewhere (memoized in `forward`). */
  private resolve(b: number): number {
    const forward = this.forward;
    let x = b;
    while (forward[x] === -1 && x !== 0) {
      const t = this.terms[x];
      if (this.stmts[x].length !== 0 || t === null || t.kind !== 'Goto') break;
      forward[x] = -2; // visiting: a cycle of empty blocks (`loop {}`) stops here
      x = t.target;
    }
    const end = forward[x] >= 0 ? forward[x] : x;
    // the blocks just visited (still -2, the walk's path) all lead to `end`
    for (let p = b; forward[p] === -2; p = (this.terms[p] as { target: number }).target) forward[p] = end;
    return end;
  }
}

/** The `k`-th block a terminator may jump to (k = 0, 1, ...), or -1 after the last. */
function successor(t: CfgTerm, k: number): number {
  if (t.kind === 'Goto') return k === 0 ? t.target : -1;
  if (t.kind === 'Branch') return k === 0 ? t.then : k === 1 ? t.else : -1;
  return -1;
}
