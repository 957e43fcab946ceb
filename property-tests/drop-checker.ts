// An independent checker of drop elaboration (spec §5.1, §5.3, §5.4), for the property
// tests: given an Lcfg module after `elaborate-drops`, it proves on EVERY path of each
// function's control-flow graph that
//   (1) no value is used after it was dropped or moved, directly or through a pointer
//       that may point into it;
//   (2) no value is dropped twice (or dropped after it was moved out, or before it was
//       ever initialized), and no value of a class implementing Drop is duplicated (a deep
//       copy handed to a new owner, or a built-in that returns a copy of what its receiver
//       holds), which would run that class's `drop()` twice;
//   (3) no value that needs drop is still owned at a `Return` (a leak), and no value that
//       needs drop is overwritten while it still owns its content (also a leak).
//
// It shares nothing with the pass it checks except the IR and the predicates of
// ir/needs-drop.ts (`needsDrop`, `dropClassIn`): its own forward abstract interpretation,
// its own worklist, its own pointer analysis.
//
// The abstract state, per path-set ("disjunct"):
// - for every local whose type needs drop, the set of states it may be in:
//   Uninit / Init / Dropped / Moved (a bitmask, so "maybe" states are sets);
// - per such local, the parts (field / payload / element / Box-content paths) that may be
//   dropped or moved while the whole is still Init (e.g. between `Drop x.f` and
//   `x.f = move t`);
// - the values of the drop-flag-like locals: bool locals that are only ever assigned
//   constants. A state is a set of disjuncts keyed by the flag values, so a `Drop x`
//   guarded by `branch flag` is checked only on the paths where the flag is true: the
//   correlation "flag true <=> x Init" survives the joins.
// "May point into" is a flow-insensitive, type-filtered propagation over the whole
// function (Ref / Copy / Move / calls / stores through pointers), computed first.
//
// `panic`/`exit` paths (an `Unreachable` terminator) are not checked for leaks: the
// process ends without drops (spec §5.3).

import type { Lcfg, Node } from '../ir/languages.js';
import type { Cat } from '../ir/lang.js';
import { classTable, dropClassIn, needsDrop, type ClassTable } from '../ir/needs-drop.js';
import { BUILTINS, isBuiltin } from '../ir/builtins.js';
import type { Ty } from '../ir/types.js';

type D = typeof Lcfg.decl;
type Module = Node<typeof Lcfg, 'Module'>;
type FnDef = Node<typeof Lcfg, 'FnDef'>;
type Stmt = Cat<D, 'Stmt'>;
type Term = Cat<D, 'Term'>;
type Place = Cat<D, 'Place'>;
type Operand = Cat<D, 'Operand'>;
type Rvalue = Cat<D, 'Rvalue'>;

export type ProblemKind =
  | 'use-after-drop' | 'use-after-move' | 'use-uninit' | 'use-through-pointer-after-drop'
  | 'double-drop' | 'drop-after-move' | 'drop-uninit' | 'copy-of-drop-class'
  | 'leak-at-return' | 'leak-at-overwrite';

export interface DropProblem {
  fn: string;
  /** block id, and statement index in it (-1: the terminator) */
  block: number;
  stmt: number;
  kind: ProblemKind;
  /** the local concerned, by name and id, and the part (`.f`, `.*`, `[]`) when it is a part */
  local: string;
  path: string;
  /** the states the local may be in there, e.g. "Init|Dropped" */
  states: string;
}

export interface CheckResult {
  problems: DropProblem[];
  /** functions where the flag disjuncts were too many and were merged (less precise) */
  merged: string[];
  /**
   * per function, the blocks some path reaches: all blocks reachable from the entry, except
   * those behind a branch on a constant-only bool that never takes that edge
   */
  feasible: Map<string, ReadonlySet<number>>;
}

/** The three properties, as the kinds that break each. */
export const USE_KINDS: readonly ProblemKind[] = ['use-after-drop', 'use-after-move', 'use-uninit', 'use-through-pointer-after-drop'];
export const DOUBLE_DROP_KINDS: readonly ProblemKind[] = ['double-drop', 'drop-after-move', 'drop-uninit', 'copy-of-drop-class'];
export const LEAK_KINDS: readonly ProblemKind[] = ['leak-at-return', 'leak-at-overwrite'];

