// elaborate-drops: turns the drops explicate-control scheduled into the drops that run
// (Lcfg → Lcfg), so that every value that needs drop is dropped exactly once on every path
// (spec §5.1, §5.3, §5.4).
//
// Why: explicate-control schedules drops by scope, where it cannot know what the code will
// have done to the value by then: it may have been moved out (a temporary consumed by a
// call, a variable at its last use), deleted (`delete x`, on some paths only), or never
// assigned (a `return` before the `let`). This pass decides per drop, on the control-flow
// graph, and also makes the language's copies cheap where nobody can tell.
//
// The design, end to end:
// 1. explicate-control schedules `Drop x` at every exit of the scope of each variable,
//    parameter (the callee owns its arguments) and temporary whose type needs drop
//    (ir/needs-drop.ts): falling off the end, `return` (after its value is computed),
//    `break`, `continue`, the `return` inside `??`; in reverse order of declaration, inner
//    scopes first (so values declared in a region's block are dropped before it is freed).
//    A temporary's scope is its statement (a temporary method receiver's too); a
//    condition's temporaries die on both of its edges; a value leaving a scope (a block's
//    tail, a returned value) is first moved into a temporary of the receiving scope.
//    Storing into a place that needs drop is `t = new; Drop place; place = move t`.
//    `o.unwrap()` is a test and a read of the payload place (so it can move out of a
//    temporary). `panic`/`exit` run no drops. The user's `delete x` is a `Delete x`
//    statement. The checks of the final IR (use after delete, loans, ...) run on that form.
// 2. This pass, per function:
//    (0) Borrowed temporaries: a `Move t` of a temporary that needs drop where the value is
//        only read (an operand of a comparison, `IsSome`, a cast, a borrowed built-in
//        argument, an operand inside a place) becomes `Copy t`: t keeps its value and its
//        scheduled drop at the end of the statement drops it. After this, a Move of a value
//        that needs drop always hands it to a new owner (stored, passed, returned), so no
//        backend has to drop a consumed operand itself.
//    (a) Copy → Move: a `Copy x` of a whole local x (or of the payload of an Option local,
//        which is all such a local owns) whose type needs drop, in a position that takes
//        ownership, becomes `Move x` when x is read nowhere else in the statement, is not
//        live afterwards (liveness, where x's own whole-value drops do not count as uses:
//        they are what the move replaces) and no pointer that may point into x or its heap
//        memory may still be used. Pointers are tracked conservatively, flow-insensitively:
//        a local holding a `Ref` of a place in x, or a value computed from such a local
//        (copies, fields, call results), may point into x, and x is not moved while any of
//        them is live; when such a pointer may be stored where locals cannot see it (through
//        a pointer, into a global, or by a call that also gets a pointer it may store
//        through), x is never moved. Copies of temporaries are already moves.
//    (b) Drop elaboration: a forward dataflow computes, before each statement, which
//        tracked locals (those whose type needs drop) may be initialized and which may be
//        uninitialized. A local starts uninitialized (parameters initialized), becomes
//        initialized when assigned whole, and uninitialized when moved out, dropped or
//        deleted. A `Drop x` of a local is kept where x is surely initialized, removed where
//        it surely is not, and otherwise guarded by a drop flag: a fresh bool local set at
//        the entry, true after each assignment of x, false after each move, drop or delete;
//        the drop becomes `branch flag ? {Drop x; flag = false} : {}`. A `Delete` becomes a
//        `Drop` of its place (uninitializing a local). Drops of parts of a value (stores
//        into a field, an element, through a pointer) are kept: the value around them is
//        initialized wherever it is used. Drops of types that need no drop are removed.
//    (c) So after this pass no Delete remains, and every value is dropped once on every
//        path that does not panic or exit, and never used after its drop.
// 3. check-drop-copies (E0050) then reports the copies of values holding a Drop class
//    that (a) could not turn into moves.
//
// Not handled: a partial `delete x.f` (or of an element, or of a Box's content) drops that
// part now, and x's scheduled drop drops it again (the per-part state of Rust's drop
// elaboration is not tracked); `t.join()` returns a copy of the thread's result (a Drop
// class in it would be dropped twice; check-drop-copies does not see that copy).

