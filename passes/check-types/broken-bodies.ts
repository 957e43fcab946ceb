// Ill-typed function bodies are left out of the passes after check-types.
//
// Why: spec §11 wants as many independent errors as one run can find. An unknown name, a
// type mismatch or a wrong argument count leaves a tree the later passes cannot take (an
// erroneous expression has type `never`, an unknown local has no binding), so the pipeline
// stopped after check-types at the first such error, and the memory-model and concurrency
// errors of every other function went unreported. Now a body holding such an error is
// replaced by a stub, `{ loop {} }`: well-typed for any result type, holding nothing, so
// the later checks report nothing in it and see every other function as it is. The unsafe
// operations of a body left out are still checked (E0030) before it goes. An error outside
// every body (a signature, a field, a class, `main`'s signature) still stops the pipeline
// after check-types: any function may depend on the declaration it breaks.

import type { AnyNode, Span } from '../../ir/lang.js';
import type { Diagnostics } from '../../ir/diagnostics.js';
import { T } from '../../ir/types.js';
import { checkItem as checkUnsafeItem, type UnsafeTable } from '../check-unsafe.js';

const within = (s: Span, body: Span) => s.start >= body.start && s.end <= body.end;

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
    const broken = (body: AnyNode) => breaking.some((s) => within(s, body.span));
    switch (item.kind) {
      case 'FnDecl': return broken(item.body as AnyNode) ? this.stubbed(item, 'body') : item;
      case 'StaticDecl': return broken(item.init as AnyNode) ? this.stubbed(item, 'init') : item;
      case 'ClassDecl': {
        const methods = item.methods as readonly AnyNode[];
        if (!methods.some((m) => broken(m.body as AnyNode))) return item;
        return { ...item, methods: methods.map((m) => (broken(m.body as AnyNode) ? this.stubbed(m, 'body') : m)) };
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
