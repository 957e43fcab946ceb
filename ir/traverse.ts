// The default traversal every pass builds on: it walks a node's child fields (as its
// language declares them) and rebuilds a node only when one of its children changed,
// so unchanged subtrees are shared between a pass's input and output.
//
// A pass supplies handlers for the kinds it changes. A handler gets the node and
// `next`, which rewrites the node's children with the same handlers; it may call `next`
// first (bottom-up), last, or not at all. A handler for a node that sits in a list may
// return an array: its elements are spliced into the list (one statement into several).
//
// Every pass walks the whole program, so the walk is built for speed (1M-line programs):
// - per language, one small function per kind reads and rebuilds exactly its child fields
//   by name (generated once from the declaration), instead of a loop over field names,
//   whose `node[name]` reads would each be a slow generic lookup;
// - per rewriter, each kind has its handler (if any) and whether anything below it can
//   change: a kind from which no handled kind is reachable (by the declaration) is
//   returned as it is without being walked, since without a handler nothing in it changes
//   (these tables are computed once per language and set of handled kinds: some passes
//   build a rewriter per function);
// - `next` is one function per rewriter, not a closure per node: it reads the context of
//   the handler being run from a variable saved and restored around each handler call.

import type { AnyNode, Language } from './lang.js';
import type { Ty } from './types.js';

export type Handler<N extends AnyNode = AnyNode, Ctx = void> =
  (node: N, next: (n: N, ctx?: Ctx) => N, ctx: Ctx) => AnyNode | AnyNode[];
export type Handlers<Ctx = void> = { readonly [kind: string]: Handler<any, Ctx> | undefined };

export interface Rewriter<Ctx> {
  (node: AnyNode, ctx: Ctx): AnyNode;
  /** rewrites the children of a node without calling its own handler */
  children(node: AnyNode, ctx: Ctx): AnyNode;
}

type Visit = (node: AnyNode, ctx: unknown) => AnyNode | AnyNode[];
type VisitList = (list: readonly AnyNode[], ctx: unknown) => readonly AnyNode[];
/** Rewrites the children of one kind's node: the node itself when none changed. */
type KindChildren = (node: AnyNode, one: Visit, list: VisitList, ctx: unknown) => AnyNode;
/** Calls `f` on each child of one kind's node, in field order. */
type KindEach = (node: AnyNode, f: (child: AnyNode, parent: AnyNode) => void) => void;
/** Whether `f` holds for some child of one kind's node (stops at the first). */
type KindSome = (node: AnyNode, f: (child: AnyNode) => boolean) => boolean;

interface LangPlan {
  readonly children: ReadonlyMap<string, KindChildren>;
  readonly each: ReadonlyMap<string, KindEach>;
  readonly some: ReadonlyMap<string, KindSome>;
  /** kind -> the kinds that may occur strictly below a node of that kind */
  readonly below: ReadonlyMap<string, ReadonlySet<string>>;
  /** rewriter shapes, by the handled kinds */
  readonly shapes: Map<string, Shape>;
}

const plans = new WeakMap<Language, LangPlan>();

function severalNodes(kind: string, field: string): never {
  throw new Error(`${kind}.${field}: a handler returned several nodes where one is expected`);
}

/** The kinds a field spec's base names: a category's kinds, or the one kind. */
function kindsOf(lang: Language, base: string): string[] {
  const cat = lang.decl[base];
  return cat ? Object.keys(cat) : [base];
}

