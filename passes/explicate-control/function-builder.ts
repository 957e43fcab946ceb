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

import type { Cat, Span } from '../../ir/lang.js';
import type { Lcfg, Node } from '../../ir/languages.js';
import { showTy, type Ty } from '../../ir/types.js';
import { invariant } from '../pass.js';

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

/** Types that never give a local: `void` (no value) and `never` (no value, ever). */
export const hasNoValue = (t: Ty): boolean => t.k === 'void' || t.k === 'never';

/** Emits the code to run when control leaves a scope (into the builder's current block). */
export type ExitAction = (fb: FunctionBuilder, span: Span) => void;

export interface Scope {
  /** `stmt`: one statement (or a block's tail, or a condition), home of its temporaries */
  readonly kind: 'fn' | 'block' | 'loop' | 'finally' | 'stmt';
  /** for loops: where `break` and `continue` go (-1 for other scopes) */
  readonly breakTarget: number;
  readonly continueTarget: number;
  /** run innermost-last-added first when control leaves the scope, on every path */
  readonly exits: ExitAction[];
}

export class FunctionBuilder {
  private readonly stmts: CfgStmt[][] = [];
  private readonly terms: (CfgTerm | null)[] = [];
  /** how many terminators emitted so far jump to each block */
  private readonly preds: number[] = [];
  private readonly locals: LocalDef[] = [];
  private readonly declared = new Set<number>();
  private readonly scopes: Scope[] = [];
  private cur = 0;

  constructor(readonly span: Span, private readonly freshId: () => number) {
    this.newBlock();
  }

  // ------------------------------------------------------------ blocks
  newBlock(): number {
    this.stmts.push([]);
    this.terms.push(null);
    this.preds.push(0);
    return this.stmts.length - 1;
  }

  /** Continues emitting into block `b` (which must still be open). */
  switchTo(b: number): void {
    invariant(this.terms[b] === null, `block ${b} is already terminated`);
    this.cur = b;
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
    invariant(this.terms[this.cur] === null, `emitting into terminated block ${this.cur}`);
    this.stmts[this.cur].push(s);
  }

