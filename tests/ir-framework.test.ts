import { describe, expect, it } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { defineLanguage, extendLanguage, validate, withCategoryFields, type AnyNode } from '../ir/lang.js';
import { rewriter, forEachNode, someNode, typeMapper } from '../ir/traverse.js';
import { printIR } from '../ir/print.js';
import { T, type Ty } from '../ir/types.js';
import { LANGUAGES, Lsrc, Ltyped, Lcore, Lptr } from '../ir/languages.js';

const sp = { start: 0, end: 1 };
const Ltiny = defineLanguage('Ltiny', 'arithmetic', {
  Expr: {
    Num: { value: 'number' },
    Add: { left: 'Expr', right: 'Expr' },
    Seq: { items: 'Expr[]' },
    Maybe: { inner: 'Expr?' },
  },
});
const num = (value: number): AnyNode => ({ kind: 'Num', span: sp, value });
const add = (left: AnyNode, right: AnyNode): AnyNode => ({ kind: 'Add', span: sp, left, right });
const seq = (...items: AnyNode[]): AnyNode => ({ kind: 'Seq', span: sp, items });

describe('language declarations', () => {
  it('validates well-formed trees and names the bad node', () => {
    expect(validate(Ltiny, add(num(1), seq(num(2), num(3))))).toEqual([]);
    const bad = add(num(1), { kind: 'Mul', span: sp } as AnyNode);
    const errs = validate(Ltiny, bad);
    expect(errs).toHaveLength(1);
    expect(errs[0].message).toMatch(/kind Mul is not in language Ltiny/);
    expect(errs[0].path).toBe('Add.right');
  });
  it('checks scalar field shapes and missing fields', () => {
    expect(validate(Ltiny, { kind: 'Num', span: sp, value: 'x' })[0].message).toMatch(/should be number/);
    expect(validate(Ltiny, { kind: 'Add', span: sp, left: num(1) })[0].message).toMatch(/right is missing/);
    expect(validate(Ltiny, { kind: 'Maybe', span: sp, inner: null })).toEqual([]);
  });
  it('extends a language by removing and adding kinds and fields', () => {
    const L2 = extendLanguage(Ltiny, 'L2', 'no Seq; Num gets a label', {
      remove: ['Seq'], add: { Expr: { Num: { label: 'string' }, Neg: { operand: 'Expr' } } },
    });
    expect(L2.categoryOf.has('Seq')).toBe(false);
    expect(L2.fields.get('Num')!.map((f) => f.name)).toEqual(['value', 'label']);
    expect(validate(L2, seq(num(1)))[0].message).toMatch(/Seq is not in language L2/);
    expect(validate(L2, { kind: 'Neg', span: sp, operand: { kind: 'Num', span: sp, value: 1, label: 'a' } })).toEqual([]);
    const L3 = withCategoryFields(Ltiny, 'L3', 'typed', 'Expr', { ty: 'type' });
    expect(validate(L3, { kind: 'Num', span: sp, value: 1 })[0].message).toMatch(/ty is missing/);
    expect(validate(L3, { kind: 'Num', span: sp, value: 1, ty: T.i32 })).toEqual([]);
  });
  it('rejects declarations that refer to unknown categories', () => {
    expect(() => defineLanguage('Bad', '', { E: { A: { x: 'Nope' } } })).toThrow(/unknown category or kind Nope/);
  });
  it('declares the pipeline languages consistently', () => {
    expect(LANGUAGES.map((l) => l.name)).toContain('Lcfg');
    expect(Ltyped.fields.get('Binary')!.some((f) => f.name === 'ty')).toBe(true);
    expect(Lsrc.fields.get('Binary')!.some((f) => f.name === 'ty')).toBe(false);
    expect(Lptr.categoryOf.has('Star')).toBe(false);
    expect(Lcore.categoryOf.has('Builtin')).toBe(true);
    for (const l of LANGUAGES) expect(l.doc.length).toBeGreaterThan(0);
  });
});

