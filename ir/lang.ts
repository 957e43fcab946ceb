// The nanopass framework: an intermediate language is declared once, as data.
// From that one declaration come its TypeScript node types (`NodeOf`), a runtime
// validator (`validate`), a printer (`printIR`) and the default traversal that
// passes build on (`rewrite` in ir/traverse.ts).
//
// A declaration groups node kinds into categories (Expr, Stmt, ...). Each kind
// lists its fields with a small spec language:
//   'Expr' 'Expr?' 'Expr[]'   child nodes of a category (or of one kind: 'Block')
//   'string' 'number' 'boolean' 'type' 'data'  scalars ('type' is a Zeta type, ir/types.ts;
//   'data' is any plain JSON-like value) — each may end in '?' or '[]'.
// Every node also has `kind` and `span`.

import type { Ty } from './types.js';

export interface Span { start: number; end: number }
export const noSpan: Span = { start: 0, end: 0 };

export type FieldSpec = string;
export type KindDecl = Readonly<Record<string, FieldSpec>>;
export type LangDecl = Readonly<Record<string, Readonly<Record<string, KindDecl>>>>;

// ---------------------------------------------------------------- types from the declaration
type Scalar<S extends string> =
  S extends 'string' ? string :
  S extends 'number' ? number :
  S extends 'boolean' ? boolean :
  S extends 'type' ? Ty :
  S extends 'data' ? unknown : never;

type CategoryOf<D extends LangDecl, K extends string> =
  { [C in keyof D]: K extends keyof D[C] ? C : never }[keyof D];

/** A node category (`Expr`) or a single kind (`Block`) named in a field spec. */
export type NodeRef<D extends LangDecl, R extends string> =
  R extends keyof D ? { [K in keyof D[R] & string]: NodeOf<D, K> }[keyof D[R] & string] :
  CategoryOf<D, R> extends never ? never : NodeOf<D, R>;

type One<D extends LangDecl, S extends string> =
  Scalar<S> extends never ? NodeRef<D, S> : Scalar<S>;

export type FieldType<D extends LangDecl, S> =
  S extends `${infer B}[]` ? readonly One<D, B>[] :
  S extends `${infer B}?` ? One<D, B> | null :
  S extends string ? One<D, S> : never;

type KindFields<D extends LangDecl, K extends string> =
  { [C in keyof D]: K extends keyof D[C] ? D[C][K] : never }[keyof D];

/** The TypeScript type of a node of kind K in the language declared by D. */
export type NodeOf<D extends LangDecl, K extends string> = {
  readonly kind: K;
  readonly span: Span;
} & { readonly [F in keyof KindFields<D, K>]: FieldType<D, KindFields<D, K>[F]> };

/** Every node of a category, e.g. `Cat<typeof Lsrc.decl, 'Expr'>`. */
export type Cat<D extends LangDecl, C extends keyof D & string> = NodeRef<D, C>;

export interface AnyNode { readonly kind: string; readonly span: Span; readonly [field: string]: unknown }

// ---------------------------------------------------------------- languages
interface ParsedField { name: string; base: string; many: boolean; optional: boolean; scalar: boolean }

export interface Language<D extends LangDecl = LangDecl> {
  readonly name: string;
  readonly doc: string;
  readonly decl: D;
  /** kind -> category */
  readonly categoryOf: ReadonlyMap<string, string>;
  /** kind -> its fields, in declaration order */
  readonly fields: ReadonlyMap<string, readonly ParsedField[]>;
  /** kind -> its child (node) fields: what traversals walk */
  readonly children: ReadonlyMap<string, readonly ParsedField[]>;
}

const SCALARS = new Set(['string', 'number', 'boolean', 'type', 'data']);

function parseField(name: string, spec: string): ParsedField {
  const many = spec.endsWith('[]');
  const optional = spec.endsWith('?');
  const base = spec.replace(/(\[\]|\?)$/, '');
  return { name, base, many, optional, scalar: SCALARS.has(base) };
}

