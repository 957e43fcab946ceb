// Lowers the body of one Lnoregions function into a FunctionBuilder: statements and control
// flow into blocks and jumps, expressions into flat operands (Const, Copy/Move of a place,
// FnRef) computed by rvalues into temporaries, and place expressions (`a.b[i].c`, `*p`)
// into nested Place nodes without copying their base.
//
// Evaluation order is left to right, as written. An operand that reads a place is read
// where the consuming statement runs, so when a later sibling may write memory
// (`x + f(*mut x)`) the read is first copied into a temporary (see effects.ts).
// An assignment evaluates its right side before the place it stores into (as Rust does).
//
// Unreachable code (after `return`, `break`, `continue`, a panic) is not lowered: once
// the current block is dead, the rest of the enclosing block's statements are skipped,
// and values of diverging expressions are never needed.
//
// Scheduled drops (spec §5.3; elaborate-drops later removes the ones that find nothing to
// drop and guards the uncertain ones with flags):
// - a variable or parameter whose type needs drop gets `Drop x` at every exit of its
//   scope, in reverse order of declaration (an exit action of the scope that declares it);
// - a compiler temporary whose type needs drop gets `Drop t` at every exit of the
//   statement that creates it (its home: the innermost `stmt` scope). Temporaries that are
//   moved into a destination are then uninitialized there, so those drops go away;
// - each statement and each `if`/`while` condition is a `stmt` scope, so temporaries die at
//   the end of their statement (a condition's on both of its edges). A block's tail is no
//   statement: its temporaries, like those of `??`'s right side or an `if` arm, are the
//   statement's around the block (a pointer into one may be the block's value), dropped
//   there only when they were made (elaborate-drops' flags). The tail of a function's,
//   loop's or region's body, whose value nobody reads, is a statement of its own;
// - a value that leaves a scope with exits is computed and its places read before they run;
//   a returned value is moved into a temporary nobody drops, so no exit drops it;
// - storing into a place that needs drop computes the new value, drops the old one, stores;
// - a temporary method receiver (`mk().get()`, bound to `__recv` by lower-methods) is a
//   temporary of the enclosing statement, like any other.

import type { Cat, Span } from '../../ir/lang.js';
import type { Lnoregions, NameRef, Node } from '../../ir/languages.js';
import { operandTy } from '../../ir/languages.js';
import { BUILTINS, isBuiltin } from '../../ir/builtins.js';
import { T, isSigned, ptr, tyEq, type Ty } from '../../ir/types.js';

import { InternalError, invariant } from '../pass.js';
import { EffectOracle } from './effects.js';
import {
  hasNoValue, type CfgOperand, type CfgPlace, type CfgRvalue, type FunctionBuilder, type LocalPlace,
} from './function-builder.js';

// (Invariants whose message names a value are `if (..) throw`, not `invariant(.., `..${x}`)`:
// that template would build its string on every call, on paths run once per node.)

type CoreD = typeof Lnoregions.decl;
export type CoreExpr = Cat<CoreD, 'Expr'>;
export type CoreStmt = Cat<CoreD, 'Stmt'>;
type N<K extends string> = Node<typeof Lnoregions, K>;

/** What lowering a function needs to know about the whole program. */
export interface ModuleInfo {
  /** class name -> its field names in declaration order */
  readonly classFields: ReadonlyMap<string, readonly string[]>;
  /** whether a value of a type needs drop (spec §5.3), given the program's classes */
  readonly needsDrop: (t: Ty) => boolean;
}

const use = (op: CfgOperand): CfgRvalue => ({ kind: 'Use', span: op.span, op });
const copy = (place: CfgPlace): CfgOperand => ({ kind: 'Copy', span: place.span, place });
const move = (place: CfgPlace): CfgOperand => ({ kind: 'Move', span: place.span, place });

/**
 * The binding lower-methods gives a temporary method receiver (`{ __recv := e; m(&__recv) }`):
 * a temporary of the statement around that block, not a variable of the block.
 */
const RECEIVER_TEMP = '__recv';

/** What lowerOperation answers for an expression that is not an operation. */
const NOT_AN_OPERATION = Symbol('not an operation');

export class FnLowering {
  private readonly effects = new EffectOracle();
  /** per block being lowered, the depth of the statement scope around it (the block's home) */
  private readonly blockHomes: number[] = [];

  /**
   * `renumber`: when set, every binding gets a fresh id (the static initializers share one
   * init function, but their bindings were numbered independently).
   */
  constructor(
    private readonly fb: FunctionBuilder,
    private readonly info: ModuleInfo,
    private readonly renumber: Map<number, number> | null = null,
  ) {}

  // ------------------------------------------------------------ locals
  private declare(id: number, name: string, ty: Ty, mut: boolean, span: Span): LocalPlace | null {
    let lid = id;
    if (this.renumber) { lid = this.fb.freshLocalId(); this.renumber.set(id, lid); }
    return this.fb.declareLocal(lid, name, ty, mut, span) ? { kind: 'LocalPlace', span, id: lid, ty } : null;
  }

