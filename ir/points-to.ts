// Points-to over Lcfg: which locals may hold pointers to which memory, at each point of a
// function. Memory-model checks need it: E0024 (check-loans) asks "may a live pointer
// point into v's heap content?", and drop insertion may ask "is v still pointed to?".
//
// A pointer target is an abstract location `{root, path}`:
// - `root` is a local id (>= 0) or a symbolic object (< 0): what a parameter's pointers
//   point to (`*p`), what pointers stored there point to (`**p`), or one region
//   allocation site;
// - `path` is the steps from the root to the place: `.f` field, `.?` Option payload,
//   `[]` array element, `[v]` Vec element, `.*` Box content (`[]`/`[v]` stand for any
//   index). `[v]` and `.*` cross into heap content owned by the place before them.
// So `p := *v[0]` makes p point to `{v, "[v]"}` and `q := *(*b).items[i]` to
// `{b, ".*.items[v]"}`; a pointer through a pointer composes: `*p[0]` with p -> {v, ""}
// gives {v, "[v]"}. Paths are cut after MAX_PATH_STEPS steps (a shorter path covers
// more), which keeps the set of targets finite for recursive structures.
//
// The analysis is flow-sensitive for locals (a forward dataflow whose state maps each
// local that may hold pointers to the targets of the pointers in its value) and
// field-insensitive within a value (a local's set covers pointers anywhere inside it,
// its heap content included). Assigning a whole local replaces its set; storing into a
// part of it, or through a pointer, adds to the sets of what may be stored into. Reading
// through a pointer yields the pointers stored in its targets' roots.
//
// Calls use summaries: for each function that may return a pointer, which of its
// arguments' pointers (or the pointers stored behind them) the result may carry, and
// along which path (`elem(v: *Vec<i32>) -> *i32 { return *v[0]; }` returns {*v, "[v]"},
// so `elem(*w)` points to {w, "[v]"}). Summaries are computed callee-first to a fixpoint.
// Calls through function values carry every argument's pointers into the result.
//
// Not tracked (pointers there are the concern of E0023/E0025 or of `unsafe` code):
// globals, memory reached from integer casts and FFI, and side effects of calls on
// what their pointer arguments point to.

import type { Span } from './lang.js';
import { rvalueTy, type Lcfg, type Node } from './languages.js';
import {
  liveness, reversePostorder, solveDataflow, stmtUsesDefs, termUses, type BasicBlock, type FnDef, type Liveness, type Module, type Operand,
  type Place, type Rvalue, type Stmt,
} from './cfg.js';
import type { Ty } from './types.js';

/** Paths longer than this are cut to their first MAX_PATH_STEPS steps. */
export const MAX_PATH_STEPS = 8;

/** An abstract memory location a pointer may point at. */
export interface Target { readonly root: number; readonly path: string }

/** Per local (or symbolic object): the ids of the targets its value's pointers may point at. Sets are never mutated. */
export type PointsToState = Map<number, ReadonlySet<number>>;

/** One way a function's result may carry its arguments' pointers. */
export interface SummaryEntry {
  /** the argument position */
  readonly param: number;
  /** false: the argument's own pointers; true: the pointers stored behind them (`**p`) */
  readonly load: boolean;
  /** appended to each such pointer's path */
  readonly path: string;
}

const EMPTY: ReadonlySet<number> = new Set();

// ---------------------------------------------------------------- paths

/** The number of steps in a path. */
function stepCount(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) { const c = path.charCodeAt(i); if (c === 46 /* . */ || c === 91 /* [ */) n++; }
  return n;
}

/** `path` + `more`, cut to MAX_PATH_STEPS steps. */
export function joinPath(path: string, more: string): string {
  if (more === '') return path;
  const p = path + more;
  if (stepCount(p) <= MAX_PATH_STEPS) return p;
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if ((c === 46 || c === 91) && ++n > MAX_PATH_STEPS) return p.slice(0, i);
  }
  return p;
}

/** True when `inner` is `outer` or lies inside it (`outer` is a step-wise prefix of `inner`). */
export function pathWithin(inner: string, outer: string): boolean {
  if (!inner.startsWith(outer)) return false;
  if (inner.length === outer.length) return true;
  const c = inner.charCodeAt(outer.length);
  return c === 46 || c === 91;
}

