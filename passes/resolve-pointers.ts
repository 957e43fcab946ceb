// resolve-pointers: decides what each `*` means and makes auto-deref explicit (spec §5.2, §3).
//
// `*mut e` always takes a mutable pointer to the place `e`; `*e` dereferences when `e` is a
// pointer or a Box and takes an immutable pointer otherwise. From here on, AddrOf and
// Deref say which. `p.f`, `p[i]` and `p.m()` work through pointers, Box and Guard: the
// object gets one Deref per pointer or Box level, so later passes only ever see field,
// index and method access on values. A Guard is seen through as its `value` field
// (`g.n` is `g.value.n`); the Field `g.value` itself stays, and lower-builtins turns it
// into a deref of the guard's `guard.value` pointer.

import type { AnyNode } from '../ir/lang.js';
import { Lnosugar, Lptr, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { showTy, tyEq, type Ty } from '../ir/types.js';
import { defineItemPass, invariant } from './pass.js';

type N<K extends string> = Node<typeof Lnosugar, K>;
type Expr = AnyNode & { readonly ty: Ty };

/** Wraps `e` until its type is a value, not a pointer, Box or Guard. `keep` stops at a Guard. */
function autoDeref(e: Expr, keepGuard = false): Expr {
  for (;;) {
    const t = e.ty;
    if (t.k === 'ptr') e = { kind: 'Deref', span: e.span, ptr: e, ty: t.to };
    else if (t.k === 'box') e = { kind: 'Deref', span: e.span, ptr: e, ty: t.of };
    else if (t.k === 'guard' && !keepGuard) e = { kind: 'Field', span: e.span, object: e, name: 'value', ty: t.of };
    else return e;
  }
}

// Changed nodes are rebuilt as literals in declaration order, not `{ ...node, object }`:
// a spread gives each copy a hidden class of its own, which slows every later walk.
const resolve = rewriter(Lnosugar, {
  Star: (node: N<'Star'>, next) => {
    const { mut, operand, span, ty } = next(node);
    const t = operand.ty;
    // `*return x`: the operand never yields a value, so nothing is dereferenced or pointed to
    if (t.k === 'never') return operand;
    // (the invariants' messages are built only on failure)
    if (!mut && (t.k === 'ptr' || t.k === 'box')) {
      if (!tyEq(ty, t.k === 'ptr' ? t.to : t.of)) invariant(false, `*e of a ${showTy(t)} is its target, not ${showTy(ty)}`, node);
      return { kind: 'Deref', span, ptr: operand, ty };
    }
    if (!(ty.k === 'ptr' && tyEq(ty.to, t))) invariant(false, `*e of a ${showTy(t)} is a pointer to it, not ${showTy(ty)}`, node);
    return { kind: 'AddrOf', span, mut, place: operand, ty };
  },
  Field: (node: N<'Field'>, next) => {
    const f = next(node);
    // `g.value` on a Guard is the guard's own field; any other name goes through to the value
    const object = autoDeref(f.object, f.name === 'value');
    return object === f.object ? f : { kind: 'Field', span: f.span, object, name: f.name, ty: f.ty };
  },
  Index: (node: N<'Index'>, next) => {
    const ix = next(node);
    const object = autoDeref(ix.object);
    return object === ix.object ? ix : { kind: 'Index', span: ix.span, object, index: ix.index, ty: ix.ty };
  },
  MethodCall: (node: N<'MethodCall'>, next) => {
    const m = next(node);
    const object = autoDeref(m.object);
    return object === m.object ? m : { kind: 'MethodCall', span: m.span, object, method: m.method, args: m.args, ty: m.ty };
  },
});

export const resolvePointersPass = defineItemPass({
  name: 'resolve-pointers',
  description: '`*e` becomes AddrOf or Deref; auto-deref through pointers, Box and Guard made explicit',
  from: Lnosugar,
  to: Lptr,
  prepare: () => null,
  runFunction: (item) => resolve(item),
});
