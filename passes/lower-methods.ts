// lower-methods: class methods become top-level functions; method calls become plain calls.
//
// After this pass a class is only its fields (and the name of its drop function), so the
// backends and the memory-model passes deal with functions only. Method `m` of class `C`
// becomes `C.m`, whose first parameter is `this` (binding id 0): `*C`, or `*mut C` for
// `mut` methods and for `drop` (it is called with a `*mut C` by the drop glue); static
// methods get none. `c.m(a)` becomes `C.m(*c, a)` (`*mut c` for a mut method), and the
// static call `C::m(a)` becomes `C.m(a)`. Built-in methods (`v.push(x)`, ...) are left to
// lower-builtins.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lnolambda, Lnomethods, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { classTy, fnTy, ptr, type Ty } from '../ir/types.js';
import { defineItemGroupPass, invariant } from './pass.js';

type N<K extends string> = Node<typeof Lnolambda, K>;
type Expr = AnyNode & { readonly ty: Ty };
interface Ctx { freshId(): number }

/** A place: something AddrOf can point at without first storing it. */
function isPlace(e: AnyNode): boolean {
  switch (e.kind) {
    case 'Name': { const r = e.ref as { k: string }; return r.k === 'local' || r.k === 'global'; }
    // `g.value` of a Guard, even a temporary one, is the place in the mutex (lower-builtins
    // makes it a Deref, and keeps a temporary guard locked to the end of its statement)
    case 'Field': return (e.object as Expr).ty.k === 'guard' || isPlace(e.object as AnyNode);
    case 'Index': return isPlace(e.object as AnyNode);
    case 'Deref': return true;
    default: return false;
  }
}

/**
 * Calls `build` with a pointer to the receiver `object` (shared by lower-builtins, which
 * passes built-in receivers the same way). A pointer the object was dereferenced from is
 * reused; a temporary (`make().m()`) is first stored in a fresh local, in a block.
 */
export function withReceiverPointer(object: Expr, mut: boolean, span: Span, ctx: Ctx, build: (recv: Expr) => Expr): Expr {
  if (object.kind === 'Deref') {
    const inner = object.ptr as Expr;
    if (inner.ty.k === 'ptr' && inner.ty.mut === mut) return build(inner);
  }
  const pTy = ptr(object.ty, mut);
  if (isPlace(object)) return build({ kind: 'AddrOf', span, mut, place: object, ty: pTy });
  const id = ctx.freshId();
  const tmp = { kind: 'Name', span, name: '__recv', ref: { k: 'local', id }, ty: object.ty };
  const call = build({ kind: 'AddrOf', span, mut, place: tmp, ty: pTy });
  const bind = { kind: 'Let', span, name: '__recv', mut, ty: object.ty, init: object, id };
  return { kind: 'Block', span, stmts: [bind], tail: call, ty: call.ty };
}

/** `[first, ...rest]`, allocated at its exact size (a spread or `push` leaves room for 16 more). */
export function prepend<X>(first: X, rest: readonly X[]): X[] {
  const out = new Array<X>(rest.length + 1);
  out[0] = first;
  for (let i = 0; i < rest.length; i++) out[i + 1] = rest[i];
  return out;
}

interface MethodInfo { fnName: string; fnType: Ty; thisMut: boolean; ref: { k: 'fn'; name: string } }

/** The type of `this` in method `m` of class `cls`, or null for a static method. */
function thisType(cls: N<'ClassDecl'>, m: N<'FnDecl'>): Ty | null {
  const isDropFn = m.name === 'drop' && cls.traits.includes('Drop');
  return m.isStatic ? null : ptr(classTy(cls.name), m.mutSelf || isDropFn);
}

function methodTable(program: N<'Program'>): Map<string, Map<string, MethodInfo>> {
  const table = new Map<string, Map<string, MethodInfo>>();
  for (const item of program.items) {
    if (item.kind !== 'ClassDecl') continue;
    const methods = new Map<string, MethodInfo>();
    for (const m of item.methods) {
      const self = thisType(item, m);
      const params = [...(self ? [self] : []), ...m.params.map((p) => p.ty)];
      const fnName = `${item.name}.${m.name}`;
      methods.set(m.name, { fnName, fnType: fnTy(params, m.ret), thisMut: self?.k === 'ptr' && self.mut, ref: { k: 'fn', name: fnName } });
    }
    table.set(item.name, methods);
  }
  return table;
}

function lift(cls: N<'ClassDecl'>): AnyNode[] {
  const fns = cls.methods.map((m) => {
    const self = thisType(cls, m);
    const thisParam = self && { kind: 'Param', span: m.span, name: 'this', mut: false, ty: self, id: 0 };
    // a literal in declaration order: a spread would give each function a hidden class of its own
    const params = thisParam ? prepend(thisParam, m.params) : m.params;
    return { kind: 'FnDecl', span: m.span, name: `${cls.name}.${m.name}`, params, ret: m.ret, body: m.body, unsafe: m.unsafe, mutSelf: false, isStatic: false };
  });
  return [withoutMethods(cls), ...fns];
}

/** A class as lower-methods leaves it: its fields, and the name of its lifted `drop`. */
function withoutMethods(cls: N<'ClassDecl'>): AnyNode {
  const dropFn = cls.traits.includes('Drop') ? `${cls.name}.drop` : null;
  return { kind: 'ClassDecl', span: cls.span, name: cls.name, fields: cls.fields, traits: cls.traits, methods: [], dropFn };
}

export const lowerMethodsPass = defineItemGroupPass({
  name: 'lower-methods',
  description: 'class methods become top-level functions `Class.method` taking `this` first',
  from: Lnolambda,
  to: Lnomethods,
  prepare: (program) => {
    const table = methodTable(program as N<'Program'>);
    const method = (cls: string, name: string, at: AnyNode): MethodInfo => {
      const info = table.get(cls)?.get(name);
      if (!info) invariant(false, `class ${cls} has a method ${name}`, at); // (message built only on failure)
      return info;
    };
    const lower = rewriter<Ctx>(Lnolambda, {
      MethodCall: (node: N<'MethodCall'>, next, c) => {
        const call = next(node);
        const { object, method: name, args, span, ty } = call;
        if (object.ty.k !== 'class') return call;
        const info = method(object.ty.name, name, node);
        const callee = { kind: 'Name', span, name: info.fnName, ref: info.ref, ty: info.fnType };
        return withReceiverPointer(object, info.thisMut, span, c, (recv) => ({ kind: 'Call', span, callee, args: prepend(recv, args), ty }));
      },
      Path: (node: N<'Path'>) => {
        if (!table.has(node.owner)) return node;
        const { fnName, fnType, ref } = method(node.owner, node.member, node);
        return { kind: 'Name', span: node.span, name: fnName, ref, ty: fnType };
      },
    });
    return lower;
  },
  runItem(item, lower, ctx) {
    const it = lower(item, ctx) as N<'Program'>['items'][number];
    return it.kind === 'ClassDecl' ? lift(it) : it;
  },
  // (the lifted methods are functions: no pass after this one prepares from them)
  declarations: (program) => ({ ...program, items: program.items.map((it) => (it.kind === 'ClassDecl' ? withoutMethods(it as N<'ClassDecl'>) : it)) }),
});
