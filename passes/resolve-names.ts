// resolve-names: says what every name denotes (spec §3, §4) and gives every binding an id.
//
// Later passes must not care about spelling, shadowing or scopes: after this pass a local is
// its id (unique within its function; lambdas share their function's ids, so a capture is
// the same id inside and out), and every other name is a NameRef to a static, a function,
// an extern or a built-in. Inside a method, `this` is local 0, and the bare field `count`
// and the bare call `greet()` become `this.count` and `this.greet()` (a bare call of a
// static method of the same class becomes `Class::m()`), so no later pass has to know
// which bare names are members.
//
// Lookup order: locals (innermost first), then the members of the enclosing class, then
// statics, functions and externs of the file (all visible everywhere: no forward
// declarations), then built-ins — so a user function or extern named `abs` wins over the
// built-in. Unknown names are E0002 (with a "did you mean" help when a visible name is
// close). The pass does not stop the pipeline on E0002: an unknown name becomes a
// `{k:'unknown'}` ref that check-types types as `never` without a second error, so one run
// also reports the type errors of the rest of the program (spec §11). Unknown class names
// in type annotations likewise become `never` after their E0002.

import type { AnyNode, Span } from '../ir/lang.js';
import { Lsrc, Lresolved, type Node, type NameRef } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { GENERIC_BY_NAME, T, type Ty } from '../ir/types.js';
import { FREE_BUILTINS, ORDERING } from '../ir/builtins.js';
import { Diagnostics } from '../ir/diagnostics.js';
import { defineItemPass } from './pass.js';

type S<K extends string> = Node<typeof Lsrc, K>;
type R<K extends string> = Node<typeof Lresolved, K>;

const FREE_BUILTIN_SET: ReadonlySet<string> = new Set(FREE_BUILTINS);
/** Owners of `Owner::member` paths that are not user classes. */
const BUILTIN_OWNERS: ReadonlySet<string> = new Set(['Vec', 'Box', 'String', 'Channel', 'Mutex', 'Atomic', 'Ordering']);

interface ClassMembers { fields: ReadonlySet<string>; methods: ReadonlyMap<string, { isStatic: boolean }> }

/** The method being resolved, when inside a class. */
interface MethodScope { className: string; members: ClassMembers; isStatic: boolean }

/** Levenshtein distance, stopping early above `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The closest of `candidates` to `name`, if close enough to be a likely typo. */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  const max = Math.max(1, Math.floor(name.length / 3));
  let best: string | null = null;
  let bestD = max + 1;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c, max);
    if (d < bestD) { best = c; bestD = d; }
  }
  return best;
}

/** Suggestions are computed for the first few unknown names only: they scan every visible name. */
const MAX_SUGGESTIONS = 50;

class Resolver {
  readonly classes = new Map<string, ClassMembers>();
  readonly statics = new Set<string>();
  readonly fns = new Set<string>();
  readonly externs = new Set<string>();
  /** name -> id of the innermost local in scope with that name */
  private readonly locals = new Map<string, number>();
  /** the names declared in the open scopes, innermost last (to pop a scope in O(declared)) */
  private readonly declared: string[] = [];
  /** per entry of `declared`: the id that name had before (-1: none), restored when its scope ends */
  private readonly shadowed: number[] = [];
  /** per open scope, where its names start in `declared` */
  private readonly scopeStarts: number[] = [];
  private nextId = 1;
  method: MethodScope | null = null;
  private suggestions = 0;
  /** the ref of each global name asked for (refs are immutable data, shared by every use) */
  private readonly globalRefs = new Map<string, NameRef | null>();

  constructor(readonly diag: Diagnostics) {}

