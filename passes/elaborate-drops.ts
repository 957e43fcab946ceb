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
//    A temporary's scope is its statement (a temporary method receiver's, a block tail's,
//    an `if` arm's too: made on some paths only); a condition's temporaries die on both of
//    its edges; a returned value is first moved into a temporary nobody drops.
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
//        locals that need drop (and are dropped or deleted whole somewhere) may be
//        initialized and which may be uninitialized. A local starts uninitialized
//        (parameters initialized), becomes initialized when assigned whole, and
//        uninitialized when moved out, dropped or deleted. A `Drop x` of a local is kept
//        where x is surely initialized, removed where it surely is not, and otherwise
//        guarded by a drop flag: a fresh bool local set at the entry, true after each
//        assignment of x, false after each move, drop or delete; the drop becomes
//        `branch flag ? {Drop x; flag = false} : {}`. A `Delete` becomes a `Drop` of its
//        place (uninitializing a local). Drops of parts of a value (stores
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
  liveness, LocalIndex, LocalSet, placeRoot, rvalueOperands, solveBits, stmtUsesDefs, termUses, wordsFor,
  type BasicBlock, type BitResult, type FnDef, type Operand, type Place, type Rvalue, type Stmt, type Term,
} from '../ir/cfg.js';
import { BUILTINS, isBuiltin } from '../ir/builtins.js';
import { classTable, declareClass, needsDropIn, type ClassTable } from '../ir/needs-drop.js';
import { T, type Ty } from '../ir/types.js';
import { defineCfgFunctionPass, invariant } from './pass.js';

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

/** Maps a list of operands, all consumed, or (`builtin`) as that built-in's arguments. */
function mapList(ops: readonly Operand[], builtin: string | null, f: OperandMap): readonly Operand[] {
  let out: Operand[] | null = null;
  for (let i = 0; i < ops.length; i++) {
    const o = mapOperand(ops[i], builtin === null || builtinConsumes(builtin, i), f);
    if (o !== ops[i]) (out ??= ops.slice())[i] = o;
  }
  return out ?? ops;
}

