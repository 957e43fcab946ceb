// Which types need drop (spec §5.3), shared by the passes that check region allocations
// (E0026) and by the passes that insert and elaborate drops.
//
// A type needs drop if it is Box, Vec, String, Thread, Guard, Channel, Mutex, a class
// implementing Drop, or an Option, array or class containing one. Classes may refer to
// each other in any order (and, through pointers, to themselves), so the answer for every
// class of a table is computed once, by propagating "needs drop" backwards along the
// "is contained by value in" edges from the classes that need it directly: linear in the
// size of the class declarations, and correct for any cycle.

import type { Ty } from './types.js';

/** What needsDrop reads of a class: a tree ClassDecl and an Lcfg ClassDef both fit. */
export interface ClassShape {
  readonly name: string;
  readonly fields: readonly { readonly ty: Ty }[];
  readonly traits: readonly string[];
}

export type ClassTable = ReadonlyMap<string, ClassShape>;

/** The classes of a program's item list (tree ClassDecls or Lcfg ClassDefs). */
export function classTable(items: readonly { readonly kind: string }[]): ClassTable {
  const table = new Map<string, ClassShape>();
  for (const it of items) {
    if (it.kind === 'ClassDecl' || it.kind === 'ClassDef') {
      const c = it as unknown as ClassShape;
      table.set(c.name, c);
    }
  }
  return table;
}

/**
 * Whether a value of type `t` needs drop, given the classes that do (null: no class
 * counts). Pointers, Atomic, Region handles, functions and primitives do not: dropping
 * them frees nothing.
 */
function typeNeedsDrop(t: Ty, classesNeeding: ReadonlySet<string> | null): boolean {
  for (;;) {
    switch (t.k) {
      case 'box': case 'vec': case 'string': case 'thread': case 'guard': case 'channel': case 'mutex':
        return true;
      case 'option': t = t.of; continue;
      case 'array': t = t.elem; continue;
      case 'class': return classesNeeding !== null && classesNeeding.has(t.name);
      default: return false;
    }
  }
}

/** The classes a type contains by value (through Option and arrays), where drop could hide. */
function classContained(t: Ty): string | null {
  for (;;) {
    if (t.k === 'option') t = t.of;
    else if (t.k === 'array') t = t.elem;
    else return t.k === 'class' ? t.name : null;
  }
}

const cache = new WeakMap<ClassTable, ReadonlySet<string>>();

/** The names of the classes of `classes` that need drop (computed once per table). */
export function classesNeedingDrop(classes: ClassTable): ReadonlySet<string> {
  const known = cache.get(classes);
  if (known) return known;
  const needing = new Set<string>();
  const containedBy = new Map<string, string[]>();
  const work: string[] = [];
  for (const c of classes.values()) {
    let direct = c.traits.includes('Drop');
    for (const f of c.fields) {
      // classes are resolved by the propagation below; everything else is decided here
      if (!direct && typeNeedsDrop(f.ty, null)) direct = true;
      const inner = classContained(f.ty);
      if (inner !== null) {
        const list = containedBy.get(inner);
        if (list) list.push(c.name); else containedBy.set(inner, [c.name]);
      }
    }
    if (direct) { needing.add(c.name); work.push(c.name); }
  }
  while (work.length > 0) {
    for (const outer of containedBy.get(work.pop()!) ?? []) {
      if (!needing.has(outer)) { needing.add(outer); work.push(outer); }
    }
  }
  cache.set(classes, needing);
  return needing;
}

/** Whether a value of type `ty` needs drop (spec §5.3). */
export function needsDrop(ty: Ty, classes: ClassTable): boolean {
  return typeNeedsDrop(ty, classesNeedingDrop(classes));
}

/** `needsDrop` of one class table, for asking about many types (the table is looked up once). */
export function needsDropIn(classes: ClassTable): (ty: Ty) => boolean {
  const needing = classesNeedingDrop(classes);
  return (ty) => typeNeedsDrop(ty, needing);
}

const dropClassCache = new WeakMap<ClassTable, ReadonlyMap<string, string>>();

/** The class a type holds by value or through owned heap memory (Option, array, Box, Vec), or null. */
function classOwned(t: Ty): string | null {
  for (;;) {
    switch (t.k) {
      case 'option': case 'box': case 'vec': t = t.of; continue;
      case 'array': t = t.elem; continue;
      case 'class': return t.name;
      default: return null;
    }
  }
}

/**
 * The class implementing Drop that a value of type `t` is or holds (by value, or through
 * Option, arrays, Box, Vec and class fields, whose copies are deep), or null. Copying such
 * a value would run that class's `drop()` twice (E0050); pointers and handles to shared
 * objects (Channel, Mutex, Thread, Guard) are not followed. Computed once per class table,
 * by propagating from the Drop classes backwards along "holds" edges (any cycle is fine).
 */
export function dropClassIn(t: Ty, classes: ClassTable): string | null {
  let witness = dropClassCache.get(classes);
  if (!witness) {
    const found = new Map<string, string>();
    const heldBy = new Map<string, string[]>();
    const work: string[] = [];
    for (const c of classes.values()) {
      if (c.traits.includes('Drop')) { found.set(c.name, c.name); work.push(c.name); }
      for (const f of c.fields) {
        const inner = classOwned(f.ty);
        if (inner === null) continue;
        const list = heldBy.get(inner);
        if (list) list.push(c.name); else heldBy.set(inner, [c.name]);
      }
    }
    while (work.length > 0) {
      const inner = work.pop()!;
      for (const outer of heldBy.get(inner) ?? []) {
        if (!found.has(outer)) { found.set(outer, found.get(inner)!); work.push(outer); }
      }
    }
    witness = found;
    dropClassCache.set(classes, witness);
  }
  const name = classOwned(t);
  return name === null ? null : witness.get(name) ?? null;
}

/**
 * Adds to `classes` a class that no class of it holds: a closure environment, made by
 * desugar-lambdas after the table was built (a sweep learns them function by function).
 * What was computed from the table grows with it: the new class holds only classes already
 * decided, and nothing holds it, so no earlier answer changes.
 */
export function declareClass(classes: ClassTable, c: ClassShape): void {
  (classes as Map<string, ClassShape>).set(c.name, c);
  const needing = cache.get(classes) as Set<string> | undefined;
  if (needing && (c.traits.includes('Drop') || c.fields.some((f) => typeNeedsDrop(f.ty, needing)))) needing.add(c.name);
  const witness = dropClassCache.get(classes) as Map<string, string> | undefined;
  if (witness) {
    if (c.traits.includes('Drop')) witness.set(c.name, c.name);
    else {
      for (const f of c.fields) {
        const inner = classOwned(f.ty);
        const w = inner === null ? undefined : witness.get(inner);
        if (w !== undefined) { witness.set(c.name, w); break; }
      }
    }
  }
}