  // ---------------------------------------------------------------- items
  collect(program: S<'Program'>): void {
    const seen = new Map<string, string>();
    const define = (name: string, what: string, span: Span) => {
      const before = seen.get(name);
      if (before) {
        this.diag.error('E0002', span, `the name \`${name}\` is defined more than once`,
          { label: `\`${name}\` redefined here`, notes: [`note: it is already a ${before}`] });
      } else seen.set(name, what);
    };
    for (const item of program.items) {
      switch (item.kind) {
        case 'FnDecl': define(item.name, 'function', item.span); this.fns.add(item.name); break;
        case 'ExternFn': define(item.name, 'extern function', item.span); this.externs.add(item.name); break;
        case 'StaticDecl': define(item.name, 'static', item.span); this.statics.add(item.name); break;
        case 'ClassDecl': {
          define(item.name, 'class', item.span);
          const fields = new Set<string>();
          for (const f of item.fields) {
            if (fields.has(f.name)) this.diag.error('E0002', f.span, `field \`${f.name}\` is declared more than once in \`${item.name}\``);
            fields.add(f.name);
          }
          const methods = new Map<string, { isStatic: boolean }>();
          for (const m of item.methods) {
            if (methods.has(m.name)) this.diag.error('E0002', m.span, `method \`${m.name}\` is defined more than once in \`${item.name}\``);
            else if (fields.has(m.name)) this.diag.error('E0002', m.span, `\`${item.name}\` has both a field and a method named \`${m.name}\``);
            methods.set(m.name, { isStatic: m.isStatic });
          }
          this.classes.set(item.name, { fields, methods });
          break;
        }
      }
    }
  }

  /** Starts a function (or a static's initializer): ids from 1 (the last one's scopes are all closed). */
  enterFunction(method: MethodScope | null): void {
    this.nextId = 1;
    this.method = method;
  }

  // ---------------------------------------------------------------- scopes
  push(): void { this.scopeStarts.push(this.declared.length); }
  pop(): void {
    const start = this.scopeStarts.pop() ?? 0;
    while (this.declared.length > start) {
      const name = this.declared.pop()!;
      const before = this.shadowed.pop()!;
      if (before < 0) this.locals.delete(name); else this.locals.set(name, before);
    }
  }
  /** Declares a local in the innermost scope; shadowing is allowed. */
  bind(name: string): number {
    const id = this.nextId++;
    this.shadowed.push(this.locals.get(name) ?? -1);
    this.locals.set(name, id);
    this.declared.push(name);
    return id;
  }
  local(name: string): number | undefined {
    return this.locals.get(name);
  }

  // ---------------------------------------------------------------- names
  /** A member of the enclosing class usable by its bare name (none in static methods but static calls). */
  member(name: string): 'field' | 'method' | 'static' | null {
    const m = this.method;
    if (!m) return null;
    if (m.members.fields.has(name)) return m.isStatic ? null : 'field';
    const method = m.members.methods.get(name);
    if (!method) return null;
    if (method.isStatic) return 'static';
    return m.isStatic ? null : 'method';
  }

  global(name: string): NameRef | null {
    let ref = this.globalRefs.get(name);
    if (ref === undefined) {
      ref = this.statics.has(name) ? { k: 'global', name } : this.fns.has(name) ? { k: 'fn', name }
        : this.externs.has(name) ? { k: 'extern', name } : FREE_BUILTIN_SET.has(name) ? { k: 'builtin', name } : null;
      this.globalRefs.set(name, ref);
    }
    return ref;
  }

  unknown(name: string, span: Span, what = 'name'): void {
    let help: string | undefined;
    if (this.suggestions++ < MAX_SUGGESTIONS) {
      const m = this.method;
      const close = closestName(name, [
        ...this.locals.keys(),
        ...(m && !m.isStatic ? [...m.members.fields, ...m.members.methods.keys()] : []),
        ...this.statics, ...this.fns, ...this.externs, ...FREE_BUILTINS,
      ]);
      if (close) help = `did you mean \`${close}\`?`;
    }
    const m = this.method;
    const notes: string[] = [];
    if (m?.isStatic && (m.members.fields.has(name) || m.members.methods.has(name))) {
      notes.push(`note: \`${name}\` is a member of \`${m.className}\`, but a static method has no \`this\``);
    }
    this.diag.error('E0002', span, `cannot find ${what} \`${name}\` in this scope`, { label: 'not found', help, notes });
  }

  unknownType(name: string, span: Span): void {
    const close = closestName(name, this.classes.keys());
    this.diag.error('E0002', span, `cannot find type \`${name}\``,
      { label: 'unknown type', help: close ? `did you mean \`${close}\`?` : undefined });
  }