import { Lcfg, operandTy, rvalueTy, type Node } from '../ir/languages.js';
import {
  liveness, LocalIndex, LocalSet, placeRoot, reversePostorder, rvalueOperands, solveDataflow,
  stmtUsesDefs, termUses, type BasicBlock, type FnDef, type Operand, type Place, type Rvalue, type Stmt, type Term,
} from '../ir/cfg.js';
import { BUILTINS, isBuiltin } from '../ir/builtins.js';
import { classTable, needsDrop, type ClassTable } from '../ir/needs-drop.js';
import { T, type Ty } from '../ir/types.js';
import { definePass, invariant } from './pass.js';

type Module = Node<typeof Lcfg, 'Module'>;
type LocalDef = Node<typeof Lcfg, 'LocalDef'>;

// ---------------------------------------------------------------- operand positions

/** True when built-in `op` takes ownership of its argument `i` (a `T` moved in, ir/builtins.ts). */
function builtinConsumes(op: string, i: number): boolean {
  return isBuiltin(op) && (BUILTINS[op].args as readonly string[])[i] === 'T';
}

/** Rewrites an operand, knowing whether its position takes ownership of the value (`consumed`). */
export type OperandMap = (op: Operand, consumed: boolean) => Operand;

/** The operands inside a place (pointers, indices) are only read. */
function mapPlace(p: Place, f: OperandMap): Place {
  switch (p.kind) {
    case 'LocalPlace': case 'GlobalPlace': return p;
    case 'FieldPlace': case 'PayloadPlace': {
      const base = mapPlace(p.base, f);
      return base === p.base ? p : { ...p, base };
    }
    case 'IndexPlace': {
      const base = mapPlace(p.base, f), index = mapOperand(p.index, false, f);
      return base === p.base && index === p.index ? p : { ...p, base, index };
    }
    case 'DerefPlace': {
      const ptr = mapOperand(p.ptr, false, f);
      return ptr === p.ptr ? p : { ...p, ptr };
    }
  }
}

function mapOperand(op: Operand, consumed: boolean, f: OperandMap): Operand {
  if (op.kind === 'Copy' || op.kind === 'Move') {
    const place = mapPlace(op.place, f);
    return f(place === op.place ? op : { ...op, place }, consumed);
  }
  return f(op, consumed);
}

function mapList(ops: readonly Operand[], consumed: (i: number) => boolean, f: OperandMap): readonly Operand[] {
  let out: Operand[] | null = null;
  for (let i = 0; i < ops.length; i++) {
    const o = mapOperand(ops[i], consumed(i), f);
    if (o !== ops[i]) (out ??= ops.slice())[i] = o;
  }
  return out ?? ops;
}

/** Rewrites an rvalue's operands; Use, call arguments, aggregates and `T` built-in arguments are consumed. */
function mapRvalue(rv: Rvalue, f: OperandMap): Rvalue {
  const one = <K extends string>(r: Rvalue & Record<K, Operand>, key: K, consumed: boolean): Rvalue => {
    const o = mapOperand(r[key], consumed, f);
    return o === r[key] ? rv : { ...r, [key]: o };
  };
  switch (rv.kind) {
    case 'Use': return one(rv, 'op', true);
    case 'UnOp': return one(rv, 'operand', false);
    case 'CastOp': case 'IsSome': return one(rv, 'op', false);
    case 'Repeat': case 'MakeSome': return one(rv, 'op', true);
    case 'Closure': return one(rv, 'env', true);
    case 'BinOp': {
      const left = mapOperand(rv.left, false, f), right = mapOperand(rv.right, false, f);
      return left === rv.left && right === rv.right ? rv : { ...rv, left, right };
    }
    case 'Ref': {
      const place = mapPlace(rv.place, f);
      return place === rv.place ? rv : { ...rv, place };
    }
    case 'CallFn': case 'Aggregate': {
      const key = rv.kind === 'CallFn' ? 'args' : 'ops';
      const list = (rv as unknown as Record<string, readonly Operand[]>)[key];
      const out = mapList(list, () => true, f);
      return out === list ? rv : { ...rv, [key]: out } as Rvalue;
    }
    case 'CallValue': {
      const callee = mapOperand(rv.callee, false, f), args = mapList(rv.args, () => true, f);
      return callee === rv.callee && args === rv.args ? rv : { ...rv, callee, args };
    }
    case 'Builtin': {
      const args = mapList(rv.args, (i) => builtinConsumes(rv.op, i), f);
      return args === rv.args ? rv : { ...rv, args };
    }
    case 'MakeNone': return rv;
  }
}

