// check-loans: E0024 (spec §5.2) — while a pointer into a variable's heap content (a
// Box's value, a Vec element, a String byte) may still be used, that variable must not be
// reassigned, deleted or resized (`push`, `pop`, `clear`, `append`): the old heap block
// is freed or moved, and the pointer would dangle.
//
// It runs on Lcfg because "may still be used" is liveness on the control-flow graph, not
// lexical scope: a pointer whose last use comes before the `push` is fine, one used in a
// later loop iteration is not. Which locals may hold which pointers comes from
// ir/points-to.ts (flow-sensitive, through copies, Options, aggregates, stores and calls).
//
// At each operation that invalidates a place Q — a `vec.push`/`vec.pop`/`vec.clear`/
// `string.append` whose receiver points at Q, an assignment to Q, `delete Q` — the pass
// looks for a pointer, reachable from a local live after the operation, whose target
// lies inside Q and goes through heap content below Q. So `v[i] = x` (Q = an element) is
// fine while `*v[j]` is in use, and `v = w` is fine while `*v` (the Vec itself) is.
// A `delete` frees the value itself too: any pointer into or around Q then counts.
//
// Calls change what their pointer arguments point to: `q.grow()` may push onto
// `q.items`, `fill(*mut v)` onto `v`, and calling a lambda that captured `v` by reference
// may push onto `v`. Each function gets an effect summary (which places behind its
// pointer parameters it may resize or reassign, directly or through its own calls),
// computed callee-first to a fixpoint, and a call changes what the summary says, seen
// through the call's arguments. A call of a function value uses the summary of the
// lambda whose environment the value may point to (its record's class names it).
// A call may also use the pointers it is given after its own change (`grow(*mut v, *v[0])`
// pushes, then reads through its second argument): so for a change a call makes, the
// pointers its operands hold count as in use, as Rust's borrow checker counts them.
// `spawn(f)` counts as a call of f: the thread may change what f shares (a Mutex's value)
// while the spawning function still holds a pointer into it.

import type { Span } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import { lineCol } from '../ir/diagnostics.js';
import {
  liveBeforeEachStmt, stmtUsesDefs, successors, termUses, type FnDef, type Liveness, type Operand, type Rvalue, type Stmt,
} from '../ir/cfg.js';
import {
  crossesHeap, FnPointsTo, joinPath, ModulePointsTo, ownedRoot, pathWithin, PointerTypes, type PointsToState, type Target,
} from '../ir/points-to.js';
import type { Ty } from '../ir/types.js';
import { defineCfgFunctionPass, type PassContext } from './pass.js';

type Module = Node<typeof Lcfg, 'Module'>;

/** Builtins that change the size of their receiver (spec §5.2). */
const RESIZING = new Set(['vec.push', 'vec.pop', 'vec.clear', 'string.append']);

type Change = 'resized' | 'reassigned' | 'deleted';

/** Errors per function for which the line of the pointer's next use is searched (each search walks the function). */
const MAX_USE_SEARCHES = 16;

/** A pointer at `t` is invalidated by changing `q` that way. */
function invalidates(q: Target, t: Target, how: Change): boolean {
  if (q.root !== t.root) return false;
  if (how === 'deleted') return pathWithin(t.path, q.path) || pathWithin(q.path, t.path);
  return pathWithin(t.path, q.path) && crossesHeap(t.path.slice(q.path.length));
}

/**
 * A change a function may make behind its parameter `param` (`load`: behind the pointers
 * stored there), or (`how: 'call'`) a call of the function value passed as `param`.
 */
interface Effect { readonly param: number; readonly load: boolean; readonly path: string; readonly how: Change | 'call' }

type Effects = ReadonlyMap<string, readonly Effect[]>;

/** The lambda function a function value may be, from its environment record's type (`f.env` or `Option<f.env>`). */
function lambdaOfRecord(ty: Ty | undefined, fnNames: ReadonlySet<string>): string | null {
  const t = ty?.k === 'option' || ty?.k === 'box' ? ty.of : ty;
  if (t?.k !== 'class' || !t.name.endsWith('.env')) return null;
  const name = t.name.slice(0, -'.env'.length);
  return fnNames.has(name) ? name : null;
}