  /** Ends the current block; the caller must `switchTo` another before emitting. */
  terminate(t: CfgTerm): void {
    invariant(this.terms[this.cur] === null, `block ${this.cur} terminated twice`);
    this.terms[this.cur] = t;
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

  // ------------------------------------------------------------ locals
  /** Declares a user local (parameter, `let`, region handle); false for void/never ones, which get none. */
  declareLocal(id: number, name: string, ty: Ty, mut: boolean, span: Span): boolean {
    if (hasNoValue(ty)) return false;
    invariant(!this.declared.has(id), `local ${id} (${name}) declared twice`);
    this.declared.add(id);
    this.locals.push({ kind: 'LocalDef', span, id, name, ty, mut });
    return true;
  }

  /** A fresh compiler temporary `_tN` of type `ty`. */
  temp(ty: Ty, span: Span, mut = false): LocalPlace {
    invariant(!hasNoValue(ty), `a temporary of type ${showTy(ty)}`);
    const id = this.freshId();
    this.declared.add(id);
    this.locals.push({ kind: 'LocalDef', span, id, name: `_t${id}`, ty, mut });
    return { kind: 'LocalPlace', span, id, ty };
  }

  freshLocalId(): number { return this.freshId(); }

  // ------------------------------------------------------------ scopes
  pushScope(kind: Scope['kind'], breakTarget = -1, continueTarget = -1): Scope {
    const s: Scope = { kind, breakTarget, continueTarget, exits: [] };
    this.scopes.push(s);
    return s;
  }

  /** Leaves the innermost scope (which must be `s`), running its exits if control falls off its end. */
  popScope(s: Scope, span: Span): void {
    invariant(this.scopes[this.scopes.length - 1] === s, 'scopes popped out of order');
    if (!this.isDead) this.runExits(this.scopes.length - 1, span);
    this.scopes.pop();
  }

  /** Adds an action to run whenever control leaves the innermost scope. */
  addExit(action: ExitAction): void {
    this.scopes[this.scopes.length - 1].exits.push(action);
  }

  /** Adds an exit action to the scope at depth `i` (0 = outermost). */
  addExitAt(i: number, action: ExitAction): void {
    invariant(i >= 0 && i < this.scopes.length, `no scope at depth ${i}`);
    this.scopes[i].exits.push(action);
  }

  /**
   * Depth of the scope that owns the temporaries created now: the innermost `stmt` scope,
   * else the outermost scope (a static initializer has no statements).
   */
  homeDepth(): number {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i].kind === 'stmt') return i;
    return 0;
  }

  /** Leaves the innermost scope (which must be `s`) without running its exits: the caller ran them on every edge. */
  discardScope(s: Scope): void {
    invariant(this.scopes[this.scopes.length - 1] === s, 'scopes popped out of order');
    this.scopes.pop();
  }

  get scopeDepth(): number { return this.scopes.length; }

  /** Index of the innermost loop scope (for `break` / `continue`), or -1. */
  innermostLoop(): number {
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i].kind === 'loop') return i;
    return -1;
  }

  scopeAt(i: number): Scope { return this.scopes[i]; }

  /** True when leaving every scope down to depth `floor` runs some action. */
  hasExitsFrom(floor: number): boolean {
    for (let i = this.scopes.length - 1; i >= floor; i--) if (this.scopes[i].exits.length > 0) return true;
    return false;
  }

  /** Emits the exit actions of scopes `floor..top`, innermost scope first, each scope's last-added first. */
  runExits(floor: number, span: Span): void {
    for (let i = this.scopes.length - 1; i >= floor; i--) {
      const exits = this.scopes[i].exits;
      for (let j = exits.length - 1; j >= 0; j--) exits[j](this, span);
    }
  }

  // ------------------------------------------------------------ result
  /**
   * The finished function: only blocks reachable from the entry, jumps through empty
   * `Goto` blocks short-circuited, a block reached only by a `Goto` merged into its
   * predecessor, renumbered densely in creation order.
   */
  finish(name: string, params: readonly number[], ret: Ty, unsafe: boolean): FnDef {
    const n = this.stmts.length;
    // Where a jump to `b` may go directly: past blocks that only `Goto` elsewhere.
    const forward = new Int32Array(n).fill(-1);
    const resolve = (b: number): number => {
      let x = b;
      const path: number[] = [];
      while (forward[x] === -1 && x !== 0) {
        const t = this.terms[x];
        if (this.stmts[x].length !== 0 || t === null || t.kind !== 'Goto') break;
        forward[x] = -2; // visiting: a cycle of empty blocks (`loop {}`) stops here
        path.push(x);
        x = t.target;
      }
      const end = forward[x] >= 0 ? forward[x] : x;
      for (const p of path) forward[p] = end;
      return end;
    };

    const reachable = new Uint8Array(n);
    const stack = [0];
    reachable[0] = 1;
    while (stack.length > 0) {
      const b = stack.pop()!;
      const t = this.terms[b];
      invariant(t !== null, `reachable block ${b} has no terminator`);
      const visit = (s: number) => { const r = resolve(s); if (!reachable[r]) { reachable[r] = 1; stack.push(r); } };
      if (t.kind === 'Goto') visit(t.target);
      else if (t.kind === 'Branch') { visit(t.then); visit(t.else); }
    }
    // A block whose only predecessor jumps to it unconditionally continues that block.
    const incoming = new Int32Array(n);
    const gotoFrom = new Int32Array(n).fill(-1);
    for (let b = 0; b < n; b++) {
      if (!reachable[b]) continue;
      const t = this.terms[b]!;
      if (t.kind === 'Goto') { const s = resolve(t.target); incoming[s]++; gotoFrom[s] = b; }
      else if (t.kind === 'Branch') { incoming[resolve(t.then)]++; incoming[resolve(t.else)]++; }
    }
    const absorbed = (b: number) => b !== 0 && incoming[b] === 1 && gotoFrom[b] !== -1 && gotoFrom[b] !== b;
    const newId = new Int32Array(n).fill(-1);
    let next = 0;
    for (let b = 0; b < n; b++) if (reachable[b] && !absorbed(b)) newId[b] = next++;
    const blocks: BasicBlock[] = [];
    for (let b = 0; b < n; b++) {
      if (newId[b] === -1) continue;
      let stmts = this.stmts[b];
      let t = this.terms[b]!;
      while (t.kind === 'Goto' && absorbed(resolve(t.target))) {
        const s = resolve(t.target);
        if (stmts === this.stmts[b]) stmts = stmts.slice();
        for (const x of this.stmts[s]) stmts.push(x);
        t = this.terms[s]!;
      }
      const to = (x: number) => newId[resolve(x)];
      let term: CfgTerm = t;
      if (t.kind === 'Goto') term = { ...t, target: to(t.target) };
      // (a Branch whose arms meet stays a Branch: reading its condition may panic)
      else if (t.kind === 'Branch') term = { ...t, then: to(t.then), else: to(t.else) };
      blocks.push({ kind: 'BasicBlock', span: term.span, id: newId[b], stmts, term });
    }
    return { kind: 'FnDef', span: this.span, name, params, ret, locals: this.locals, blocks, unsafe };
  }
}