export function defineLanguage<const D extends LangDecl>(name: string, doc: string, decl: D): Language<D> {
  const categoryOf = new Map<string, string>();
  const fields = new Map<string, ParsedField[]>();
  for (const [cat, kinds] of Object.entries(decl)) {
    for (const [kind, fs] of Object.entries(kinds)) {
      if (categoryOf.has(kind)) throw new Error(`language ${name}: kind ${kind} declared twice`);
      categoryOf.set(kind, cat);
      fields.set(kind, Object.entries(fs).map(([f, s]) => parseField(f, s)));
    }
  }
  const children = new Map([...fields].map(([k, fs]) => [k, fs.filter((f) => !f.scalar)]));
  const lang: Language<D> = { name, doc, decl, categoryOf, fields, children };
  for (const [kind, fs] of fields) {
    for (const f of fs) {
      if (!f.scalar && !(f.base in decl) && !categoryOf.has(f.base)) {
        throw new Error(`language ${name}: ${kind}.${f.name} refers to unknown category or kind ${f.base}`);
      }
    }
  }
  return lang;
}

// Type-level extension: remove kinds, then add kinds or add fields to existing kinds.
type Merge<D extends LangDecl, A extends LangDecl, R extends string> = {
  [C in (keyof D | keyof A)]:
    Omit<C extends keyof D ? D[C] : {}, R | (C extends keyof A ? keyof A[C] : never)> &
    { [K in (C extends keyof A ? keyof A[C] : never)]:
        Omit<(C extends keyof D ? (K extends keyof D[C] ? (K extends R ? {} : D[C][K]) : {}) : {}),
          keyof (C extends keyof A ? A[C][K] : {})> &
        (C extends keyof A ? A[C][K] : {}) }
};
type AddToCategory<D extends LangDecl, C extends keyof D, F extends KindDecl> = {
  [X in keyof D]: X extends C ? { [K in keyof D[X]]: D[X][K] & F } : D[X]
};

type AsDecl<X> = X extends LangDecl ? X : never;

export interface Extension<A extends LangDecl, R extends string> {
  /** kinds to drop (the new language no longer has them) */
  remove?: readonly R[];
  /** new kinds, or new fields on kinds kept from the base */
  add?: A;
}

/** Declares a language as a change of another, as the Scheme nanopass framework does. */
export function extendLanguage<D extends LangDecl, const A extends LangDecl = {}, const R extends string = never>(
  base: Language<D>, name: string, doc: string, ext: Extension<A, R>,
): Language<AsDecl<Merge<D, A, R>>> {
  const out: Record<string, Record<string, KindDecl>> = {};
  const removed = new Set<string>(ext.remove ?? []);
  for (const [cat, kinds] of Object.entries(base.decl)) {
    out[cat] = {};
    for (const [k, fs] of Object.entries(kinds)) if (!removed.has(k)) out[cat][k] = fs;
  }
  for (const [cat, kinds] of Object.entries(ext.add ?? {})) {
    out[cat] ??= {};
    for (const [k, fs] of Object.entries(kinds)) out[cat][k] = { ...(out[cat][k] ?? {}), ...fs };
  }
  return defineLanguage(name, doc, out) as unknown as Language<AsDecl<Merge<D, A, R>>>;
}

/** Adds the same fields to every kind of one category (e.g. `ty: 'type'` on every Expr). */
export function withCategoryFields<D extends LangDecl, C extends keyof D & string, const F extends KindDecl>(
  base: Language<D>, name: string, doc: string, cat: C, fields: F,
): Language<AsDecl<AddToCategory<D, C, F>>> {
  const out: Record<string, Record<string, KindDecl>> = {};
  for (const [c, kinds] of Object.entries(base.decl)) {
    out[c] = {};
    for (const [k, fs] of Object.entries(kinds)) out[c][k] = c === cat ? { ...fs, ...fields } : fs;
  }
  return defineLanguage(name, doc, out) as unknown as Language<AsDecl<AddToCategory<D, C, F>>>;
}

// ---------------------------------------------------------------- validation
export interface ValidationError { path: string; node: AnyNode; message: string }

function isNode(x: unknown): x is AnyNode {
  return typeof x === 'object' && x !== null && typeof (x as AnyNode).kind === 'string';
}

function scalarOk(base: string, v: unknown): boolean {
  switch (base) {
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'type': return typeof v === 'object' && v !== null && typeof (v as { k?: unknown }).k === 'string';
    default: return v !== undefined;
  }
}