/** Rewrites every operand of a statement (a store's or drop's place operands are only read). */
export function mapStmtOperands(s: Stmt, f: OperandMap): Stmt {
  switch (s.kind) {
    case 'Assign': {
      const value = mapRvalue(s.value, f), place = mapPlace(s.place, f);
      return value === s.value && place === s.place ? s : { ...s, value, place };
    }
    case 'Eval': {
      const value = mapRvalue(s.value, f);
      return value === s.value ? s : { ...s, value };
    }
    case 'Drop': case 'Delete': {
      const place = mapPlace(s.place, f);
      return place === s.place ? s : { ...s, place };
    }
  }
}

/** Rewrites a terminator's operands: a returned value is consumed, a branch condition read. */
export function mapTermOperands(t: Term, f: OperandMap): Term {
  if (t.kind === 'Branch') { const cond = mapOperand(t.cond, false, f); return cond === t.cond ? t : { ...t, cond }; }
  if (t.kind === 'Return' && t.value !== null) { const value = mapOperand(t.value, true, f); return value === t.value ? t : { ...t, value }; }
  return t;
}

/** Calls `f` on every operand of a statement or terminator. */
function eachOperand(s: Stmt | Term, f: (op: Operand, consumed: boolean) => void): void {
  const visit: OperandMap = (op, consumed) => { f(op, consumed); return op; };
  if (s.kind === 'Assign' || s.kind === 'Eval' || s.kind === 'Drop' || s.kind === 'Delete') mapStmtOperands(s, visit);
  else mapTermOperands(s, visit);
}

/**
 * The local whose whole value an operand reads or moves: `x`, or the payload of an
 * Option local `x` (an Option owns nothing else). Null for other operands.
 */
export function wholeValueOf(op: Operand): number | null {
  if (op.kind !== 'Copy' && op.kind !== 'Move') return null;
  const p = op.place;
  if (p.kind === 'LocalPlace') return p.id;
  if (p.kind === 'PayloadPlace' && p.base.kind === 'LocalPlace') return p.base.id;
  return null;
}

const isWholeDrop = (s: Stmt): boolean => s.kind === 'Drop' && s.place.kind === 'LocalPlace';

// ---------------------------------------------------------------- per-function context

class FnDrops {
  readonly tyOf = new Map<number, Ty>();
  private readonly needsMemo = new Map<number, boolean>();

  constructor(readonly fn: FnDef, readonly classes: ClassTable, private readonly freshId: () => number) {
    for (const l of fn.locals) this.tyOf.set(l.id, l.ty);
  }

  needs(t: Ty): boolean { return needsDrop(t, this.classes); }

  /** Whether local `id`'s type needs drop. */
  localNeeds(id: number): boolean {
    let r = this.needsMemo.get(id);
    if (r === undefined) {
      const t = this.tyOf.get(id);
      r = t !== undefined && this.needs(t);
      this.needsMemo.set(id, r);
    }
    return r;
  }

  run(): FnDef {
    if (!this.fn.blocks.some((b) => b.stmts.some((s) => s.kind === 'Drop' || s.kind === 'Delete'))
      && !this.fn.locals.some((l) => this.localNeeds(l.id))) return this.fn;
    let fn = this.copiesOfBorrowedTemps(this.fn);
    fn = new CopyToMove(this, fn).run();
    return this.elaborate(fn);
  }

  // ------------------------------------------------------------ (0) borrowed temporaries

  private copiesOfBorrowedTemps(fn: FnDef): FnDef {
    const toCopy: OperandMap = (op, consumed) =>
      !consumed && op.kind === 'Move' && op.place.kind === 'LocalPlace' && this.localNeeds(op.place.id) ? { ...op, kind: 'Copy' } : op;
    let changed = false;
    const blocks = fn.blocks.map((b) => {
      let stmts: Stmt[] | null = null;
      b.stmts.forEach((s, i) => {
        const n = mapStmtOperands(s, toCopy);
        if (n !== s) (stmts ??= b.stmts.slice())[i] = n;
      });
      const term = mapTermOperands(b.term, toCopy);
      if (stmts === null && term === b.term) return b;
      changed = true;
      return { ...b, stmts: stmts ?? b.stmts, term };
    });
    return changed ? { ...fn, blocks } : fn;
  }