/** Per-function context for `changesOf`: the module's effects and how to find a closure's function. */
interface ChangeCtx {
  readonly effects: Effects;
  readonly fnNames: ReadonlySet<string>;
  readonly localTys: ReadonlyMap<number, Ty>;
  /** the Closure each local holding a closure was assigned (a `spawn` argument is one) */
  readonly closures: ReadonlyMap<number, Closure>;
}

type Closure = Extract<Rvalue, { kind: 'Closure' }>;

/** Whether an rvalue calls a function value: a CallValue, or `spawn` (its thread calls it). */
const callsFnValue = (rv: Rvalue): boolean => rv.kind === 'CallValue' || (rv.kind === 'Builtin' && rv.op === 'spawn');

/** What `changedTargets` needs of function `fn`, given the module's effects. */
function changeCtx(fn: FnDef, effects: Effects, fnNames: ReadonlySet<string>): ChangeCtx {
  const closures = new Map<number, Closure>();
  for (const b of fn.blocks) for (const s of b.stmts) {
    if (s.kind === 'Assign' && s.value.kind === 'Closure' && s.place.kind === 'LocalPlace') closures.set(s.place.id, s.value);
  }
  return { effects, fnNames, localTys: new Map(fn.locals.map((l) => [l.id, l.ty])), closures };
}

/** A change a statement may make: to these places (target ids), and whether a call makes it (its callee's summary). */
interface Changed { ids: Iterable<number>; how: Change | 'call'; span: Span; byCall?: true }

/** A change as checkFunction looks for pointers it breaks: the places, as targets. */
interface Invalidation { places: Target[]; how: Change; span: Span; byCall?: true }

/** The places (target ids) a statement may change, and how: directly, or through a call's effects. */
function changedTargets(pt: FnPointsTo, s: Stmt, st: PointsToState, cc: ChangeCtx): Changed[] {
  const out: Changed[] = [];
  if (s.kind === 'Drop') return out;
  if (s.kind === 'Delete') {
    // a delete through a pointer (or of a lambda's capture) is E0027 and deletes nothing here
    if (ownedRoot(s.place) !== null) out.push({ ids: pt.placeTargets(s.place, st), how: 'deleted', span: s.span });
    return out;
  }
  const rv = s.value;
  if (rv.kind === 'Builtin' && RESIZING.has(rv.op) && rv.args.length > 0) {
    out.push({ ids: pt.operandValue(rv.args[0], st), how: 'resized', span: s.span });
  }
  // a call: what its callee's summary changes, seen through the arguments
  const applyEffects = (effects: readonly Effect[] | undefined, args: readonly Operand[], depth: number) => {
    if (effects === undefined) return;
    for (const e of effects) {
      const arg = args[e.param];
      if (arg === undefined) continue;
      if (e.how === 'call') {
        // the callee calls this function value: what the lambda changes in what it captured
        if (depth < 4) callValue(arg, [], depth + 1);
        passedOn(arg);
        continue;
      }
      const ids: number[] = [];
      for (const a of pt.operandValue(arg, st)) {
        const srcs = e.load ? st.get(pt.target(a).root) ?? [] : [a];
        for (const src of srcs) { const t = pt.target(src); ids.push(pt.targetId(t.root, joinPath(t.path, e.path), s.span)); }
      }
      if (ids.length > 0) out.push({ ids, how: e.how, span: s.span, byCall: true });
    }
  };
  /**
   * A call of the function value `callee`: the effects of each lambda it may be. One that
   * may be none of them (a parameter, a named function's value) may change anything its
   * `*mut` arguments point to.
   */
  function callValue(callee: Operand, args: readonly Operand[], depth: number): void {
    const seen = new Set<string>();
    for (const a of pt.operandValue(callee, st)) {
      const f = lambdaOfRecord(cc.localTys.get(pt.target(a).root), cc.fnNames);
      if (f !== null && !seen.has(f)) { seen.add(f); applyEffects(cc.effects.get(f), [callee, ...args], depth); }
    }
    if (seen.size > 0) return;
    for (const arg of args) {
      const t = arg.kind === 'Const' ? arg.ty : arg.kind === 'FnRef' ? null : arg.place.ty;
      if (t?.k !== 'ptr' || !t.mut) continue;
      const ids = [...pt.operandValue(arg, st)];
      if (ids.length > 0) out.push({ ids, how: 'reassigned', span: s.span, byCall: true });
    }
  }
  /**
   * `spawn(f)`: a call of f. A lambda made for a thread owns its environment, a Box (its
   * record on the heap) passed by value: what the Box holds is what the lambda reaches.
   */
  function spawned(f: Operand): void {
    const closure = (f.kind === 'Copy' || f.kind === 'Move') && f.place.kind === 'LocalPlace' ? cc.closures.get(f.place.id) : undefined;
    if (closure?.env != null && (closure.env.kind === 'Copy' || closure.env.kind === 'Move') && closure.env.place.ty.k === 'box') {
      applyEffects(cc.effects.get(closure.fn), [closure.env], 0);
    } else callValue(f, [], 0);
  }
  /** A call of a function value this function received as a parameter: its summary says so. */
  function passedOn(callee: Operand): void {
    for (const a of pt.operandValue(callee, st)) {
      const t = pt.target(a);
      if (t.root < 0 && t.path === '' && (-t.root - 1) % 2 === 0) out.push({ ids: [a], how: 'call', span: s.span });
    }
  }
  if (rv.kind === 'CallFn') applyEffects(cc.effects.get(rv.fn), rv.args, 0);
  // a thread may run its lambda any time before it is joined: as if called at `spawn`
  else if (rv.kind === 'Builtin' && rv.op === 'spawn' && rv.args.length === 1) spawned(rv.args[0]);
  else if (rv.kind === 'CallValue') {
    callValue(rv.callee, rv.args, 0);
    passedOn(rv.callee);
  }
  if (s.kind === 'Assign') out.push({ ids: pt.placeTargets(s.place, st), how: 'reassigned', span: s.span });
  return out;
}

