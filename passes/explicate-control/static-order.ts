// The order the statics' initializers run in (`static.init`, before main), for
// explicate-control.
//
// Why: names are visible in the whole file (spec §3), so an initializer may read a static
// declared after it, directly (`static B: i32 = A + 1; static A: i32 = 5;`) or through the
// functions it calls. Run in declaration order, it read the other static before its
// initializer had run: a zero. Each initializer now runs after those of the statics it
// uses, as rustc's const evaluation gives a static the value of every static it reads.
//
// What an initializer uses: the statics it names, and, transitively, those named by the
// functions it calls (a call graph walk over the bodies: methods are functions by now, and
// lambdas too), read or changed. Two kinds of edges:
// - certain: a static named, a function called by name. A static whose initializer uses
//   itself this way (`A = B + 1; B = A + 1`, or `A = f()` where f reads A) has no value to
//   start from: E0003 (the spec has no code of its own; rustc's E0391 "cycle detected"),
//   at the static's name, with the chain in the label. The walk does not look at
//   conditions: a function that names A counts even if, called from A's initializer, it
//   would not reach that code (conservative, as the other checks are).
// - possible: a function made into a value (a named function, a lambda) or a Drop class's
//   `drop` (a value of the class is built): it may run during initialization, or only long
//   after (`static TABLE: [fn() -> i32; 2] = [f, g]` where f reads TABLE is fine). These
//   order the initializers where they can, and never make an error.
// Among the initializers ready to run, the first declared runs first: a file whose statics
// use only earlier ones keeps declaration order.
//
// The bodies are only looked at when an initializer calls a function or makes a value that
// may run code; then they come from `whole()` (in a sweep, ctx.wholeModule: the function
// bodies are not at hand there, and in a compile split between threads the worker running
// the initializers has only half of them), so the order depends on the program alone.

import type { AnyNode, Span } from '../../ir/lang.js';
import { Lnoregions, type Node, type NameRef } from '../../ir/languages.js';
import { forEachNode } from '../../ir/traverse.js';
import type { Diagnostics, SourceFile } from '../../ir/diagnostics.js';

type N<K extends string> = Node<typeof Lnoregions, K>;
type Static = N<'StaticDecl'>;

/** What one body (a function's, or a static's initializer) uses directly. */
interface Uses {
  /** statics it names (reads or changes) */
  readonly statics: readonly string[];
  /** functions it calls by name: they run */
  readonly calls: readonly string[];
  /** functions made into values: they may run */
  readonly values: readonly string[];
  /** classes with `drop` whose values it builds: their drop may run */
  readonly drops: readonly string[];
}

function usesOf(root: AnyNode, isDropClass: (cls: string) => boolean): Uses {
  const statics: string[] = [], calls: string[] = [], values: string[] = [], drops: string[] = [];
  forEachNode(Lnoregions, root, (n, parent) => {
    switch (n.kind) {
      case 'Name': {
        const ref = n.ref as NameRef;
        if (ref.k === 'global') statics.push(ref.name);
        else if (ref.k === 'fn') (parent?.kind === 'Call' && parent.callee === n ? calls : values).push(ref.name);
        return;
      }
      case 'Closure': values.push(n.fn as string); return;
      case 'StructLit': if (isDropClass(n.className as string)) drops.push(n.className as string); return;
      default: return;
    }
  });
  return { statics, calls, values, drops };
}

/** A static or a function, as a node of the graph the walks go over. */
type Key = `s:${string}` | `f:${string}`;

export interface StaticOrderInput {
  statics: readonly Static[];
  /** whether a class implements Drop (from the declarations) */
  isDropClass(cls: string): boolean;
  /** the whole module (Lnoregions), with every function's body: asked for only when needed */
  whole(): AnyNode;
  diag: Diagnostics;
  src: SourceFile;
}

/** The statics in the order their initializers run; E0003 for each one whose initializer needs its own value. */
export function orderStatics({ statics, isDropClass, whole, diag, src }: StaticOrderInput): readonly Static[] {
  const initUses = new Map<string, Uses>();
  let runsCode = false;
  for (const s of statics) {
    const u = usesOf(s.init, isDropClass);
    initUses.set(s.name, u);
    if (u.calls.length > 0 || u.values.length > 0 || u.drops.length > 0) runsCode = true;
  }
  if (!runsCode && [...initUses.values()].every((u) => u.statics.length === 0)) return statics; // (most programs)

  // the functions' bodies, by name, and each Drop class's drop function
  const bodies = new Map<string, AnyNode>();
  const dropFns = new Map<string, string>();
  if (runsCode) {
    for (const it of (whole() as N<'Program'>).items) {
      if (it.kind === 'FnDecl') bodies.set(it.name, it.body);
      else if (it.kind === 'ClassDecl' && it.dropFn !== null) dropFns.set(it.name, it.dropFn);
    }
  }
  const fnUses = new Map<string, Uses | null>();
  const usesOfFn = (name: string): Uses | null => {
    let u = fnUses.get(name);
    if (u === undefined) {
      const body = bodies.get(name);
      fnUses.set(name, u = body === undefined ? null : usesOf(body, isDropClass));
    }
    return u;
  };
  /** the graph's successors of a node: statics named and functions called (and, if `possible`, that may run) */
  const successors = [new Map<Key, Key[]>(), new Map<Key, Key[]>()];
  const next = (k: Key, possible: boolean): Key[] => {
    const memo = successors[possible ? 1 : 0];
    let out = memo.get(k);
    if (out !== undefined) return out;
    const u = k.startsWith('s:') ? initUses.get(k.slice(2)) : usesOfFn(k.slice(2));
    out = [];
    if (u) {
      for (const s of u.statics) out.push(`s:${s}`);
      for (const f of u.calls) out.push(`f:${f}`);
      if (possible) {
        for (const f of u.values) out.push(`f:${f}`);
        for (const c of u.drops) { const d = dropFns.get(c); if (d !== undefined) out.push(`f:${d}`); }
      }
    }
    memo.set(k, out);
    return out;
  };
  /** the statics an initializer uses: reached through functions (statics' own initializers run apart) */
  const reach = (s: string, possible: boolean): Set<string> => {
    const found = new Set<string>();
    const seen = new Set<Key>();
    const work: Key[] = next(`s:${s}`, possible).slice();
    while (work.length > 0) {
      const k = work.pop()!;
      if (seen.has(k)) continue;
      seen.add(k);
      if (k.startsWith('s:')) found.add(k.slice(2));
      else for (const m of next(k, possible)) work.push(m);
    }
    return found;
  };
  const certain = new Map<string, Set<string>>();
  const possible = new Map<string, Set<string>>();
  for (const s of statics) {
    certain.set(s.name, reach(s.name, false));
    possible.set(s.name, runsCode ? reach(s.name, true) : certain.get(s.name)!);
  }

  // cycles of certain uses: every static on one is reported
  for (const s of statics) {
    if (!usesItself(s.name, certain)) continue;
    const chain = chainBack(s.name, (k) => next(k, false));
    diag.error('E0003', nameSpan(s, src), `static \`${s.name}\` depends on its own value`, {
      label: describeChain(chain),
      help: `statics are initialized before \`main\`, each after the statics it uses (also through calls): compute \`${s.name}\` without its own value`,
    });
  }
  return ordered(statics, certain, possible);
}

