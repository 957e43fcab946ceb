// check-concurrency: the data-race rules of spec §8, checked before lambdas disappear.
//
// A concurrent lambda (one passed where a `concurrent fn` is expected, e.g. to `spawn`)
// runs on another thread while its creator goes on. It shares its Sync captures by
// reference and copies the others (desugar-lambdas), so two threads can only meet in
// Sync values. What would break that:
// - E0040: changing a non-Sync captured variable inside the lambda (assigning it, taking
//   `*mut` of it, calling a `mut` method on it): the change would only reach the lambda's
//   own copy, which the spec forbids instead of letting it go silently unseen. Storing a
//   whole new value into a shared Sync variable is also E0040: it would race with the
//   other thread's use (their methods are how Sync values change).
// - E0041: capturing a pointer or a value holding one (a class with a pointer field, an
//   Option<*T>, a Guard, a Region, a Thread, a lambda that may capture by reference):
//   the copy would let the other thread reach unsynchronized memory.
// Both are reported at the use of the captured variable inside the lambda, once per
// variable and lambda. `unsafe` lambdas are exempt (spec §8).
// - E0043: `static mut` of a type that is not Sync.
// - E0044: a Channel whose element type holds a pointer, where a channel is created
//   (`Channel<T>::new`) and where a type is declared (fields, parameters, results, statics).
//
// A local of fn type that is never reassigned and was given a lambda that captures
// nothing, or a named function, holds no pointer: capturing it is fine.

import type { AnyNode } from '../ir/lang.js';
import { Lptr, type Node, type NameRef } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { classTable } from '../ir/needs-drop.js';
import { syncFacts, type SyncFacts } from '../ir/sync.js';
import type { Diagnostics } from '../ir/diagnostics.js';
import { showTy, type Ty } from '../ir/types.js';
import { defineItemPass } from './pass.js';
import { capturesOf, isConcurrentLambda } from './desugar-lambdas.js';

type N<K extends string> = Node<typeof Lptr, K>;

/** Built-in methods that change their receiver. */
const MUTATING_BUILTIN_METHODS: Readonly<Record<string, ReadonlySet<string>>> = {
  vec: new Set(['push', 'pop', 'clear']),
  string: new Set(['append']),
};

/** The local variable a place expression belongs to (through fields, elements and Box contents), if any. */
function placeRoot(e: AnyNode): N<'Name'> | null {
  for (;;) {
    switch (e.kind) {
      case 'Name': return (e.ref as NameRef).k === 'local' ? e as N<'Name'> : null;
      case 'Field': case 'Index': e = e.object as AnyNode; continue;
      case 'OptPayload': e = e.value as AnyNode; continue;
      // a Box's value is part of the variable holding it; a pointer's target is not
      case 'Deref': if ((e.ptr as N<'Name'>).ty.k !== 'box') return null; e = e.ptr as AnyNode; continue;
      default: return null;
    }
  }
}

/** A Channel type inside `t` whose element holds a pointer. */
function badChannel(t: Ty, facts: SyncFacts): Ty | null {
  switch (t.k) {
    case 'channel': return facts.holdsPointer(t.of) ? t : badChannel(t.of, facts);
    case 'option': case 'box': case 'vec': case 'thread': case 'mutex': case 'atomic': case 'guard': return badChannel(t.of, facts);
    case 'ptr': return badChannel(t.to, facts);
    case 'array': return badChannel(t.elem, facts);
    case 'fn': {
      for (const p of t.params) { const b = badChannel(p, facts); if (b) return b; }
      return badChannel(t.ret, facts);
    }
    default: return null;
  }
}

class ConcurrencyChecker {
  private readonly reported = new Set<string>();
  /** class -> its `mut` methods */
  private readonly mutMethods = new Map<string, Set<string>>();

  constructor(private readonly facts: SyncFacts, private readonly diag: Diagnostics, program: N<'Program'>) {
    for (const item of program.items) {
      if (item.kind !== 'ClassDecl') continue;
      this.mutMethods.set(item.name, new Set(item.methods.filter((m) => m.mutSelf).map((m) => m.name)));
    }
  }