export function formatProblem(p: DropProblem): string {
  return `${p.fn} bb${p.block}${p.stmt >= 0 ? `[${p.stmt}]` : ' term'}: ${p.kind} of ${p.local}${p.path} (may be ${p.states})`;
}

/** Checks every function of a module. */
export function checkDrops(m: Module): CheckResult {
  const classes = classTable(m.classes);
  const out: CheckResult = { problems: [], merged: [], feasible: new Map() };
  for (const f of m.fns) {
    const r = checkFnDrops(f, classes);
    out.problems.push(...r.problems);
    if (r.merged) out.merged.push(f.name);
    out.feasible.set(f.name, r.feasible);
  }
  return out;
}

// ---------------------------------------------------------------- the lattice

const U = 1, I = 2, DR = 4, MV = 8;
const STATE_NAMES: [number, string][] = [[U, 'Uninit'], [I, 'Init'], [DR, 'Dropped'], [MV, 'Moved']];
const showStates = (m: number) => STATE_NAMES.filter(([b]) => m & b).map(([, n]) => n).join('|') || 'nothing';
/** flag values */
const FT = 1, FF = 2;
/** more disjuncts than this at one point are merged into one (losing the flag correlation) */
const MAX_DISJUNCTS = 256;

const SEP = '\u0001';
/** `d` and `p` overlap: one is the other or a part of it ('' is the whole value). */
const overlaps = (d: string, p: string) => d === p || d === '' || p === '' || p.startsWith(d + SEP) || d.startsWith(p + SEP);
const isPartOf = (p: string, whole: string) => p === whole || whole === '' || p.startsWith(whole + SEP);
const showPath = (p: string) => (p === '' ? '' : p.split(SEP).map((s) => (s === '[]' ? '[]' : `.${s}`)).join(''));

/** One path-set: the states of the tracked locals under one valuation of the flags. */
class Disj {
  constructor(
    readonly st: Uint8Array,
    /** per tracked local: part path -> Dropped|Moved mask (null: no part is dead) */
    readonly dead: (Map<string, number> | null)[],
    readonly fv: Uint8Array,
  ) {}
  static initial(nTracked: number, nFlags: number, paramPos: number[]): Disj {
    const st = new Uint8Array(nTracked).fill(U);
    for (const i of paramPos) st[i] = I;
    return new Disj(st, new Array(nTracked).fill(null), new Uint8Array(nFlags).fill(FT | FF));
  }
  copy(): Disj {
    return new Disj(this.st.slice(), this.dead.map((m) => (m ? new Map(m) : null)), this.fv.slice());
  }
  key(): string { return this.fv.join(','); }
  /** Joins o into this; true when this grew. */
  join(o: Disj): boolean {
    let changed = false;
    for (let i = 0; i < this.st.length; i++) {
      const v = this.st[i] | o.st[i];
      if (v !== this.st[i]) { this.st[i] = v; changed = true; }
      const od = o.dead[i];
      if (od) {
        let md = this.dead[i];
        if (!md) { md = new Map(); this.dead[i] = md; }
        for (const [p, k] of od) {
          const cur = md.get(p) ?? 0;
          if ((cur | k) !== cur) { md.set(p, cur | k); changed = true; }
        }
      }
    }
    for (let i = 0; i < this.fv.length; i++) {
      const v = this.fv[i] | o.fv[i];
      if (v !== this.fv[i]) { this.fv[i] = v; changed = true; }
    }
    return changed;
  }
}

/** A set of disjuncts keyed by flag values; empty = unreachable. */
type State = Map<string, Disj>;

function joinInto(into: State, from: State): boolean {
  let changed = false;
  for (const d of from.values()) changed = addDisj(into, d.copy()) || changed;
  return changed;
}
function addDisj(s: State, d: Disj): boolean {
  const k = d.key();
  const cur = s.get(k);
  if (!cur) { s.set(k, d); return true; }
  return cur.join(d);
}
function copyState(s: State): State {
  const out: State = new Map();
  for (const [k, d] of s) out.set(k, d.copy());
  return out;
}

// ---------------------------------------------------------------- types

