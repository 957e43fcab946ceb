// desugar-for: `for i in a..b body` becomes a `loop` over a hidden counter.
//
// Later passes then know one kind of loop only. The shape is
//   { mut c := a; end := b; loop { if !(c < end) { break; } i := c; c = c + 1; body } }
// so `end` is evaluated once and the counter advances before the body runs, which keeps
// `continue` correct. An inclusive range `a..=b` must stop at `b` even when `b` is the
// type's MAX, where `c <= end` would always hold; it keeps a `go` flag instead:
//   { mut c := a; end := b; mut go := c <= end;
//     loop { if !go { break; } i := c; go = c < end; c = c + 1; body } }
// (`c + 1` wraps after MAX, and the loop then stops on `go`). The loop variable keeps the
// binding id of the `for`.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lnocompound, Lnofor, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { T, tyEq, type Ty } from '../ir/types.js';
import { definePass, invariant } from './pass.js';

type N<K extends string> = Node<typeof Lnocompound, K>;
type Expr = AnyNode & { readonly ty: Ty };

/** Node builders for the loop skeleton; every node gets the `for`'s span. */
function builders(span: Span) {
  const local = (name: string, id: number, ty: Ty): Expr => ({ kind: 'Name', span, name, ref: { k: 'local', id }, ty });
  const not = (operand: Expr): Expr => ({ kind: 'Unary', span, op: '!', operand, ty: T.bool });
  return {
    local,
    let: (name: string, id: number, mut: boolean, ty: Ty, init: Expr): AnyNode => ({ kind: 'Let', span, name, mut, id, ty, init }),
    assign: (target: Expr, value: Expr): AnyNode => ({ kind: 'Assign', span, target, value }),
    binary: (op: string, left: Expr, right: Expr, ty: Ty): Expr => ({ kind: 'Binary', span, op, left, right, ty }),
    block: (stmts: AnyNode[], ty: Ty = T.void): Expr => ({ kind: 'Block', span, stmts, tail: null, ty }),
    breakUnless: (cond: Expr): AnyNode => ({
      kind: 'ExprStmt', span, expr: {
        kind: 'If', span, ty: T.void, else: null, cond: not(cond),
        then: { kind: 'Block', span, stmts: [{ kind: 'ExprStmt', span, expr: { kind: 'Break', span, ty: T.never } }], tail: null, ty: T.void },
      },
    }),
    one: (ty: Ty): Expr => ({ kind: 'IntLit', span, value: '1', suffix: null, ty }),
  };
}

const desugar = rewriter<{ freshId(): number }>(Lnocompound, {
  For: (node: N<'For'>, next, ctx) => {
    const { name, id, start, end, inclusive, body, span } = next(node);
    const ty = start.ty;
    invariant(ty.k === 'int' && tyEq(ty, end.ty), 'a for range is over integers of one type', node);
    const b = builders(span);
    const counterId = ctx.freshId();
    const endId = ctx.freshId();
    const counter = b.local('__counter', counterId, ty);
    const endName = b.local('__end', endId, ty);
    const setup = [b.let('__counter', counterId, true, ty, start), b.let('__end', endId, false, ty, end)];
    const advance = b.assign(counter, b.binary('+', counter, b.one(ty), ty));
    const bindVar = b.let(name, id, false, ty, counter);
    const userBody = { kind: 'ExprStmt', span, expr: body };
    let loopBody: AnyNode[];
    if (!inclusive) {
      loopBody = [b.breakUnless(b.binary('<', counter, endName, T.bool)), bindVar, advance, userBody];
    } else {
      const goId = ctx.freshId();
      const go = b.local('__go', goId, T.bool);
      setup.push(b.let('__go', goId, true, T.bool, b.binary('<=', counter, endName, T.bool)));
      loopBody = [b.breakUnless(go), bindVar, b.assign(go, b.binary('<', counter, endName, T.bool)), advance, userBody];
    }
    const loop = { kind: 'Loop', span, body: b.block(loopBody) };
    return { kind: 'ExprStmt', span, expr: b.block([...setup, loop]) };
  },
});

export const desugarForPass = definePass<N<'Program'>, Node<typeof Lnofor, 'Program'>>({
  name: 'desugar-for',
  description: '`for` ranges become loops over a hidden counter',
  from: Lnocompound,
  to: Lnofor,
  run: (program, ctx) => desugar(program, ctx) as Node<typeof Lnofor, 'Program'>,
});
