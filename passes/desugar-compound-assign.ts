// desugar-compound-assign: `t op= v` becomes `t = t op v`.
//
// Later passes then know one kind of assignment only. The place `t` must be evaluated
// once. A place without effects is simply written twice. Otherwise the parts of it that
// have effects (a call in an index, a call returning a pointer or a guard) are bound to
// fresh locals first, left to right: `v[f()] += 1` is `{ i := f(); v[i] = v[i] + 1 }`.
// Binding those parts, rather than a pointer to the whole place, keeps temporaries such
// as the guard in `m.lock().value.n += 1` alive until the assignment is done, and takes
// no pointer that the memory-model checks would have to follow.

import type { AnyNode } from '../ir/lang.js';
import { Ltyped, Lnocompound, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { T, type Ty } from '../ir/types.js';
import { defineItemPass } from './pass.js';

type N<K extends string> = Node<typeof Ltyped, K>;
type Expr = AnyNode & { readonly ty: Ty };

/** True when evaluating `e` twice is the same as evaluating it once (no calls, no writes). */
function isPure(e: AnyNode): boolean {
  switch (e.kind) {
    case 'Name': case 'IntLit': case 'FloatLit': case 'BoolLit': case 'StrLit': case 'Path': return true;
    case 'Field': return isPure((e as N<'Field'>).object);
    case 'Index': return isPure((e as N<'Index'>).object) && isPure((e as N<'Index'>).index);
    case 'Star': case 'Unary': return isPure((e as N<'Unary'>).operand);
    case 'Cast': return isPure((e as N<'Cast'>).expr);
    case 'Binary': return isPure((e as N<'Binary'>).left) && isPure((e as N<'Binary'>).right);
    default: return false;
  }
}

interface Ctx { freshId(): number }

/**
 * Rewrites place `e` so that it can be evaluated twice; the bindings it needs go to `lets`.
 * Nodes are built as literals in declaration order (a spread gives each copy a hidden class
 * of its own, which slows every later walk), and kept when nothing in them changed.
 */
function stabilizePlace(e: Expr, lets: AnyNode[], ctx: Ctx): Expr {
  switch (e.kind) {
    case 'Name': return e;
    case 'Field': {
      const f = e as N<'Field'>;
      const object = stabilizePlace(f.object, lets, ctx);
      return object === f.object ? f : { kind: 'Field', span: f.span, object, name: f.name, ty: f.ty };
    }
    case 'Index': {
      const ix = e as N<'Index'>;
      const object = stabilizePlace(ix.object, lets, ctx);
      const index = stabilizeValue(ix.index, lets, ctx);
      return object === ix.object && index === ix.index ? ix : { kind: 'Index', span: ix.span, object, index, ty: ix.ty };
    }
    case 'Star': {
      // `*b` of a Box names the box's content: keep the box a place (a copy would be a new box)
      const s = e as N<'Star'>;
      const operand = s.operand.ty.k === 'box' ? stabilizePlace(s.operand, lets, ctx) : stabilizeValue(s.operand, lets, ctx);
      return operand === s.operand ? s : { kind: 'Star', span: s.span, mut: s.mut, operand, ty: s.ty };
    }
    default: return stabilizeValue(e, lets, ctx);
  }
}

function stabilizeValue(e: Expr, lets: AnyNode[], ctx: Ctx): Expr {
  if (isPure(e)) return e;
  const id = ctx.freshId();
  const { span, ty } = e;
  lets.push({ kind: 'Let', span, name: '__tmp', mut: false, ty, init: e, id });
  return { kind: 'Name', span, name: '__tmp', ref: { k: 'local', id }, ty };
}

const desugar = rewriter<Ctx>(Ltyped, {
  CompoundAssign: (node: N<'CompoundAssign'>, next, ctx) => {
    const { op, value, span, target: place } = next(node);
    const lets: AnyNode[] = [];
    const target = stabilizePlace(place, lets, ctx);
    // `<<=`/`>>=` may shift by another integer type: the result has the target's type
    const assign = { kind: 'Assign', span, target, value: { kind: 'Binary', span, op, left: target, right: value, ty: target.ty } };
    if (lets.length === 0) return assign;
    lets.push(assign);
    return { kind: 'ExprStmt', span, expr: { kind: 'Block', span, stmts: lets.slice(), tail: null, ty: T.void } };
  },
});

export const desugarCompoundAssignPass = defineItemPass({
  name: 'desugar-compound-assign',
  description: '`t op= v` becomes `t = t op v`, evaluating the place once',
  from: Ltyped,
  to: Lnocompound,
  prepare: () => null,
  appliesTo: (c) => c.hasKind('CompoundAssign'),
  runFunction: (item, _facts, ctx) => desugar(item, ctx),
});
