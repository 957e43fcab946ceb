// desugar-lambdas: closure conversion (spec §7, §8). Every lambda becomes a top-level
// function, so later passes and the backends only know functions and function values.
//
// The body of a lambda in function `outer` becomes the FnDecl `outer.lambdaN` (N counts the
// lambdas of `outer` in source order; methods are `Class.method`, static initializers
// `static.NAME`). A lambda that captures nothing is then just that function's name (a
// plain function value). One that captures gets an environment record, a synthesized class
// `outer.lambdaN.env` with one field per captured variable, and becomes a
// `Closure{fn, env}` whose function takes the environment as its first parameter `env`;
// inside it, each captured variable is reached through `env`.
//
// How each variable is captured:
// - by reference (ordinary and `unsafe` lambdas, and the Sync variables of a concurrent
//   lambda): the field is a pointer to the variable (`*mut T` for a `mut` one) and uses
//   become `*env.x`. The record lives in a hidden `Option` variable declared right after
//   the last of the captured variables (in the innermost lambda being converted), so it
//   lives exactly as long as they do: E0023 (check-escapes) keeps the closure from
//   outliving its captures, and so from outliving its record. It is set where the lambda
//   is evaluated: the pointers are taken there, so delete checks see the capture there.
// - by copy (the non-Sync variables of a concurrent lambda): the field holds a copy made
//   when the lambda is created, and uses become `env.x`. The record then lives in a
//   hidden `Option` variable of the block that creates the lambda, set where the lambda
//   is evaluated (so a lambda created in a loop condition copies on every evaluation).
// - a lambda given directly to `spawn` gets its record on the heap instead (a Box, built
//   where the lambda is evaluated, copies included): the thread owns it and drops it when
//   the lambda returns, so the spawning statement's temporaries and locals may die before
//   the thread does.
// - `spawn(g)`, where `g` is bound without `mut`, in the same function or lambda, to a
//   lambda that copies (spawnsCopyOf): the thread gets its own copy of g's record, on the
//   heap, through `outer.lambdaN.spawned`, which takes the Box and calls the lambda's
//   function with it. So the thread outlives g's record as freely as `spawn(lambda)` does.
// Calls of function values stay Calls; explicate-control makes them CallValue.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lptr, Lnolambda, type Node, type NameRef } from '../ir/languages.js';
import { forEachNode, rewriter, someNode, type Rewriter } from '../ir/traverse.js';
import { classTable } from '../ir/needs-drop.js';
import { syncFacts, type SyncFacts } from '../ir/sync.js';
import { classTy, fnTy, gen, ptr, type Ty } from '../ir/types.js';
import { defineItemGroupPass, invariant, type PassContext } from './pass.js';

type N<K extends string> = Node<typeof Lptr, K>;
type Expr = AnyNode & { readonly ty: Ty };

/** A variable a lambda uses but does not declare. */
export interface Capture {
  readonly id: number;
  readonly name: string;
  readonly ty: Ty;
  /** the first use inside the lambda (diagnostics point there) */
  readonly firstUse: N<'Name'>;
}

/**
 * The variables `lambda` captures, in order of first use: locals it uses that it (or a
 * lambda inside it) does not bind. Binding ids are unique within a function, so a use is
 * a capture exactly when no binder inside the lambda has its id.
 */
export function capturesOf(lambda: N<'Lambda'>): Capture[] {
  const bound = new Set<number>();
  const uses: N<'Name'>[] = [];
  forEachNode(Lptr, lambda, (n) => {
    if (n.kind === 'Param' || n.kind === 'Let' || n.kind === 'RegionStmt') bound.add(n.id as number);
    else if (n.kind === 'Name' && (n.ref as NameRef).k === 'local') uses.push(n as N<'Name'>);
  });
  const captures = new Map<number, Capture>();
  for (const use of uses) {
    const id = (use.ref as { id: number }).id;
    if (!bound.has(id) && !captures.has(id)) captures.set(id, { id, name: use.name, ty: use.ty, firstUse: use });
  }
  return [...captures.values()];
}