  private error(code: 'E0040' | 'E0041' | 'E0043' | 'E0044', at: AnyNode, message: string, label: string, help: string): void {
    const key = `${code}:${at.span.start}:${at.span.end}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diag.error(code, at.span, message, { label, help });
  }

  /** The declared types of an item (E0044) and every lambda and channel creation in it. */
  item(item: AnyNode): void {
    switch (item.kind) {
      case 'ClassDecl': {
        const c = item as N<'ClassDecl'>;
        for (const f of c.fields) this.channelType(f.ty, f);
        for (const m of c.methods) this.fn(m);
        return;
      }
      case 'FnDecl': this.fn(item as N<'FnDecl'>); return;
      case 'StaticDecl': {
        const s = item as N<'StaticDecl'>;
        if (s.mut && !this.facts.isSync(s.ty)) {
          this.error('E0043', s, `mutable static \`${s.name}\` has type \`${showTy(s.ty)}\`, which is not Sync`,
            'non-atomic shared mutable state',
            'make it immutable, or give it a Sync type such as `Atomic<T>` or `Mutex<T>` and change it through its methods');
        }
        this.channelType(s.ty, s);
        this.body(s.init);
        return;
      }
      default: return;
    }
  }

  private fn(f: N<'FnDecl'>): void {
    for (const p of f.params) this.channelType(p.ty, p);
    this.channelType(f.ret, f);
    this.body(f.body);
  }

  private channelType(t: Ty, at: AnyNode): void {
    const bad = badChannel(t, this.facts);
    if (!bad) return;
    this.error('E0044', at, `\`${showTy(bad)}\`: a channel's messages may not hold pointers`,
      'message type holds a pointer', 'send the values themselves (copies), not pointers to them');
  }

  private body(root: AnyNode): void {
    // locals of fn type that certainly hold a plain function (no captured pointers)
    const plainFns = new Set<number>();
    forEachNode(Lptr, root, (n) => {
      if (n.kind === 'Let') {
        const l = n as N<'Let'>;
        if (l.ty.k === 'fn' && !l.mut && this.isPlainFunction(l.init)) plainFns.add(l.id);
      } else if (n.kind === 'Lambda') {
        if (isConcurrentLambda(n as N<'Lambda'>)) this.concurrentLambda(n as N<'Lambda'>, plainFns);
      } else if (n.kind === 'Call') {
        const c = n as N<'Call'>;
        if (c.callee.kind === 'Path' && c.callee.owner === 'Channel' && c.callee.member === 'new') this.channelType(c.ty, c);
      }
    });
  }

  private isPlainFunction(e: AnyNode): boolean {
    if (e.kind === 'Name') return (e.ref as NameRef).k === 'fn';
    return e.kind === 'Lambda' && capturesOf(e as N<'Lambda'>).length === 0;
  }

  private concurrentLambda(l: N<'Lambda'>, plainFns: ReadonlySet<number>): void {
    const captured = new Map<number, boolean>(); // id -> Sync
    for (const c of capturesOf(l)) {
      const sync = this.facts.isSync(c.ty);
      captured.set(c.id, sync);
      if (this.facts.holdsPointer(c.ty) && !plainFns.has(c.id)) {
        const what = c.ty.k === 'ptr' ? 'a pointer' : c.ty.k === 'fn' ? 'a function value that may capture by reference' : 'a value holding a pointer';
        this.error('E0041', c.firstUse, `concurrent lambda captures \`${c.name}\` (\`${showTy(c.ty)}\`), ${what}`,
          'captured by a concurrent lambda',
          'pass the data itself (it is copied), share it through a Sync type (`Atomic`, `Mutex`, `Channel`), or use an `unsafe` lambda');
      }
    }
    if (captured.size === 0) return;
    const changed = (target: AnyNode, how: 'assign' | 'mutate') => {
      const root = placeRoot(target);
      if (!root) return;
      const sync = captured.get((root.ref as { id: number }).id);
      if (sync === undefined || (sync && how === 'mutate')) return;
      this.error('E0040', root,
        sync
          ? `concurrent lambda stores into \`${root.name}\`, which it shares with other threads`
          : `concurrent lambda changes \`${root.name}\`, a captured variable that is not Sync (\`${showTy(root.ty)}\`)`,
        sync ? 'store into a shared variable' : 'changed inside a concurrent lambda',
        sync
          ? 'change it through its methods (`store`, `lock`, `send`)'
          : 'the lambda only has a copy: share the value through `Atomic`, `Mutex` or `Channel`, or send the result back');
    };
    forEachNode(Lptr, l.body, (n) => {
      switch (n.kind) {
        case 'Assign': changed(n.target as AnyNode, 'assign'); break;
        case 'AddrOf': if (n.mut) changed(n.place as AnyNode, 'mutate'); break;
        case 'MethodCall': {
          const m = n as N<'MethodCall'>;
          const t = m.object.ty;
          const mutating = t.k === 'class' ? this.mutMethods.get(t.name)?.has(m.method) : MUTATING_BUILTIN_METHODS[t.k]?.has(m.method);
          if (mutating) changed(m.object, 'mutate');
          break;
        }
      }
    });
  }
}

export const checkConcurrencyPass = defineItemPass({
  name: 'check-concurrency',
  description: 'concurrent lambdas change no copied capture (E0040) and capture no pointer (E0041); Sync statics (E0043); pointer-free channels (E0044)',
  from: Lptr,
  to: Lptr,
  prepare: (program, ctx) => new ConcurrencyChecker(syncFacts(classTable(program.items as N<'Program'>['items'])), ctx.diag, program as N<'Program'>),
  // what it checks: statics, lambdas (the concurrent ones) and channel types
  appliesTo: (c) => c.hasKind('StaticDecl') || c.hasKind('Lambda') || c.hasType('channel'),
  runFunction(item, checker) {
    checker.item(item as N<'Program'>['items'][number]);
    return item;
  },
});