  private localId(id: number, at: CoreExpr): number {
    if (!this.renumber) return id;
    const lid = this.renumber.get(id);
    if (lid === undefined) throw new InternalError(`local ${id} used before its declaration`, undefined, at);
    return lid;
  }

  declareParam(p: N<'Param'>): LocalPlace {
    const place = this.declare(p.id, p.name, p.ty, p.mut, p.span);
    if (place === null) throw new InternalError(`parameter ${p.name} has no value type`, undefined, p);
    return place;
  }

  // ------------------------------------------------------------ drops
  private needsDrop(t: Ty): boolean { return this.info.needsDrop(t); }

  /** Schedules `Drop x` at every exit of the scope at `depth` (the innermost by default), when x needs drop. */
  scheduleDrop(x: LocalPlace, depth = this.fb.scopeDepth - 1): void {
    if (this.needsDrop(x.ty)) this.fb.addExitAt(depth, x);
  }

  /**
   * A compiler temporary owned by the scope at `home` (by default the current statement),
   * which drops it on its way out unless it was moved. `home` null: nobody drops it (the
   * value of a `return`, which the Return itself consumes).
   */
  private temp(ty: Ty, span: Span, mut = false, home: number | null = this.fb.homeDepth()): LocalPlace {
    const t = this.fb.temp(ty, span, mut);
    if (home !== null) this.scheduleDrop(t, home);
    return t;
  }

  // ------------------------------------------------------------ statements
  /** Lowers statements in order, stopping where the code becomes unreachable. */
  lowerStmts(stmts: readonly CoreStmt[]): void {
    for (const s of stmts) {
      if (this.fb.isDead) return;
      this.lowerStmtInScope(s);
    }
  }

  /**
   * One statement in its own scope, which drops its temporaries when it ends. A `let`
   * variable's drop is scheduled after that, in the enclosing scope: it lives on.
   */
  private lowerStmtInScope(s: CoreStmt): void {
    const scope = this.fb.pushScope('stmt');
    const declared = this.lowerStmt(s);
    // (the same as popScope; the span, a megamorphic read, only when exits run)
    if (this.fb.hasExitsFrom(scope)) this.fb.popScope(scope, s.span);
    else this.fb.discardScope(scope);
    if (declared === null || this.fb.isDead) return;
    // (only a `let` declares)
    const receiverTemp = (s as N<'Let'>).name === RECEIVER_TEMP && this.blockHomes.length > 0;
    this.scheduleDrop(declared, receiverTemp ? this.blockHomes[this.blockHomes.length - 1] : undefined);
  }

  /** Lowers a statement; for a `let`, returns the variable it initialized. */
  private lowerStmt(s: CoreStmt): LocalPlace | null {
    switch (s.kind) {
      case 'Let': {
        const place = this.declare(s.id, s.name, s.ty, s.mut, s.span);
        if (place === null) this.discard(s.init);
        else this.assignTo(place, s.init, true);
        return place;
      }
      case 'Assign': this.lowerAssign(s); return null;
      case 'ExprStmt': this.discard(s.expr); return null;
      case 'While': this.lowerWhile(s); return null;
      case 'Loop': this.lowerLoop(s.body, s.span); return null;
      case 'Delete': {
        // `delete return x` (already an error): the target is evaluated, and there is nothing to delete
        if (hasNoValue(s.target.ty)) { this.discard(s.target); return null; }
        const place = this.lowerPlace(s.target);
        if (!this.fb.isDead) this.fb.emit({ kind: 'Delete', span: s.span, place });
        return null;
      }
      case 'Finally': this.lowerFinally(s); return null;
      default: throw new InternalError(`explicate-control: unexpected statement ${(s as CoreStmt).kind}`, undefined, s);
    }
  }

  /**
   * Stores the value of `e` into `place` (nothing when `e` diverges). `fresh`: the place is
   * the local a `let` declares, which `e` cannot read, so the arms of an `if` may store
   * into it directly.
   */
  assignTo(place: CfgPlace, e: CoreExpr, fresh = false): void {
    if (hasNoValue(e.ty)) { this.discard(e); return; }
    if (fresh && e.kind === 'If' && place.kind === 'LocalPlace') { this.lowerIf(e, place); return; }
    const rv = this.lowerRvalue(e);
    if (rv !== null && !this.fb.isDead) this.fb.emit({ kind: 'Assign', span: e.span, place, value: rv });
  }