function makeMayHoldPointer(classes: ClassTable): (t: Ty) => boolean {
  const memo = new Map<string, boolean>();
  const go = (t: Ty): boolean => {
    switch (t.k) {
      case 'ptr': case 'fn': return true;
      case 'option': case 'box': case 'vec': case 'mutex': case 'channel': case 'thread': case 'guard': case 'atomic':
        return go(t.of);
      case 'array': return go(t.elem);
      case 'class': {
        const known = memo.get(t.name);
        if (known !== undefined) return known;
        memo.set(t.name, false); // a cycle adds nothing new
        const r = (classes.get(t.name)?.fields ?? []).some((f) => go(f.ty));
        memo.set(t.name, r);
        return r;
      }
      default: return false;
    }
  };
  return go;
}

// ---------------------------------------------------------------- places

/** Where a place is: in a local (with the path of the part), through a raw pointer, or in a global. */
type Access =
  | { k: 'local'; id: number; path: string }
  | { k: 'ptr'; ptr: Operand }
  | { k: 'global' };

function access(p: Place): Access {
  switch (p.kind) {
    case 'LocalPlace': return { k: 'local', id: p.id, path: '' };
    case 'GlobalPlace': return { k: 'global' };
    case 'FieldPlace': return extend(access(p.base), p.field);
    case 'PayloadPlace': return extend(access(p.base), 'some');
    case 'IndexPlace': return extend(access(p.base), '[]');
    case 'DerefPlace': {
      const op = p.ptr;
      // a Box's content is owned by the place holding the Box; a raw pointer's target is elsewhere
      if ((op.kind === 'Copy' || op.kind === 'Move') && op.place.ty.k === 'box') return extend(access(op.place), '*');
      return { k: 'ptr', ptr: op };
    }
  }
}
function extend(a: Access, seg: string): Access {
  return a.k === 'local' ? { k: 'local', id: a.id, path: a.path === '' ? seg : a.path + SEP + seg } : a;
}
/**
 * The part a drop or move makes dead: an Option owns nothing but its payload, so a trailing
 * payload step is the Option itself.
 */
function ownedPath(path: string): string {
  let p = path;
  while (p === 'some' || p.endsWith(SEP + 'some')) p = p === 'some' ? '' : p.slice(0, -(SEP.length + 4));
  return p;
}

/**
 * Calls f on the operands read to locate a place (index operands, pointer operands). The
 * Box operand of a Box's content place is read for its address only (`handle`): that reads
 * the Box, not its content (which may be between its drop and its new value).
 */
function placeInnerOperands(p: Place, f: (op: Operand, handle: boolean) => void): void {
  switch (p.kind) {
    case 'FieldPlace': case 'PayloadPlace': placeInnerOperands(p.base, f); break;
    case 'IndexPlace': placeInnerOperands(p.base, f); f(p.index, false); break;
    case 'DerefPlace': f(p.ptr, (p.ptr.kind === 'Copy' || p.ptr.kind === 'Move') && p.ptr.place.ty.k === 'box'); break;
    default: break;
  }
}

/**
 * Operands of an rvalue, each with whether it is passed to a callee (which may read through
 * it) and whether its value goes to a new owner (`owned`: stored, passed by value), where a
 * `Copy` makes a deep copy.
 */
function rvalueOps(rv: Rvalue, f: (op: Operand, passed: boolean, owned: boolean) => void): void {
  switch (rv.kind) {
    case 'Use': f(rv.op, false, true); break;
    case 'BinOp': f(rv.left, false, false); f(rv.right, false, false); break;
    case 'UnOp': f(rv.operand, false, false); break;
    case 'CastOp': case 'IsSome': f(rv.op, false, false); break;
    case 'Repeat': case 'MakeSome': f(rv.op, false, true); break;
    case 'CallFn': for (const a of rv.args) f(a, true, true); break;
    case 'Builtin': rv.args.forEach((a, i) => f(a, true, isBuiltin(rv.op) && (BUILTINS[rv.op].args as readonly string[])[i] === 'T')); break;
    case 'CallValue': f(rv.callee, true, false); for (const a of rv.args) f(a, true, true); break;
    case 'Closure': f(rv.env, true, true); break;
    case 'Aggregate': for (const o of rv.ops) f(o, false, true); break;
    case 'Ref': case 'MakeNone': break;
  }
}