/** A lambda checked as concurrent (spec §8): passed where a `concurrent fn` is expected, and not `unsafe`. */
export function isConcurrentLambda(lambda: N<'Lambda'>): boolean {
  return lambda.ty.k === 'fn' && lambda.ty.concurrent && !lambda.unsafe;
}

/** `spawn(lambda)`: the lambda's environment goes to the heap, owned by the new thread. */
export function isSpawnOfLambda(call: N<'Call'>): boolean {
  const ref = call.callee.kind === 'Name' ? call.callee.ref as NameRef : null;
  return ref?.k === 'builtin' && ref.name === 'spawn' && call.args[0]?.kind === 'Lambda';
}

/**
 * The lambda `g` is bound to, for `spawn(g)` with `g` a local bound without `mut` to a
 * concurrent lambda that copies some variable (`copiedLambdas`: such bindings of the
 * function or lambda the call is in, by binding id): the thread is given a copy of the
 * lambda's record on the heap (desugar-lambdas), so only what the record points to ties it
 * to a block (check-escapes).
 */
export function spawnsCopyOf(call: N<'Call'>, copiedLambdas: ReadonlyMap<number, N<'Lambda'>>): N<'Lambda'> | undefined {
  const ref = call.callee.kind === 'Name' ? call.callee.ref as NameRef : null;
  if (ref?.k !== 'builtin' || ref.name !== 'spawn' || call.args.length !== 1 || call.args[0].kind !== 'Name') return undefined;
  const arg = call.args[0].ref as NameRef;
  return arg.k === 'local' ? copiedLambdas.get(arg.id) : undefined;
}

/** Whether `let` binds, without `mut`, a concurrent lambda that copies a variable (see spawnsCopyOf). */
export function bindsCopyingLambda(s: AnyNode, isSync: (t: Ty) => boolean): s is N<'Let'> & { init: N<'Lambda'> } {
  if (s.kind !== 'Let' || s.mut || (s.init as AnyNode).kind !== 'Lambda') return false;
  const l = s.init as N<'Lambda'>;
  return isConcurrentLambda(l) && capturesOf(l).some((c) => !isSync(c.ty));
}

/** How a lambda holds a captured variable: a pointer to it, or its own copy. */
export function captureMode(lambda: N<'Lambda'>, ty: Ty, facts: SyncFacts): 'ref' | 'copy' {
  return isConcurrentLambda(lambda) && !facts.isSync(ty) ? 'copy' : 'ref';
}

/** The statements of one block being rebuilt, with declarations to splice in after some of them. */
interface BlockState {
  readonly depth: number;
  /** index of the statement being converted (the tail counts as `stmts.length`) */
  index: number;
  /** declarations to insert after statement i (-1: at the start) */
  readonly inserts: Map<number, AnyNode[]>;
}

/** Where a variable is declared: after statement `index` of a block (-1: at its start). */
interface Binder { readonly state: BlockState; readonly index: number; readonly mut: boolean }

/** The function or lambda whose body is being converted. */
interface Frame {
  /** the captured variables, each as the place it is reached by from the body */
  readonly access: Map<number, (span: Span) => Expr>;
  /** its bindings to lambdas that copy (spawnsCopyOf) */
  readonly copied: Map<number, N<'Lambda'>>;
  /** the state of its body block, once entered (null for a static's initializer) */
  body: BlockState | null;
}

interface Ctx { readonly frame: Frame; readonly block: BlockState | null }

const nameOf = (use: N<'Name'>, span: Span): Expr => ({ kind: 'Name', span, name: use.name, ref: use.ref, ty: use.ty });

/** Converts the lambdas of one function (or method, or static initializer). */
class FunctionConverter {
  /** lifted functions and environment classes, in the order they are finished */
  readonly lifted: AnyNode[] = [];
  private count = 0;
  private readonly binders = new Map<number, Binder>();
  /** lambdas that copy, as converted where they are: for a `spawn` of the variable bound to one */
  private readonly converted = new Map<N<'Lambda'>, { fnName: string; envTy: Ty; optId: number; spawned: string | null }>();
  private readonly rw: Rewriter<Ctx>;

