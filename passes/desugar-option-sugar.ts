// desugar-option-sugar: `if let`, `while let` and `??` become explicit Option tests.
//
// Later passes then see Options only through OptIsSome (a test) and OptPayload (the
// payload of a value known to be Some), and need no pattern binding of their own:
//   if let Some(v) = e {A} else {B}  =>  { tmp := e; if OptIsSome(tmp) { v := OptPayload(tmp); A } else {B} }
//   while let Some(v) = e {A}        =>  loop { tmp := e; if !OptIsSome(tmp) { break; } v := OptPayload(tmp); A }
//   e ?? f                           =>  { tmp := e; if OptIsSome(tmp) { OptPayload(tmp) } else { f } }
// When `e` is a plain place (a variable, a field of one, ...), nothing can run between
// the test and the read, so the place is used directly instead of a copy in `tmp`: that
// saves a (possibly deep) copy of the whole Option. `f` may diverge (`return`, `break`,
// `panic`): it then has type never and the `if` has the type of the payload.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lnofor, Lnosugar, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { T, type Ty } from '../ir/types.js';
import { defineItemPass, invariant } from './pass.js';

type N<K extends string> = Node<typeof Lnofor, K>;
type Expr = AnyNode & { readonly ty: Ty };
interface Ctx { freshId(): number }

/** A place that reads the same value twice in a row: no calls, no effects. */
function isPlainPlace(e: AnyNode): boolean {
  switch (e.kind) {
    case 'Name': { const k = (e as N<'Name'>).ref as { k: string }; return k.k === 'local' || k.k === 'global'; }
    case 'Field': return isPlainPlace((e as N<'Field'>).object);
    case 'Index': { const ix = e as N<'Index'>; return isPlainPlace(ix.object) && (ix.index.kind === 'IntLit' || isPlainPlace(ix.index)); }
    case 'Star': return isPlainPlace((e as N<'Star'>).operand);
    default: return false;
  }
}

/** No statements to run first (never mutated: it only ever reaches a spread or a length test). */
const NO_SETUP: readonly AnyNode[] = [];

/**
 * Makes `opt` (an Option) readable twice: itself when it is a plain place, else a fresh
 * local bound to it. Returns the statements to run first and what to read instead of `opt`.
 */
function examine(opt: Expr, span: Span, ctx: Ctx): { setup: readonly AnyNode[]; subject: Expr } {
  invariant(opt.ty.k === 'option', 'if let / while let / ?? examine an Option', opt);
  if (isPlainPlace(opt)) return { setup: NO_SETUP, subject: opt };
  const id = ctx.freshId();
  return {
    setup: [{ kind: 'Let', span, name: '__opt', mut: false, ty: opt.ty, init: opt, id }],
    subject: { kind: 'Name', span, name: '__opt', ref: { k: 'local', id }, ty: opt.ty },
  };
}

// Nodes are built as literals in declaration order, not by spreading the node they replace:
// a spread gives each copy a hidden class of its own, which slows every later walk.
const isSome = (subject: Expr, span: Span): Expr => ({ kind: 'OptIsSome', span, value: subject, ty: T.bool });
const payload = (subject: Expr, span: Span): Expr =>
  ({ kind: 'OptPayload', span, value: subject, ty: (subject.ty as Ty & { k: 'option' }).of });
const bindPayload = (subject: Expr, name: string, id: number, span: Span): AnyNode => {
  const init = payload(subject, span);
  return { kind: 'Let', span, name, mut: false, ty: init.ty, init, id };
};
const tailBlock = (tail: Expr): Expr => ({ kind: 'Block', span: tail.span, stmts: [], tail, ty: tail.ty });

const withSetup = (setup: readonly AnyNode[], tail: Expr, span: Span): Expr =>
  setup.length === 0 ? tail : { kind: 'Block', span, stmts: setup, tail, ty: tail.ty };

const desugar = rewriter<Ctx>(Lnofor, {
  IfLet: (node: N<'IfLet'>, next, ctx) => {
    const { name, id, value, then, else: otherwise, span, ty } = next(node);
    const { setup, subject } = examine(value, span, ctx);
    const thenBlock = { kind: 'Block', span: then.span, stmts: [bindPayload(subject, name, id, span), ...then.stmts], tail: then.tail, ty: then.ty };
    return withSetup(setup, { kind: 'If', span, cond: isSome(subject, span), then: thenBlock, else: otherwise, ty }, span);
  },
  WhileLet: (node: N<'WhileLet'>, next, ctx) => {
    const { name, id, value, body, span } = next(node);
    const { setup, subject } = examine(value, span, ctx);
    const breakBlock = { kind: 'Block', span, stmts: [{ kind: 'ExprStmt', span, expr: { kind: 'Break', span, ty: T.never } }], tail: null, ty: T.void };
    const stopWhenNone = { kind: 'ExprStmt', span, expr: {
      kind: 'If', span, cond: { kind: 'Unary', span, op: '!', operand: isSome(subject, span), ty: T.bool }, then: breakBlock, else: null, ty: T.void,
    } };
    const stmts = [...setup, stopWhenNone, bindPayload(subject, name, id, span), ...body.stmts];
    return { kind: 'Loop', span, body: { kind: 'Block', span: body.span, stmts, tail: body.tail, ty: body.ty } };
  },
  Coalesce: (node: N<'Coalesce'>, next, ctx) => {
    const { left, right, span, ty } = next(node);
    const { setup, subject } = examine(left, span, ctx);
    return withSetup(setup, { kind: 'If', span, cond: isSome(subject, span), then: tailBlock(payload(subject, span)), else: tailBlock(right), ty }, span);
  },
});

export const desugarOptionSugarPass = defineItemPass({
  name: 'desugar-option-sugar',
  description: '`if let`, `while let` and `??` become explicit Option tests',
  from: Lnofor,
  to: Lnosugar,
  prepare: () => null,
  appliesTo: (c) => c.hasKind('IfLet') || c.hasKind('WhileLet') || c.hasKind('Coalesce'),
  runFunction: (item, _facts, ctx) => desugar(item, ctx),
});