/** Built-ins that return a copy of a value their receiver keeps (the payload; a thread's result). */
const RETURNS_RECEIVER_COPY = new Set(['option.unwrap', 'thread.join']);

// ---------------------------------------------------------------- may point into

/**
 * For each local whose type may hold a pointer, the locals its value may point into
 * (flow-insensitive: over all statements, to a fixpoint). A `Ref` of a place points into
 * the local owning it (or, through a raw pointer, into what that pointer points into); copies,
 * casts, aggregates carry their operands' targets; a call's result and whatever it may store
 * through its pointer arguments carry everything reachable from its arguments.
 */
class PointsInto {
  private readonly into = new Map<number, Set<number>>();
  constructor(fn: FnDef, private readonly holdsPtr: (id: number) => boolean) {
    for (let changed = true; changed;) {
      changed = false;
      for (const b of fn.blocks) {
        for (const s of b.stmts) {
          if (s.kind !== 'Assign' && s.kind !== 'Eval') continue;
          const v = this.rvalueTargets(s.value);
          if (s.value.kind === 'CallFn' || s.value.kind === 'CallValue' || s.value.kind === 'Builtin' || s.value.kind === 'Closure') {
            // the callee may store anything it can reach through anything it can reach
            for (const t of v) changed = this.add(t, v) || changed;
          }
          if (s.kind === 'Assign' && v.size > 0) {
            const a = access(s.place);
            if (a.k === 'local') changed = this.add(a.id, v) || changed;
            else if (a.k === 'ptr') for (const t of this.operandTargets(a.ptr)) changed = this.add(t, v) || changed;
          }
        }
      }
    }
  }
  private add(id: number, v: ReadonlySet<number>): boolean {
    if (!this.holdsPtr(id)) return false;
    let s = this.into.get(id);
    if (!s) { s = new Set(); this.into.set(id, s); }
    const n = s.size;
    for (const x of v) s.add(x);
    return s.size !== n;
  }
  /** What the local's value may point into. */
  of(id: number): ReadonlySet<number> { return this.into.get(id) ?? EMPTY; }
  /** What the value stored at a place may point into. */
  placeValueTargets(p: Place): Set<number> {
    const a = access(p);
    if (a.k === 'local') return new Set(this.of(a.id));
    if (a.k === 'global') return new Set();
    const out = new Set<number>();
    for (const t of this.operandTargets(a.ptr)) for (const x of this.of(t)) out.add(x);
    return out;
  }
  /** What an operand's value may point into. */
  operandTargets(op: Operand): Set<number> {
    return op.kind === 'Copy' || op.kind === 'Move' ? this.placeValueTargets(op.place) : new Set();
  }
  /** The locals a place lies in (a Ref of it points into them). */
  placeOwners(p: Place): Set<number> {
    const a = access(p);
    if (a.k === 'local') return new Set([a.id]);
    if (a.k === 'global') return new Set();
    return this.operandTargets(a.ptr);
  }
  /** Everything reachable from a set by following what values point into. */
  reach(start: Iterable<number>): Set<number> {
    const out = new Set<number>(start);
    const work = [...out];
    while (work.length > 0) for (const x of this.of(work.pop()!)) if (!out.has(x)) { out.add(x); work.push(x); }
    return out;
  }
  private rvalueTargets(rv: Rvalue): Set<number> {
    if (rv.kind === 'Ref') return this.placeOwners(rv.place);
    const out = new Set<number>();
    let passes = false;
    rvalueOps(rv, (op, passed) => {
      passes ||= passed;
      for (const x of this.operandTargets(op)) out.add(x);
    });
    return passes ? this.reach(out) : out;
  }
}
const EMPTY: ReadonlySet<number> = new Set();

// ---------------------------------------------------------------- the checker

interface FnResult { problems: DropProblem[]; merged: boolean; feasible: ReadonlySet<number> }

