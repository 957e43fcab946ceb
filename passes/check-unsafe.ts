// check-unsafe: the operations of spec §9 are allowed only in an unsafe context (E0030).
//
// The unsafe operations are `delete`, pointer arithmetic (`p + n`, `p - n`, `p += n`),
// casts between pointers and integers, casts between pointer types other than `*mut T` to
// `*T` (the spec lists no such cast: it would forge a `*mut` or retype memory), and calls
// of `extern "C"` functions and of functions or methods declared `unsafe`. An unsafe context is the body of an `unsafe { }`
// block, of an `unsafe` function or method, or of an `unsafe` lambda (spec §8), and
// everything lexically inside one, lambdas included. The check needs the types (a `+` is
// pointer arithmetic only when its left operand is a pointer), so it runs after
// check-types; it only reports, and returns its input unchanged.

import type { AnyNode, Span } from '../ir/lang.js';
import { Ltyped, type Node, type NameRef } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { tyEq, type Ty } from '../ir/types.js';
import type { Diagnostics } from '../ir/diagnostics.js';
import { defineItemPass } from './pass.js';

type N<K extends string> = Node<typeof Ltyped, K>;

/**
 * Whether a pointer cast only forgets: the same pointee, `*mut T` to `*T` at most. Any
 * other (`*x as *mut i32`, `*i32 as *i64`) makes a pointer that the checks of §5.2 and
 * the backends' type-based aliasing cannot vouch for, like an integer cast to a pointer.
 */
function weakens(from: Ty, to: Ty): boolean {
  return from.k === 'ptr' && to.k === 'ptr' && tyEq(from.to, to.to) && (from.mut || !to.mut);
}

/** Unsafe functions, and unsafe methods by class, of a program; whether it has any callee whose call is unsafe. */
export interface UnsafeTable { fns: ReadonlySet<string>; methods: ReadonlyMap<string, ReadonlySet<string>>; unsafeCallees: boolean }

export function unsafeTable(program: N<'Program'>): UnsafeTable {
  const fns = new Set<string>();
  const methods = new Map<string, Set<string>>();
  let unsafeCallees = false;
  for (const item of program.items) {
    if (item.kind === 'FnDecl' && item.unsafe) fns.add(item.name);
    if (item.kind === 'ExternFn') unsafeCallees = true;
    if (item.kind === 'ClassDecl') {
      const unsafe = new Set(item.methods.filter((m) => m.unsafe).map((m) => m.name));
      methods.set(item.name, unsafe);
      if (unsafe.size > 0) unsafeCallees = true;
    }
  }
  return { fns, methods, unsafeCallees: unsafeCallees || fns.size > 0 };
}

/** The class a method receiver auto-derefs to, if any. */
function receiverClass(t: Ty): string | null {
  while (t.k === 'ptr' || t.k === 'box' || t.k === 'guard') t = t.k === 'ptr' ? t.to : t.of;
  return t.k === 'class' ? t.name : null;
}

export function checkProgram(program: N<'Program'>, diag: Diagnostics): void {
  const table = unsafeTable(program);
  for (const item of program.items) checkItem(item, table, diag);
}

/** Reports the unsafe operations outside unsafe contexts in one item (or one method). */
export function checkItem(item: AnyNode, table: UnsafeTable, diag: Diagnostics): void {
  const report = (span: Span, what: string, label: string) =>
    diag.error('E0030', span, `${what} is unsafe`, { label, help: 'wrap it in `unsafe { ... }`' });
  // Nothing inside an unsafe block, function or lambda can be reported (lambdas in it are
  // unsafe contexts too), so such a node is not walked, and everything walked is safe code.
  const walk = rewriter(Ltyped, {
    FnDecl: (node: N<'FnDecl'>, next) => (node.unsafe ? node : next(node)),
    Lambda: (node: N<'Lambda'>, next) => (node.unsafe ? node : next(node)),
    Unsafe: (node: N<'Unsafe'>) => node,
    Delete: (node: N<'Delete'>, next) => {
      report(node.span, '`delete`', 'unsafe operation');
      return next(node);
    },
    Binary: (node: N<'Binary'>, next) => {
      if ((node.op === '+' || node.op === '-') && node.left.ty.k === 'ptr') report(node.span, 'pointer arithmetic', 'pointer arithmetic');
      return next(node);
    },
    CompoundAssign: (node: N<'CompoundAssign'>, next) => {
      if ((node.op === '+' || node.op === '-') && node.target.ty.k === 'ptr') report(node.span, 'pointer arithmetic', 'pointer arithmetic');
      return next(node);
    },
    Cast: (node: N<'Cast'>, next) => {
      const from = node.expr.ty.k;
      const to = node.ty.k;
      if ((from === 'ptr' && to === 'int') || (from === 'int' && to === 'ptr')) {
        report(node.span, from === 'ptr' ? 'casting a pointer to an integer' : 'casting an integer to a pointer', 'pointer/integer cast');
      } else if (from === 'ptr' && to === 'ptr' && !weakens(node.expr.ty, node.ty)) {
        report(node.span, 'casting a pointer to another pointer type', 'pointer cast');
      }
      return next(node);
    },
    Call: (node: N<'Call'>, next) => {
      const callee = node.callee;
      if (callee.kind === 'Name') {
        const ref = callee.ref as NameRef;
        if (ref.k === 'extern') report(node.span, `call to extern function \`${ref.name}\``, 'call to an extern function');
        else if (ref.k === 'fn' && table.fns.has(ref.name)) report(node.span, `call to unsafe function \`${ref.name}\``, 'call to an unsafe function');
      } else if (callee.kind === 'Path' && table.methods.get(callee.owner)?.has(callee.member)) {
        report(node.span, `call to unsafe method \`${callee.owner}::${callee.member}\``, 'call to an unsafe method');
      }
      return next(node);
    },
    MethodCall: (node: N<'MethodCall'>, next) => {
      const cls = receiverClass(node.object.ty);
      if (cls && table.methods.get(cls)?.has(node.method)) {
        report(node.span, `call to unsafe method \`${cls}.${node.method}\``, 'call to an unsafe method');
      }
      return next(node);
    },
  });
  walk(item, undefined);
}

export const checkUnsafePass = defineItemPass({
  name: 'check-unsafe',
  description: 'unsafe operations outside `unsafe` (E0030)',
  from: Ltyped,
  to: Ltyped,
  prepare: (program) => unsafeTable(program as N<'Program'>),
  // the operations it reports: `delete`, arithmetic and casts on pointers, unsafe calls
  appliesTo: (c, table) => table.unsafeCallees || c.hasKind('Delete') || c.hasType('ptr'),
  runFunction(item, table, ctx) {
    checkItem(item, table, ctx.diag);
    return item;
  },
});