/** True when a path goes through heap content (a Vec element or a Box's value). */
export function crossesHeap(path: string): boolean {
  return path.includes('[v]') || path.includes('.*');
}

// ---------------------------------------------------------------- types

/** Which types may hold a pointer somewhere in their value (memoized per class). */
export class PointerTypes {
  private readonly classMemo = new Map<string, boolean>();
  private readonly classFields: Map<string, readonly Ty[]>;
  constructor(m: Module) {
    this.classFields = new Map(m.classes.map((c) => [c.name, c.fields.map((f) => f.ty)]));
  }
  /** adds classes declared after the module was read (closure environments: see FunctionPassParts.declare) */
  declare(m: Module): void {
    for (const c of m.classes) this.classFields.set(c.name, c.fields.map((f) => f.ty));
  }
  mayHoldPointer(t: Ty): boolean {
    switch (t.k) {
      // a function value's environment may point at captured variables; a guard at its mutex
      case 'ptr': case 'fn': case 'guard': return true;
      case 'option': case 'box': case 'vec': case 'mutex': return this.mayHoldPointer(t.of);
      case 'array': return this.mayHoldPointer(t.elem);
      case 'class': {
        const known = this.classMemo.get(t.name);
        if (known !== undefined) return known;
        this.classMemo.set(t.name, false); // a class cannot contain itself inline
        const r = (this.classFields.get(t.name) ?? []).some((f) => this.mayHoldPointer(f));
        this.classMemo.set(t.name, r);
        return r;
      }
      default: return false;
    }
  }
}

// ---------------------------------------------------------------- module

/**
 * Module-wide facts: which types hold pointers, and each function's return summary.
 * `analyze` computes the summaries; `fn(f)` then analyzes one function.
 */
export class ModulePointsTo {
  readonly types: PointerTypes;
  /** function name -> how its result carries its arguments' pointers (absent: carries none) */
  readonly summaries = new Map<string, readonly SummaryEntry[]>();
  private readonly externs: Set<string>;
  private readonly fnNames: Set<string>;

  private constructor(readonly module: Module) {
    this.types = new PointerTypes(module);
    this.externs = new Set(module.externs.map((e) => e.name));
    this.fnNames = new Set(module.fns.map((f) => f.name));
  }

  /** Computes every function's summary (callee-first, re-analyzing callers until nothing changes). */
  static analyze(m: Module): ModulePointsTo {
    const mp = new ModulePointsTo(m);
    const returning = m.fns.filter((f) => mp.types.mayHoldPointer(f.ret));
    if (returning.length === 0) return mp;
    const byName = new Map(returning.map((f) => [f.name, f]));
    // callers of each pointer-returning function, and a callee-first order over them
    const callers = new Map<string, Set<string>>();
    const callees = new Map<string, string[]>();
    for (const f of returning) {
      const cs: string[] = [];
      for (const b of f.blocks) for (const s of b.stmts) {
        if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'CallFn' && byName.has(s.value.fn)) cs.push(s.value.fn);
      }
      callees.set(f.name, cs);
      for (const c of cs) { if (!callers.has(c)) callers.set(c, new Set()); callers.get(c)!.add(f.name); }
    }
    const order: string[] = [];
    const seen = new Set<string>();
    for (const f of returning) {
      if (seen.has(f.name)) continue;
      seen.add(f.name);
      const stack: { name: string; i: number }[] = [{ name: f.name, i: 0 }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        const cs = callees.get(top.name)!;
        if (top.i < cs.length) {
          const c = cs[top.i++];
          if (!seen.has(c)) { seen.add(c); stack.push({ name: c, i: 0 }); }
        } else { order.push(top.name); stack.pop(); }
      }
    }
    const queue = order.slice();
    const queued = new Set(queue);
    for (let head = 0; head < queue.length; head++) {
      const name = queue[head];
      queued.delete(name);
      const next = mp.fn(byName.get(name)!).returnSummary();
      const old = mp.summaries.get(name) ?? [];
      if (sameSummary(old, next)) continue;
      mp.summaries.set(name, next);
      for (const c of callers.get(name) ?? []) if (!queued.has(c)) { queued.add(c); queue.push(c); }
    }
    return mp;
  }

  /** Points-to of one function of the module. */
  fn(f: FnDef): FnPointsTo { return new FnPointsTo(this, f); }

  isExtern(name: string): boolean { return this.externs.has(name) && !this.fnNames.has(name); }
}