/**
 * Checks that a tree is well formed in `lang`: every node's kind belongs to the language,
 * every declared field is present with the right shape, and children are of the declared
 * category. Returns the problems found (empty when valid).
 */
export function validate(lang: Language, root: AnyNode, limit = 20): ValidationError[] {
  const errors: ValidationError[] = [];
  const fits = (ref: string, child: AnyNode) =>
    child.kind === ref || lang.categoryOf.get(child.kind) === ref;
  const visit = (node: AnyNode, path: string): void => {
    if (errors.length >= limit) return;
    const fs = lang.fields.get(node.kind);
    if (!fs) { errors.push({ path, node, message: `kind ${node.kind} is not in language ${lang.name}` }); return; }
    if (!node.span || typeof node.span.start !== 'number') errors.push({ path, node, message: `${node.kind} has no span` });
    for (const f of fs) {
      const v = node[f.name];
      const where = `${path}.${f.name}`;
      const one = (x: unknown, at: string) => {
        if (f.scalar) {
          if (!scalarOk(f.base, x)) errors.push({ path: at, node, message: `${node.kind}.${f.name} should be ${f.base}, got ${JSON.stringify(x)?.slice(0, 60)}` });
        } else if (!isNode(x)) {
          errors.push({ path: at, node, message: `${node.kind}.${f.name} should be a ${f.base} node` });
        } else if (!lang.fields.has(x.kind)) {
          visit(x, at);
        } else if (!fits(f.base, x)) {
          errors.push({ path: at, node: x, message: `${node.kind}.${f.name} should be a ${f.base}, got ${x.kind}` });
        } else visit(x, at);
      };
      if (f.many) {
        if (!Array.isArray(v)) { errors.push({ path: where, node, message: `${node.kind}.${f.name} should be a list` }); continue; }
        v.forEach((x, i) => one(x, `${where}[${i}]`));
      } else if (v === null || v === undefined) {
        if (!f.optional) errors.push({ path: where, node, message: `${node.kind}.${f.name} is missing` });
      } else one(v, where);
    }
  };
  visit(root, root.kind);
  return errors;
}

/** Child fields of a node kind (the ones the default traversal walks). */
export function childFields(lang: Language, kind: string): readonly ParsedField[] {
  return lang.children.get(kind) ?? [];
}

// ---------------------------------------------------------------- building nodes fast
export type NodeBuilder = <N extends AnyNode = AnyNode>(node: AnyNode, changes: Readonly<Record<string, unknown>>) => N;

const builders = new WeakMap<Language, NodeBuilder>();

/**
 * `nodeBuilder(lang)(node, { field: value })` is `node` with some fields changed or added,
 * as a node of `lang`: an object literal of exactly the kind's declared fields, in declared
 * order, each taken from `changes` unless undefined there, else from `node`.
 *
 * Use it instead of `{ ...node, newField }` on hot paths: V8 gives every object made by a
 * spread followed by a field the source lacks a hidden class of its own, so a tree built
 * that way makes every later read of its nodes slow (and allocating each one is slow too).
 * A literal per kind gives one hidden class per kind.
 */
export function nodeBuilder(lang: Language): NodeBuilder {
  let b = builders.get(lang);
  if (b) return b;
  const perKind = new Map<string, (n: AnyNode, c: Readonly<Record<string, unknown>>) => AnyNode>();
  for (const [kind, fs] of lang.fields) {
    const props = ['kind', 'span', ...fs.map((f) => f.name)].map((name) => {
      const key = JSON.stringify(name);
      return `${key}: c[${key}] !== undefined ? c[${key}] : n[${key}]`;
    });
    perKind.set(kind, new Function(`return function build_${kind}(n, c) { return { ${props.join(', ')} }; };`)());
  }
  b = (<N extends AnyNode>(node: AnyNode, changes: Readonly<Record<string, unknown>>): N => {
    const kind = (changes.kind as string | undefined) ?? node.kind;
    const build = perKind.get(kind);
    if (build === undefined) throw new Error(`nodeBuilder: kind ${kind} is not in language ${lang.name}`);
    return build(node, changes) as N;
  }) as NodeBuilder;
  builders.set(lang, b);
  return b;
}