  constructor(private readonly owner: string, private readonly facts: SyncFacts, private readonly pass: PassContext) {
    // changed nodes are literals in declaration order: a spread would give each copy a hidden class of its own
    this.rw = rewriter<Ctx>(Lptr, {
      Block: (node: N<'Block'>, _next, ctx) => this.block(node, ctx, [], false),
      RegionStmt: (node: N<'RegionStmt'>, _next, ctx) => ({
        kind: 'RegionStmt',
        span: node.span,
        name: node.name,
        capacity: node.capacity && this.rw(node.capacity, ctx),
        body: this.block(node.body, ctx, [[node.id, false]], false),
        id: node.id,
      }),
      Lambda: (node: N<'Lambda'>, _next, ctx) => this.lambda(node, ctx, false),
      Call: (node: N<'Call'>, next, ctx) => {
        if (isSpawnOfLambda(node)) {
          return { kind: 'Call', span: node.span, callee: node.callee, args: [this.lambda(node.args[0] as N<'Lambda'>, ctx, true)], ty: node.ty };
        }
        const copied = spawnsCopyOf(node, ctx.frame.copied);
        return copied ? { kind: 'Call', span: node.span, callee: node.callee, args: [this.spawnedCopy(copied, node.args[0].span)], ty: node.ty } : next(node);
      },
      Name: (node: N<'Name'>, _next, ctx) => {
        const ref = node.ref as NameRef;
        const access = ref.k === 'local' ? ctx.frame.access.get(ref.id) : undefined;
        return access ? access(node.span) : node;
      },
    });
  }

  /** A function or method body; `params` are its parameters' ids and mutability. */
  functionBody(body: N<'Block'>, params: readonly (readonly [number, boolean])[]): AnyNode {
    return this.block(body, { frame: { access: new Map(), copied: new Map(), body: null }, block: null }, params, true);
  }

  /** A static's initializer: no parameters, no enclosing block. */
  initializer(e: AnyNode): AnyNode {
    return this.rw(e, { frame: { access: new Map(), copied: new Map(), body: null }, block: null });
  }

  private block(node: N<'Block'>, ctx: Ctx, declared: readonly (readonly [number, boolean])[], frameBody: boolean): AnyNode {
    const state: BlockState = { depth: (ctx.block?.depth ?? -1) + 1, index: -1, inserts: new Map() };
    if (frameBody) ctx.frame.body = state;
    for (const [id, mut] of declared) this.binders.set(id, { state, index: -1, mut });
    const inner: Ctx = { frame: ctx.frame, block: state };
    let changed = false;
    const stmts = node.stmts.map((s, i) => {
      state.index = i;
      const out = this.rw(s, inner);
      if (s.kind === 'Let') this.binders.set(s.id, { state, index: i, mut: s.mut });
      if (bindsCopyingLambda(s, this.facts.isSync)) ctx.frame.copied.set(s.id, s.init);
      changed ||= out !== s;
      return out;
    });
    state.index = node.stmts.length;
    const tail = node.tail && this.rw(node.tail, inner);
    if (!changed && tail === node.tail && state.inserts.size === 0) return node;
    const out: AnyNode[] = [...(state.inserts.get(-1) ?? [])];
    stmts.forEach((s, i) => out.push(s, ...(state.inserts.get(i) ?? [])));
    return { kind: 'Block', span: node.span, stmts: out, tail, ty: node.ty };
  }

  private insert(state: BlockState, after: number, decl: AnyNode): void {
    const list = state.inserts.get(after);
    if (list) list.push(decl); else state.inserts.set(after, [decl]);
  }

  /** The place a captured variable is at, seen from the frame being converted. */
  private placeOf(c: Capture, ctx: Ctx, span: Span): Expr {
    return ctx.frame.access.get(c.id)?.(span) ?? nameOf(c.firstUse, span);
  }