/** The locals whose values a call statement passes (its arguments, and a function value's callee). */
function callOperandLocals(s: Stmt): number[] {
  if (s.kind !== 'Assign' && s.kind !== 'Eval') return [];
  const rv = s.value;
  const ops = rv.kind === 'CallFn' ? rv.args : rv.kind === 'CallValue' ? [rv.callee, ...rv.args] : [];
  const out: number[] = [];
  for (const op of ops) {
    const root = op.kind === 'Copy' || op.kind === 'Move' ? ownedRoot(op.place) : null;
    if (root !== null) out.push(root);
  }
  return out;
}

/** Whether a function may change something behind a pointer by itself (a resize, a store through a pointer, a call of a function value). */
function changesDirectly(fn: FnDef): boolean {
  for (const b of fn.blocks) for (const s of b.stmts) {
    if (s.kind === 'Assign' && ownedRoot(s.place) === null && s.place.kind !== 'GlobalPlace') return true;
    if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'Builtin' && RESIZING.has(s.value.op)) return true;
    if ((s.kind === 'Assign' || s.kind === 'Eval') && callsFnValue(s.value)) return true;
  }
  return false;
}

/** Effect summaries of every function that may change what its pointer parameters point to. */
function effectSummaries(m: Module, mp: ModulePointsTo, fnNames: ReadonlySet<string>): Map<string, Effect[]> {
  const effects = new Map<string, Effect[]>();
  const byName = new Map(m.fns.map((f) => [f.name, f]));
  // who may call whom: direct calls, and functions that make a closure of a lambda (and may call it)
  const callers = new Map<string, Set<string>>();
  const callsValues = new Set<string>();
  for (const f of m.fns) for (const b of f.blocks) for (const s of b.stmts) {
    if (s.kind !== 'Assign' && s.kind !== 'Eval') continue;
    if (callsFnValue(s.value)) callsValues.add(f.name);
    const callee = s.value.kind === 'CallFn' || s.value.kind === 'Closure' ? s.value.fn : null;
    if (callee === null) continue;
    if (!callers.has(callee)) callers.set(callee, new Set());
    callers.get(callee)!.add(f.name);
  }
  const queue = m.fns.filter((f) => f.params.length > 0 && changesDirectly(f)).map((f) => f.name);
  const queued = new Set(queue);
  for (let head = 0; head < queue.length; head++) {
    const name = queue[head];
    queued.delete(name);
    const fn = byName.get(name)!;
    const next = summarize(mp.fn(fn), changeCtx(fn, effects, fnNames));
    const old = effects.get(name) ?? [];
    const key = (e: Effect) => `${e.param}/${e.load}/${e.path}/${e.how}`;
    const oldKeys = new Set(old.map(key));
    if (next.length === old.length && next.every((e) => oldKeys.has(key(e)))) continue;
    effects.set(name, next);
    // (a call of a function value may be a call of this one: those callers are not known by name)
    for (const c of [...callers.get(name) ?? [], ...callsValues]) {
      if (!queued.has(c) && (byName.get(c)?.params.length ?? 0) > 0) { queued.add(c); queue.push(c); }
    }
  }
  return effects;
}