  // ------------------------------------------------------------ (b) drop elaboration

  private elaborate(fn: FnDef): FnDef {
    const tracked = new LocalIndex(fn, (id) => this.localNeeds(id));
    const init = this.initialization(fn, tracked);
    const params = new Set(fn.params);

    // Replay each block with drops from its entry state, deciding each drop; a local gets a
    // drop flag when one of its drops finds it maybe holding a value, maybe not.
    const KEEP = 1, REMOVE = 2, FLAG = 3;
    const decisions: (Uint8Array | null)[] = fn.blocks.map(() => null);
    const flagged = new Map<number, LocalDef>();
    const defs = new Map(fn.locals.map((l) => [l.id, l]));
    for (const b of fn.blocks) {
      if (!init.reachable[b.id] || !b.stmts.some((s) => s.kind === 'Drop' || s.kind === 'Delete')) continue;
      const st = init.entry[b.id].copy();
      const d = new Uint8Array(b.stmts.length);
      b.stmts.forEach((s, i) => {
        if (s.kind === 'Drop' || s.kind === 'Delete') {
          const x = elaboratedLocal(s);
          if (!this.needs(s.place.ty)) d[i] = REMOVE;
          else if (x === null) d[i] = KEEP;
          else if (!st.mayInit(x)) d[i] = REMOVE;
          else if (!st.mayUninit(x)) d[i] = KEEP;
          else {
            d[i] = FLAG;
            if (!flagged.has(x)) {
              const def = defs.get(x)!;
              flagged.set(x, { kind: 'LocalDef', span: def.span, id: this.freshId(), name: `${def.name}_dropflag`, ty: T.bool, mut: true });
            }
          }
        }
        st.apply(s);
      });
      decisions[b.id] = d;
    }

    const flagSet = (x: number, value: boolean, span: Stmt['span']): Stmt => ({
      kind: 'Assign', span, place: { kind: 'LocalPlace', span, id: flagged.get(x)!.id, ty: T.bool },
      value: { kind: 'Use', span, op: { kind: 'Const', span, value, ty: T.bool } },
    });
    const touchesFlagged = (s: Stmt): boolean => {
      if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && flagged.has(s.place.id)) return true;
      let hit = false;
      eachOperand(s, (op) => { if (op.kind === 'Move') { const x = wholeValueOf(op); if (x !== null && flagged.has(x)) hit = true; } });
      return hit;
    };

