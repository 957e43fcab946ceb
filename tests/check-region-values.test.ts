// check-region-values: E0026 for `r.alloc(v)` when v's type needs drop (spec §5.3, §6),
// and the shared needs-drop predicate (ir/needs-drop.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineCol } from '../ir/diagnostics.js';
import { classTable, needsDrop, type ClassShape } from '../ir/needs-drop.js';
import { T, arrayTy, classTy, gen, ptr, fnTy } from '../ir/types.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE } from './helpers.js';

function errors(text: string): string[] {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-delete-target', verifyEach: true });
  return [...r.diagnostics].sort((a, b) => a.span.start - b.span.start).map((d) => `${d.code}@${lineCol(src, d.span.start).line}`);
}

const cls = (name: string, fields: ClassShape['fields'][number]['ty'][], traits: string[] = []): ClassShape =>
  ({ name, fields: fields.map((ty) => ({ ty })), traits });

describe('needsDrop', () => {
  const table = new Map([
    ['Pt', cls('Pt', [T.i32, T.f64])],
    ['Named', cls('Named', [T.string])],
    ['Conn', cls('Conn', [T.i32], ['Drop'])],
    ['Outer', cls('Outer', [classTy('Inner')])],           // declared before what it contains
    ['Inner', cls('Inner', [gen('option', classTy('Conn'))])],
    ['Link', cls('Link', [T.i64, gen('option', ptr(classTy('Link')))])],
  ]);

  it('Box, Vec, String, Thread, Guard, Channel, Mutex and Drop classes need drop', () => {
    for (const t of [gen('box', T.i32), gen('vec', T.i32), T.string, gen('thread', T.void), gen('guard', T.i32),
      gen('channel', T.i64), gen('mutex', T.i32), classTy('Conn')]) expect(needsDrop(t, table)).toBe(true);
  });

  it('and Options, arrays and classes containing one, in any declaration order', () => {
    for (const t of [gen('option', T.string), arrayTy(gen('box', T.i32), 3), classTy('Named'), classTy('Outer'),
      gen('option', arrayTy(classTy('Inner'), 2))]) expect(needsDrop(t, table)).toBe(true);
  });

  it('primitives, pointers, Atomic, Region, functions and plain classes do not', () => {
    for (const t of [T.i32, T.bool, T.str, ptr(gen('vec', T.i32)), gen('atomic', T.i64), T.region, fnTy([], T.void),
      classTy('Pt'), classTy('Link'), gen('option', ptr(classTy('Conn')))]) expect(needsDrop(t, table)).toBe(false);
  });

  it('is correct on cycles whatever the order classes are met in', () => {
    // B is met first through A; it needs drop only because of A's String
    const cyc = new Map([['A', cls('A', [gen('option', classTy('B')), T.string])], ['B', cls('B', [gen('option', classTy('A'))])]]);
    expect(needsDrop(classTy('A'), cyc)).toBe(true);
    expect(needsDrop(classTy('B'), cyc)).toBe(true);
    const plain = new Map([['A', cls('A', [gen('option', classTy('B'))])], ['B', cls('B', [gen('option', classTy('A'))])]]);
    expect(needsDrop(classTy('B'), plain)).toBe(false);
  });

  it('reads tree ClassDecls and Lcfg ClassDefs alike', () => {
    const items = [
      { kind: 'ClassDecl', name: 'X', fields: [{ kind: 'Param', name: 'v', ty: gen('vec', T.i32) }], traits: [] },
      { kind: 'ClassDef', name: 'Y', fields: [{ kind: 'LocalField', name: 'n', ty: T.i32 }], traits: ['Drop'] },
      { kind: 'FnDecl', name: 'main' },
    ];
    const t = classTable(items);
    expect(needsDrop(classTy('X'), t)).toBe(true);
    expect(needsDrop(classTy('Y'), t)).toBe(true);
    expect(t.size).toBe(2);
  });
});

describe('check-region-values', () => {
  it('regions/43 gives exactly its annotated errors', () => {
    const text = readFileSync(join(CONFORMANCE, 'regions/43_region_drop_type.zeta'), 'utf8');
    expect(errors(text)).toEqual(['E0026@5', 'E0026@6']);
  });

  it('every kind of value that needs drop is refused; plain values and pointers are not', () => {
    const src = `class Conn(fd: i32) : Drop { drop() {} }
class Wrap(c: Conn) {}
class Pt(x: i32, y: i32) {}
class Link(v: i64, next: Option<*Link>) {}
main() {
  x := 1;
  region r {
    a := r.alloc(Vec<i32>::new());
    b := r.alloc(String::from("s"));
    c := r.alloc(Conn { fd: 1 });
    d := r.alloc(Wrap { c: Conn { fd: 2 } });
    e := r.alloc(Some(Box::new(1)));
    f := r.alloc([String::from("a"), String::from("b")]);
    g := r.alloc(Mutex::new(0));
    h := r.alloc(Pt { x: 1, y: 2 });
    i := r.alloc(Link { v: 1, next: None });
    j := r.alloc(*x);
    k := r.alloc(Atomic::new(0i64));
    l := r.alloc([1.5; 4]);
  }
}`;
    expect(errors(src)).toEqual(['E0026@8', 'E0026@9', 'E0026@10', 'E0026@11', 'E0026@12', 'E0026@13', 'E0026@14']);
  });

  it('also in a function taking the region as a parameter, with a precise message', () => {
    const src = 'fill(r: Region) {\n  s := r.alloc(String::from("x"));\n}\nmain() {}';
    const src2 = { path: 't.zeta', text: src };
    const r = runPipeline(src2, { stopAfter: 'check-delete-target' });
    expect(r.diagnostics.map((d) => [d.code, lineCol(src2, d.span.start).line, d.message])).toEqual([
      ['E0026', 2, 'a value of type `String`, which needs drop, cannot be allocated in a region'],
    ]);
    expect(r.diagnostics[0].notes[0]).toMatch(/^help: a region runs no destructors/);
  });
});