/** The changes a function makes behind its parameters. */
function summarize(pt: FnPointsTo, cc: ChangeCtx): Effect[] {
  const out = new Map<string, Effect>();
  const nParams = pt.fn.params.length;
  for (const block of pt.fn.blocks) {
    if (!pt.reachable[block.id]) continue;
    pt.walkBlock(block, pt.entry[block.id], (s, _i, st) => {
      for (const { ids, how } of changedTargets(pt, s, st, cc)) {
        if (how === 'deleted') continue; // deletes through pointers are E0027
        for (const id of ids) {
          const t = pt.target(id);
          if (t.root >= 0) continue;
          const param = Math.floor((-t.root - 1) / 2);
          if (param >= nParams) continue; // region memory
          const load = (-t.root - 1) % 2 === 1;
          const e = { param, load, path: t.path, how };
          out.set(`${param}/${load}/${t.path}/${how}`, e);
        }
      }
    });
  }
  return [...out.values()];
}

function checkFunction(pt: FnPointsTo, cc: ChangeCtx, ctx: PassContext): void {
  const fn = pt.fn;
  // roots that some pointer may point into (through heap content), or at all
  const heapRoots = new Set<number>();
  const anyRoots = new Set<number>();
  for (let id = 0; id < pt.targetCount; id++) {
    const t = pt.target(id);
    anyRoots.add(t.root);
    if (crossesHeap(t.path)) heapRoots.add(t.root);
  }
  if (anyRoots.size === 0) return;
  const live: Liveness = pt.liveness();
  let searches = 0;

  for (const block of fn.blocks) {
    if (!pt.reachable[block.id]) continue;
    let liveBefore: Set<number>[] | null = null;
    pt.walkBlock(block, pt.entry[block.id], (s, i, st) => {
      const changes = changesOf(s, st);
      for (const { places, how, span, byCall } of changes) {
        if (places.length === 0) continue;
        liveBefore ??= liveBeforeEachStmt(fn, live, block.id);
        const after = liveBefore[i + 1];
        // a call may use the pointers it is given after its own change (`grow(*mut v, *v[0])`)
        const passed = byCall ? callOperandLocals(s) : [];
        let found: { q: Target; holder: number; target: number } | null = null;
        pt.forEachReachableTarget(st, passed.length === 0 ? after : [...after, ...passed], (holder, target) => {
          const t = pt.target(target);
          for (const q of places) if (invalidates(q, t, how)) { found = { q, holder, target }; return true; }
          return false;
        });
        if (found === null) continue;
        const { q, holder, target } = found as { q: Target; holder: number; target: number };
        const name = pt.describe(q);
        const taken = lineCol(ctx.src, pt.origin(target).start).line;
        const inCall = !after.has(holder);
        const useLine = !inCall && searches++ < MAX_USE_SEARCHES ? nextUseLine(fn, block.id, i + 1, holder, ctx) : null;
        ctx.diag.error('E0024', span, `cannot change \`${name}\` while a pointer into it is in use`, {
          label: `\`${name}\` is ${how} here`,
          help: inCall ? 'pass a copy of the element instead of a pointer to it' : 'finish using the pointer first, or copy the element out',
          notes: [inCall
            ? `note: the pointer taken at line ${taken} is passed to the same call, which may use it after the change`
            : `note: the pointer taken at line ${taken} is used later${useLine === null ? '' : ` at line ${useLine}`}`],
        });
        return;
      }
    });
  }

  /** The places a statement invalidates, as targets (only those some pointer may point into). */
  function changesOf(s: Stmt, st: PointsToState): Invalidation[] {
    if (s.kind === 'Delete' || (s.kind === 'Assign' && s.value.kind !== 'CallFn' && s.value.kind !== 'CallValue' && s.value.kind !== 'Builtin')) {
      // cheap exits before evaluating places: a change of a local nothing points into
      const r = ownedRoot(s.place);
      if (r !== null && !(s.kind === 'Delete' ? anyRoots : heapRoots).has(r)) return [];
    }
    const out: Invalidation[] = [];
    for (const { ids, how, span, byCall } of changedTargets(pt, s, st, cc)) {
      if (how === 'call') continue; // a parameter's function value: the caller checks it
      const roots = how === 'deleted' ? anyRoots : heapRoots;
      const places: Target[] = [];
      for (const id of ids) { const t = pt.target(id); if (roots.has(t.root)) places.push(t); }
      out.push({ places, how, span, byCall });
    }
    return out;
  }
}