    const out: BasicBlock[] = fn.blocks.slice();
    let nextId = fn.blocks.length;
    for (const b of fn.blocks) {
      const d = decisions[b.id];
      if (d === null && (flagged.size === 0 || !init.reachable[b.id] || !b.stmts.some(touchesFlagged))) continue;
      // a flagged drop splits the block: the part before it keeps the block's id
      const emit = (blk: BasicBlock) => { if (blk.id === b.id) out[b.id] = blk; else out.push(blk); };
      let segId = b.id;
      let stmts: Stmt[] = [];
      b.stmts.forEach((s, i) => {
        if (s.kind === 'Drop' || s.kind === 'Delete') {
          const drop: Stmt = { kind: 'Drop', span: s.span, place: s.place };
          const x = elaboratedLocal(s);
          if (d === null || d[i] === REMOVE) return; // nothing there to drop
          if (d[i] === KEEP) {
            stmts.push(drop);
            if (x !== null && flagged.has(x)) stmts.push(flagSet(x, false, s.span));
            return;
          }
          // a drop flag decides at run time
          const flag = flagged.get(x!)!;
          const dropId = nextId++, contId = nextId++;
          const cond: Operand = { kind: 'Copy', span: s.span, place: { kind: 'LocalPlace', span: s.span, id: flag.id, ty: T.bool } };
          emit({ kind: 'BasicBlock', span: b.span, id: segId, stmts, term: { kind: 'Branch', span: s.span, cond, then: dropId, else: contId } });
          emit({ kind: 'BasicBlock', span: s.span, id: dropId, stmts: [drop, flagSet(x!, false, s.span)], term: { kind: 'Goto', span: s.span, target: contId } });
          segId = contId;
          stmts = [];
          return;
        }
        stmts.push(s);
        if (flagged.size > 0) {
          eachOperand(s, (op) => {
            const x = op.kind === 'Move' ? wholeValueOf(op) : null;
            if (x !== null && flagged.has(x)) stmts.push(flagSet(x, false, s.span));
          });
          if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && flagged.has(s.place.id)) stmts.push(flagSet(s.place.id, true, s.span));
        }
      });
      emit({ kind: 'BasicBlock', span: b.span, id: segId, stmts, term: b.term });
    }
    let blocks = out.sort((a, b) => a.id - b.id);
    invariant(blocks.every((b, i) => b.id === i), 'elaborate-drops: blocks are numbered densely');
    let locals = fn.locals;
    if (flagged.size > 0) {
      locals = [...fn.locals, ...flagged.values()];
      // every flag starts as "holds a value": true for parameters only
      const entryInits = [...flagged.entries()].map(([x, def]) => flagSet(x, params.has(x), def.span));
      blocks = withEntryStatements(blocks, entryInits);
    }
    return { ...fn, locals, blocks };
  }

  /**
   * The may-be-initialized / may-be-uninitialized dataflow over the tracked locals. Each
   * block's effect is summarized once: the locals it touches, and which of those it leaves
   * assigned (the last event on a local decides).
   */
  private initialization(fn: FnDef, tracked: LocalIndex): { entry: InitState[]; reachable: Uint8Array } {
    const reachable = new Uint8Array(fn.blocks.length);
    for (const b of reversePostorder(fn)) reachable[b] = 1;
    if (tracked.size === 0) return { entry: fn.blocks.map(() => new InitState(tracked)), reachable };
    const touched: LocalSet[] = [], assigned: LocalSet[] = [];
    for (const b of fn.blocks) {
      const s = new InitState(tracked);
      for (const st of b.stmts) s.apply(st);
      // after replaying from "nothing known", init = left assigned, uninit = left emptied
      const t = s.init.copy();
      t.unionWith(s.uninit);
      touched.push(t);
      assigned.push(s.init);
    }
    const r = solveDataflow<InitState>(fn, {
      direction: 'forward',
      boundary: () => {
        const s = new InitState(tracked);
        for (const id of tracked.ids) { if (fn.params.includes(id)) s.init.add(id); else s.uninit.add(id); }
        return s;
      },
      bottom: () => new InitState(tracked),
      join: (into, from) => into.join(from),
      copy: (s) => s.copy(),
      transfer: (block, input) => {
        const t = touched[block.id].words, a = assigned[block.id].words;
        const init = input.init.words.slice(), uninit = input.uninit.words.slice();
        for (let w = 0; w < init.length; w++) {
          init[w] = (init[w] & ~t[w]) | a[w];
          uninit[w] = (uninit[w] & ~t[w]) | (t[w] & ~a[w]);
        }
        return new InitState(tracked, new LocalSet(tracked, init), new LocalSet(tracked, uninit));
      },
    });
    return { entry: r.entry, reachable };
  }
}

/** The local a Drop or Delete statement removes the whole value of, or null. */
function elaboratedLocal(s: Stmt): number | null {
  return (s.kind === 'Drop' || s.kind === 'Delete') && s.place.kind === 'LocalPlace' ? s.place.id : null;
}

/** Which tracked locals may hold a value, and which may not, at one point. */
class InitState {
  readonly init: LocalSet;
  readonly uninit: LocalSet;
  constructor(readonly index: LocalIndex, init?: LocalSet, uninit?: LocalSet) {
    this.init = init ?? new LocalSet(index);
    this.uninit = uninit ?? new LocalSet(index);
  }
  copy(): InitState { return new InitState(this.index, this.init.copy(), this.uninit.copy()); }
  join(o: InitState): boolean {
    const a = this.init.unionWith(o.init);
    const b = this.uninit.unionWith(o.uninit);
    return a || b;
  }
  mayInit(x: number): boolean { return this.init.has(x); }
  mayUninit(x: number): boolean { return this.uninit.has(x); }
  private set(x: number, holds: boolean): void {
    if (holds) { this.init.add(x); this.uninit.delete(x); } else { this.init.delete(x); this.uninit.add(x); }
  }
  /** After `s`: what it moved out, dropped or deleted is uninitialized; what it assigned whole, initialized. */
  apply(s: Stmt): void {
    eachOperand(s, (op) => {
      if (op.kind !== 'Move') return;
      // (only temporaries and whole locals are moved: explicate-control and step (a))
      const x = wholeValueOf(op);
      if (x !== null) this.set(x, false);
    });
    if (s.kind === 'Assign' && s.place.kind === 'LocalPlace') this.set(s.place.id, true);
    const x = elaboratedLocal(s);
    if (x !== null) this.set(x, false);
  }
}