/** Whether static s is reachable from itself through the statics its initializer certainly uses. */
function usesItself(s: string, certain: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const seen = new Set<string>();
  const work = [...certain.get(s)!];
  while (work.length > 0) {
    const t = work.pop()!;
    if (t === s) return true;
    if (seen.has(t)) continue;
    seen.add(t);
    const more = certain.get(t);
    if (more) for (const m of more) work.push(m);
  }
  return false;
}

/** A shortest chain of certain uses from static s back to itself (breadth first, in source order). */
function chainBack(s: string, next: (k: Key) => Key[]): Key[] {
  const start: Key = `s:${s}`;
  const from = new Map<Key, Key>();
  let frontier: Key[] = [start];
  while (frontier.length > 0) {
    const now = frontier;
    frontier = [];
    for (const k of now) {
      for (const m of next(k)) {
        if (m === start) {
          const chain: Key[] = [start];
          for (let x: Key | undefined = k; x !== undefined && x !== start; x = from.get(x)) chain.splice(1, 0, x);
          chain.push(start);
          return chain;
        }
        if (from.has(m)) continue;
        from.set(m, k);
        frontier.push(m);
      }
    }
  }
  return [start, start];
}

/** "its initializer reads `B`, whose initializer calls `f`, which reads `A`" */
function describeChain(chain: readonly Key[]): string {
  const parts: string[] = [];
  for (let i = 1; i < chain.length; i++) {
    const fromStatic = chain[i - 1].startsWith('s:');
    const to = chain[i];
    const verb = to.startsWith('s:') ? 'reads' : 'calls';
    const who = i === 1 ? 'its initializer' : fromStatic ? ', whose initializer' : ', which';
    parts.push(`${who} ${verb} ${fnText(to)}`);
  }
  return parts.join('');
}

function fnText(k: Key): string {
  const name = k.slice(2);
  if (k.startsWith('s:')) return `\`${name}\``;
  const lambda = /^(.*)\.lambda\d+$/.exec(name);
  if (lambda) return lambda[1].startsWith('static.') ? `a lambda of \`${lambda[1].slice(7)}\`` : `a lambda in \`${lambda[1]}\``;
  return `\`${name}\``;
}

/** The span of a static's name in `static [mut] NAME: ...` (the whole declaration if it cannot be found). */
function nameSpan(s: Static, src: SourceFile): Span {
  const m = /^static\s+(?:mut\s+)?/.exec(src.text.slice(s.span.start, s.span.end));
  const start = s.span.start + (m ? m[0].length : 0);
  return m && src.text.startsWith(s.name, start) ? { start, end: start + s.name.length } : s.span;
}

/**
 * The statics in the order to initialize them: each time the first declared one whose
 * certain and possible uses have all run; when none (possible uses in a cycle), the first
 * whose certain uses have; when none (a cycle, reported), the first left.
 */
function ordered(statics: readonly Static[], certain: ReadonlyMap<string, ReadonlySet<string>>, possible: ReadonlyMap<string, ReadonlySet<string>>): readonly Static[] {
  const declared = new Set(statics.map((s) => s.name));
  const done = new Set<string>();
  const ready = (s: Static, uses: ReadonlyMap<string, ReadonlySet<string>>) => {
    for (const t of uses.get(s.name)!) if (t !== s.name && declared.has(t) && !done.has(t)) return false;
    return true;
  };
  const left = statics.slice();
  const out: Static[] = [];
  while (left.length > 0) {
    let i = left.findIndex((s) => ready(s, certain) && ready(s, possible));
    if (i < 0) i = left.findIndex((s) => ready(s, certain));
    if (i < 0) i = 0;
    const [s] = left.splice(i, 1);
    done.add(s.name);
    out.push(s);
  }
  return out.every((s, i) => s === statics[i]) ? statics : out;
}