/**
 * The line of the first read of `local` after statement `from` of block `b`, searching
 * the control-flow graph breadth-first and stopping on each path where it is overwritten.
 */
function nextUseLine(fn: FnDef, b: number, from: number, local: number, ctx: PassContext): number | null {
  const seen = new Uint8Array(fn.blocks.length);
  const queue: { b: number; from: number }[] = [{ b, from }];
  for (let h = 0; h < queue.length; h++) {
    const blk = fn.blocks[queue[h].b];
    let killed = false;
    for (let i = queue[h].from; i < blk.stmts.length && !killed; i++) {
      let used = false;
      const def = stmtUsesDefs(blk.stmts[i], (id) => { if (id === local) used = true; });
      if (used) return lineCol(ctx.src, blk.stmts[i].span.start).line;
      if (def === local) killed = true;
    }
    if (killed) continue;
    let used = false;
    termUses(blk.term, (id) => { if (id === local) used = true; });
    if (used) return lineCol(ctx.src, blk.term.span.start).line;
    for (const s of successors(blk.term)) if (!seen[s]) { seen[s] = 1; queue.push({ b: s, from: 0 }); }
  }
  return null;
}

export const checkLoansPass = defineCfgFunctionPass({
  name: 'check-loans',
  description: 'E0024: no resizing, reassigning or deleting a variable while a pointer into its heap content is live',
  prepare(m, ctx) {
    const types = new PointerTypes(m);
    // Summaries of what calls return and change need every function's body. In a sweep
    // `m` has none, so they come from ctx.wholeModule, asked for only when a function
    // may point into heap content at all (a call counts if its result may hold a pointer).
    let summaries: { whole: Module; mp: ModulePointsTo; fnNames: ReadonlySet<string>; effects: Effects | null } | null = null;
    return {
      types,
      mayNeedCheck: (fn: FnDef) => FnPointsTo.mayPointIntoHeapIf(fn, true, (call) => types.mayHoldPointer(call.ty)),
      summaries() {
        if (summaries !== null) return summaries;
        const whole = (ctx.wholeModule?.() ?? m) as Module;
        return (summaries = { whole, mp: ModulePointsTo.analyze(whole), fnNames: new Set(whole.fns.map((f) => f.name)), effects: null });
      },
    };
  },
  declare: (m, facts) => facts.types.declare(m),
  runFunction(fn, facts, ctx) {
    // most functions never point into heap content and delete nothing: nothing to check
    if (!facts.mayNeedCheck(fn)) return fn;
    const s = facts.summaries();
    if (!FnPointsTo.mayPointIntoHeap(s.mp, fn, true)) return fn;
    s.effects ??= effectSummaries(s.whole, s.mp, s.fnNames);
    checkFunction(s.mp.fn(fn), changeCtx(fn, s.effects, s.fnNames), ctx);
    return fn;
  },
});