  /**
   * `target = value`: the value is computed first, then the place. When computing the place
   * may write memory, or may panic (an index) after a value with side effects, the value is
   * first stored into a temporary so that order is visible to every backend. When the place
   * holds a value that needs drop, the new value is computed (into a temporary, since it may
   * read the old one), then the old value is dropped, then the new one stored (spec §5.3).
   */
  private lowerAssign(s: N<'Assign'>): void {
    if (hasNoValue(s.value.ty)) { this.discard(s.value); return; }
    let rv = this.lowerRvalue(s.value);
    if (rv === null || this.fb.isDead) return;
    const dropsOld = this.needsDrop(s.target.ty);
    const sideEffects = rv.kind === 'CallFn' || rv.kind === 'CallValue' || rv.kind === 'Builtin';
    const settled = rv.kind === 'Use' && (rv.op.kind === 'Move' || rv.op.kind === 'Const');
    if ((dropsOld && !settled) || this.effects.mayWrite(s.target) || (sideEffects && hasIndex(s.target))) {
      const now = rv.kind !== 'Use' ? this.materialize(rv, s.value.ty, s.value.span)! : rv.op.kind === 'Copy' ? this.spill(rv.op) : rv.op;
      rv = use(now);
    }
    const place = this.lowerPlace(s.target);
    if (this.fb.isDead) return;
    if (dropsOld) this.fb.emit({ kind: 'Drop', span: s.span, place: readOnly(place) });
    this.fb.emit({ kind: 'Assign', span: s.span, place, value: rv });
  }

  /**
   * Evaluates `e` for its effects only. A value is still kept in a temporary when producing
   * it did something (a call, an operation that may panic), so later passes can drop it.
   */
  private discard(e: CoreExpr): void {
    const rv = this.lowerOperation(e);
    if (rv !== NOT_AN_OPERATION) {
      if (rv === null || this.fb.isDead) return;
      // (a temporary holding the value is dropped when the statement ends)
      if (rv.kind !== 'Use') { this.store(rv, e.ty, e.span, this.fb.homeDepth()); return; }
      this.discardOperand(rv.op, e.span);
      return;
    }
    const op = this.lowerExpr(e);
    if (op !== null && !this.fb.isDead) this.discardOperand(op, e.span);
  }

  /** A read of an array or Vec element is bounds-checked: it happens even when unused. */
  private discardOperand(op: CfgOperand, span: Span): void {
    if ((op.kind === 'Copy' || op.kind === 'Move') && placeMayPanic(op.place)) {
      const t = this.temp(op.place.ty, span);
      this.fb.emit({ kind: 'Assign', span, place: t, value: use(op) });
    }
  }

  private lowerWhile(s: N<'While'>): void {
    if (s.cond.kind === 'BoolLit' && s.cond.value) return this.lowerLoop(s.body, s.span);
    const head = this.fb.newBlock(), body = this.fb.newBlock(), exit = this.fb.newBlock();
    this.fb.goto(head, s.span);
    this.fb.switchTo(head);
    this.lowerCondInScope(s.cond, body, exit);
    this.fb.switchTo(body);
    this.lowerLoopBody(s.body, exit, head, s.span);
    this.fb.switchTo(exit);
  }

  private lowerLoop(bodyBlock: N<'Block'>, span: Span): void {
    const head = this.fb.newBlock(), exit = this.fb.newBlock();
    this.fb.goto(head, span);
    this.fb.switchTo(head);
    this.lowerLoopBody(bodyBlock, exit, head, span);
    this.fb.switchTo(exit);
  }

  /** The body of a loop, in a loop scope; falling off its end jumps back to `head`. */
  private lowerLoopBody(body: N<'Block'>, exit: number, head: number, span: Span): void {
    const scope = this.fb.pushScope('loop', exit, head);
    this.lowerBody(body);
    this.fb.popScope(scope, span);
    if (!this.fb.isDead) this.fb.goto(head, span);
  }

  /**
   * `finally { body } then cleanup` (lower-regions): the body in a scope whose exit action
   * evaluates `cleanup`, so it runs on every way out of the body, after the body's own
   * values are dropped (they belong to the inner block scope).
   */
  private lowerFinally(s: N<'Finally'>): void {
    const { cleanup } = s;
    invariant(cleanup.kind === 'Builtin' && cleanup.args.every((a) => a.kind === 'Name' && (a.ref as NameRef).k === 'local'),
      'a Finally cleanup is a built-in call on locals (so lowering it at an exit needs no temporaries)', s);
    const scope = this.fb.pushScope('finally');
    this.fb.addExit((fb, span) => fb.emit({ kind: 'Eval', span, value: { ...this.lowerRvalue(cleanup)!, span } }));
    this.lowerBody(s.body);
    this.fb.popScope(scope, s.span);
  }

  // ------------------------------------------------------------ blocks and jumps
  /** A block expression in its own scope; its tail's operand (null without a value or when it diverges). */
  lowerBlock(b: N<'Block'>): CfgOperand | null {
    return this.inBlockScope(b, false) as CfgOperand | null;
  }

  /** A block with a value, as the rvalue of its tail (so `x := { ...; a + b }` needs no temporary). */
  private lowerBlockRvalue(b: N<'Block'>): CfgRvalue | null {
    return this.inBlockScope(b, true) as CfgRvalue | null;
  }

  /**
   * The body of a function: its tail, when the function returns a value, is returned (so its
   * value outlives every scope's drops); otherwise it is evaluated for its effects.
   */
  lowerFnBody(body: N<'Block'>, ret: Ty): void {
    const tail = body.tail;
    const returned = tail !== null && ret.k !== 'void' && !hasNoValue(tail.ty);
    this.lowerBody(body, returned ? { kind: 'Return', span: tail.span, value: tail, ty: T.never } : tail);
  }