/** Rewrites an rvalue's operands; Use, call arguments, aggregates and `T` built-in arguments are consumed. */
function mapRvalue(rv: Rvalue, f: OperandMap): Rvalue {
  switch (rv.kind) {
    case 'Use': case 'Repeat': case 'MakeSome': case 'CastOp': case 'IsSome': {
      const op = mapOperand(rv.op, rv.kind !== 'CastOp' && rv.kind !== 'IsSome', f);
      return op === rv.op ? rv : { ...rv, op };
    }
    case 'UnOp': {
      const operand = mapOperand(rv.operand, false, f);
      return operand === rv.operand ? rv : { ...rv, operand };
    }
    case 'Closure': {
      const env = mapOperand(rv.env, true, f);
      return env === rv.env ? rv : { ...rv, env };
    }
    case 'BinOp': {
      const left = mapOperand(rv.left, false, f), right = mapOperand(rv.right, false, f);
      return left === rv.left && right === rv.right ? rv : { ...rv, left, right };
    }
    case 'Ref': {
      const place = mapPlace(rv.place, f);
      return place === rv.place ? rv : { ...rv, place };
    }
    case 'CallFn': {
      const args = mapList(rv.args, null, f);
      return args === rv.args ? rv : { ...rv, args };
    }
    case 'Aggregate': {
      const ops = mapList(rv.ops, null, f);
      return ops === rv.ops ? rv : { ...rv, ops };
    }
    case 'CallValue': {
      const callee = mapOperand(rv.callee, false, f), args = mapList(rv.args, null, f);
      return callee === rv.callee && args === rv.args ? rv : { ...rv, callee, args };
    }
    case 'Builtin': {
      const args = mapList(rv.args, rv.op, f);
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

/** Sees an operand and whether its position takes ownership of the value. */
export type OperandVisit = (op: Operand, consumed: boolean) => void;

/**
 * Calls `f` on every operand of a statement or terminator, in the order and with the
 * positions mapStmtOperands and mapTermOperands give (inner operands of a place first).
 * It only reads, so it allocates nothing: it runs on every statement several times.
 */
export function forEachOperand(s: Stmt | Term, f: OperandVisit): void {
  switch (s.kind) {
    case 'Assign': visitRvalue(s.value, f); visitPlace(s.place, f); return;
    case 'Eval': visitRvalue(s.value, f); return;
    case 'Drop': case 'Delete': visitPlace(s.place, f); return;
    case 'Branch': visitOperand(s.cond, false, f); return;
    case 'Return': if (s.value !== null) visitOperand(s.value, true, f); return;
    default: return;
  }
}

function visitPlace(p: Place, f: OperandVisit): void {
  switch (p.kind) {
    case 'FieldPlace': case 'PayloadPlace': visitPlace(p.base, f); return;
    case 'IndexPlace': visitPlace(p.base, f); visitOperand(p.index, false, f); return;
    case 'DerefPlace': visitOperand(p.ptr, false, f); return;
    default: return;
  }
}

function visitOperand(op: Operand, consumed: boolean, f: OperandVisit): void {
  if (op.kind === 'Copy' || op.kind === 'Move') visitPlace(op.place, f);
  f(op, consumed);
}

function visitRvalue(rv: Rvalue, f: OperandVisit): void {
  switch (rv.kind) {
    case 'Use': case 'Repeat': case 'MakeSome': visitOperand(rv.op, true, f); return;
    case 'CastOp': case 'IsSome': visitOperand(rv.op, false, f); return;
    case 'UnOp': visitOperand(rv.operand, false, f); return;
    case 'Closure': visitOperand(rv.env, true, f); return;
    case 'BinOp': visitOperand(rv.left, false, f); visitOperand(rv.right, false, f); return;
    case 'Ref': visitPlace(rv.place, f); return;
    case 'CallFn': for (const a of rv.args) visitOperand(a, true, f); return;
    case 'Aggregate': for (const o of rv.ops) visitOperand(o, true, f); return;
    case 'CallValue': {
      visitOperand(rv.callee, false, f);
      for (const a of rv.args) visitOperand(a, true, f);
      return;
    }
    case 'Builtin': for (let i = 0; i < rv.args.length; i++) visitOperand(rv.args[i], builtinConsumes(rv.op, i), f); return;
    case 'MakeNone': return;
  }
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
const isDropOrDelete = (s: Stmt): boolean => s.kind === 'Drop' || s.kind === 'Delete';
const hasDropOrDelete = (b: BasicBlock): boolean => b.stmts.some(isDropOrDelete);

const NO_LOCALS: ReadonlySet<number> = new Set();

/** What one walk over a function finds for the steps (FnDrops.scan). */
interface Scan {
  /** the blocks with a Drop or Delete */
  readonly dropBlocks: number[];
  /** the locals (b) tracks (dropped or deleted whole, needing drop), with their bit positions */
  readonly tracked: Map<number, number>;
  /** whether (0) has a move to turn into a copy */
  borrowed: boolean;
  /** the locals (a) may move (candidateOf), and the blocks that copy them */
  candidates: Set<number> | null;
  readonly blocksWith: number[];
}

/** What happens to a Drop or Delete: kept, removed, or guarded by a drop flag. */
const KEEP = 1, REMOVE = 2, FLAG = 3;

// ---------------------------------------------------------------- per-function context

class FnDrops {
  /** the locals whose type needs drop */
  private readonly needing: ReadonlySet<number>;

  constructor(
    readonly fn: FnDef, readonly classes: ClassTable, readonly needs: (t: Ty) => boolean, private readonly freshId: () => number,
  ) {
    let needing: Set<number> | null = null;
    // (a local declared twice counts with its last declaration)
    for (const l of fn.locals) {
      if (this.needs(l.ty)) (needing ??= new Set()).add(l.id);
      else needing?.delete(l.id);
    }
    this.needing = needing ?? NO_LOCALS;
  }

  /** Whether local `id`'s type needs drop. */
  localNeeds(id: number): boolean { return this.needing.has(id); }

  run(): FnDef {
    if (this.needing.size === 0 && !this.fn.blocks.some(hasDropOrDelete)) return this.fn;
    const scan = this.scan();
    let fn = scan.borrowed ? this.copiesOfBorrowedTemps(this.fn) : this.fn;
    if (scan.candidates !== null) fn = new CopyToMove(this, fn).run(scan.candidates, scan.blocksWith);
    // without a Drop or Delete, (b) has no drop to decide and no flag to add
    return scan.dropBlocks.length > 0 ? this.elaborate(fn, scan) : fn;
  }

  /**
   * One walk over the function finds what the steps have to do. (0) and (a) rewrite only
   * operands of other positions than those the other looks at, and no Drop or Delete of a
   * whole local, so what it finds holds after them too.
   */
  private scan(): Scan {
    const scan: Scan = { dropBlocks: [], tracked: new Map(), borrowed: false, candidates: null, blocksWith: [] };
    let has = false;
    const visit: OperandVisit = (op, consumed) => {
      if (!consumed) {
        if (op.kind === 'Move' && op.place.kind === 'LocalPlace' && this.localNeeds(op.place.id)) scan.borrowed = true;
        return;
      }
      const x = candidateOf(op, consumed, this);
      if (x !== null) { (scan.candidates ??= new Set()).add(x); has = true; }
    };
    for (const b of this.fn.blocks) {
      has = false;
      let drops = false;
      for (const s of b.stmts) {
        forEachOperand(s, visit);
        if (s.kind !== 'Drop' && s.kind !== 'Delete') continue;
        drops = true;
        // (b) tracks the locals dropped or deleted whole, when their type needs drop
        const x = elaboratedLocal(s);
        if (x !== null && !scan.tracked.has(x) && this.localNeeds(x)) scan.tracked.set(x, scan.tracked.size);
      }
      forEachOperand(b.term, visit);
      if (has) scan.blocksWith.push(b.id);
      if (drops) scan.dropBlocks.push(b.id);
    }
    return scan;
  }

  // ------------------------------------------------------------ (0) borrowed temporaries

  private copiesOfBorrowedTemps(fn: FnDef): FnDef {
    const toCopy: OperandMap = (op, consumed) =>
      !consumed && op.kind === 'Move' && op.place.kind === 'LocalPlace' && this.localNeeds(op.place.id) ? { ...op, kind: 'Copy' } : op;
    let blocks: BasicBlock[] | null = null;
    for (let bi = 0; bi < fn.blocks.length; bi++) {
      const b = fn.blocks[bi];
      let stmts: Stmt[] | null = null;
      for (let i = 0; i < b.stmts.length; i++) {
        const n = mapStmtOperands(b.stmts[i], toCopy);
        if (n !== b.stmts[i]) (stmts ??= b.stmts.slice())[i] = n;
      }
      const term = mapTermOperands(b.term, toCopy);
      if (stmts === null && term === b.term) continue;
      (blocks ??= fn.blocks.slice())[bi] = { ...b, stmts: stmts ?? b.stmts, term };
    }
    return blocks === null ? fn : { ...fn, blocks };
  }

  // ------------------------------------------------------------ (b) drop elaboration

  private elaborate(fn: FnDef, scan: Scan): FnDef {
    // The dataflow tracks the locals a Drop or Delete removes whole (when their type needs
    // drop): only their states decide drops. A statement changes only the states of the
    // locals it moves, assigns or drops, and states join local by local, so leaving the
    // other locals out changes nothing about these.
    const tracked = scan.tracked;
    const W = 2 * wordsFor(tracked.size);
    const st = new InitState(tracked);
    const init = this.initialization(fn, st);

    // Replay each block with drops from its entry state, deciding each drop; a local gets a
    // drop flag when one of its drops finds it maybe holding a value, maybe not.
    let decisions: (Uint8Array | null)[] | null = null;
    let flagged: Map<number, LocalDef> | null = null;
    let keepsAll = true; // every drop is kept as it is, so no block changes
    for (const id of scan.dropBlocks) {
      const b = fn.blocks[id];
      if (!init.reachable[b.id]) continue;
      for (let k = 0; k < W; k++) st.words[k] = init.entry[b.id * W + k];
      const d = new Uint8Array(b.stmts.length);
      for (let i = 0; i < b.stmts.length; i++) {
        const s = b.stmts[i];
        if (s.kind === 'Drop' || s.kind === 'Delete') {
          const x = elaboratedLocal(s);
          if (!this.needs(s.place.ty)) d[i] = REMOVE;
          else if (x === null) d[i] = KEEP;
          else if (!st.mayInit(x)) d[i] = REMOVE;
          else if (!st.mayUninit(x)) d[i] = KEEP;
          else {
            d[i] = FLAG;
            if (!flagged?.has(x)) {
              const def = lastDef(fn, x);
              (flagged ??= new Map()).set(x, { kind: 'LocalDef', span: def.span, id: this.freshId(), name: `${def.name}_dropflag`, ty: T.bool, mut: true });
            }
          }
          if (d[i] !== KEEP || s.kind === 'Delete') keepsAll = false;
        }
        st.apply(s);
      }
      (decisions ??= new Array(fn.blocks.length).fill(null))[b.id] = d;
    }
    // (blocks out of order are left to rewrite, which sorts them or reports them)
    if ((decisions === null || (keepsAll && flagged === null)) && isDense(fn.blocks)) return fn;
    return this.rewrite(fn, decisions ?? new Array(fn.blocks.length).fill(null), flagged ?? new Map(), init.reachable);
  }

  /** Applies the decisions: removes drops, guards flagged ones, sets the flags; deletes become drops. */
  private rewrite(fn: FnDef, decisions: (Uint8Array | null)[], flagged: Map<number, LocalDef>, reachable: Uint8Array): FnDef {
    const flagSet = (x: number, value: boolean, span: Stmt['span']): Stmt => ({
      kind: 'Assign', span, place: { kind: 'LocalPlace', span, id: flagged.get(x)!.id, ty: T.bool },
      value: { kind: 'Use', span, op: { kind: 'Const', span, value, ty: T.bool } },
    });
    let hit = false;
    const noteFlaggedMove: OperandVisit = (op) => {
      if (op.kind === 'Move') { const x = wholeValueOf(op); if (x !== null && flagged.has(x)) hit = true; }
    };
    const touchesFlagged = (s: Stmt): boolean => {
      if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && flagged.has(s.place.id)) return true;
      hit = false;
      forEachOperand(s, noteFlaggedMove);
      return hit;
    };

    const out: BasicBlock[] = fn.blocks.slice();
    let nextId = fn.blocks.length;
    for (const b of fn.blocks) {
      const d = decisions[b.id];
      if (d === null && (flagged.size === 0 || !reachable[b.id] || !b.stmts.some(touchesFlagged))) continue;
      // a flagged drop splits the block: the part before it keeps the block's id
      const emit = (blk: BasicBlock) => { if (blk.id === b.id) out[b.id] = blk; else out.push(blk); };
      let segId = b.id;
      let stmts: Stmt[] = [];
      let span = b.span;
      const clearFlagOnMove: OperandVisit = (op) => {
        const x = op.kind === 'Move' ? wholeValueOf(op) : null;
        if (x !== null && flagged.has(x)) stmts.push(flagSet(x, false, span));
      };
      b.stmts.forEach((s, i) => {
        if (s.kind === 'Drop' || s.kind === 'Delete') {
          const drop: Stmt = s.kind === 'Drop' ? s : { kind: 'Drop', span: s.span, place: s.place };
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
          span = s.span;
          forEachOperand(s, clearFlagOnMove);
          if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && flagged.has(s.place.id)) stmts.push(flagSet(s.place.id, true, s.span));
        }
      });
      emit({ kind: 'BasicBlock', span: b.span, id: segId, stmts, term: b.term });
    }
    let blocks = out.sort((a, b) => a.id - b.id);
    invariant(isDense(blocks), 'elaborate-drops: blocks are numbered densely');
    let locals = fn.locals;
    if (flagged.size > 0) {
      locals = [...fn.locals, ...flagged.values()];
      // every flag starts as "holds a value": true for parameters only
      const params = new Set(fn.params);
      const entryInits = [...flagged.entries()].map(([x, def]) => flagSet(x, params.has(x), def.span));
      blocks = withEntryStatements(blocks, entryInits);
    }
    return { ...fn, locals, blocks };
  }

  /**
   * The may-be-initialized / may-be-uninitialized dataflow over the tracked locals, as one
   * gen/kill problem over both bitsets side by side (InitState's layout). Each block's
   * effect is summarized once by replaying it from "nothing known": the locals it leaves
   * assigned are gen of init, those it leaves emptied gen of uninit; both kill what it touches.
   */
  private initialization(fn: FnDef, st: InitState): BitResult {
    const n = fn.blocks.length, w = st.w, W = 2 * w;
    const gen: number[] = new Array(n * W).fill(0), kill: number[] = new Array(n * W).fill(0);
    const boundary: number[] = new Array(W).fill(0);
    if (w > 0) {
      for (let b = 0; b < n; b++) {
        st.words.fill(0);
        for (const s of fn.blocks[b].stmts) st.apply(s);
        for (let k = 0; k < w; k++) {
          const touched = st.words[k] | st.words[w + k];
          gen[b * W + k] = st.words[k];
          gen[b * W + w + k] = st.words[w + k];
          kill[b * W + k] = touched;
          kill[b * W + w + k] = touched;
        }
      }
      // at the entry, parameters hold a value and the other locals do not
      for (const [x, i] of st.bit) boundary[(fn.params.includes(x) ? 0 : w) + (i >>> 5)] |= 1 << (i & 31);
    }
    return solveBits(fn, { direction: 'forward', words: W, gen, kill, boundary });
  }
}

/** Whether each block's id is its position. */
function isDense(blocks: readonly BasicBlock[]): boolean {
  for (let i = 0; i < blocks.length; i++) if (blocks[i].id !== i) return false;
  return true;
}

/** The local a Drop or Delete statement removes the whole value of, or null. */
function elaboratedLocal(s: Stmt): number | null {
  return (s.kind === 'Drop' || s.kind === 'Delete') && s.place.kind === 'LocalPlace' ? s.place.id : null;
}

/** The declaration of local `id` (the last one, should there be two). */
function lastDef(fn: FnDef, id: number): LocalDef {
  for (let i = fn.locals.length - 1; i >= 0; i--) if (fn.locals[i].id === id) return fn.locals[i];
  invariant(false, `elaborate-drops: local ${id} is declared`);
}

/**
 * Which tracked locals may hold a value (`init`), and which may not (`uninit`), at one
 * point: two bitsets of w words side by side in `words` (init first), over the bit
 * positions `bit` gives the tracked locals.
 */
class InitState {
  readonly words: Int32Array;
  /** words per bitset */
  readonly w: number;
  private readonly onOperand: OperandVisit;
  constructor(readonly bit: ReadonlyMap<number, number>) {
    this.w = wordsFor(bit.size);
    this.words = new Int32Array(2 * this.w);
    this.onOperand = (op) => {
      // (only temporaries and whole locals are moved: explicate-control and step (a))
      if (op.kind !== 'Move') return;
      const x = wholeValueOf(op);
      if (x !== null) this.set(x, false);
    };
  }
  mayInit(x: number): boolean { return this.has(x, 0); }
  mayUninit(x: number): boolean { return this.has(x, this.w); }
  private has(x: number, at: number): boolean {
    const i = this.bit.get(x);
    return i !== undefined && (this.words[at + (i >>> 5)] & (1 << (i & 31))) !== 0;
  }
  private set(x: number, holds: boolean): void {
    const i = this.bit.get(x);
    if (i === undefined) return;
    const k = i >>> 5, m = 1 << (i & 31);
    if (holds) { this.words[k] |= m; this.words[this.w + k] &= ~m; } else { this.words[k] &= ~m; this.words[this.w + k] |= m; }
  }
  /** After `s`: what it moved out, dropped or deleted is uninitialized; what it assigned whole, initialized. */
  apply(s: Stmt): void {
    forEachOperand(s, this.onOperand);
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

  /** Converts the copies of `candidates` (candidateOf) in blocks `blocksWith`, where it may. */
  run(candidates: ReadonlySet<number>, blocksWith: readonly number[]): FnDef {
    const fn = this.fn;
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
      // how often the statement being rewritten reads or writes each local
      const counts = new Map<number, number>();
      const count = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
      const convert: OperandMap = (op, consumed) => {
        const x = candidateOf(op, consumed, this.d);
        return x !== null && op.kind === 'Copy' && counts.get(x) === 1 && movable(x) ? { ...op, kind: 'Move' } : op;
      };

      termUses(b.term, count);
      const term = mapTermOperands(b.term, convert);
      termUses(b.term, add);
      const stmts = b.stmts.slice();
      const uses: number[] = [];
      const countUse = (id: number) => { uses.push(id); count(id); };
      for (let i = stmts.length - 1; i >= 0; i--) {
        const s = stmts[i];
        if (isWholeDrop(s)) continue;
        counts.clear();
        uses.length = 0;
        const def = stmtUsesDefs(s, countUse);
        if (def !== null) count(def);
        stmts[i] = mapStmtOperands(s, convert);
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

export const elaborateDropsPass = defineCfgFunctionPass({
  name: 'elaborate-drops',
  description: 'copies at last use become moves; scheduled drops run once per value (drop flags), deletes become drops',
  prepare(m, ctx) {
    const classes = classTable(m.classes);
    return { classes, needs: needsDropIn(classes), freshId: () => ctx.freshId() };
  },
  declare(m, { classes }) {
    for (const c of m.classes) declareClass(classes, c);
  },
  runFunction: (f, { classes, needs, freshId }) => new FnDrops(f, classes, needs, freshId).run(),
});