/** Puts `stmts` first in the entry block; when the entry is also a jump target, in a new entry block. */
function withEntryStatements(blocks: BasicBlock[], stmts: Stmt[]): BasicBlock[] {
  const entryIsTarget = blocks.some((b) => {
    const t = b.term;
    return (t.kind === 'Goto' && t.target === 0) || (t.kind === 'Branch' && (t.then === 0 || t.else === 0));
  });
  if (!entryIsTarget) return [{ ...blocks[0], stmts: [...stmts, ...blocks[0].stmts] }, ...blocks.slice(1)];
  // the old entry becomes block n; block 0 sets the flags and jumps there
  const n = blocks.length;
  const to = (x: number) => (x === 0 ? n : x);
  const retarget = (b: BasicBlock, id: number): BasicBlock => {
    const t = b.term;
    const term = t.kind === 'Goto' ? { ...t, target: to(t.target) } : t.kind === 'Branch' ? { ...t, then: to(t.then), else: to(t.else) } : t;
    return { ...b, id, term };
  };
  const span = blocks[0].span;
  return [
    { kind: 'BasicBlock', span, id: 0, stmts, term: { kind: 'Goto', span, target: n } },
    ...blocks.slice(1).map((b) => retarget(b, b.id)),
    retarget(blocks[0], n),
  ];
}

// ---------------------------------------------------------------- (a) copies into moves

/** A Copy of a whole local (or an Option local's payload) that needs drop, where the value is consumed. */
function candidateOf(op: Operand, consumed: boolean, d: FnDrops): number | null {
  if (!consumed || op.kind !== 'Copy') return null;
  const x = wholeValueOf(op);
  return x !== null && d.needs(op.place.ty) ? x : null;
}

class CopyToMove {
  constructor(private readonly d: FnDrops, private readonly fn: FnDef) {}

  run(): FnDef {
    const fn = this.fn;
    const candidates = new Set<number>();
    const blocksWith: number[] = [];
    for (const b of fn.blocks) {
      let has = false;
      const note = (op: Operand, consumed: boolean) => {
        const x = candidateOf(op, consumed, this.d);
        if (x !== null) { candidates.add(x); has = true; }
      };
      for (const s of b.stmts) eachOperand(s, note);
      eachOperand(b.term, note);
      if (has) blocksWith.push(b.id);
    }
    if (candidates.size === 0) return fn;

    const pointers = pointerHolders(fn, candidates, this.d);
    // liveness where a local's own whole-value drops are not uses (a move replaces them)
    const stripped: FnDef = { ...fn, blocks: fn.blocks.map((b) => (b.stmts.some(isWholeDrop) ? { ...b, stmts: b.stmts.filter((s) => !isWholeDrop(s)) } : b)) };
    const live = liveness(stripped);

    const blocks = fn.blocks.slice();
    for (const bid of blocksWith) {
      const b = fn.blocks[bid];
      const crossing = live.liveOut[bid].copy();
      const local = new Set<number>();
      const isLive = (id: number) => (crossing.index.of(id) >= 0 ? crossing.has(id) : local.has(id));
      const add = (id: number) => { if (crossing.index.of(id) >= 0) crossing.add(id); else local.add(id); };
      const kill = (id: number) => { if (crossing.index.of(id) >= 0) crossing.delete(id); else local.delete(id); };
      const movable = (x: number) =>
        !isLive(x) && !pointers.escaped.has(x) && (pointers.holders.get(x) ?? []).every((p) => !isLive(p));
      const convert = (occurrences: Map<number, number>): OperandMap => (op, consumed) => {
        const x = candidateOf(op, consumed, this.d);
        return x !== null && op.kind === 'Copy' && occurrences.get(x) === 1 && movable(x) ? { ...op, kind: 'Move' } : op;
      };

      const counts = new Map<number, number>();
      const count = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
      termUses(b.term, count);
      const term = mapTermOperands(b.term, convert(counts));
      termUses(b.term, add);
      const stmts = b.stmts.slice();
      for (let i = stmts.length - 1; i >= 0; i--) {
        const s = stmts[i];
        if (isWholeDrop(s)) continue;
        counts.clear();
        const uses: number[] = [];
        const def = stmtUsesDefs(s, (id) => { uses.push(id); count(id); });
        if (def !== null) count(def);
        stmts[i] = mapStmtOperands(s, convert(counts));
        if (def !== null) kill(def);
        for (const u of uses) add(u);
      }
      blocks[bid] = { ...b, stmts, term };
    }
    return { ...fn, blocks };
  }
}