  /**
   * Checks the class names in a type annotation; an unknown one becomes `never` (after E0002).
   * `void` means "no value" (spec §2): it may be a function's result (`voidOk`, also inside
   * `fn(..) -> void`) and a thread's (`Thread<void>`), and nothing else: a `void` parameter,
   * field, element or pointee is E0003 and becomes `never`.
   */
  type(t: Ty, span: Span, voidOk = false): Ty {
    switch (t.k) {
      case 'void':
        if (voidOk) return t;
        this.diag.error('E0003', span, '`void` is not a value type', { label: 'no values have this type', help: '`void` can only be the result type of a function' });
        return T.never;
      case 'class':
        if (this.classes.has(t.name)) return t;
        this.unknownType(t.name, span);
        return T.never;
      case 'ptr': { const to = this.type(t.to, span); return to === t.to ? t : { ...t, to }; }
      case 'array': { const elem = this.type(t.elem, span); return elem === t.elem ? t : { ...t, elem }; }
      case 'fn': {
        const params = t.params.map((p) => this.type(p, span));
        const ret = this.type(t.ret, span, true);
        return ret === t.ret && params.every((p, i) => p === t.params[i]) ? t : { ...t, params, ret };
      }
      case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard': {
        const of = this.type(t.of, span, t.k === 'thread');
        return of === t.of ? t : { ...t, of };
      }
      default: return t;
    }
  }
  typeOrNull(t: Ty | null, span: Span): Ty | null { return t === null ? null : this.type(t, span); }
}

/** `{k:'local', id}`, shared by every use of a local (refs are immutable data). */
const localRefs: NameRef[] = [];
function localRef(id: number): NameRef {
  return localRefs[id] ??= { k: 'local', id };
}

const resolvedName = (span: Span, name: string, ref: NameRef): R<'Name'> => ({ kind: 'Name', span, name, ref });

const thisName = (span: Span): AnyNode => ({ kind: 'Name', span, name: 'this', ref: localRef(0) });