  /**
   * Where a by-reference record goes: right after the declaration of the captured
   * variable declared last, but inside the lambda being converted when that variable
   * comes from outside it (its record is then built at the start of that lambda's body).
   */
  private recordSite(captures: readonly Capture[], ctx: Ctx): { state: BlockState; index: number } {
    const floor = ctx.frame.body ?? ctx.block;
    invariant(floor, 'a capturing lambda is inside a block');
    let best: { state: BlockState; index: number } = { state: floor, index: -1 };
    for (const c of captures) {
      const b = this.binders.get(c.id);
      if (!b || b.state.depth < floor.depth) continue;
      if (b.state.depth > best.state.depth || (b.state === best.state && b.index > best.index)) best = b;
    }
    return best;
  }

  private lambda(l: N<'Lambda'>, ctx: Ctx, spawned: boolean): AnyNode {
    invariant(l.ty.k === 'fn', 'a lambda has a fn type after check-types', l);
    const span = l.span;
    const fnName = `${this.owner}.lambda${++this.count}`;
    const captures = capturesOf(l);
    const modes = captures.map((c) => captureMode(l, c.ty, this.facts));
    const muts = captures.map((c, i) => modes[i] === 'ref' && (this.binders.get(c.id)?.mut ?? false));
    const envClass = `${fnName}.env`;
    const envTy = classTy(envClass);
    const envParamTy = spawned ? gen('box', envTy) : ptr(envTy, false);
    const envId = this.pass.freshId();
    const used = new Set<string>();
    const fieldNames = captures.map((c) => {
      const name = used.has(c.name) ? `${c.name}_${c.id}` : c.name;
      used.add(name);
      return name;
    });
    const fieldTys = captures.map((c, i) => (modes[i] === 'copy' ? c.ty : ptr(c.ty, muts[i])));

    // the body, with captured variables reached through `env`
    const frame: Frame = { access: new Map(), copied: new Map(), body: null };
    captures.forEach((c, i) => frame.access.set(c.id, (at) => {
      const env: Expr = { kind: 'Name', span: at, name: 'env', ref: { k: 'local', id: envId }, ty: envParamTy };
      const record: Expr = { kind: 'Deref', span: at, ptr: env, ty: envTy };
      const field: Expr = { kind: 'Field', span: at, object: record, name: fieldNames[i], ty: fieldTys[i] };
      return modes[i] === 'copy' ? field : { kind: 'Deref', span: at, ptr: field, ty: c.ty };
    }));
    const bodyBlock = l.body.kind === 'Block'
      ? l.body as N<'Block'>
      : { kind: 'Block', span: l.body.span, stmts: [], tail: l.body, ty: l.body.ty } as unknown as N<'Block'>;
    const body = this.block(bodyBlock, { frame, block: ctx.block }, l.params.map((p) => [p.id, p.mut] as const), true);
    const envParam = { kind: 'Param', span, name: 'env', mut: false, ty: envParamTy, id: envId };
    const params = captures.length > 0 ? [envParam, ...l.params] : l.params;
    if (captures.length > 0) {
      this.lifted.push({
        kind: 'ClassDecl', span, name: envClass,
        fields: captures.map((c, i) => ({ kind: 'Param', span: c.firstUse.span, name: fieldNames[i], mut: false, ty: fieldTys[i], id: i + 1 })),
        traits: [], methods: [],
      });
    }
    this.lifted.push({ kind: 'FnDecl', span, name: fnName, params, ret: l.ty.ret, body, unsafe: l.unsafe, mutSelf: false, isStatic: false });

    if (captures.length === 0) return { kind: 'Name', span, name: fnName, ref: { k: 'fn', name: fnName }, ty: l.ty };

    // the environment record, as seen from where the lambda is
    const record: Expr = {
      kind: 'StructLit', span, className: envClass,
      fields: captures.map((c, i) => {
        const place = this.placeOf(c, ctx, span);
        const value = modes[i] === 'copy' ? place : { kind: 'AddrOf', span, mut: muts[i], place, ty: fieldTys[i] };
        return { kind: 'FieldInit', span, name: fieldNames[i], value };
      }),
      ty: envTy,
    };
    const closure = (env: Expr): Expr => ({ kind: 'Closure', span, fn: fnName, env, ty: l.ty });
    const local = (id: number, ty: Ty): Expr => ({ kind: 'Name', span, name: `${fnName}.env`, ref: { k: 'local', id }, ty });

    if (spawned) {
      const boxTy = envParamTy;
      const boxNew = boxNewOf(envTy, span);
      return closure({ kind: 'Call', span, callee: boxNew, args: [record], ty: boxTy });
    }
    const id = this.pass.freshId();
    const pointerTo = (place: Expr): Expr => ({ kind: 'AddrOf', span, mut: false, place, ty: envParamTy });
    const optTy = gen('option', envTy);
    const none = { kind: 'Name', span, name: 'None', ref: { k: 'builtin', name: 'None' }, ty: optTy };
    const some = { kind: 'Name', span, name: 'Some', ref: { k: 'builtin', name: 'Some' }, ty: fnTy([envTy], optTy) };
    const set = { kind: 'Assign', span, target: local(id, optTy), value: { kind: 'Call', span, callee: some, args: [record], ty: optTy } };
    const payload: Expr = { kind: 'OptPayload', span, value: local(id, optTy), ty: envTy };
    const evaluated: Expr = { kind: 'Block', span, stmts: [set], tail: closure(pointerTo(payload)), ty: l.ty };
    if (!modes.includes('copy')) {
      // The record's variable lives as long as the captured variables, but the pointers
      // are taken where the lambda is evaluated, as the spec says: so a `delete` of a
      // captured variable before the lambda is E0020 at the lambda, and a delete and
      // reassignment before it is fine.
      const site = this.recordSite(captures, ctx);
      this.insert(site.state, site.index, { kind: 'Let', span, name: `${fnName}.env`, mut: true, ty: optTy, init: none, id });
      return evaluated;
    }
    // copies are made where the lambda is evaluated, into a variable of the enclosing block
    const block = ctx.block;
    invariant(block, 'a lambda that copies captured variables is inside a block', l);
    this.insert(block, block.index - 1, { kind: 'Let', span, name: `${fnName}.env`, mut: true, ty: optTy, init: none, id });
    this.converted.set(l, { fnName, envTy, optId: id, spawned: null });
    return evaluated;
  }