// ---------------------------------------------------------------- pointers into candidates

interface PointerFacts {
  /** candidate x -> locals (other than x) that may hold a pointer into x or its heap memory */
  readonly holders: ReadonlyMap<number, readonly number[]>;
  /** candidates a pointer to which may be stored where no local holds it */
  readonly escaped: ReadonlySet<number>;
}

/** The locals read by an operand (its place's root and the operands inside the place). */
function localsOfOperand(op: Operand, out: number[]): void {
  if (op.kind === 'Copy' || op.kind === 'Move') localsOfPlace(op.place, out);
}
function localsOfPlace(p: Place, out: number[]): void {
  switch (p.kind) {
    case 'LocalPlace': out.push(p.id); break;
    case 'GlobalPlace': break;
    case 'FieldPlace': case 'PayloadPlace': localsOfPlace(p.base, out); break;
    case 'IndexPlace': localsOfPlace(p.base, out); localsOfOperand(p.index, out); break;
    case 'DerefPlace': localsOfOperand(p.ptr, out); break;
  }
}

/** The locals whose memory (inline or owned heap: a Box's content) a place lies in, not following pointers. */
function ownersOfPlace(p: Place, out: number[]): void {
  switch (p.kind) {
    case 'LocalPlace': out.push(p.id); break;
    case 'FieldPlace': case 'PayloadPlace': case 'IndexPlace': ownersOfPlace(p.base, out); break;
    case 'DerefPlace':
      if ((p.ptr.kind === 'Copy' || p.ptr.kind === 'Move') && operandTy(p.ptr).k === 'box') ownersOfPlace(p.ptr.place, out);
      break;
    default: break;
  }
}

/**
 * Whether a value of type `t` holds, anywhere inside (Option, Box, Vec, Mutex, Channel,
 * array elements, class fields, a pointer's target), a part that `leaf` says yes to;
 * `leaf` returns null to look inside a part instead.
 */
function holdsPart(t: Ty, classes: ClassTable, leaf: (t: Ty) => boolean | null, seen = new Set<string>()): boolean {
  const own = leaf(t);
  if (own !== null) return own;
  switch (t.k) {
    case 'ptr': return holdsPart(t.to, classes, leaf, seen);
    case 'option': case 'box': case 'vec': case 'mutex': case 'channel': return holdsPart(t.of, classes, leaf, seen);
    case 'array': return holdsPart(t.elem, classes, leaf, seen);
    case 'class': {
      if (seen.has(t.name)) return false;
      seen.add(t.name);
      return (classes.get(t.name)?.fields ?? []).some((f) => holdsPart(f.ty, classes, leaf, seen));
    }
    default: return false;
  }
}

/** Types through which a callee could store a pointer it was given (a mutable pointer somewhere inside). */
const canStoreThrough = (t: Ty, classes: ClassTable): boolean => holdsPart(t, classes, (x) =>
  x.k === 'fn' || x.k === 'guard' || x.k === 'thread' || (x.k === 'ptr' && x.mut) ? true : null);

/** Types whose values may hold a pointer (a fn value's environment, a guard's mutex, a thread's captures). */
const mayHoldPointer = (t: Ty, classes: ClassTable): boolean => holdsPart(t, classes, (x) =>
  x.k === 'ptr' || x.k === 'fn' || x.k === 'guard' || x.k === 'thread' || x.k === 'region' ? true : null);

/**
 * Which locals may hold pointers into each candidate, by a flow-insensitive propagation:
 * `d = Ref place` makes d point into the owners of the place; any other store into a local
 * d carries the pointers of every local its value is computed from (a call's result may
 * carry its arguments' pointers). Stores that leave the locals (through a pointer, into a
 * global, or into a call argument by a callee that also gets a pointer it may store
 * through) make the pointers they carry escape.
 */