export function checkFnDrops(fn: FnDef, classes: ClassTable): FnResult {
  const tyOf = new Map(fn.locals.map((l) => [l.id, l.ty]));
  const nameOf = new Map(fn.locals.map((l) => [l.id, `${l.name}#${l.id}`]));
  const needs = (t: Ty) => needsDrop(t, classes);
  const tracked = new Map<number, number>();
  for (const l of fn.locals) if (needs(l.ty)) tracked.set(l.id, tracked.size);
  const trackedIds = [...tracked.keys()];

  // flags: bool locals (not parameters) only ever assigned constants, never pointed to
  const candidate = new Set(fn.locals.filter((l) => l.ty.k === 'bool' && !fn.params.includes(l.id)).map((l) => l.id));
  const assigned = new Set<number>();
  for (const b of fn.blocks) {
    for (const s of b.stmts) {
      if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && candidate.has(s.place.id)) {
        if (s.value.kind === 'Use' && s.value.op.kind === 'Const') assigned.add(s.place.id);
        else candidate.delete(s.place.id);
      }
      if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'Ref') {
        const a = access(s.value.place);
        if (a.k === 'local') candidate.delete(a.id);
      }
    }
  }
  const flags = new Map<number, number>();
  for (const id of candidate) if (assigned.has(id)) flags.set(id, flags.size);

  const holdsPtr = makeMayHoldPointer(classes);
  const pointsInto = new PointsInto(fn, (id) => { const t = tyOf.get(id); return t !== undefined && holdsPtr(t); });

  const problems: DropProblem[] = [];
  let reporting = false;
  let where = { block: 0, stmt: 0 };
  const seen = new Set<string>();
  const report = (kind: ProblemKind, id: number, path: string, states: number) => {
    if (!reporting) return;
    const key = `${where.block}:${where.stmt}:${kind}:${id}:${path}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ fn: fn.name, block: where.block, stmt: where.stmt, kind, local: nameOf.get(id) ?? `?${id}`, path: showPath(path), states: showStates(states) });
  };

  // ------------------------------------------------------------ transfer on one disjunct

  /** A read of a place (Copy, Move, Ref); `handle`: only its address is read (a Box operand of `*b`). */
  const usePlace = (d: Disj, p: Place, handle = false): void => {
    usePlaceOperands(d, p);
    const a = access(p);
    if (a.k === 'local') {
      const i = tracked.get(a.id);
      if (i !== undefined) checkUse(d, i, a.id, a.path, handle);
    } else if (a.k === 'ptr') {
      usePointees(d, pointsInto.operandTargets(a.ptr));
    }
  };
  const usePlaceOperands = (d: Disj, p: Place): void => placeInnerOperands(p, (op, handle) => useOperand(d, op, handle));
  const checkUse = (d: Disj, i: number, id: number, path: string, handle: boolean): void => {
    const s = d.st[i];
    if (s & DR) report('use-after-drop', id, path, s);
    else if (s & MV) report('use-after-move', id, path, s);
    else if (s & U) report('use-uninit', id, path, s);
    const dead = d.dead[i];
    if (dead) {
      for (const [dp, k] of dead) {
        if (handle ? isPartOf(path, dp) : overlaps(dp, path)) report(k & DR ? 'use-after-drop' : 'use-after-move', id, dp, s);
      }
    }
  };
  /** A use of what a pointer (or a value holding pointers) may point into. */
  const usePointees = (d: Disj, targets: Iterable<number>): void => {
    for (const t of targets) {
      const i = tracked.get(t);
      if (i !== undefined && d.st[i] & (DR | MV)) report('use-through-pointer-after-drop', t, '', d.st[i]);
    }
  };
  const useOperand = (d: Disj, op: Operand, handle = false): void => {
    if (op.kind === 'Copy' || op.kind === 'Move') usePlace(d, op.place, handle);
  };
  /** After a Move: the place is dead. */
  const moveOut = (d: Disj, p: Place): void => {
    const a = access(p);
    if (a.k !== 'local') return;
    const i = tracked.get(a.id);
    if (i === undefined || !needs(p.ty)) return;
    const path = ownedPath(a.path);
    if (path === '') { d.st[i] = MV; d.dead[i] = null; }
    else (d.dead[i] ??= new Map()).set(path, (d.dead[i]!.get(path) ?? 0) | MV);
  };
  /** A value of a class implementing Drop (or holding one) must not be duplicated. */
  const noDropClassCopy = (op: Operand): void => {
    if (op.kind !== 'Copy' || dropClassIn(op.place.ty, classes) === null) return;
    const a = access(op.place);
    const owners = a.k === 'local' ? [a.id] : a.k === 'ptr' ? [...pointsInto.operandTargets(a.ptr)] : [];
    for (const id of owners) report('copy-of-drop-class', id, a.k === 'local' ? a.path : '', 0);
  };
  const evalRvalue = (d: Disj, rv: Rvalue): void => {
    if (rv.kind === 'Ref') { usePlace(d, rv.place); return; }
    if (rv.kind === 'Builtin' && RETURNS_RECEIVER_COPY.has(rv.op) && dropClassIn(rv.ty, classes) !== null) {
      for (const id of pointsInto.operandTargets(rv.args[0])) report('copy-of-drop-class', id, '', 0);
    }
    const moved: Place[] = [];
    rvalueOps(rv, (op, passed, owned) => {
      useOperand(d, op);
      if (owned) noDropClassCopy(op);
      // a callee may read through any pointer it gets
      if (passed && (op.kind === 'Copy' || op.kind === 'Move') && holdsPtr(op.place.ty)) usePointees(d, pointsInto.reach(pointsInto.operandTargets(op)));
      if (op.kind === 'Move') moved.push(op.place);
    });
    for (const p of moved) moveOut(d, p);
  };
  const dropPlace = (d: Disj, p: Place): void => {
    usePlaceOperands(d, p);
    const a = access(p);
    if (a.k === 'ptr') { usePointees(d, pointsInto.operandTargets(a.ptr)); return; }
    if (a.k !== 'local') return;
    const i = tracked.get(a.id);
    if (i === undefined || !needs(p.ty)) return;
    const path = ownedPath(a.path);
    const s = d.st[i];
    const whole = path === '';
    // the whole value must hold its content; a part must lie in an initialized whole
    if (s & DR) report(whole ? 'double-drop' : 'use-after-drop', a.id, path, s);
    if (s & MV) report(whole ? 'drop-after-move' : 'use-after-move', a.id, path, s);
    if (s & U) report(whole ? 'drop-uninit' : 'use-uninit', a.id, path, s);
    const dead = d.dead[i];
    if (dead) for (const [dp, k] of dead) if (overlaps(dp, path)) report(k & DR ? 'double-drop' : 'drop-after-move', a.id, dp, s);
    if (whole) { d.st[i] = DR; d.dead[i] = null; }
    else (d.dead[i] ??= new Map()).set(path, (d.dead[i]!.get(path) ?? 0) | DR);
  };
  const store = (d: Disj, p: Place, rv: Rvalue): void => {
    const a = access(p);
    if (a.k === 'ptr') { usePlaceOperands(d, p); usePointees(d, pointsInto.operandTargets(a.ptr)); return; }
    if (a.k === 'global') { usePlaceOperands(d, p); return; }
    const f = flags.get(a.id);
    if (f !== undefined && a.path === '') {
      d.fv[f] = rv.kind === 'Use' && rv.op.kind === 'Const' ? (rv.op.value === true ? FT : FF) : FT | FF;
      return;
    }
    const i = tracked.get(a.id);
    if (a.path === '') {
      if (i === undefined) return;
      // overwriting a value that still owns its content loses it
      if (d.st[i] & I && d.dead[i] === null) report('leak-at-overwrite', a.id, '', d.st[i]);
      d.st[i] = I;
      d.dead[i] = null;
      return;
    }
    // a store into a part: the whole must be there, and the part's old value gone
    usePlaceOperands(d, p);
    if (i === undefined) return;
    const s = d.st[i];
    if (s & DR) report('use-after-drop', a.id, a.path, s);
    else if (s & MV) report('use-after-move', a.id, a.path, s);
    else if (s & U) report('use-uninit', a.id, a.path, s);
    const path = ownedPath(a.path);
    const dead = d.dead[i];
    let partDead = false;
    if (dead) {
      for (const [dp, k] of dead) {
        if (dp !== path && isPartOf(path, dp)) report(k & DR ? 'use-after-drop' : 'use-after-move', a.id, dp, s);
        if (isPartOf(path, dp)) partDead = true;
      }
      for (const dp of [...dead.keys()]) if (isPartOf(dp, path)) dead.delete(dp);
      if (dead.size === 0) d.dead[i] = null;
    }
    if (!partDead && needs(p.ty) && s & I) report('leak-at-overwrite', a.id, path, s);
  };
  const stmtTransfer = (d: Disj, s: Stmt): void => {
    switch (s.kind) {
      case 'Assign': evalRvalue(d, s.value); store(d, s.place, s.value); break;
      case 'Eval': evalRvalue(d, s.value); break;
      case 'Drop': case 'Delete': dropPlace(d, s.place); break;
    }
  };
  const termTransfer = (d: Disj, t: Term): void => {
    if (t.kind === 'Branch') useOperand(d, t.cond);
    if (t.kind === 'Return') {
      if (t.value !== null) {
        useOperand(d, t.value);
        noDropClassCopy(t.value);
        if (t.value.kind === 'Move') moveOut(d, t.value.place);
      }
      for (const id of trackedIds) {
        const i = tracked.get(id)!;
        if (d.st[i] & I) report('leak-at-return', id, '', d.st[i]);
      }
    }
  };

  // ------------------------------------------------------------ the fixpoint

  let merged = false;
  const limit = (s: State): State => {
    if (s.size <= MAX_DISJUNCTS) return s;
    merged = true;
    let all: Disj | null = null;
    for (const d of s.values()) { if (all === null) all = d.copy(); else all.join(d); }
    all!.fv.fill(FT | FF);
    return new Map([[all!.key(), all!]]);
  };
  const blockTransfer = (b: FnDef['blocks'][number], input: State): State => {
    const out: State = new Map();
    for (const d0 of input.values()) {
      const d = d0.copy();
      b.stmts.forEach((s, k) => { where = { block: b.id, stmt: k }; stmtTransfer(d, s); });
      where = { block: b.id, stmt: -1 };
      termTransfer(d, b.term);
      addDisj(out, d);
    }
    return out;
  };
  /** The part of a block's output that flows along the edge to `target`. */
  const edge = (t: Term, out: State, then: boolean): State => {
    if (t.kind !== 'Branch' || (t.cond.kind !== 'Copy' && t.cond.kind !== 'Move') || t.cond.place.kind !== 'LocalPlace') return out;
    const f = flags.get(t.cond.place.id);
    if (f === undefined) return out;
    const bit = then ? FT : FF;
    const res: State = new Map();
    for (const d of out.values()) {
      if (!(d.fv[f] & bit)) continue;
      const c = d.copy();
      c.fv[f] = bit;
      addDisj(res, c);
    }
    return res;
  };

  const n = fn.blocks.length;
  const entry: State[] = fn.blocks.map(() => new Map());
  if (n === 0) return { problems, merged, feasible: new Set() };
  const paramPos = fn.params.map((p) => tracked.get(p)).filter((x): x is number => x !== undefined);
  const d0 = Disj.initial(tracked.size, flags.size, paramPos);
  entry[0].set(d0.key(), d0);
  const queued = new Uint8Array(n);
  const work: number[] = [0];
  queued[0] = 1;
  while (work.length > 0) {
    const b = work.pop()!;
    queued[b] = 0;
    const block = fn.blocks[b];
    const out = blockTransfer(block, entry[b]);
    const t = block.term;
    const targets: [number, boolean][] = t.kind === 'Goto' ? [[t.target, true]] : t.kind === 'Branch' ? [[t.then, true], [t.else, false]] : [];
    for (const [s, then] of targets) {
      const flow = t.kind === 'Branch' && t.then === t.else ? out : edge(t, out, then);
      if (joinInto(entry[s], flow)) {
        entry[s] = limit(entry[s]);
        if (!queued[s]) { queued[s] = 1; work.push(s); }
      }
    }
  }
  // report once, from the fixpoint
  reporting = true;
  const feasible = new Set<number>();
  for (const b of fn.blocks) {
    if (entry[b.id].size === 0) continue;
    feasible.add(b.id);
    blockTransfer(b, copyState(entry[b.id]));
  }
  return { problems, merged, feasible };
}
