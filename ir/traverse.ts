// The default traversal every pass builds on: it walks a node's child fields (as its
// language declares them) and rebuilds a node only when one of its children changed,
// so unchanged subtrees are shared between a pass's input and output.
//
// A pass supplies handlers for the kinds it changes. A handler gets the node and
// `next`, which rewrites the node's children with the same handlers; it may call `next`
// first (bottom-up), last, or not at all. A handler for a node that sits in a list may
// return an array: its elements are spliced into the list (one statement into several).

import { childFields, type AnyNode, type Language } from './lang.js';

export type Handler<N extends AnyNode = AnyNode, Ctx = void> =
  (node: N, next: (n: N, ctx?: Ctx) => N, ctx: Ctx) => AnyNode | AnyNode[];
export type Handlers<Ctx = void> = { readonly [kind: string]: Handler<any, Ctx> | undefined };

export interface Rewriter<Ctx> {
  (node: AnyNode, ctx: Ctx): AnyNode;
  /** rewrites the children of a node without calling its own handler */
  children(node: AnyNode, ctx: Ctx): AnyNode;
}

/**
 * Builds a rewriter for trees of `lang`. Children of kinds without a handler are
 * rewritten by default; the context value is passed down unchanged unless a handler
 * passes another to `next`.
 */
export function rewriter<Ctx = void>(lang: Language, handlers: Handlers<Ctx>): Rewriter<Ctx> {
  const visitOne = (node: AnyNode, ctx: Ctx): AnyNode | AnyNode[] => {
    const h = handlers[node.kind];
    return h ? h(node, (n, c) => children(n, c === undefined ? ctx : c), ctx) : children(node, ctx);
  };
  const children = (node: AnyNode, ctx: Ctx): AnyNode => {
    let changed: Record<string, unknown> | null = null;
    for (const f of childFields(lang, node.kind)) {
      const v = node[f.name];
      if (v === null || v === undefined) continue;
      let nv: unknown;
      if (f.many) {
        const list = v as readonly AnyNode[];
        let out: AnyNode[] | null = null;
        for (let i = 0; i < list.length; i++) {
          const r = visitOne(list[i], ctx);
          if (out === null && r !== list[i]) out = list.slice(0, i);
          if (out !== null) { if (Array.isArray(r)) out.push(...r); else out.push(r); }
        }
        nv = out ?? list;
      } else {
        const r = visitOne(v as AnyNode, ctx);
        if (Array.isArray(r)) throw new Error(`${node.kind}.${f.name}: a handler returned several nodes where one is expected`);
        nv = r;
      }
      if (nv !== v) (changed ??= {})[f.name] = nv;
    }
    return changed ? { ...node, ...changed } as AnyNode : node;
  };
  const rw = ((node: AnyNode, ctx: Ctx) => {
    const r = visitOne(node, ctx);
    if (Array.isArray(r)) throw new Error(`${node.kind}: the root was rewritten into several nodes`);
    return r;
  }) as Rewriter<Ctx>;
  rw.children = children;
  return rw;
}

/** Calls `f` on every node of the tree, parents before children. */
export function forEachNode(lang: Language, root: AnyNode, f: (n: AnyNode, parent: AnyNode | null) => void): void {
  const go = (n: AnyNode, parent: AnyNode | null) => {
    f(n, parent);
    for (const fd of childFields(lang, n.kind)) {
      const v = n[fd.name];
      if (v === null || v === undefined) continue;
      if (fd.many) for (const c of v as AnyNode[]) go(c, n);
      else go(v as AnyNode, n);
    }
  };
  go(root, null);
}
