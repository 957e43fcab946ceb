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
import { defineItemPass, invariant } from './pass.js';

type N<K extends string> = Node<typeof Lnocompound, K>;
type Expr = AnyNode & { readonly ty: Ty };

// Node builders for the loop skeleton; every node gets the `for`'s span. Fields are in
// the order the language declares them, as the parser builds them, so that nodes of a
// kind share one hidden class.
const local = (span: Span, name: string, id: number, ty: Ty): Expr => ({ kind: 'Name', span, name, ref: { k: 'local', id }, ty });
const letOf = (span: Span, name: string, id: number, mut: boolean, ty: Ty, init: Expr): AnyNode =>
  ({ kind: 'Let', span, name, mut, ty, init, id });
const assign = (span: Span, target: Expr, value: Expr): AnyNode => ({ kind: 'Assign', span, target, value });
const binary = (span: Span, op: string, left: Expr, right: Expr, ty: Ty): Expr => ({ kind: 'Binary', span, op, left, right, ty });
const block = (span: Span, stmts: AnyNode[]): Expr => ({ kind: 'Block', span, stmts, tail: null, ty: T.void });
const exprStmt = (span: Span, expr: AnyNode): AnyNode => ({ kind: 'ExprStmt', span, expr });
const one = (span: Span, ty: Ty): Expr => ({ kind: 'IntLit', span, value: '1', suffix: null, ty });
/** `if !cond { break; }` */
const breakUnless = (span: Span, cond: Expr): AnyNode => exprStmt(span, {
  kind: 'If', span, cond: { kind: 'Unary', span, op: '!', operand: cond, ty: T.bool },
  then: block(span, [exprStmt(span, { kind: 'Break', span, ty: T.never })]), else: null, ty: T.void,
});

const desugar = rewriter<{ freshId(): number }>(Lnocompound, {
  For: (node: N<'For'>, next, ctx) => {
    const { name, id, start, end, inclusive, body, span } = next(node);
    const ty = start.ty;
    invariant(ty.k === 'int' && tyEq(ty, end.ty), 'a for range is over integers of one type', node);
    const counterId = ctx.freshId();
    const endId = ctx.freshId();
    const counter = local(span, '__counter', counterId, ty);
    const endName = local(span, '__end', endId, ty);
    const setCounter = letOf(span, '__counter', counterId, true, ty, start);
    const setEnd = letOf(span, '__end', endId, false, ty, end);
    const advance = assign(span, counter, binary(span, '+', counter, one(span, ty), ty));
    const bindVar = letOf(span, name, id, false, ty, counter);
    const userBody = exprStmt(span, body);
    if (!inclusive) {
      const loopBody = [breakUnless(span, binary(span, '<', counter, endName, T.bool)), bindVar, advance, userBody];
      return exprStmt(span, block(span, [setCounter, setEnd, { kind: 'Loop', span, body: block(span, loopBody) }]));
    }
    const goId = ctx.freshId();
    const go = local(span, '__go', goId, T.bool);
    const setGo = letOf(span, '__go', goId, true, T.bool, binary(span, '<=', counter, endName, T.bool));
    const loopBody = [breakUnless(span, go), bindVar, assign(span, go, binary(span, '<', counter, endName, T.bool)), advance, userBody];
    return exprStmt(span, block(span, [setCounter, setEnd, setGo, { kind: 'Loop', span, body: block(span, loopBody) }]));
  },
});

export const desugarForPass = defineItemPass({
  name: 'desugar-for',
  description: '`for` ranges become loops over a hidden counter',
  from: Lnocompound,
  to: Lnofor,
  prepare: () => null,
  appliesTo: (c) => c.hasKind('For'),
  runFunction: (item, _facts, ctx) => desugar(item, ctx),
});