  /**
   * `spawn(g)` for `g` bound to lambda `l` (spawnsCopyOf): a Closure over a copy of g's
   * record in a Box, whose function `outer.lambdaN.spawned` calls l's with a pointer into
   * the Box and drops it when it returns, as a spawned lambda's function does.
   */
  private spawnedCopy(l: N<'Lambda'>, span: Span): Expr {
    const c = this.converted.get(l);
    invariant(c && l.ty.k === 'fn', 'a lambda that copies is converted before a spawn of the variable bound to it', l);
    const { fnName, envTy, optId } = c;
    const boxTy = gen('box', envTy);
    const envPtrTy = ptr(envTy, false);
    const ret = l.ty.ret;
    if (c.spawned === null) {
      c.spawned = `${fnName}.spawned`;
      const envId = this.pass.freshId();
      const env: Expr = { kind: 'Name', span, name: 'env', ref: { k: 'local', id: envId }, ty: boxTy };
      const pointer: Expr = { kind: 'AddrOf', span, mut: false, place: { kind: 'Deref', span, ptr: env, ty: envTy }, ty: envPtrTy };
      const params = l.params.map((p) => ({ kind: 'Name', span, name: p.name, ref: { k: 'local', id: p.id }, ty: p.ty }));
      const callee: Expr = { kind: 'Name', span, name: fnName, ref: { k: 'fn', name: fnName }, ty: fnTy([envPtrTy, ...l.params.map((p) => p.ty as Ty)], ret) };
      const call: Expr = { kind: 'Call', span, callee, args: [pointer, ...params], ty: ret };
      const envParam = { kind: 'Param', span, name: 'env', mut: false, ty: boxTy, id: envId };
      this.lifted.push({
        kind: 'FnDecl', span, name: c.spawned, params: [envParam, ...l.params], ret,
        body: { kind: 'Block', span, stmts: [], tail: call, ty: ret }, unsafe: false, mutSelf: false, isStatic: false,
      });
    }
    const optTy = gen('option', envTy);
    const record: Expr = { kind: 'OptPayload', span, value: { kind: 'Name', span, name: `${fnName}.env`, ref: { k: 'local', id: optId }, ty: optTy }, ty: envTy };
    const boxNew = boxNewOf(envTy, span);
    return { kind: 'Closure', span, fn: c.spawned, env: { kind: 'Call', span, callee: boxNew, args: [record], ty: boxTy }, ty: l.ty };
  }
}