  /**
   * The body of a function, loop or region, whose value nobody reads: its tail (or `tail`
   * instead) is one more statement, whose temporaries die with it (the statement around a
   * loop ends after every iteration).
   */
  private lowerBody(body: N<'Block'>, tail: CoreExpr | null = body.tail): void {
    const scope = this.fb.pushScope('block');
    this.lowerStmts(body.stmts);
    if (tail !== null && !this.fb.isDead) this.lowerStmtInScope({ kind: 'ExprStmt', span: tail.span, expr: tail });
    if (this.fb.hasExitsFrom(scope)) this.fb.popScope(scope, body.span);
    else this.fb.discardScope(scope);
  }

  /**
   * Lowers a block's statements and tail in a new scope. The tail is no statement: its
   * temporaries belong to `home`, the statement around the block, and live on until it ends
   * (spec §5.3: a pointer into one may be the block's value). When leaving the block's scope
   * runs exit actions (its variables' drops), the tail's value is first computed and its
   * places read, since the exits run before the value is used. `rvalue`: the tail's value
   * as an rvalue, else as an operand.
   */
  private inBlockScope(b: N<'Block'>, rvalue: boolean): CfgOperand | CfgRvalue | null {
    const home = this.fb.homeDepth();
    const scope = this.fb.pushScope('block');
    this.blockHomes.push(home);
    this.lowerStmts(b.stmts);
    this.blockHomes.pop();
    let r: CfgOperand | CfgRvalue | null = null;
    const tail = b.tail;
    if (tail !== null && !this.fb.isDead) {
      r = rvalue ? this.lowerRvalue(tail) : this.lowerExpr(tail);
      if (r !== null && this.fb.hasExitsFrom(scope) && !this.fb.isDead) {
        // (an operand is never a Use, an rvalue of a block's tail may be one; a Move is of a
        // temporary, which is `home`'s already)
        if (r.kind === 'Use') { if (r.op.kind === 'Copy') r = use(this.spill(r.op, home)); }
        else if (rvalue) r = use(this.materialize(r as CfgRvalue, b.ty, b.span, home)!);
        else if (r.kind === 'Copy') r = this.spill(r, home);
      }
    }
    if (this.fb.hasExitsFrom(scope)) this.fb.popScope(scope, b.span);
    else this.fb.discardScope(scope);
    return this.fb.isDead ? null : r;
  }

  private lowerReturn(e: N<'Return'>): null {
    let value: CfgOperand | null = null;
    if (e.value !== null) value = this.lowerExpr(e.value);
    if (this.fb.isDead) return null;
    // The value must survive the exits about to run: a place is read now, and a temporary
    // that needs drop moves into one nobody drops (the Return consumes it).
    if (value !== null && this.fb.hasExitsFrom(0) && (value.kind === 'Copy' || (value.kind === 'Move' && this.needsDrop(value.place.ty)))) {
      value = this.spill(value, null);
    }
    this.fb.runExits(0, e.span);
    this.fb.terminateAndContinueDead({ kind: 'Return', span: e.span, value });
    return null;
  }

  private lowerJump(e: N<'Break'> | N<'Continue'>): null {
    const loop = this.fb.innermostLoop();
    if (loop < 0) throw new InternalError(`${e.kind.toLowerCase()} outside a loop`, undefined, e);
    this.fb.runExits(loop + 1, e.span);
    const target = e.kind === 'Break' ? this.fb.breakTarget(loop) : this.fb.continueTarget(loop);
    this.fb.terminateAndContinueDead({ kind: 'Goto', span: e.span, target });
    return null;
  }

  /**
   * `lowerCond` in a scope of its own: the condition's temporaries are dropped on both of
   * its edges, before the branch it chose runs (or the loop it tests runs again).
   */
  private lowerCondInScope(e: CoreExpr, then: number, otherwise: number): void {
    const scope = this.fb.pushScope('stmt');
    // The edges' own blocks, where the condition's temporaries are dropped. Most conditions
    // have none: their jumps then go straight to `then` / `otherwise` and these blocks stay
    // unused. (They are numbered before the condition's blocks either way, so the blocks
    // that remain come out in the same order.)
    const onTrue = this.fb.newBlock(), onFalse = this.fb.newBlock();
    const start = this.fb.current, firstNew = this.fb.blockCount;
    this.lowerCond(e, then, otherwise);
    if (this.fb.hasExitsFrom(scope)) {
      this.fb.redirectJumps(start, firstNew, then, onTrue);
      this.fb.redirectJumps(start, firstNew, otherwise, onFalse);
      this.leaveCondEdge(onTrue, then, e.span);
      this.leaveCondEdge(onFalse, otherwise, e.span);
    }
    this.fb.discardScope(scope);
  }

  /** One edge out of a condition (block `from`, when reachable): its exits, then on to `to`. */
  private leaveCondEdge(from: number, to: number, span: Span): void {
    this.fb.switchTo(from);
    if (this.fb.isDead) return;
    this.fb.runExits(this.fb.scopeDepth - 1, span);
    this.fb.goto(to, span);
  }

