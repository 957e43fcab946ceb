// Ill-typed function bodies are left out of the passes after check-types.
//
// Why: spec §11 wants as many independent errors as one run can find. An unknown name, a
// type mismatch or a wrong argument count leaves a tree the later passes cannot take (an
// erroneous expression has type `never`, an unknown local has no binding), so the pipeline
// stopped after check-types at the first such error, and the memory-model and concurrency
// errors of every other function went unreported. Now a body holding such an error is
// replaced by a stub, `{ loop {} }`: well-typed for any result type, holding nothing, so
// the later checks report nothing in it and see every other function as it is. The unsafe
// operations of a body left out are still checked (E0030) before it goes. An unknown type in
// a free function's signature (it becomes `never`) leaves out that function and every body
// that names it (their typed trees may hold `never` values), with `i32` standing in for the
// parameter's type. Any other error outside every body (a field, a class, a static's type,
// `main`'s signature) still stops the pipeline after check-types: any function may depend
// on the declaration it breaks.

import type { AnyNode, Span } from '../../ir/lang.js';
import type { Diagnostics } from '../../ir/diagnostics.js';
import { T, tyHasKind, type Ty } from '../../ir/types.js';
import { Ltyped, type NameRef } from '../../ir/languages.js';
import { someNode } from '../../ir/traverse.js';
import { checkItem as checkUnsafeItem, type UnsafeTable } from '../check-unsafe.js';

const within = (s: Span, body: Span) => s.start >= body.start && s.end <= body.end;

/** Whether `never` (what an unknown type becomes) is anywhere in t. */
export const hasNever = (t: Ty): boolean => tyHasKind(t, 'never');

/** `{ loop {} }` at `span`, in Ltyped: it never finishes, so it fits any result type. */
function stub(span: Span): AnyNode {
  const empty = { kind: 'Block', span, stmts: [], tail: null, ty: T.void };
  return { kind: 'Block', span, stmts: [{ kind: 'Loop', span, body: empty }], tail: null, ty: T.never };
}

export class BrokenBodies {
  /** the spans of the bodies left out so far */
  private readonly leftOut: Span[] = [];

  constructor(private readonly unsafe: UnsafeTable, private readonly diag: Diagnostics) {}

  /**
   * `item` as check-types wrote it, with each body (of a function, a method, a static's
   * initializer) that holds one of the `breaking` errors replaced by a stub.
   */
  leaveOut(item: AnyNode, breaking: readonly Span[]): AnyNode {
    // an error in a free function's signature: its body goes, and the whole function counts
    // as left out (its users are left out too: leaveOutUsers)
    if (item.kind === 'FnDecl' && breaking.some((s) => within(s, item.span) && !within(s, (item.body as AnyNode).span))) {
      const out = this.stubbed(item, 'body');
      this.leftOut.push(item.span);
      // (an unknown type became `never`, which no parameter may have: a stand-in for the passes after)
      const params = (out.params as readonly AnyNode[]).map((p) => (hasNever(p.ty as Ty) ? { ...p, ty: T.i32 } : p));
      return { ...out, params };
    }
    return this.stubBodies(item, (body) => breaking.some((s) => within(s, body.span)));
  }

  /**
   * `item` with each body that names one of `fns` (functions left out for an error in
   * their signature) replaced by a stub: its typed tree may hold values of type `never`.
   */
  leaveOutUsers(item: AnyNode, fns: ReadonlySet<string>): AnyNode {
    if (item.kind === 'FnDecl' && fns.has(item.name as string)) return item;
    return this.stubBodies(item, (body) => someNode(Ltyped, body, (n) => n.kind === 'Name' && (n.ref as NameRef).k === 'fn' && fns.has((n.ref as { name: string }).name)));
  }

  /** `item` with each body (of a function, a method, a static's initializer) that `goes` replaced by a stub. */
  private stubBodies(item: AnyNode, goes: (body: AnyNode) => boolean): AnyNode {
    switch (item.kind) {
      case 'FnDecl': return goes(item.body as AnyNode) ? this.stubbed(item, 'body') : item;
      case 'StaticDecl': return goes(item.init as AnyNode) ? this.stubbed(item, 'init') : item;
      case 'ClassDecl': {
        const methods = item.methods as readonly AnyNode[];
        if (!methods.some((m) => goes(m.body as AnyNode))) return item;
        return { ...item, methods: methods.map((m) => (goes(m.body as AnyNode) ? this.stubbed(m, 'body') : m)) };
      }
      default: return item;
    }
  }

  /** Whether one of the `breaking` errors lies outside every body left out: the pipeline must stop. */
  stops(breaking: readonly Span[]): boolean {
    return breaking.some((s) => !this.leftOut.some((body) => within(s, body)));
  }

  private stubbed(fnOrStatic: AnyNode, field: 'body' | 'init'): AnyNode {
    // (its typed tree may be incomplete where the errors are: a failure only means no E0030 is found there)
    try { checkUnsafeItem(fnOrStatic, this.unsafe, this.diag); } catch { /* see above */ }
    const span = (fnOrStatic[field] as AnyNode).span;
    this.leftOut.push(span);
    return { ...fnOrStatic, [field]: stub(span) };
  }
}