/** `Box::new` for a record of type `envTy` (the heap copy a spawned thread owns). */
const boxNewOf = (envTy: Ty, span: Span): Expr =>
  ({ kind: 'Path', span, owner: 'Box', tyArgs: [envTy], member: 'new', ty: fnTy([envTy], gen('box', envTy)) });

/** Whether a lambda occurs in `root`: a function without one is left as it is (most are). */
function hasLambda(root: AnyNode): boolean {
  return someNode(Lptr, root, (n) => n.kind === 'Lambda');
}

/** `f` with another body (a literal in declaration order, as the parser builds FnDecls). */
const withBody = (f: N<'FnDecl'>, body: AnyNode): AnyNode =>
  ({ kind: 'FnDecl', span: f.span, name: f.name, params: f.params, ret: f.ret, body, unsafe: f.unsafe, mutSelf: f.mutSelf, isStatic: f.isStatic });

export const desugarLambdasPass = defineItemGroupPass({
  name: 'desugar-lambdas',
  description: 'closure conversion: lambda bodies become functions `outer.lambdaN`, capturing lambdas Closures over an environment record',
  from: Lptr,
  to: Lnolambda,
  prepare: (program) => syncFacts(classTable(program.items as N<'Program'>['items'])),
  appliesTo: (c) => c.hasKind('Lambda'),
  runItem(it, facts, ctx) {
    const item = it as N<'Program'>['items'][number];
    // an item without lambdas stays as it is (walking it is far cheaper than rebuilding it)
    if (!hasLambda(item)) return item;
    switch (item.kind) {
      case 'FnDecl': {
        const conv = new FunctionConverter(item.name, facts, ctx);
        const body = conv.functionBody(item.body, item.params.map((p) => [p.id, p.mut] as const));
        return [body === item.body ? item : withBody(item, body), ...conv.lifted];
      }
      case 'ClassDecl': {
        const lifted: AnyNode[] = [];
        const methods = item.methods.map((m) => {
          if (!hasLambda(m)) return m;
          const conv = new FunctionConverter(`${item.name}.${m.name}`, facts, ctx);
          // `this` (id 0) is a parameter of every method that has one
          const body = conv.functionBody(m.body, [[0, false], ...m.params.map((p) => [p.id, p.mut] as const)]);
          lifted.push(...conv.lifted);
          return body === m.body ? m : withBody(m, body);
        });
        return [{ kind: 'ClassDecl', span: item.span, name: item.name, fields: item.fields, traits: item.traits, methods }, ...lifted];
      }
      case 'StaticDecl': {
        const conv = new FunctionConverter(`static.${item.name}`, facts, ctx);
        const init = conv.initializer(item.init);
        return [init === item.init ? item : { kind: 'StaticDecl', span: item.span, name: item.name, mut: item.mut, ty: item.ty, init }, ...conv.lifted];
      }
      default: return item;
    }
  },
});