  /** Jumps to `then` when the boolean `e` is true, else to `otherwise` (&&, || and ! become jumps). */
  lowerCond(e: CoreExpr, then: number, otherwise: number): void {
    if (e.kind === 'Binary' && (e.op === '&&' || e.op === '||')) {
      const mid = this.fb.newBlock();
      if (e.op === '&&') this.lowerCond(e.left, mid, otherwise);
      else this.lowerCond(e.left, then, mid);
      this.fb.switchTo(mid);
      this.lowerCond(e.right, then, otherwise);
      return;
    }
    if (e.kind === 'Unary' && e.op === '!') return this.lowerCond(e.operand, otherwise, then);
    if (e.kind === 'BoolLit') return this.fb.goto(e.value ? then : otherwise, e.span);
    const op = this.operand(e);
    this.fb.branch(op, then, otherwise, e.span);
  }

  /**
   * `if` as an expression: each arm that does not diverge stores its value in one result
   * local, `into` when given (a fresh `let` local), else a new temporary.
   */
  private lowerIf(e: N<'If'>, into: LocalPlace | null = null): CfgOperand | null {
    const result = hasNoValue(e.ty) ? null : into ?? this.temp(e.ty, e.span, true);
    const thenB = this.fb.newBlock();
    const elseB = e.else !== null ? this.fb.newBlock() : -1;
    const join = this.fb.newBlock();
    this.lowerCondInScope(e.cond, thenB, elseB === -1 ? join : elseB);
    this.lowerArm(thenB, e.then, result, join);
    if (e.else !== null) this.lowerArm(elseB, e.else, result, join);
    this.fb.switchTo(join);
    return result === null || into !== null || this.fb.isDead ? null : move(result);
  }

  /** One arm of an `if`, in `block`: its value stored into `result` (if any), then on to `join`. */
  private lowerArm(block: number, body: CoreExpr, result: LocalPlace | null, join: number): void {
    this.fb.switchTo(block);
    if (result !== null) this.assignTo(result, body, true);
    else this.discard(body);
    if (!this.fb.isDead) this.fb.goto(join, body.span);
  }

  /** `a && b` / `a || b` as a value: the right side runs only when it decides the result. */
  private lowerShortCircuit(e: N<'Binary'>): CfgOperand | null {
    const result = this.fb.temp(T.bool, e.span, true);
    const left = this.operand(e.left);
    if (this.fb.isDead) return null;
    this.fb.emit({ kind: 'Assign', span: e.left.span, place: result, value: use(left) });
    const rhs = this.fb.newBlock(), join = this.fb.newBlock();
    const test = copy(result);
    if (e.op === '&&') this.fb.branch(test, rhs, join, e.span);
    else this.fb.branch(test, join, rhs, e.span);
    this.fb.switchTo(rhs);
    const right = this.operand(e.right);
    if (!this.fb.isDead) {
      this.fb.emit({ kind: 'Assign', span: e.right.span, place: result, value: use(right) });
      this.fb.goto(join, e.span);
    }
    this.fb.switchTo(join);
    return move(result);
  }

  // ------------------------------------------------------------ expressions
  /**
   * The operand holding the value of `e`, or null when it has none (void, or it diverged).
   * Effects are emitted into the current block.
   */
  lowerExpr(e: CoreExpr): CfgOperand | null {
    // (Nodes of one kind come in several hidden classes, so each read of a node's field is a
    // megamorphic lookup: each field is read once. `never` values end the block, see `diverged`.)
    switch (e.kind) {
      case 'Name': {
        const ty = e.ty, ref = e.ref as NameRef;
        let op: CfgOperand | null;
        switch (ref.k) {
          case 'local': op = hasNoValue(ty) ? null : copy({ kind: 'LocalPlace', span: e.span, id: this.localId(ref.id, e), ty }); break;
          case 'global': op = copy({ kind: 'GlobalPlace', span: e.span, name: ref.name, ty }); break;
          case 'fn': case 'extern': op = { kind: 'FnRef', span: e.span, name: ref.name, ty }; break;
          default: throw new InternalError(`explicate-control: name ${e.name} refers to a ${ref.k}`, undefined, e);
        }
        return ty.k === 'never' ? this.diverged(op, e.span) : op;
      }
      // (a literal's type is never `never`)
      case 'IntLit': return { kind: 'Const', span: e.span, value: e.value, ty: e.ty };
      case 'FloatLit': return { kind: 'Const', span: e.span, value: e.value, ty: e.ty };
      case 'StrLit': return { kind: 'Const', span: e.span, value: e.value, ty: e.ty };
      case 'BoolLit': return { kind: 'Const', span: e.span, value: e.value, ty: e.ty };
      case 'Binary': {
        const op = e.op;
        // (a bool)
        if (op === '&&' || op === '||') return this.lowerShortCircuit(e);
        return this.operationValue(this.binOp(e, op), e);
      }
      case 'Field': case 'Index': case 'Deref': case 'OptPayload': {
        const place = this.lowerPlace(e);
        return this.orDiverged(e, this.fb.isDead ? null : copy(place));
      }
      case 'If': return this.orDiverged(e, this.lowerIf(e));
      case 'Block': return this.orDiverged(e, this.lowerBlock(e));
      // (these always leave the current block dead)
      case 'Return': return this.lowerReturn(e);
      case 'Break': case 'Continue': return this.lowerJump(e);
      default: {
        const rv = this.lowerOperation(e);
        if (rv === NOT_AN_OPERATION) throw new InternalError(`explicate-control: unexpected expression ${e.kind}`, undefined, e);
        return this.operationValue(rv, e);
      }
    }
  }

