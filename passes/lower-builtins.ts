// lower-builtins: every use of a built-in becomes an explicit Builtin node (ir/builtins.ts).
//
// The backends and the interpreter then implement one table of operations instead of
// knowing Zeta's method syntax. `v.push(x)` is `Builtin vec.push(*mut v, x)`: receivers
// are passed as pointers with the mutability the table gives (a temporary receiver is
// stored in a local first), `Vec<i32>::new()` is `vec.new`, `println(x)` is `println`.
// Options get their own nodes: `Some(x)` is OptSome, `None` OptNone, `o.is_some()`
// OptIsSome. Constants need no op: `Ordering::Relaxed` is its i32 value and `a.len()` of
// an array is N. `String == str` compares two Strings. Atomic operations without an
// ordering get SeqCst (spec §8). The `value` of a Guard is the target of the pointer
// `guard.value` returns. `unsafe { b }` is just `b`, check-unsafe having run.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lnomethods, Lcore, type Node } from '../ir/languages.js';
import { rewriter, type Rewriter } from '../ir/traverse.js';
import { BUILTINS, isBuiltin, ORDERING, type BuiltinName } from '../ir/builtins.js';
import { GENERIC_BY_NAME, ptr, showTy, T, type Ty } from '../ir/types.js';
import { invariant } from './pass.js';
import { defineBodyPass } from './bodies.js';
import { prepend, withReceiverPointer } from './lower-methods.js';

type N<K extends string> = Node<typeof Lnomethods, K>;
type Expr = AnyNode & { readonly ty: Ty };
interface Ctx { freshId(): number }

const builtin = (op: BuiltinName, args: readonly AnyNode[], ty: Ty, span: Span): Expr => ({ kind: 'Builtin', span, op, args, ty });
const i32Lit = (value: number, span: Span): Expr => ({ kind: 'IntLit', span, value: String(value), suffix: null, ty: T.i32 });

/** The op of `Owner::member` (`Vec<i32>::new` is `vec.new`, `String::from` is `string.from`). */
// (in this pass an invariant's message is built only when it fails: these run per node)
function staticOp(path: N<'Path'>): BuiltinName {
  const owner = path.owner === 'String' ? 'string' : GENERIC_BY_NAME[path.owner];
  const op = `${owner}.${path.member}`;
  if (!(owner && isBuiltin(op))) invariant(false, `${path.owner}::${path.member} is a built-in`, path);
  return op;
}

/** `o.m(args)` on a built-in type, the receiver already a value (not a pointer). */
function lowerMethod(call: N<'MethodCall'>, ctx: Ctx): Expr {
  const { object, method, args, span, ty } = call;
  const t = object.ty;
  if (t.k === 'option' && (method === 'is_some' || method === 'is_none')) {
    const test: Expr = { kind: 'OptIsSome', span, value: object, ty: T.bool };
    return method === 'is_some' ? test : { kind: 'Unary', span, op: '!', operand: test, ty: T.bool };
  }
  if (t.k === 'array' && method === 'len') {
    const n: Expr = { kind: 'IntLit', span, value: String(t.n), suffix: null, ty: T.i64 };
    // the array need not be read, but what computes it must still run
    return object.kind === 'Name' ? n : { kind: 'Block', span, stmts: [{ kind: 'ExprStmt', span, expr: object }], tail: n, ty: T.i64 };
  }
  if (t.k === 'str' && method === 'parse_i64') {
    // no op of its own: the text is copied into a temporary String, parsed, and dropped
    const text = builtin('string.from', [object], T.string, span);
    return withReceiverPointer(text, false, span, ctx, (recv) => builtin('string.parse_i64', [recv], ty, span));
  }
  const op = `${t.k}.${method}`;
  if (!isBuiltin(op)) invariant(false, `${showTy(t)} has a built-in method ${method}`, call);
  const shape: readonly string[] = BUILTINS[op].args;
  // an atomic operation without its ordering gets SeqCst
  const rest = shape.at(-1) === 'ordering' && args.length < shape.length - 1 ? [...args, i32Lit(ORDERING.SeqCst, span)] : args;
  if (!shape[0].startsWith('recv')) return builtin(op, prepend(object, rest), ty, span);
  return withReceiverPointer(object, shape[0] === 'recv*mut', span, ctx, (recv) => builtin(op, prepend(recv, rest), ty, span));
}

const lower: Rewriter<Ctx> = rewriter<Ctx>(Lnomethods, {
  Call: (node: N<'Call'>, next, c): AnyNode => {
    const { callee, span, ty } = node;
    const ref = callee.kind === 'Name' ? (callee.ref as { k: string; name?: string }) : null;
    if (callee.kind !== 'Path' && ref?.k !== 'builtin') return next(node);
    // the callee names the operation; only the arguments are rewritten
    const args = node.args.map((a) => lower(a, c));
    if (callee.kind === 'Path') return builtin(staticOp(callee), args, ty, span);
    if (ref!.name === 'Some') return { kind: 'OptSome', span, value: args[0], ty };
    if (!isBuiltin(ref!.name!)) invariant(false, `${ref!.name} is a built-in function`, node);
    return builtin(ref!.name, args, ty, span);
  },
  Name: (node: N<'Name'>) => {
    const ref = node.ref as { k: string; name?: string };
    if (ref.k !== 'builtin') return node;
    if (ref.name !== 'None') invariant(false, `built-in ${node.name} is only called, never used as a value`, node);
    return { kind: 'OptNone', span: node.span, ty: node.ty };
  },
  Path: (node: N<'Path'>) => {
    if (!(node.owner === 'Ordering' && Object.hasOwn(ORDERING, node.member))) invariant(false, `${node.owner}::${node.member} is only called`, node);
    return i32Lit(ORDERING[node.member as keyof typeof ORDERING], node.span);
  },
  MethodCall: (node: N<'MethodCall'>, next, c) => lowerMethod(next(node), c),
  Field: (node: N<'Field'>, next, c) => {
    const f = next(node);
    if (f.object.ty.k !== 'guard') return f;
    invariant(f.name === 'value', 'resolve-pointers leaves only `g.value` on a Guard', node);
    // `g.value` is writable through the guard even when `g` is not mut (spec §8). The
    // Deref stays outermost so that `m.lock().value.n = 1` still writes into the mutex.
    const valuePtr = withReceiverPointer(f.object, false, f.span, c, (recv) => builtin('guard.value', [recv], ptr(f.ty, true), f.span));
    return { kind: 'Deref', span: f.span, ptr: valuePtr, ty: f.ty };
  },
  Unsafe: (node: N<'Unsafe'>, next) => next(node).body,
  Binary: (node: N<'Binary'>, next) => {
    const b = next(node);
    if (b.op !== '==' && b.op !== '!=') return b;
    // `String == str`: the str is copied into a temporary String (as for `str.parse_i64`)
    const text = (e: Expr) => (e.ty.k === 'str' ? builtin('string.from', [e], T.string, e.span) : e);
    const { left, right } = b as unknown as { left: Expr; right: Expr };
    if ((left.ty.k === 'string') === (right.ty.k === 'string')) return b;
    return { kind: 'Binary', span: b.span, op: b.op, left: text(left), right: text(right), ty: b.ty };
  },
});

export const lowerBuiltinsPass = defineBodyPass({
  name: 'lower-builtins',
  description: 'built-in functions, methods and constructors become Builtin, OptSome and OptNone nodes',
  from: Lnomethods,
  to: Lcore,
  prepare: () => null,
  lower: (fnOrStatic, _facts, ctx) => lower(fnOrStatic, ctx),
});