function sameSummary(a: readonly SummaryEntry[], b: readonly SummaryEntry[]): boolean {
  if (a.length !== b.length) return false;
  const key = (e: SummaryEntry) => `${e.param}/${e.load}/${e.path}`;
  const ks = new Set(a.map(key));
  return b.every((e) => ks.has(key(e)));
}

// ---------------------------------------------------------------- one function

/** Builtins whose result is the value behind their receiver (`Option::unwrap`, `Vec::pop`). */
const LOADS_FROM_RECEIVER = new Set(['option.unwrap', 'vec.pop']);
/** Builtins whose result holds the value passed as their last argument. */
const HOLDS_LAST_ARG = new Set(['box.new', 'vec.filled', 'mutex.new']);

/**
 * The points-to facts of one function: the state at each block's start (`entry`), and
 * helpers to replay a block statement by statement and to evaluate places and operands.
 */
export class FnPointsTo {
  /** state at the start of each block (empty for unreachable blocks) */
  readonly entry: PointsToState[];
  private reach: Uint8Array | null = null;
  private readonly targets: Target[] = [];
  private readonly targetIds = new Map<string, number>();
  private readonly origins: Span[] = [];
  private readonly allocRoots = new Map<Rvalue, number>();
  private names: Map<number, string> | null = null;
  private ptrParams: number[] | null = null;
  private addressTaken: Set<number> | null = null;
  private live: Liveness | null = null;

  constructor(readonly mp: ModulePointsTo, readonly fn: FnDef) {
    if (!this.makesPointers()) {
      this.entry = fn.blocks.map(() => new Map());
      return;
    }
    const kept = this.crossingLocals();
    for (const id of this.addressTakenLocals()) kept.add(id);
    const r = solveDataflow<PointsToState>(fn, {
      direction: 'forward',
      boundary: () => this.boundaryState(),
      bottom: () => new Map(),
      join: joinStates,
      copy: (s) => new Map(s),
      transfer: (block, input) => {
        const out = this.walkBlock(block, input);
        // a local used within one block only holds nothing another block can read
        // (unless a pointer leads to it): dropping it keeps states small
        for (const k of out.keys()) if (k >= 0 && !kept.has(k)) out.delete(k);
        return out;
      },
    });
    this.entry = r.entry;
  }

  /** Whether any pointer can exist in this function (a `Ref`, a pointer parameter, a call that may return one). */
  private makesPointers(): boolean {
    if (this.fn.params.length > 0 && this.pointerParams().length > 0) return true;
    for (const b of this.fn.blocks) for (const s of b.stmts) {
      if (s.kind !== 'Assign' && s.kind !== 'Eval') continue;
      const rv = s.value;
      if (rv.kind === 'Ref' || rv.kind === 'CallValue' || rv.kind === 'Closure') return true;
      if (rv.kind === 'CallFn' && this.mp.summaries.has(rv.fn)) return true;
      if (rv.kind === 'Builtin' && rv.op === 'region.alloc') return true;
    }
    return false;
  }

  /** Locals some block reads before writing them: the only ones whose value crosses a block boundary. */
  private crossingLocals(): Set<number> {
    const definedIn = new Map<number, number>();
    const crossing = new Set<number>();
    for (const b of this.fn.blocks) {
      const use = (id: number) => { if (definedIn.get(id) !== b.id) crossing.add(id); };
      for (const s of b.stmts) { const d = stmtUsesDefs(s, use); if (d !== null) definedIn.set(d, b.id); }
      termUses(b.term, use);
    }
    return crossing;
  }

  /** 1 for the blocks reachable from the entry (the others keep empty states). */
  get reachable(): Uint8Array {
    if (this.reach === null) {
      this.reach = new Uint8Array(this.fn.blocks.length);
      for (const b of reversePostorder(this.fn)) this.reach[b] = 1;
    }
    return this.reach;
  }