function planFor(lang: Language): LangPlan {
  let plan = plans.get(lang);
  if (plan) return plan;
  const children = new Map<string, KindChildren>();
  const each = new Map<string, KindEach>();
  const some = new Map<string, KindSome>();
  for (const [kind, fields] of lang.children) {
    // generated so that every field is read by its literal name (a fast, cached lookup)
    const reads: string[] = [];
    const same: string[] = [];
    const visits: string[] = [];
    const tests: string[] = [];
    fields.forEach((f, i) => {
      const name = JSON.stringify(f.name);
      reads.push(`const v${i} = node[${name}];`);
      if (f.many) reads.push(`const n${i} = v${i} == null ? v${i} : list(v${i}, ctx);`);
      else {
        reads.push(`const n${i} = v${i} == null ? v${i} : one(v${i}, ctx);`);
        reads.push(`if (Array.isArray(n${i})) several(${JSON.stringify(kind)}, ${name});`);
      }
      same.push(`n${i} === v${i}`);
      visits.push(f.many
        ? `{ const v = node[${name}]; if (v != null) for (let i = 0; i < v.length; i++) f(v[i], node); }`
        : `{ const v = node[${name}]; if (v != null) f(v, node); }`);
      tests.push(f.many
        ? `{ const v = node[${name}]; if (v != null) for (let i = 0; i < v.length; i++) if (f(v[i])) return true; }`
        : `{ const v = node[${name}]; if (v != null && f(v)) return true; }`);
    });
    const body = fields.length === 0 ? 'return node;' :
      `${reads.join('\n')}\nif (${same.join(' && ')}) return node;\nreturn ${rebuiltNode(lang, kind, fields)};`;
    children.set(kind, new Function('several', `return function children_${kind}(node, one, list, ctx) {\n${body}\n};`)(severalNodes) as KindChildren);
    each.set(kind, new Function(`return function each_${kind}(node, f) {\n${visits.join('\n')}\n};`)() as KindEach);
    some.set(kind, new Function(`return function some_${kind}(node, f) {\n${tests.join('\n')}\nreturn false;\n};`)() as KindSome);
  }
  // reachability over the declaration: which kinds can appear below which
  const direct = new Map<string, Set<string>>();
  for (const [kind, fields] of lang.children) direct.set(kind, new Set(fields.flatMap((f) => kindsOf(lang, f.base))));
  const below = new Map<string, Set<string>>();
  for (const kind of direct.keys()) {
    const seen = new Set<string>();
    const todo = [...direct.get(kind)!];
    while (todo.length > 0) {
      const k = todo.pop()!;
      if (seen.has(k)) continue;
      seen.add(k);
      for (const c of direct.get(k) ?? []) todo.push(c);
    }
    below.set(kind, seen);
  }
  plan = { children, each, some, below, shapes: new Map() };
  plans.set(lang, plan);
  return plan;
}

/**
 * The source of an object literal rebuilding a node of `kind` with the fields `changed`
 * (the i-th read into the generated variable `n<i>`), every other field read from `node`.
 * One literal per kind, every declared field in order: a spread would give every copy a
 * hidden class of its own, and each later walk of such a tree is slower.
 */
function rebuiltNode(lang: Language, kind: string, changed: readonly { name: string }[]): string {
  const index = new Map(changed.map((f, i) => [f.name, i]));
  const props = ['kind', 'span', ...lang.fields.get(kind)!.map((f) => f.name)].map((name) => {
    const i = index.get(name);
    return `${JSON.stringify(name)}: ${i === undefined ? `node[${JSON.stringify(name)}]` : `n${i}`}`;
  });
  return `{ ${props.join(', ')} }`;
}

/** What a rewriter needs beyond its handlers; shared by every rewriter of one language handling the same kinds. */
interface Shape {
  /** kind -> its index in `kinds` (the language's kinds, then handled kinds it lacks) */
  readonly index: ReadonlyMap<string, number>;
  readonly kinds: readonly string[];
  /** per kind: rewrites the node's children; null when nothing below the node can change */
  readonly children: readonly (KindChildren | null)[];
}

function shapeFor(lang: Language, plan: LangPlan, handled: readonly string[]): Shape {
  const key = handled.join(',');
  let shape = plan.shapes.get(key);
  if (shape) return shape;
  // a handler for a kind the language does not declare: walk everything, as nothing can be ruled out
  const prune = handled.every((k) => lang.categoryOf.has(k));
  const kinds = [...new Set([...lang.children.keys(), ...handled])];
  const children = kinds.map((kind) => {
    const below = plan.below.get(kind);
    const mayChange = !prune || (below !== undefined && handled.some((k) => below.has(k)));
    return mayChange ? plan.children.get(kind) ?? null : null;
  });
  shape = { index: new Map(kinds.map((k, i) => [k, i])), kinds, children };
  plan.shapes.set(key, shape);
  return shape;
}

/**
 * Builds a rewriter for trees of `lang`. Children of kinds without a handler are
 * rewritten by default; the context value is passed down unchanged unless a handler
 * passes another to `next`.
 */
