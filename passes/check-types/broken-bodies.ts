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
//
// What of a function (or method) body is independent of its errors is still checked
// (`salvage`): its top-level statements that share no binding with a statement holding an
// error go on, before the stub. So `x: i32 := "no";` does not hide a use after `delete` of
// another variable in the same function.

import type { AnyNode, Span } from '../../ir/lang.js';
import type { Diagnostics } from '../../ir/diagnostics.js';
import { T, tyHasKind, type Ty } from '../../ir/types.js';
import { Ltyped, type NameRef } from '../../ir/languages.js';
import { forEachNode, someNode } from '../../ir/traverse.js';
import { checkItem as checkUnsafeItem, type UnsafeTable } from '../check-unsafe.js';

const within = (s: Span, body: Span) => s.start >= body.start && s.end <= body.end;

/** Whether `never` (what an unknown type becomes) is anywhere in t. */
export const hasNever = (t: Ty): boolean => tyHasKind(t, 'never');

/** `{ loop {} }` at `span`, in Ltyped: it never finishes, so it fits any result type. */
function stub(span: Span): AnyNode {
  const empty = { kind: 'Block', span, stmts: [], tail: null, ty: T.void };
  return { kind: 'Block', span, stmts: [{ kind: 'Loop', span, body: empty }], tail: null, ty: T.never };
}

/** The bindings a statement declares or names (a lambda's or pattern's own included). */
function bindingsOf(stmt: AnyNode): Set<number> {
  const ids = new Set<number>();
  forEachNode(Ltyped, stmt, (n) => {
    if (n.kind === 'Name' && (n.ref as NameRef).k === 'local') ids.add((n.ref as { id: number }).id);
    else if (typeof n.id === 'number') ids.add(n.id as number);
  });
  return ids;
}

/** Whether a statement may not go on to the next one (a return, a break, a never-typed expression in it). */
const mayNotFallThrough = (stmt: AnyNode) => someNode(Ltyped, stmt, (n) =>
  n.kind === 'Return' || n.kind === 'Break' || n.kind === 'Continue' || (n.ty !== undefined && (n.ty as Ty).k === 'never'));

/** Whether a type is left undecided anywhere in the tree (inference cut short by an error). */
const undecided = (root: AnyNode) => someNode(Ltyped, root, (n) => n.ty !== undefined && n.ty !== null && tyHasKind(n.ty as Ty, 'infer'));

/**
 * The part of a body holding errors (`broken` spans) that later passes can still check: its
 * top-level statements that share no binding, directly or through other statements, with a
 * statement holding an error, up to the first statement left out that may not fall through,
 * and then the stub. A binding's whole history is kept or left out, so the checks after it
 * see only what the program does. Gives the statements kept and those left out, or null when
 * nothing is kept (or what is kept is not fully typed).
 */
export function salvage(body: AnyNode, broken: readonly Span[]): { kept: AnyNode[]; out: AnyNode[] } | null {
  if (body.kind !== 'Block') return null;
  const stmts = [...body.stmts as readonly AnyNode[]];
  const tail = body.tail as AnyNode | null;
  if (tail !== null) stmts.push({ kind: 'ExprStmt', span: tail.span, expr: tail });
  const names = stmts.map(bindingsOf);
  const left = stmts.map((st) => broken.some((sp) => within(sp, st.span)));
  const tainted = new Set<number>();
  for (let grew = true; grew;) {
    grew = false;
    stmts.forEach((_, i) => {
      if (!left[i] && ![...names[i]].some((id) => tainted.has(id))) return;
      if (!left[i]) { left[i] = true; grew = true; }
      for (const id of names[i]) if (!tainted.has(id)) { tainted.add(id); grew = true; }
    });
  }
  const cut = stmts.findIndex((st, i) => left[i] && mayNotFallThrough(st));
  const keep = stmts.map((_, i) => !left[i] && (cut < 0 || i < cut));
  const kept = stmts.filter((_, i) => keep[i]);
  if (kept.length === 0 || kept.some(undecided)) return null;
  return { kept, out: stmts.filter((_, i) => !keep[i]) };
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
    return this.stubBodies(item, (body) => breaking.some((s) => within(s, body.span)), breaking);
  }

  /**
   * `item` with each body that names one of `fns` (functions left out for an error in
   * their signature) replaced by a stub: its typed tree may hold values of type `never`.
   */
  leaveOutUsers(item: AnyNode, fns: ReadonlySet<string>): AnyNode {
    if (item.kind === 'FnDecl' && fns.has(item.name as string)) return item;
    return this.stubBodies(item, (body) => someNode(Ltyped, body, (n) => n.kind === 'Name' && (n.ref as NameRef).k === 'fn' && fns.has((n.ref as { name: string }).name)));
  }

  /**
   * `item` with each body (of a function, a method, a static's initializer) that `goes`
   * replaced by a stub; with the `broken` spans that make it go, a function's or method's
   * body keeps what `salvage` finds independent of them.
   */
  private stubBodies(item: AnyNode, goes: (body: AnyNode) => boolean, broken?: readonly Span[]): AnyNode {
    switch (item.kind) {
      case 'FnDecl': return goes(item.body as AnyNode) ? this.stubbed(item, 'body', broken) : item;
      case 'StaticDecl': return goes(item.init as AnyNode) ? this.stubbed(item, 'init') : item;
      case 'ClassDecl': {
        const methods = item.methods as readonly AnyNode[];
        if (!methods.some((m) => goes(m.body as AnyNode))) return item;
        return { ...item, methods: methods.map((m) => (goes(m.body as AnyNode) ? this.stubbed(m, 'body', broken) : m)) };
      }
      default: return item;
    }
  }

  /** Whether one of the `breaking` errors lies outside every body left out: the pipeline must stop. */
  stops(breaking: readonly Span[]): boolean {
    return breaking.some((s) => !this.leftOut.some((body) => within(s, body)));
  }

  private stubbed(fnOrStatic: AnyNode, field: 'body' | 'init', broken?: readonly Span[]): AnyNode {
    const body = fnOrStatic[field] as AnyNode;
    const part = broken === undefined ? null : salvage(body, broken);
    // what goes is checked for unsafe operations now (E0030: check-unsafe sees what is kept);
    // its typed tree may be incomplete where the errors are: a failure only means no E0030 is found there
    const goes = part === null ? fnOrStatic : { ...fnOrStatic, [field]: { ...body, stmts: part.out, tail: null } };
    try { checkUnsafeItem(goes, this.unsafe, this.diag); } catch { /* see above */ }
    this.leftOut.push(body.span);
    const end = stub(body.span);
    return { ...fnOrStatic, [field]: part === null ? end : { ...end, stmts: [...part.kept, ...(end.stmts as AnyNode[])] } };
  }
}