  /**
   * Whether a pointer into heap content may exist in `fn` (a cheap syntactic test, before
   * any analysis): only a `Ref` through a Vec element or a Box's value, or a call that
   * may return a pointer, can make one. With `orDelete`, a `Delete` statement counts too
   * (one walk for check-loans, which looks at both).
   */
  static mayPointIntoHeap(mp: ModulePointsTo, fn: FnDef, orDelete = false): boolean {
    return FnPointsTo.mayPointIntoHeapIf(fn, orDelete, (call) => mp.summaries.has(call.fn));
  }

  /**
   * mayPointIntoHeap with the question "may this call return a pointer?" left to the caller
   * (before the summaries exist, `types.mayHoldPointer(call.ty)` answers it conservatively).
   */
  static mayPointIntoHeapIf(fn: FnDef, orDelete: boolean, mayReturnPointer: (call: Node<typeof Lcfg, 'CallFn'>) => boolean): boolean {
    for (const b of fn.blocks) for (const s of b.stmts) {
      if (s.kind !== 'Assign' && s.kind !== 'Eval') {
        if (orDelete && s.kind === 'Delete') return true;
        continue;
      }
      const rv = s.value;
      if (rv.kind === 'Ref' && throughHeap(rv.place)) return true;
      if (rv.kind === 'CallFn' && mayReturnPointer(rv)) return true;
    }
    return false;
  }

  /** Liveness of the function's locals (computed once, shared with the checks). */
  liveness(): Liveness { return (this.live ??= liveness(this.fn)); }

  // ------------------------------------------------------------ symbolic objects

  /** What the pointers in parameter `i`'s value point to. */
  static paramObject(i: number): number { return -1 - 2 * i; }
  /** What the pointers stored in `paramObject(i)` point to. */
  static paramInner(i: number): number { return -2 - 2 * i; }

  private boundaryState(): PointsToState {
    const s: PointsToState = new Map();
    for (const i of this.pointerParams()) {
      s.set(this.fn.params[i], new Set([this.intern(FnPointsTo.paramObject(i), '', this.fn.span)]));
      s.set(FnPointsTo.paramObject(i), new Set([this.intern(FnPointsTo.paramInner(i), '', this.fn.span)]));
    }
    return s;
  }

  /** Positions of the parameters whose values may hold pointers. */
  private pointerParams(): number[] {
    if (this.ptrParams) return this.ptrParams;
    const pos = new Map(this.fn.params.map((id, i) => [id, i]));
    const out: number[] = [];
    for (const l of this.fn.locals) {
      const i = pos.get(l.id);
      if (i !== undefined && this.mp.types.mayHoldPointer(l.ty)) out.push(i);
    }
    return (this.ptrParams = out.sort((a, b) => a - b));
  }