export function rewriter<Ctx = void>(lang: Language, handlers: Handlers<Ctx>): Rewriter<Ctx> {
  const plan = planFor(lang);
  const { index, kinds, children: kindChildren } = shapeFor(lang, plan, Object.keys(handlers).filter((k) => handlers[k] !== undefined));
  const handlerOf = kinds.map((k) => (handlers[k] as Handler<AnyNode, unknown> | undefined) ?? null);

  // the context of the handler being run, for `next` called without one
  let current: unknown;
  const visit: Visit = (node, ctx) => {
    const i = index.get(node.kind);
    if (i === undefined) return node;
    const h = handlerOf[i];
    if (h === null) {
      const c = kindChildren[i];
      return c === null ? node : c(node, visit, visitList, ctx);
    }
    // no try/finally: a handler that throws ends the whole walk, and every handler call
    // sets `current` before it runs, so a stale value is never read
    const saved = current;
    current = ctx;
    const r = h(node, next, ctx);
    current = saved;
    return r;
  };
  // A changed list is a copy of the input written in place (exact size: an array grown by
  // `push` keeps spare slots, and rewritten lists live on through the later passes); only
  // once a handler returns several nodes is the rest built by `push` and copied at the end.
  const visitList: VisitList = (list, ctx) => {
    let out: AnyNode[] | null = null;
    let spliced: AnyNode[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      const r = visit(x, ctx);
      if (spliced !== null) {
        if (Array.isArray(r)) { for (const y of r) spliced.push(y); } else spliced.push(r);
      } else if (Array.isArray(r)) {
        spliced = (out ?? list).slice(0, i);
        for (const y of r) spliced.push(y);
      } else if (r !== x) {
        if (out === null) out = list.slice();
        out[i] = r;
      }
    }
    return spliced !== null ? spliced.slice() : out ?? list;
  };
  const children = (node: AnyNode, ctx: unknown): AnyNode => {
    const i = index.get(node.kind);
    const c = i === undefined ? null : kindChildren[i];
    return c === null ? node : c(node, visit, visitList, ctx);
  };
  const next = (n: AnyNode, c?: unknown): AnyNode => children(n, c === undefined ? current : c);
  const rw = ((node: AnyNode, ctx: Ctx) => {
    const r = visit(node, ctx);
    if (Array.isArray(r)) throw new Error(`${node.kind}: the root was rewritten into several nodes`);
    return r;
  }) as Rewriter<Ctx>;
  rw.children = children as Rewriter<Ctx>['children'];
  return rw;
}

/** Calls `f` on every node of the tree, parents before children. */
export function forEachNode(lang: Language, root: AnyNode, f: (n: AnyNode, parent: AnyNode | null) => void): void {
  const each = planFor(lang).each;
  const go = (n: AnyNode, parent: AnyNode | null): void => {
    f(n, parent);
    const kids = each.get(n.kind);
    if (kids !== undefined) kids(n, go);
  };
  go(root, null);
}

/** Whether some node of the tree satisfies `pred`: parents before children, stopping at the first. */
export function someNode(lang: Language, root: AnyNode, pred: (n: AnyNode) => boolean): boolean {
  const some = planFor(lang).some;
  const go = (n: AnyNode): boolean => {
    if (pred(n)) return true;
    const kids = some.get(n.kind);
    return kids !== undefined && kids(n, go);
  };
  return go(root);
}

/** Rewrites the types of a tree: every `type` field of every node goes through `f`. */
export type TypeMapper = (root: AnyNode, f: (t: Ty) => Ty) => AnyNode;

const typeMappers = new WeakMap<Language, TypeMapper>();

/**
 * `typeMapper(lang)(root, f)` is `root` with every `type` field (`type`, `type?`, `type[]`)
 * replaced by `f` of it, rebuilding only the nodes on the path to a change (as `rewriter`).
 * Like the rewriter, it reads each kind's fields by name, through functions generated once
 * per language.
 */
export function typeMapper(lang: Language): TypeMapper {
  let m = typeMappers.get(lang);
  if (m) return m;
  type KindMap = (node: AnyNode, f: (t: Ty) => Ty, go: (n: AnyNode) => AnyNode, list: typeof mapList) => AnyNode;
  const perKind = new Map<string, KindMap>();
  for (const [kind, fields] of lang.fields) {
    const walked = fields.filter((f) => !f.scalar || f.base === 'type');
    const reads = walked.map((f, i) => {
      const name = JSON.stringify(f.name);
      const one = f.scalar ? 'f' : 'go';
      const map = f.many ? `list(v${i}, ${one})` : `${one}(v${i})`;
      return `const v${i} = node[${name}]; const n${i} = v${i} == null ? v${i} : ${map};`;
    });
    const body = walked.length === 0 ? 'return node;' :
      `${reads.join('\n')}\nif (${walked.map((_, i) => `n${i} === v${i}`).join(' && ')}) return node;\nreturn ${rebuiltNode(lang, kind, walked)};`;
    perKind.set(kind, new Function(`return function types_${kind}(node, f, go, list) {\n${body}\n};`)() as KindMap);
  }
  m = (root, f) => {
    const go = (n: AnyNode): AnyNode => {
      const k = perKind.get(n.kind);
      if (k === undefined) throw new Error(`typeMapper: kind ${n.kind} is not in language ${lang.name}`);
      return k(n, f, go, mapList);
    };
    return go(root);
  };
  typeMappers.set(lang, m);
  return m;
}

/** Maps a list, returning the list itself when no element changed (no allocation then). */
function mapList<X>(list: readonly X[], f: (x: X) => X): readonly X[] {
  let out: X[] | null = null;
  for (let i = 0; i < list.length; i++) {
    const y = f(list[i]);
    if (y === list[i]) continue;
    if (out === null) out = list.slice(); // exact size, as in the rewriter's lists
    out[i] = y;
  }
  return out ?? list;
}