function pointerHolders(fn: FnDef, candidates: ReadonlySet<number>, d: FnDrops): PointerFacts {
  const none: PointerFacts = { holders: new Map(), escaped: new Set() };
  const takesAddress = fn.blocks.some((b) => b.stmts.some((s) => (s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'Ref'));
  if (!takesAddress) return none;
  const cand = new LocalIndex(fn, (id) => candidates.has(id));
  const taint = new Map<number, LocalSet>();
  const flowsTo = new Map<number, number[]>();
  const escapingLocals: number[] = [];
  const escapedSeeds: number[] = [];
  const work: number[] = [];
  const seed = (dst: number, x: number) => {
    if (cand.of(x) < 0) return;
    let t = taint.get(dst);
    if (!t) { t = new LocalSet(cand); taint.set(dst, t); }
    if (!t.has(x)) { t.add(x); work.push(dst); }
  };
  const classes = d.classes;

  const callArgs = (rv: Rvalue): readonly Operand[] | null =>
    rv.kind === 'CallFn' || rv.kind === 'Builtin' ? rv.args : rv.kind === 'CallValue' ? [rv.callee, ...rv.args] : null;

  for (const b of fn.blocks) {
    for (const s of b.stmts) {
      if (s.kind !== 'Assign' && s.kind !== 'Eval') continue;
      const rv = s.value;
      const srcs: number[] = [];
      rvalueOperands(rv, (op) => localsOfOperand(op, srcs));
      const owners: number[] = [];
      if (rv.kind === 'Ref') { localsOfPlace(rv.place, srcs); ownersOfPlace(rv.place, owners); }
      const args = callArgs(rv);
      if (args !== null && args.length > 1) {
        // a callee may store one argument's pointers through another argument
        const storable = args.map((a) => canStoreThrough(operandTy(a), classes));
        const anyStorable = storable.filter(Boolean).length;
        args.forEach((a, i) => {
          if (anyStorable - (storable[i] ? 1 : 0) > 0) localsOfOperand(a, escapingLocals);
        });
      }
      const dst = s.kind === 'Assign' ? placeRoot(s.place) : null;
      if (s.kind === 'Eval') continue;
      // a value that cannot hold a pointer (an integer read through one) carries none
      if (rv.kind !== 'Ref' && !mayHoldPointer(rvalueTy(rv), classes)) continue;
      if (dst === null) { escapingLocals.push(...srcs); escapedSeeds.push(...owners); continue; }
      for (const x of owners) seed(dst, x);
      for (const a of srcs) {
        if (a === dst) continue;
        const list = flowsTo.get(a);
        if (list) list.push(dst); else flowsTo.set(a, [dst]);
      }
    }
  }
  while (work.length > 0) {
    const a = work.pop()!;
    const from = taint.get(a)!;
    for (const dst of flowsTo.get(a) ?? []) {
      let t = taint.get(dst);
      if (!t) { t = new LocalSet(cand); taint.set(dst, t); }
      if (t.unionWith(from)) work.push(dst);
    }
  }
  const escaped = new Set<number>(escapedSeeds.filter((x) => candidates.has(x)));
  for (const a of escapingLocals) for (const x of taint.get(a)?.ids() ?? []) escaped.add(x);
  const holders = new Map<number, number[]>();
  for (const [p, t] of taint) {
    for (const x of t.ids()) {
      if (x === p) continue;
      const list = holders.get(x);
      if (list) list.push(p); else holders.set(x, [p]);
    }
  }
  return { holders, escaped };
}

// ---------------------------------------------------------------- the pass

export const elaborateDropsPass = definePass<Module, Module>({
  name: 'elaborate-drops',
  description: 'copies at last use become moves; scheduled drops run once per value (drop flags), deletes become drops',
  from: Lcfg,
  to: Lcfg,
  run(m, ctx) {
    const classes = classTable(m.classes);
    let changed = false;
    const fns = m.fns.map((f) => {
      const out = new FnDrops(f, classes, () => ctx.freshId()).run();
      if (out !== f) changed = true;
      return out;
    });
    return changed ? { ...m, fns } : m;
  },
});