describe('rewriter', () => {
  it('shares unchanged subtrees and rebuilds the path to a change', () => {
    const tree = add(add(num(1), num(2)), seq(num(3), num(4)));
    const same = rewriter(Ltiny, {})(tree, undefined);
    expect(same).toBe(tree);
    const bump = rewriter(Ltiny, { Num: (n) => (n.value === 2 ? num(20) : n) });
    const out = bump(tree, undefined) as any;
    expect(out).not.toBe(tree);
    expect(out.right).toBe((tree as any).right);
    expect(out.left.left).toBe((tree as any).left.left);
    expect(out.left.right.value).toBe(20);
  });
  it('splices arrays returned in list positions and passes context down', () => {
    const dup = rewriter<number>(Ltiny, {
      Num: (n, _next, depth) => (depth > 0 ? [n, num(depth)] : n),
      Seq: (n, next, depth) => next(n, depth + 1),
    });
    const out = dup(seq(num(1), num(2)), 0) as any;
    expect(out.items.map((x: any) => x.value)).toEqual([1, 1, 2, 1]);
    expect(() => dup(add(num(1), num(2)), 1)).toThrow(/several nodes/);
  });
  // keep (0), replace (1), drop (2) or split in two (3) each element: the list must come out
  // as the reference flatMap says, and be the input list itself when nothing changed
  fcTest.prop([fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 12 })])('rewrites lists with replacements and splices', (ops) => {
    const list = seq(...ops.map((op, i) => num(i * 10 + op)));
    const out = rewriter(Ltiny, {
      Num: (n) => {
        const v = n.value as number;
        return [n, num(v + 100), [], [num(v), num(-v)]][v % 10] as AnyNode | AnyNode[];
      },
    })(list, undefined) as any;
    const want = ops.flatMap((op, i) => { const v = i * 10 + op; return [[v], [v + 100], [], [v, -v]][op]; });
    expect(out.items.map((x: any) => x.value)).toEqual(want);
    if (ops.every((op) => op === 0)) expect(out).toBe(list);
  });
  fcTest.prop([fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 })])('someNode agrees with forEachNode and stops at the first match', (depth, target) => {
    const build = (d: number): AnyNode => (d === 0 ? num(d) : add(build(d - 1), seq(build(d - 1), num(d))));
    const tree = build(depth);
    let any = false;
    forEachNode(Ltiny, tree, (n) => { if (n.kind === 'Num' && n.value === target) any = true; });
    let after = 0;
    let hit = false;
    expect(someNode(Ltiny, tree, (n) => { if (hit) after++; return (hit = n.kind === 'Num' && n.value === target); })).toBe(any);
    expect(after).toBe(0);
  });
  fcTest.prop([fc.integer({ min: 0, max: 5 })])('rewrites every node exactly once', (depth) => {
    const build = (d: number): AnyNode => (d === 0 ? num(d) : add(build(d - 1), seq(build(d - 1), num(d))));
    const tree = build(depth);
    let before = 0;
    forEachNode(Ltiny, tree, (n) => { if (n.kind === 'Num') before++; });
    let seen = 0;
    const out = rewriter(Ltiny, { Num: (n) => { seen++; return { ...n, value: (n.value as number) + 1 }; } })(tree, undefined);
    expect(seen).toBe(before);
    expect(validate(Ltiny, out)).toEqual([]);
  });
});

describe('typeMapper', () => {
  const Ltyped2 = defineLanguage('Ltyped2', 'typed pairs', {
    Expr: { Lit: { ty: 'type', value: 'number' }, Pair: { left: 'Expr', ty: 'type', right: 'Expr' } },
  });
  const lit = (value: number, ty: Ty = T.i64): AnyNode => ({ kind: 'Lit', span: sp, ty, value });
  it('maps every type field, rebuilding only the path to a change, fields in declared order', () => {
    const tree: AnyNode = { kind: 'Pair', span: sp, left: lit(1), ty: T.i64, right: lit(2, T.bool) };
    const toF64 = (t: Ty): Ty => (t === T.i64 ? T.f64 : t);
    const out = typeMapper(Ltyped2)(tree, toF64) as any;
    expect(out.ty).toBe(T.f64);
    expect(out.left.ty).toBe(T.f64);
    expect(out.right).toBe((tree as any).right);
    expect(Object.keys(out)).toEqual(['kind', 'span', 'left', 'ty', 'right']);
    expect(typeMapper(Ltyped2)(tree, (t) => t)).toBe(tree);
  });
});

describe('printer', () => {
  it('prints S-expressions and breaks long ones', () => {
    expect(printIR(Ltiny, add(num(1), num(2)))).toBe('(Add (Num value=1) (Num value=2))');
    const long = seq(...Array.from({ length: 30 }, (_, i) => num(i)));
    const text = printIR(Ltiny, long, 40);
    expect(text.split('\n').length).toBeGreaterThan(30);
    expect(text).toContain('(Num value=29)');
  });
});