/** Resolves the items of `program` one at a time, its declarations collected first. */
function itemResolver(program: S<'Program'>, diag: Diagnostics): (item: AnyNode) => AnyNode {
  const r = new Resolver(diag);
  r.collect(program);

  // nodes that gain a field are built as literals, not `{ ...node, id }` (see nodeBuilder in ir/lang.ts)
  const param = (p: S<'Param'>): R<'Param'> =>
    ({ kind: 'Param', span: p.span, name: p.name, mut: p.mut, ty: r.typeOrNull(p.ty, p.span), id: r.bind(p.name) });
  /** Params of a function, lambda or extern: duplicates are errors. */
  const params = (ps: readonly S<'Param'>[]): R<'Param'>[] => {
    const seen = new Set<string>();
    return ps.map((p) => {
      if (seen.has(p.name)) diag.error('E0002', p.span, `parameter \`${p.name}\` is declared more than once`);
      seen.add(p.name);
      return param(p);
    });
  };
  const scoped = <X>(f: () => X): X => { r.push(); try { return f(); } finally { r.pop(); } };

  const rw: (n: AnyNode) => AnyNode = (n) => resolveNode(n);
  const resolveNode: (n: AnyNode) => AnyNode = rewriter<void>(Lsrc, {
    FnDecl: (node: S<'FnDecl'>) => {
      r.enterFunction(r.method); // r.method is set by ClassDecl for methods, null otherwise
      return scoped(() => {
        const ps = params(node.params);
        const body = rw(node.body);
        return { ...node, params: ps, ret: r.type(node.ret, node.span, true), body };
      });
    },
    ExternFn: (node: S<'ExternFn'>) => {
      r.enterFunction(null);
      return scoped(() => ({ ...node, params: params(node.params), ret: r.type(node.ret, node.span, true) }));
    },
    StaticDecl: (node: S<'StaticDecl'>) => {
      r.enterFunction(null);
      return scoped(() => ({ ...node, ty: r.type(node.ty, node.span), init: rw(node.init) }));
    },
    ClassDecl: (node: S<'ClassDecl'>) => {
      const members = r.classes.get(node.name)!;
      // fields are not bindings; they get ids 1..n within their class
      const fields = node.fields.map((f, i) => ({ kind: 'Param', span: f.span, name: f.name, mut: f.mut, ty: r.type(f.ty!, f.span), id: i + 1 }));
      const methods = node.methods.map((m) => {
        r.method = { className: node.name, members, isStatic: m.isStatic };
        const out = rw(m);
        r.method = null;
        return out;
      });
      return { ...node, fields, methods };
    },
    Block: (node: S<'Block'>, next) => {
      r.push();
      try { return next(node); } finally { r.pop(); }
    },
    Let: (node: S<'Let'>) => {
      const init = rw(node.init);
      return { kind: 'Let', span: node.span, name: node.name, mut: node.mut, ty: r.typeOrNull(node.ty, node.span), init, id: r.bind(node.name) };
    },
    For: (node: S<'For'>) => {
      const start = rw(node.start);
      const end = rw(node.end);
      return scoped(() => {
        const id = r.bind(node.name);
        return { kind: 'For', span: node.span, name: node.name, start, end, inclusive: node.inclusive, body: rw(node.body), id };
      });
    },
    WhileLet: (node: S<'WhileLet'>) => {
      const value = rw(node.value);
      return scoped(() => {
        const id = r.bind(node.name);
        return { kind: 'WhileLet', span: node.span, name: node.name, value, body: rw(node.body), id };
      });
    },
    IfLet: (node: S<'IfLet'>) => {
      const value = rw(node.value);
      const [id, then] = scoped(() => [r.bind(node.name), rw(node.then)] as const);
      return { kind: 'IfLet', span: node.span, name: node.name, value, then, else: node.else && rw(node.else), id };
    },
    RegionStmt: (node: S<'RegionStmt'>) => {
      const capacity = node.capacity && rw(node.capacity);
      return scoped(() => {
        const id = r.bind(node.name);
        return { kind: 'RegionStmt', span: node.span, name: node.name, capacity, body: rw(node.body), id };
      });
    },
    Lambda: (node: S<'Lambda'>) => scoped(() => {
      const ps = params(node.params);
      return { ...node, params: ps, ret: node.ret === null ? null : r.type(node.ret, node.span, true), body: rw(node.body) };
    }),
    Cast: (node: S<'Cast'>, next) => ({ ...next(node), ty: r.type(node.ty, node.span) }),
    Path: (node: S<'Path'>) => {
      // (most paths have no type arguments: no list to make then)
      const tyArgs = node.tyArgs.length === 0 ? node.tyArgs : node.tyArgs.map((t) => r.type(t, node.span));
      const cls = r.classes.get(node.owner);
      if (cls) {
        const m = cls.methods.get(node.member);
        if (!m) {
          const close = closestName(node.member, [...cls.methods.keys()].filter((k) => cls.methods.get(k)!.isStatic));
          diag.error('E0002', node.span, `no static method \`${node.member}\` in class \`${node.owner}\``,
            { label: 'not found', help: close ? `did you mean \`${node.owner}::${close}\`?` : undefined });
        } else if (!m.isStatic) {
          diag.error('E0002', node.span, `\`${node.owner}::${node.member}\` is not a static method`,
            { label: 'needs an object', help: `call it on a value: \`x.${node.member}(...)\`` });
        }
      } else if (node.owner === 'Ordering') {
        if (!Object.hasOwn(ORDERING, node.member)) {
          diag.error('E0002', node.span, `no ordering \`Ordering::${node.member}\``,
            { help: `the orderings are ${Object.keys(ORDERING).map((o) => `\`${o}\``).join(', ')}` });
        }
      } else if (!BUILTIN_OWNERS.has(node.owner)) {
        const close = closestName(node.owner, [...r.classes.keys(), ...BUILTIN_OWNERS]);
        diag.error('E0002', node.span, `cannot find type \`${node.owner}\``,
          { label: 'unknown type', help: close ? `did you mean \`${close}\`?` : undefined });
      }
      return tyArgs.every((t, i) => t === node.tyArgs[i]) ? node : { ...node, tyArgs };
    },
    StructLit: (node: S<'StructLit'>, next) => {
      if (!r.classes.has(node.className)) {
        if (node.className in GENERIC_BY_NAME || node.className === 'String') {
          diag.error('E0002', node.span, `\`${node.className}\` is a built-in type, not a class`,
            { help: `build one with \`${node.className}::new(...)\`` });
        } else r.unknownType(node.className, node.span);
      }
      return next(node);
    },
    Call: (node: S<'Call'>, next) => {
      const callee = node.callee;
      if (callee.kind === 'Name' && callee.name !== 'this' && r.local(callee.name) === undefined) {
        const member = r.member(callee.name);
        if (member === 'method') {
          const args = node.args.map((a) => rw(a));
          return { kind: 'MethodCall', span: node.span, object: thisName(callee.span), method: callee.name, args };
        }
        if (member === 'static') {
          const path = { kind: 'Path', span: callee.span, owner: r.method!.className, tyArgs: [], member: callee.name };
          return { kind: 'Call', span: node.span, callee: path, args: node.args.map((a) => rw(a)) };
        }
      }
      return next(node);
    },
    Name: (node: S<'Name'>) => {
      const { name, span } = node;
      if (name === 'this') {
        if (r.method && !r.method.isStatic) return resolvedName(span, name, localRef(0));
        diag.error('E0002', span, '`this` is only available in methods',
          { label: r.method ? 'a static method has no `this`' : 'not inside a method' });
        return resolvedName(span, name, { k: 'unknown', name });
      }
      const id = r.local(name);
      if (id !== undefined) return resolvedName(span, name, localRef(id));
      const member = r.member(name);
      if (member === 'field') return { kind: 'Field', span, object: thisName(span), name };
      if (member === 'method' || member === 'static') {
        diag.error('E0002', span, `method \`${name}\` can only be called`,
          { label: 'not a value', help: `call it: \`${name}(...)\`, or wrap it in a lambda` });
        return resolvedName(span, name, { k: 'unknown', name });
      }
      const ref = r.global(name);
      if (ref) return resolvedName(span, name, ref);
      r.unknown(name, span);
      return resolvedName(span, name, { k: 'unknown', name });
    },
  });
  return rw;
}