  /** Locals whose storage a pointer may point at (roots of `Ref` places). */
  addressTakenLocals(): ReadonlySet<number> {
    if (this.addressTaken) return this.addressTaken;
    const taken = new Set<number>();
    for (const b of this.fn.blocks) for (const s of b.stmts) {
      if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'Ref') {
        const r = ownedRoot(s.value.place);
        if (r !== null) taken.add(r);
      }
    }
    return (this.addressTaken = taken);
  }

  // ------------------------------------------------------------ targets

  private intern(root: number, path: string, origin: Span): number {
    const key = `${root}:${path}`;
    let id = this.targetIds.get(key);
    if (id === undefined) {
      id = this.targets.length;
      this.targets.push({ root, path });
      this.targetIds.set(key, id);
      this.origins.push(origin);
    }
    return id;
  }

  target(id: number): Target { return this.targets[id]; }
  /** The id of the target `{root, path}`, made (with `origin` as where it was first pointed at) if new. */
  targetId(root: number, path: string, origin: Span): number { return this.intern(root, path, origin); }
  /** Where the first pointer to a target was made (a `Ref` or a call). */
  origin(id: number): Span { return this.origins[id]; }
  /** Every target created so far (after the constructor: every target of the function). */
  get targetCount(): number { return this.targets.length; }

  /** A root as the user would write it: `v`, `*p` for a parameter's pointee, `region memory`. */
  rootName(root: number): string {
    const names = (this.names ??= new Map(this.fn.locals.map((l) => [l.id, l.name])));
    if (root >= 0) return names.get(root) ?? `_${root}`;
    const i = Math.floor((-root - 1) / 2);
    const p = this.fn.params[i];
    if (p === undefined) return 'region memory';
    const name = names.get(p) ?? `_${p}`;
    return (-root - 1) % 2 === 0 ? `*${name}` : `**${name}`;
  }

  /** A target as the user would write the place: `v`, `h.items`, `*b`, `v[_]`. */
  describe(t: Target): string {
    let s = this.rootName(t.root);
    // `*p` followed by steps reads as `p.f` (auto-deref)
    if (t.path !== '' && t.root < 0 && s.startsWith('*') && !s.startsWith('**')) s = s.slice(1);
    const steps = t.path.match(/\.[^.[]+|\[v?\]/g) ?? [];
    for (const st of steps) {
      if (st === '.*') s = `*${s}`;
      else if (st === '.?') continue;
      else if (st.startsWith('[')) s = `${s.startsWith('*') ? `(${s})` : s}[_]`;
      else s = `${s.startsWith('*') ? `(${s})` : s}${st}`;
    }
    return s;
  }

  // ------------------------------------------------------------ evaluation

  /** The locations a place denotes (several when it goes through a pointer that may point at several). */
  placeTargets(p: Place, st: PointsToState): number[] {
    switch (p.kind) {
      case 'LocalPlace': return [this.intern(p.id, '', p.span)];
      case 'GlobalPlace': return [];
      case 'FieldPlace': return this.extend(this.placeTargets(p.base, st), `.${p.field}`, p.span);
      case 'PayloadPlace': return this.extend(this.placeTargets(p.base, st), '.?', p.span);
      case 'IndexPlace': return this.extend(this.placeTargets(p.base, st), p.base.ty.k === 'vec' ? '[v]' : '[]', p.span);
      case 'DerefPlace': {
        const op = p.ptr;
        if (op.kind !== 'Copy' && op.kind !== 'Move') return [];
        if (op.place.ty.k === 'box') return this.extend(this.placeTargets(op.place, st), '.*', p.span);
        return [...this.placeValue(op.place, st)];
      }
    }
  }

  private extend(ids: number[], step: string, origin: Span): number[] {
    return ids.map((id) => { const t = this.targets[id]; return this.intern(t.root, joinPath(t.path, step), origin); });
  }

  /** The pointers held by the value stored at a place. */
  placeValue(p: Place, st: PointsToState): ReadonlySet<number> {
    if (!this.mp.types.mayHoldPointer(p.ty)) return EMPTY;
    const locs = this.placeTargets(p, st);
    if (locs.length === 1) return st.get(this.targets[locs[0]].root) ?? EMPTY;
    const out = new Set<number>();
    for (const l of locs) for (const t of st.get(this.targets[l].root) ?? EMPTY) out.add(t);
    return out;
  }

  /** The pointers held by an operand's value. */
  operandValue(op: Operand, st: PointsToState): ReadonlySet<number> {
    return op.kind === 'Copy' || op.kind === 'Move' ? this.placeValue(op.place, st) : EMPTY;
  }

  /** The pointers held by an rvalue's result. */
  rvalueValue(rv: Rvalue, st: PointsToState): ReadonlySet<number> {
    if (rv.kind === 'Ref') return new Set(this.placeTargets(rv.place, st));
    if (!this.mp.types.mayHoldPointer(rvalueTy(rv))) return EMPTY;
    const union = (ops: readonly Operand[]) => {
      if (ops.length === 1) return this.operandValue(ops[0], st);
      const out = new Set<number>();
      for (const o of ops) for (const t of this.operandValue(o, st)) out.add(t);
      return out;
    };
    switch (rv.kind) {
      case 'Use': case 'CastOp': case 'Repeat': case 'MakeSome': return this.operandValue(rv.op, st);
      case 'BinOp': return union([rv.left, rv.right]);
      case 'Aggregate': return union(rv.ops);
      case 'Closure': return this.operandValue(rv.env, st);
      case 'CallValue': return union([rv.callee, ...rv.args]);
      case 'CallFn': return this.callValue(rv, st);
      case 'Builtin': return this.builtinValue(rv, st);
      default: return EMPTY;
    }
  }

  private callValue(rv: Extract<Rvalue, { kind: 'CallFn' }>, st: PointsToState): ReadonlySet<number> {
    if (this.mp.isExtern(rv.fn)) return EMPTY;
    const summary = this.mp.summaries.get(rv.fn);
    if (summary === undefined) return EMPTY;
    const out = new Set<number>();
    for (const e of summary) {
      const arg = rv.args[e.param];
      if (arg === undefined) continue;
      for (const a of this.operandValue(arg, st)) {
        const srcs = e.load ? st.get(this.targets[a].root) ?? EMPTY : [a];
        for (const s of srcs) {
          const t = this.targets[s];
          out.add(this.intern(t.root, joinPath(t.path, e.path), rv.span));
        }
      }
    }
    return out;
  }

  private builtinValue(rv: Extract<Rvalue, { kind: 'Builtin' }>, st: PointsToState): ReadonlySet<number> {
    const args = rv.args;
    if (LOADS_FROM_RECEIVER.has(rv.op) || rv.op === 'guard.value') return args.length > 0 ? this.loadThrough(args[0], st) : EMPTY;
    if (HOLDS_LAST_ARG.has(rv.op)) return args.length > 0 ? this.operandValue(args[args.length - 1], st) : EMPTY;
    if (rv.op === 'mutex.lock') return args.length > 0 ? this.operandValue(args[0], st) : EMPTY;
    if (rv.op === 'region.alloc') return new Set([this.intern(this.allocRoot(rv), '', rv.span)]);
    return EMPTY;
  }

  /** The pointers stored where the pointer operand `op` points. */
  private loadThrough(op: Operand, st: PointsToState): ReadonlySet<number> {
    const out = new Set<number>();
    for (const a of this.operandValue(op, st)) for (const t of st.get(this.targets[a].root) ?? EMPTY) out.add(t);
    return out;
  }

  private allocRoot(rv: Rvalue): number {
    let r = this.allocRoots.get(rv);
    if (r === undefined) {
      r = -(2 * this.fn.params.length + 1 + this.allocRoots.size);
      this.allocRoots.set(rv, r);
    }
    return r;
  }

  // ------------------------------------------------------------ transfer

  /** Applies one statement to `st` (mutated; its sets are replaced, never changed). */
  applyStmt(s: Stmt, st: PointsToState): void {
    if (s.kind !== 'Assign' && s.kind !== 'Eval') return;
    const rv = s.value;
    if (rv.kind === 'Builtin') {
      if (rv.op === 'vec.push' && rv.args.length === 2) this.storeThrough(rv.args[0], this.operandValue(rv.args[1], st), st);
      else if (rv.op === 'region.alloc' && rv.args.length === 2) {
        addTo(st, this.allocRoot(rv), this.operandValue(rv.args[1], st));
      }
    }
    if (s.kind !== 'Assign') return;
    if (s.place.kind === 'LocalPlace') {
      if (!this.mp.types.mayHoldPointer(s.place.ty)) return;
      const v = this.rvalueValue(rv, st);
      if (v.size === 0) st.delete(s.place.id); else st.set(s.place.id, v);
      return;
    }
    if (!this.mp.types.mayHoldPointer(s.place.ty)) return;
    const v = this.rvalueValue(rv, st);
    if (v.size === 0) return;
    for (const l of this.placeTargets(s.place, st)) addTo(st, this.targets[l].root, v);
  }

  private storeThrough(ptrOp: Operand, v: ReadonlySet<number>, st: PointsToState): void {
    if (v.size === 0) return;
    for (const a of this.operandValue(ptrOp, st)) addTo(st, this.targets[a].root, v);
  }

  /**
   * Replays a block from state `input` (not changed): `visit` sees each statement with the
   * state just before it. Returns the state at the block's end.
   */
  walkBlock(block: BasicBlock, input: PointsToState, visit?: (s: Stmt, i: number, st: PointsToState) => void): PointsToState {
    const st = new Map(input);
    block.stmts.forEach((s, i) => { visit?.(s, i, st); this.applyStmt(s, st); });
    return st;
  }

  /** The summary of this function's result in terms of its parameters (see SummaryEntry). */
  returnSummary(): SummaryEntry[] {
    const out: SummaryEntry[] = [];
    const seen = new Set<string>();
    for (const b of this.fn.blocks) {
      if (!this.reachable[b.id] || b.term.kind !== 'Return' || b.term.value === null) continue;
      const st = this.walkBlock(b, this.entry[b.id]);
      for (const id of this.operandValue(b.term.value, st)) {
        const t = this.targets[id];
        const i = Math.floor((-t.root - 1) / 2);
        if (t.root >= 0 || i >= this.fn.params.length) continue; // locals (E0023) and region memory
        const load = (-t.root - 1) % 2 === 1;
        const key = `${i}/${load}/${t.path}`;
        if (!seen.has(key)) { seen.add(key); out.push({ param: i, load, path: t.path }); }
      }
    }
    return out;
  }

  // ------------------------------------------------------------ queries

  /**
   * Follows pointers from the locals in `from` (say, the locals live at a point): every
   * target the values of those locals may point at, and transitively what is stored
   * there. Calls `f(holder, target)` for each, where `holder` is the local of `from`
   * whose value leads to the target; stops early when `f` returns true.
   */
  forEachReachableTarget(st: PointsToState, from: Iterable<number>, f: (holder: number, target: number) => boolean | void): void {
    const visited = new Set<number>();
    const queue: { root: number; holder: number }[] = [];
    for (const id of from) if (st.has(id) && !visited.has(id)) { visited.add(id); queue.push({ root: id, holder: id }); }
    for (let h = 0; h < queue.length; h++) {
      const { root, holder } = queue[h];
      for (const t of st.get(root) ?? EMPTY) {
        if (f(holder, t) === true) return;
        const r = this.targets[t].root;
        if (st.has(r) && !visited.has(r)) { visited.add(r); queue.push({ root: r, holder }); }
      }
    }
  }

  /**
   * The locals of `from` whose value may lead (directly or through stored pointers) to a
   * pointer at, into or containing `root` — e.g. to avoid moving `root` while pointed to.
   */
  holdersOf(st: PointsToState, from: Iterable<number>, root: number): number[] {
    const out = new Set<number>();
    this.forEachReachableTarget(st, from, (holder, t) => { if (this.targets[t].root === root) out.add(holder); });
    return [...out];
  }
}

