// Classes that contain themselves by value, for check-types (E0003).
//
// Why: a class whose fields hold a value of the class itself, directly or through other
// classes, arrays, `Option` or `Atomic` (all stored inline), would have infinite size: no
// backend can lay it out (the C emitter had an internal error, LLVM a crash). rustc rejects
// it as E0072 "recursive type has infinite size"; the spec has no code of its own for it, so
// it is E0003, the type error (docs/DECISIONS.md), at the field that leads back to the class,
// with the help rustc gives: hold it through a `Box` (or a `Vec`, or a pointer), which are
// stored out of line. Every class of a cycle is reported, each at its own field: each one
// alone has no finite size. A class that merely holds such a class is not reported again.

import { arrayTy, gen, showTy, type Ty } from '../../ir/types.js';

/** The classes a value of type `t` holds inline (not behind a pointer, Box, Vec, Mutex, ...). */
function heldByValue(t: Ty, out: string[]): void {
  switch (t.k) {
    case 'class': out.push(t.name); return;
    case 'array': heldByValue(t.elem, out); return;
    // (an Option of a pointer or Box is a nullable pointer: its `of` holds nothing inline)
    case 'option': case 'atomic': heldByValue(t.of, out); return;
    default: return;
  }
}

/** The fields of each class, in declaration order (classes in declaration order). */
export type ClassFields = ReadonlyMap<string, ReadonlyMap<string, Ty>>;

/**
 * The classes that contain themselves by value, each mapped to the id of its cycle (a
 * strongly connected component of the "holds inline" graph): Tarjan's algorithm, iterative,
 * so a long chain of classes cannot overflow the stack.
 */
export function valueCycles(classes: ClassFields): Map<string, number> {
  const succ = (name: string): string[] => {
    const out: string[] = [];
    for (const ty of classes.get(name)!.values()) heldByValue(ty, out);
    return out.filter((n) => classes.has(n));
  };
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles = new Map<string, number>();
  let next = 0;
  let cycle = 0;
  for (const root of classes.keys()) {
    if (index.has(root)) continue;
    const work: { n: string; succ: string[]; i: number }[] = [];
    const visit = (n: string) => {
      index.set(n, next); low.set(n, next); next++;
      stack.push(n); onStack.add(n);
      work.push({ n, succ: succ(n), i: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const top = work[work.length - 1];
      if (top.i < top.succ.length) {
        const m = top.succ[top.i++];
        if (!index.has(m)) visit(m);
        else if (onStack.has(m)) low.set(top.n, Math.min(low.get(top.n)!, index.get(m)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1];
        low.set(parent.n, Math.min(low.get(parent.n)!, low.get(top.n)!));
      }
      if (low.get(top.n) !== index.get(top.n)) continue;
      const members: string[] = [];
      let m: string;
      do { m = stack.pop()!; onStack.delete(m); members.push(m); } while (m !== top.n);
      if (members.length > 1 || top.succ.includes(top.n)) {
        for (const x of members) cycles.set(x, cycle);
        cycle++;
      }
    }
  }
  return cycles;
}

/** How class `name` (in a cycle of `cycles`) holds itself: a shortest chain of fields back to it. */
export function cycleOf(name: string, classes: ClassFields, cycles: ReadonlyMap<string, number>): { cls: string; field: string; ty: Ty; holds: string }[] {
  const id = cycles.get(name);
  type Step = { cls: string; field: string; ty: Ty; holds: string; from: Step | null };
  const seen = new Set<string>();
  let frontier: Step[] = [];
  const expand = (cls: string, from: Step | null) => {
    for (const [field, ty] of classes.get(cls)!) {
      const held: string[] = [];
      heldByValue(ty, held);
      for (const h of held) if (cycles.get(h) === id) frontier.push({ cls, field, ty, holds: h, from });
    }
  };
  expand(name, null);
  while (frontier.length > 0) {
    const now = frontier;
    frontier = [];
    for (const s of now) {
      if (s.holds === name) {
        const chain: Step[] = [];
        for (let x: Step | null = s; x !== null; x = x.from) chain.unshift(x);
        return chain.map(({ cls, field, ty, holds }) => ({ cls, field, ty, holds }));
      }
      if (seen.has(s.holds)) continue;
      seen.add(s.holds);
      expand(s.holds, s);
    }
  }
  return [];
}

/** `ty` with the inline values of the cycle's classes boxed: the field type to suggest (null through an Atomic, which holds no Box). */
export function boxedSuggestion(ty: Ty, inCycle: (cls: string) => boolean): string | null {
  const boxed = (t: Ty): Ty | null => {
    switch (t.k) {
      case 'class': return inCycle(t.name) ? gen('box', t) : t;
      case 'array': { const e = boxed(t.elem); return e === t.elem ? t : e && arrayTy(e, t.n); }
      case 'option': { const o = boxed(t.of); return o === t.of ? t : o && gen('option', o); }
      case 'atomic': return boxed(t.of) === t.of ? t : null;
      default: return t;
    }
  };
  const b = boxed(ty);
  return b && showTy(b);
}