  /** The value of operation `e` (its rvalue `rv`, null when it diverged), in a temporary. */
  private operationValue(rv: CfgRvalue | null, e: CoreExpr): CfgOperand | null {
    const ty = e.ty, span = e.span;
    const op = rv === null || this.fb.isDead ? null : this.materialize(rv, ty, span);
    return ty.k === 'never' ? this.diverged(op, span) : op;
  }

  /** `op`, the value of `e`; when `e` has type `never`, the code after it is unreachable. */
  private orDiverged(e: CoreExpr, op: CfgOperand | null): CfgOperand | null {
    return e.ty.k === 'never' ? this.diverged(op, e.span) : op;
  }

  /** After a value of type `never`: nothing follows (the block ends, if it has not). */
  private diverged(op: CfgOperand | null, span: Span): CfgOperand | null {
    if (!this.fb.isDead) this.fb.terminateAndContinueDead({ kind: 'Unreachable', span });
    return op;
  }

  /** The operand of an expression whose value is needed (a placeholder only in unreachable code). */
  operand(e: CoreExpr): CfgOperand {
    const op = this.lowerExpr(e);
    if (op !== null) return op;
    invariant(this.fb.isDead, `a value of type void is used`, e);
    return { kind: 'Const', span: e.span, value: 0, ty: e.ty };
  }

  /**
   * Operands of several expressions evaluated left to right. A place read is kept for the
   * consumer only when no later operand may write memory; otherwise it is copied now.
   */
  private operands(es: readonly CoreExpr[]): CfgOperand[] {
    const n = es.length;
    // the operands before the last one that may write are read now
    let lastWriter = 0;
    for (let i = n - 1; i > 0; i--) if (this.effects.mayWrite(es[i])) { lastWriter = i; break; }
    const ops: CfgOperand[] = new Array(n);
    for (let i = 0; i < n; i++) ops[i] = this.operandBefore(es[i], i < lastWriter);
    return ops;
  }

  /** The operand of `e`, read now (into a temporary) when `laterWrites`: a later operand may write memory. */
  private operandBefore(e: CoreExpr, laterWrites: boolean): CfgOperand {
    const op = this.operand(e);
    return laterWrites && op.kind === 'Copy' && !this.fb.isDead ? this.spill(op) : op;
  }

  /** An rvalue's value as an operand: a temporary read once (Move), or nothing for void/never. */
  private materialize(rv: CfgRvalue, ty: Ty, span: Span, home: number | null = this.fb.homeDepth()): CfgOperand | null {
    if (rv.kind === 'Use') return rv.op;
    const t = this.store(rv, ty, span, home);
    return t === null ? null : move(t);
  }

  /** Evaluates an operation (not a `Use`) into a new temporary (none for void/never). */
  private store(rv: CfgRvalue, ty: Ty, span: Span, home: number | null): LocalPlace | null {
    if (hasNoValue(ty)) {
      this.fb.emit({ kind: 'Eval', span, value: rv });
      if (ty.k === 'never' || (rv.kind === 'Builtin' && isBuiltin(rv.op) && 'diverges' in BUILTINS[rv.op])) {
        this.fb.terminateAndContinueDead({ kind: 'Unreachable', span });
      }
      return null;
    }
    const t = this.temp(ty, span, false, home);
    this.fb.emit({ kind: 'Assign', span, place: t, value: rv });
    return t;
  }

  /** Reads an operand now, into a temporary (owned by `home`). */
  private spill(op: CfgOperand, home: number | null = this.fb.homeDepth()): CfgOperand {
    const t = this.temp(operandTy(op), op.span, false, home);
    this.fb.emit({ kind: 'Assign', span: op.span, place: t, value: use(op) });
    return move(t);
  }

  /**
   * The rvalue computing `e` (its sub-expressions' effects emitted first), or null when it
   * diverged. Expressions that are not operations become `Use` of their operand.
   */
  lowerRvalue(e: CoreExpr): CfgRvalue | null {
    const rv = this.lowerRvalueInner(e);
    return this.fb.isDead ? null : rv;
  }

  private lowerRvalueInner(e: CoreExpr): CfgRvalue | null {
    const rv = this.lowerOperation(e);
    if (rv !== NOT_AN_OPERATION) return rv;
    if (e.kind === 'Block' && !hasNoValue(e.ty)) return this.lowerBlockRvalue(e);
    const op = this.lowerExpr(e);
    return op === null ? null : use(op);
  }