/**
 * The program's declarations with their types resolved, bodies as parsed: what the passes
 * after this one in a sweep prepare from (function and method signatures, fields, statics).
 * Errors are left to the resolution of each item, which reports them.
 */
function resolvedDeclarations(program: S<'Program'>): S<'Program'> {
  const r = new Resolver(new Diagnostics());
  r.collect(program);
  const param = (p: S<'Param'>, id: number) => ({ kind: 'Param', span: p.span, name: p.name, mut: p.mut, ty: r.typeOrNull(p.ty, p.span), id });
  const signature = (f: S<'FnDecl'>) => ({ ...f, params: f.params.map((p, i) => param(p, i + 1)), ret: r.type(f.ret, f.span, true) });
  const items = program.items.map((it) => {
    switch (it.kind) {
      case 'FnDecl': return signature(it);
      case 'ExternFn': return { ...it, params: it.params.map((p, i) => param(p, i + 1)), ret: r.type(it.ret, it.span, true) };
      case 'StaticDecl': return { ...it, ty: r.type(it.ty, it.span) };
      case 'ClassDecl': return { ...it, fields: it.fields.map((f, i) => param(f, i + 1)), methods: it.methods.map(signature) };
    }
  });
  return { ...program, items } as unknown as S<'Program'>;
}

export const resolveNamesPass = defineItemPass({
  name: 'resolve-names',
  description: 'resolves every name to a binding id, a global, a function or a built-in (E0002)',
  from: Lsrc,
  to: Lresolved,
  // E0002 does not stop the pipeline here: check-types (which then stops it) reports the
  // type errors of the same run too (spec §11: as many independent errors as possible)
  prepare: (program, ctx) => itemResolver(program as S<'Program'>, ctx.diag),
  runFunction: (item, resolve) => resolve(item),
  declarations: (program) => resolvedDeclarations(program as S<'Program'>),
});
