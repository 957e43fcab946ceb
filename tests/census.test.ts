// ir/census.ts: the node kinds and type constructors of one function, which a sweep uses
// to skip the passes that declare (appliesTo) they have nothing to do there.

import { describe, expect, it } from 'vitest';
import { takeCensus } from '../ir/census.js';
import { Ltyped } from '../ir/languages.js';
import type { AnyNode } from '../ir/lang.js';
import { runPipeline } from '../tools/driver.js';
import { T, gen, ptr, fnTy, arrayTy } from '../ir/types.js';

/** The items of `text` as check-unsafe reads them (Ltyped). */
function typedItems(text: string): AnyNode[] {
  const res = runPipeline({ path: 't.zeta', text }, { stopAfter: 'check-types' });
  expect(res.diagnostics).toEqual([]);
  return (res.ir as unknown as { items: AnyNode[] }).items;
}

describe('takeCensus', () => {
  it('finds kinds at any depth, and types nested in types (a channel inside a Vec, a region behind a pointer)', () => {
    const [f] = typedItems(`
      f(v: Vec<Channel<*i32>>) -> i32 {
        mut n := 0;
        while n < 3 { if n == 1 { n += 2; } else { n += 1; } }
        return n;
      }
      main() {}`);
    const c = takeCensus(Ltyped, [f]);
    for (const k of ['FnDecl', 'Param', 'Block', 'Let', 'While', 'If', 'CompoundAssign', 'Return', 'IntLit']) expect(c.hasKind(k), k).toBe(true);
    for (const k of ['For', 'Lambda', 'Delete', 'RegionStmt', 'Coalesce', 'Nonexistent']) expect(c.hasKind(k), k).toBe(false);
    for (const t of ['vec', 'channel', 'ptr', 'int'] as const) expect(c.hasType(t), t).toBe(true);
    for (const t of ['region', 'box', 'string', 'fn', 'float'] as const) expect(c.hasType(t), t).toBe(false);
  });

  it('reads a function\'s declared result type, which no expression of its body need have', () => {
    const [f] = typedItems('f() -> Option<Box<f64>> { panic("no"); }\nmain() {}');
    const c = takeCensus(Ltyped, [f]);
    expect(['option', 'box', 'float'].map((t) => c.hasType(t as 'option'))).toEqual([true, true, true]);
  });

  it('covers every root it is given (a class with its methods and fields)', () => {
    const items = typedItems(`
      class P(r: *Region) { get() -> i64 { region q { return 1; } } }
      main() { x := (a: i32) -> a + 1; }`);
    const c = takeCensus(Ltyped, items);
    expect(['ClassDecl', 'RegionStmt', 'Lambda'].map((k) => c.hasKind(k))).toEqual([true, true, true]);
    expect(c.hasType('region') && c.hasType('fn')).toBe(true);
  });

  it('types: every constructor of fn and array types', () => {
    const node = { kind: 'Param', span: { start: 0, end: 0 }, name: 'p', mut: false, ty: fnTy([arrayTy(gen('mutex', T.bool), 2)], ptr(T.string)), id: 1 };
    const c = takeCensus(Ltyped, [node]);
    expect((['fn', 'array', 'mutex', 'bool', 'ptr', 'string'] as const).every((t) => c.hasType(t))).toBe(true);
    expect(c.hasType('int')).toBe(false);
  });
});