  /**
   * The rvalue of an operation (`a + b`, a call, a literal aggregate, ...), as lowerRvalue
   * but before its dead-block test, or NOT_AN_OPERATION for any other expression: one
   * dispatch on the kind serves both the question and the answer.
   */
  private lowerOperation(e: CoreExpr): CfgRvalue | null | typeof NOT_AN_OPERATION {
    switch (e.kind) {
      case 'Unary': {
        const span = e.span;
        const lit = e.operand;
        if (e.op === '-' && lit.kind === 'IntLit' && lit.ty.k === 'int' && isSigned(lit.ty)) {
          return use({ kind: 'Const', span, value: negateDecimal(lit.value), ty: e.ty });
        }
        if (e.op === '-' && lit.kind === 'FloatLit') return use({ kind: 'Const', span, value: -lit.value, ty: e.ty });
        return { kind: 'UnOp', span, op: e.op, operand: this.operand(e.operand), ty: e.ty };
      }
      case 'Binary': {
        const op = e.op;
        return op === '&&' || op === '||' ? NOT_AN_OPERATION : this.binOp(e, op);
      }
      case 'Cast': {
        const op = this.operand(e.expr);
        return tyEq(e.expr.ty, e.ty) ? use(op) : { kind: 'CastOp', span: e.span, op, ty: e.ty };
      }
      case 'Call': {
        const callee = e.callee;
        const ref = callee.kind === 'Name' ? callee.ref as NameRef : null;
        if (ref !== null && (ref.k === 'fn' || ref.k === 'extern')) {
          return { kind: 'CallFn', span: e.span, fn: ref.name, args: this.operands(e.args), ty: e.ty };
        }
        const [fn, ...args] = this.operands([callee, ...e.args]);
        return { kind: 'CallValue', span: e.span, callee: fn, args, ty: e.ty };
      }
      case 'StructLit': {
        const span = e.span;
        const order = this.info.classFields.get(e.className);
        if (order === undefined) throw new InternalError(`unknown class ${e.className}`, undefined, e);
        if (order.length !== e.fields.length) throw new InternalError(`struct literal of ${e.className} does not give every field`, undefined, e);
        // evaluated in source order, stored in declaration order
        const fields = e.fields;
        const exprs: CoreExpr[] = new Array(fields.length);
        for (let i = 0; i < fields.length; i++) exprs[i] = fields[i].value;
        const values = this.operands(exprs);
        const ops: CfgOperand[] = new Array(order.length);
        for (let j = 0; j < order.length; j++) {
          // (the last initializer of a name, as a name -> value map would keep)
          let i = fields.length - 1;
          while (i >= 0 && fields[i].name !== order[j]) i--;
          if (i < 0) throw new InternalError(`struct literal of ${e.className} lacks field ${order[j]}`, undefined, e);
          ops[j] = values[i];
        }
        return { kind: 'Aggregate', span, ops, ty: e.ty };
      }
      case 'ArrayLit': return { kind: 'Aggregate', span: e.span, ops: this.operands(e.elems), ty: e.ty };
      case 'ArrayRepeat': return { kind: 'Repeat', span: e.span, op: this.operand(e.value), count: e.count, ty: e.ty };
      case 'OptSome': return { kind: 'MakeSome', span: e.span, op: this.operand(e.value), ty: e.ty };
      case 'OptNone': return { kind: 'MakeNone', span: e.span, ty: e.ty };
      case 'OptIsSome': return { kind: 'IsSome', span: e.span, op: this.operand(e.value), ty: e.ty };
      case 'AddrOf': return { kind: 'Ref', span: e.span, place: this.lowerPlace(e.place), mut: e.mut, ty: e.ty };
      // a lambda after closure conversion (desugar-lambdas): its function and environment pointer
      case 'Closure': return { kind: 'Closure', span: e.span, fn: e.fn, env: this.operand(e.env), ty: e.ty };
      case 'Builtin': {
        if (!isBuiltin(e.op)) throw new InternalError(`unknown builtin ${e.op}`, undefined, e);
        if (e.op === 'option.unwrap') return this.lowerUnwrap(e);
        return { kind: 'Builtin', span: e.span, op: e.op, args: this.operands(e.args), ty: e.ty };
      }
      default: return NOT_AN_OPERATION;
    }
  }

  /** `a op b`, not short-circuiting: `operands` of the two, without the arrays. */
  private binOp(e: N<'Binary'>, op: N<'Binary'>['op']): CfgRvalue {
    const right = e.right;
    const left = this.operandBefore(e.left, this.effects.mayWrite(right));
    return { kind: 'BinOp', span: e.span, op, left, right: this.operand(right), ty: e.ty };
  }

