// Which types are Sync and which hold pointers (spec §8), computed once per program and
// shared by infer-sync (E0042), check-concurrency (E0040, E0041, E0043, E0044) and
// desugar-lambdas (a concurrent lambda shares its Sync captures and copies the others).
//
// Sync (may be shared between threads): Atomic<T>, Mutex<T>, Channel<T>, a class declared
// `Sync` (checked by infer-sync) or `unsafe Sync` (trusted), a class whose fields are all
// Sync (inferred), and an array of Sync elements (as a class of N such fields would be:
// the decision a Rust programmer expects; the spec is silent on arrays). Nothing else is:
// pointers, Box, Vec, String, Option, fn values, Region, Guard, Thread, numbers, bool, str.
//
// Holds a pointer (may not be captured by a concurrent lambda, E0041, or sent on a channel,
// E0044): a pointer; a Region (points at its block), a Guard (at its mutex), a Thread (at
// what its lambda shares), a fn value (it may be a lambda that captures by reference); an
// Option, Box, Vec, array, Mutex or Channel of one; a class with such a field, except a
// class declared `unsafe Sync`, whose author vouches for it.
//
// Classes may refer to each other in any order and, through Box/Vec/Option, to themselves:
// both answers are computed for every class at once by propagating along "field of" edges
// (a greatest fixpoint for Sync, a least one for pointers), linear in the class declarations.

import type { Ty } from './types.js';
import type { ClassShape, ClassTable } from './needs-drop.js';

export interface SyncFacts {
  /** a value of type `t` may be shared by reference between threads */
  isSync(t: Ty): boolean;
  /** a value of type `t` holds (or may hold) a pointer */
  holdsPointer(t: Ty): boolean;
  /** the first field of `cls` that is not Sync (for E0042), or null */
  nonSyncField<F extends { readonly ty: Ty }>(cls: { readonly fields: readonly F[] }): F | null;
}

const declaredSync = (c: ClassShape) => c.traits.includes('Sync') || c.traits.includes('unsafe Sync');

/** Sync of a type given Sync of classes; arrays are Sync when their elements are. */
function typeIsSync(t: Ty, classSync: (name: string) => boolean): boolean {
  while (t.k === 'array') t = t.elem;
  switch (t.k) {
    case 'atomic': case 'mutex': case 'channel': return true;
    case 'class': return classSync(t.name);
    default: return false;
  }
}

/** The class whose Sync a field of type `t` depends on (through arrays), if any. */
function syncDependency(t: Ty): string | null {
  while (t.k === 'array') t = t.elem;
  return t.k === 'class' ? t.name : null;
}

/** Whether `t` holds a pointer given the answer for classes. */
function typeHoldsPointer(t: Ty, classHolds: (name: string) => boolean): boolean {
  for (;;) {
    switch (t.k) {
      case 'ptr': case 'region': case 'guard': case 'thread': case 'fn': return true;
      case 'option': case 'box': case 'vec': case 'mutex': case 'channel': case 'atomic': t = t.of; continue;
      case 'array': t = t.elem; continue;
      case 'class': return classHolds(t.name);
      default: return false;
    }
  }
}

/** The class a field of type `t` contains (through any container), whose pointers it would hold. */
function pointerDependency(t: Ty): string | null {
  for (;;) {
    switch (t.k) {
      case 'option': case 'box': case 'vec': case 'mutex': case 'channel': case 'atomic': t = t.of; continue;
      case 'array': t = t.elem; continue;
      case 'class': return t.name;
      default: return null;
    }
  }
}

function addEdge(edges: Map<string, string[]>, from: string, to: string): void {
  const list = edges.get(from);
  if (list) list.push(to); else edges.set(from, [to]);
}

const cache = new WeakMap<ClassTable, SyncFacts>();

/** Sync and pointer facts for the classes of one program (computed once per table). */
export function syncFacts(classes: ClassTable): SyncFacts {
  const known = cache.get(classes);
  if (known) return known;

  // Sync: every class is assumed Sync, then "not Sync" spreads to the classes containing one.
  const notSync = new Set<string>();
  const syncUsers = new Map<string, string[]>();
  // pointers: no class holds one, then "holds" spreads to the classes containing one.
  const holding = new Set<string>();
  const pointerUsers = new Map<string, string[]>();
  const syncWork: string[] = [];
  const holdWork: string[] = [];
  for (const c of classes.values()) {
    const trusted = declaredSync(c);
    const unsafeSync = c.traits.includes('unsafe Sync');
    let direct = false;
    let holdsDirect = false;
    for (const f of c.fields) {
      if (!trusted) {
        const dep = syncDependency(f.ty);
        if (dep !== null) addEdge(syncUsers, dep, c.name);
        else if (!typeIsSync(f.ty, () => true)) direct = true;
      }
      if (!unsafeSync) {
        if (typeHoldsPointer(f.ty, () => false)) holdsDirect = true;
        const inner = pointerDependency(f.ty);
        if (inner !== null) addEdge(pointerUsers, inner, c.name);
      }
    }
    if (direct) { notSync.add(c.name); syncWork.push(c.name); }
    if (holdsDirect) { holding.add(c.name); holdWork.push(c.name); }
  }
  // unknown class names (after an error) are neither Sync nor pointer holders
  for (const [name] of syncUsers) if (!classes.has(name) && !notSync.has(name)) { notSync.add(name); syncWork.push(name); }
  while (syncWork.length > 0) {
    for (const outer of syncUsers.get(syncWork.pop()!) ?? []) {
      if (!notSync.has(outer)) { notSync.add(outer); syncWork.push(outer); }
    }
  }
  while (holdWork.length > 0) {
    for (const outer of pointerUsers.get(holdWork.pop()!) ?? []) {
      if (!holding.has(outer)) { holding.add(outer); holdWork.push(outer); }
    }
  }

  const classSync = (name: string) => classes.has(name) && !notSync.has(name);
  const classHolds = (name: string) => holding.has(name);
  const facts: SyncFacts = {
    isSync: (t) => typeIsSync(t, classSync),
    holdsPointer: (t) => typeHoldsPointer(t, classHolds),
    nonSyncField: (cls) => cls.fields.find((f) => !typeIsSync(f.ty, classSync)) ?? null,
  };
  cache.set(classes, facts);
  return facts;
}