function addTo(st: PointsToState, root: number, v: ReadonlySet<number>): void {
  const old = st.get(root);
  if (old === undefined) { st.set(root, v); return; }
  let grown: Set<number> | null = null;
  for (const t of v) if (!old.has(t)) (grown ??= new Set(old)).add(t);
  if (grown) st.set(root, grown);
}

function joinStates(into: PointsToState, from: PointsToState): boolean {
  let changed = false;
  for (const [k, v] of from) {
    const before = into.get(k);
    addTo(into, k, v);
    if (into.get(k) !== before) changed = true;
  }
  return changed;
}

/** Whether a place is reached through a Vec element or a Box's value. */
function throughHeap(p: Place): boolean {
  switch (p.kind) {
    case 'FieldPlace': case 'PayloadPlace': return throughHeap(p.base);
    case 'IndexPlace': return p.base.ty.k === 'vec' || throughHeap(p.base);
    case 'DerefPlace': {
      const op = p.ptr;
      return (op.kind === 'Copy' || op.kind === 'Move') && (op.place.ty.k === 'box' || throughHeap(op.place));
    }
    default: return false;
  }
}

/** The local a place is stored in when no pointer is followed (Box contents belong to the Box's place). */
export function ownedRoot(p: Place): number | null {
  switch (p.kind) {
    case 'LocalPlace': return p.id;
    case 'GlobalPlace': return null;
    case 'FieldPlace': case 'PayloadPlace': case 'IndexPlace': return ownedRoot(p.base);
    case 'DerefPlace': {
      const op = p.ptr;
      return (op.kind === 'Copy' || op.kind === 'Move') && op.place.ty.k === 'box' ? ownedRoot(op.place) : null;
    }
  }
}