  /**
   * `o.unwrap()` is a test and a read of the payload place, not a built-in that copies it:
   * when `o` is a temporary (or a variable at its last use) the payload is then moved out
   * (elaborate-drops), so a value that must not be copied (E0050) can be unwrapped.
   */
  private lowerUnwrap(e: N<'Builtin'>): CfgRvalue | null {
    const recv = e.args[0];
    const place: CfgPlace = recv.kind === 'AddrOf'
      ? this.lowerPlace(recv.place)
      : { kind: 'DerefPlace', span: recv.span, ptr: this.operand(recv), ty: (recv.ty as { to: Ty }).to };
    if (this.fb.isDead) return null;
    const present = this.materialize({ kind: 'IsSome', span: e.span, op: copy(readOnly(place)), ty: T.bool }, T.bool, e.span)!;
    const ok = this.fb.newBlock(), fail = this.fb.newBlock();
    this.fb.branch(present, ok, fail, e.span);
    this.fb.switchTo(fail);
    this.fb.emit({ kind: 'Eval', span: e.span, value: { kind: 'Builtin', span: e.span, op: 'panic', args: [{ kind: 'Const', span: e.span, value: 'unwrap of None', ty: T.str }], ty: T.never } });
    this.fb.terminate({ kind: 'Unreachable', span: e.span });
    this.fb.switchTo(ok);
    return use(copy({ kind: 'PayloadPlace', span: e.span, base: place, ty: e.ty }));
  }

  // ------------------------------------------------------------ places
  /**
   * The place an lvalue-like expression denotes, its index operands evaluated now. Any
   * other expression is evaluated into a temporary, which is the place.
   */
  lowerPlace(e: CoreExpr): CfgPlace {
    const span = e.span;
    switch (e.kind) {
      case 'Name': {
        const ref = e.ref as NameRef;
        if (ref.k === 'local') return { kind: 'LocalPlace', span, id: this.localId(ref.id, e), ty: e.ty };
        if (ref.k === 'global') return { kind: 'GlobalPlace', span, name: ref.name, ty: e.ty };
        break;
      }
      case 'Field': return { kind: 'FieldPlace', span, base: this.lowerPlace(e.object), field: e.name, ty: e.ty };
      case 'Index': {
        let base = this.lowerPlace(e.object);
        // the base's own operands (`p` in `(*p)[i]`) are read before the index runs
        if (this.effects.mayWrite(e.index)) base = this.freeze(base);
        return { kind: 'IndexPlace', span, base, index: this.operand(e.index), ty: e.ty };
      }
      case 'Deref': return { kind: 'DerefPlace', span, ptr: this.operand(e.ptr), ty: e.ty };
      case 'OptPayload': return { kind: 'PayloadPlace', span, base: this.lowerPlace(e.value), ty: e.ty };
      default: break;
    }
    const t = this.temp(e.ty, span);
    this.assignTo(t, e);
    return t;
  }

  /** The same place with every operand inside it read now (into temporaries). */
  private freeze(p: CfgPlace): CfgPlace {
    if (this.fb.isDead) return p;
    switch (p.kind) {
      case 'LocalPlace': case 'GlobalPlace': return p;
      case 'FieldPlace': return { ...p, base: this.freeze(p.base) };
      case 'PayloadPlace': return { ...p, base: this.freeze(p.base) };
      case 'IndexPlace': {
        const base = this.freeze(p.base);
        return { ...p, base, index: p.index.kind === 'Copy' ? this.spill(p.index) : p.index };
      }
      case 'DerefPlace': {
        if (p.ptr.kind !== 'Copy') return p;
        // a Box is not copied to fix where its content is: that address is taken instead
        if (operandTy(p.ptr).k !== 'box') return { ...p, ptr: this.spill(p.ptr) };
        const at = this.fb.temp(ptr(p.ty, true), p.span);
        this.fb.emit({ kind: 'Assign', span: p.span, place: at, value: { kind: 'Ref', span: p.span, place: p, mut: true, ty: at.ty } });
        return { ...p, ptr: move(at) };
      }
    }
  }
}

/** A place to use once more (a drop before a store into it): its temporaries are read, not consumed. */
function readOnly(p: CfgPlace): CfgPlace {
  const op = (o: CfgOperand): CfgOperand => (o.kind === 'Move' ? { ...o, kind: 'Copy' } : o);
  switch (p.kind) {
    case 'LocalPlace': case 'GlobalPlace': return p;
    case 'FieldPlace': case 'PayloadPlace': return { ...p, base: readOnly(p.base) };
    case 'IndexPlace': return { ...p, base: readOnly(p.base), index: op(p.index) };
    case 'DerefPlace': return { ...p, ptr: op(p.ptr) };
  }
}

function hasIndex(e: CoreExpr): boolean {
  switch (e.kind) {
    case 'Index': return true;
    case 'Field': return hasIndex(e.object);
    case 'OptPayload': return hasIndex(e.value);
    default: return false;
  }
}

/** Reading this place may panic (it indexes an array or Vec: bounds check). */
function placeMayPanic(p: CfgPlace): boolean {
  switch (p.kind) {
    case 'IndexPlace': return true;
    case 'FieldPlace': case 'PayloadPlace': return placeMayPanic(p.base);
    default: return false;
  }
}

/** `-v` of a decimal literal, as a decimal string. */
function negateDecimal(v: string): string {
  if (v.startsWith('-')) return v.slice(1);
  return /^0+$/.test(v) ? '0' : `-${v}`;
}
