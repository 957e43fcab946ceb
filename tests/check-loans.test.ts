// check-loans (E0024) and the points-to analysis behind it (ir/points-to.ts): Zeta
// programs run through the pipeline up to the check; each test compares the (line, code)
// pairs of the check's errors with the `//~ ERROR Exxxx` annotations in the program.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { lineCol } from '../ir/diagnostics.js';
import type { Module } from '../ir/cfg.js';
import { crossesHeap, joinPath, MAX_PATH_STEPS, ModulePointsTo, pathWithin } from '../ir/points-to.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, ROOT, annotations } from './helpers.js';

function check(text: string) {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-loans' });
  return r.diagnostics.filter((d) => d.code === 'E0024').map((d) => ({ ...d, line: lineCol(src, d.span.start).line }));
}
const reported = (text: string) => check(text).map((d) => `${d.line} ${d.code}`).sort();
/** The annotated (line, code) pairs, in this file's format. */
function annotated(text: string): string[] {
  return annotations(text).map((a) => `${a.line} ${a.code}`).sort();
}
const expectAnnotations = (text: string) => expect(reported(text)).toEqual(annotated(text));

describe('check-loans: resizing', () => {
  it('reports a push while a pointer to an element is used later, with both lines in the note', () => {
    const text = `main() {
    mut v := Vec<i32>::new();
    v.push(1);
    p := *v[0];
    v.push(2); //~ ERROR E0024
    println(*p);
}
`;
    expectAnnotations(text);
    const [d] = check(text);
    expect(d.message).toBe('cannot change `v` while a pointer into it is in use');
    expect(d.label).toBe('`v` is resized here');
    expect(d.notes).toEqual([
      'help: finish using the pointer first, or copy the element out',
      'note: the pointer taken at line 4 is used later at line 6',
    ]);
  });

  it('accepts a push after the pointer\'s last use', () => {
    expectAnnotations(`main() {
    mut v := Vec<i32>::new();
    v.push(1);
    p := *v[0];
    println(*p);
    v.push(2);
    println(v.len());
}
`);
  });

  it('reports pop and clear', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(3, 7);
    p := *v[0];
    x := v.pop(); //~ ERROR E0024
    v.clear(); //~ ERROR E0024
    println(*p);
}
`);
  });

  it('reports a push in a loop whose next iteration uses the pointer', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(1, 5);
    p := *v[0];
    for i in 0..3 {
        println(*p);
        v.push(i); //~ ERROR E0024
    }
}
`);
  });

  it('accepts a pointer taken afresh in each iteration', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(1, 5);
    for i in 0..3 {
        p := *v[0];
        println(*p);
        v.push(i);
    }
}
`);
  });

  it('accepts a pointer variable that was re-pointed elsewhere before the push', () => {
    expectAnnotations(`main() {
    x := 9;
    mut v := Vec::filled(2, 5);
    mut p := *v[0];
    println(*p);
    p = *x;
    v.push(1);
    println(*p);
}
`);
  });

  it('reports when the pointer may still point into the Vec on some path', () => {
    expectAnnotations(`main() {
    x := 9;
    mut v := Vec::filled(2, 5);
    mut p := *v[0];
    if arg_count() > 0 { p = *x; }
    v.push(1); //~ ERROR E0024
    println(*p);
}
`);
  });

  it('accepts a pointer to the Vec itself (not into its buffer) across a push', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(2, 5);
    p := *v;
    v.push(1);
    println(p.len());
}
`);
  });

  it('tells apart the containers of one value', () => {
    expectAnnotations(`class Holder(name: String, items: Vec<i32>, more: Vec<i32>) {}
main() {
    mut h := Holder { name: String::from("a"), items: Vec::filled(2, 1), more: Vec::filled(2, 2) };
    p := *h.items[0];
    h.more.push(3);
    h.name.append("b");
    h.more = Vec<i32>::new();
    println(*p);
    h.items.push(4); //~ ERROR E0024
    println(*p);
}
`);
  });
});

describe('check-loans: reassigning and deleting', () => {
  it('reports reassigning a Vec while a pointer into it is live', () => {
    const text = `main() {
    mut v := Vec::filled(2, 5);
    p := *v[1];
    v = Vec::filled(3, 6); //~ ERROR E0024
    println(*p);
}
`;
    expectAnnotations(text);
    expect(check(text)[0].label).toBe('`v` is reassigned here');
  });

  it('accepts an element write while a pointer to an element is live', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(2, 5);
    p := *v[0];
    v[1] = 8;
    v[0] = 9;
    println(*p);
}
`);
  });

  it('accepts reassigning a plain variable while a pointer to it is live (spec §5.2)', () => {
    expectAnnotations(`main() {
    mut x := 5;
    p := *x;
    x = 6;
    println(*p);
}
`);
  });

  it('reports replacing a Box while a pointer to its value is live, not writing the value', () => {
    expectAnnotations(`main() {
    mut b := Box::new(1);
    p := *(*b);
    *b = 2;
    println(*p);
    b = Box::new(3); //~ ERROR E0024
    println(*p);
}
`);
  });

  it('reports a delete while a pointer into the value is live', () => {
    const text = `main() {
    v := Vec::filled(2, 5);
    p := *v[0];
    unsafe { delete v; } //~ ERROR E0024
    println(*p);
}
`;
    expectAnnotations(text);
    expect(check(text)[0].label).toBe('`v` is deleted here');
  });

  it('accepts a delete after the pointer\'s last use', () => {
    expectAnnotations(`main() {
    v := Vec::filled(2, 5);
    p := *v[0];
    println(*p);
    unsafe { delete v; }
}
`);
  });

  it('reports replacing an inner Vec while a pointer into it is live, not resizing the outer one', () => {
    expectAnnotations(`main() {
    mut vv := Vec::filled(2, Vec::filled(2, 0));
    p := *vv[0];
    vv.push(Vec<i32>::new()); //~ ERROR E0024
    println(p.len());
    q := *vv[0][1];
    vv[0].push(5); //~ ERROR E0024
    println(*q);
}
`);
  });
});

describe('check-loans: pointers passed around', () => {
  it('follows a function returning its pointer argument', () => {
    expectAnnotations(`same(p: *i32) -> *i32 { return p; }
main() {
    mut v := Vec::filled(2, 5);
    q := same(*v[0]);
    v.push(1); //~ ERROR E0024
    println(*q);
}
`);
  });

  it('follows a function returning a pointer into what its argument points to', () => {
    expectAnnotations(`first(v: *Vec<i32>) -> *i32 { return *v[0]; }
main() {
    mut w := Vec::filled(2, 5);
    p := first(*w);
    w.push(3); //~ ERROR E0024
    println(*p);
    mut x := 4;
    q := first(*w);
    println(*q);
    w.push(4);
}
`);
  });

  it('does not treat a pointer to a plain variable returned by a call as a loan', () => {
    expectAnnotations(`same(p: *i32) -> *i32 { return p; }
main() {
    mut x := 5;
    q := same(*x);
    x = 6;
    println(*q);
}
`);
  });

  it('follows a method returning a pointer into a field', () => {
    expectAnnotations(`class Bag(items: Vec<i32>) {
    first() -> *i32 { return *items[0]; }
}
main() {
    mut b := Bag { items: Vec::filled(2, 1) };
    p := b.first();
    b.items.push(2); //~ ERROR E0024
    println(*p);
}
`);
  });

  it('follows Option<*T>', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(2, 5);
    o: Option<*i32> := Some(*v[0]);
    v.clear(); //~ ERROR E0024
    if let Some(p) = o { println(*p); }
}
`);
  });

  it('follows pointers stored in a class and in a Vec', () => {
    expectAnnotations(`class Ref1(p: *i32) {}
main() {
    mut v := Vec::filled(2, 5);
    r := Ref1 { p: *v[0] };
    mut ps := Vec<*i32>::new();
    ps.push(*v[1]);
    v.push(1); //~ ERROR E0024
    println(*r.p);
    println(*ps[0]);
}
`);
  });

  it('follows a pointer to the Vec: pushing through it, and pointers taken through it', () => {
    expectAnnotations(`main() {
    mut v := Vec::filled(2, 5);
    pv := *mut v;
    q := *pv[0];
    pv.push(1); //~ ERROR E0024
    println(*q);
}
`);
  });

  it('reports resizing through a pointer parameter while a pointer into it is live', () => {
    expectAnnotations(`grow(pv: *mut Vec<i32>) {
    q := *pv[0];
    pv.push(1); //~ ERROR E0024
    println(*q);
}
main() {
    mut v := Vec::filled(2, 5);
    grow(*mut v);
}
`);
  });
});

describe('check-loans: changes made by calls', () => {
  it('reports a call whose callee resizes or replaces what its pointer argument reaches', () => {
    expectAnnotations(`grow(v: *mut Vec<i32>) { v.push(0); }
replace(b: *mut Box<i32>) { *b = Box::new(2); }
bump(b: *mut Box<i32>) { **b += 1; }
main() {
    mut w := Vec::filled(1, 6);
    e := *w[0];
    grow(*mut w); //~ ERROR E0024
    println(*e);
    mut bb := Box::new(1);
    p := *(*bb);
    bump(*mut bb);
    replace(*mut bb); //~ ERROR E0024
    println(*p);
}
`);
  });

  it('follows mut methods, through the methods they call, and not element writes', () => {
    expectAnnotations(`class Stack(items: Vec<i32>) {
    mut push(x: i32) { items.push(x); }
    mut pushTwice(x: i32) { push(x); push(x); }
    mut set(i: i64, x: i32) { items[i] = x; }
    top() -> *i32 { return *items[items.len() - 1]; }
}
main() {
    mut s := Stack { items: Vec::filled(1, 1) };
    t := s.top();
    s.set(0, 5);
    s.pushTwice(2); //~ ERROR E0024
    println(*t);
}
`);
  });

  it('follows lambdas that resize what they captured, called directly, copied or passed down', () => {
    expectAnnotations(`each(n: i32, f: fn(i32)) { for i in 0..n { f(i); } }
twice(f: fn(i32)) { each(2, f); }
main() {
    mut v := Vec::filled(1, 5);
    add := (x: i32) -> { v.push(x); };
    len := () -> v.len();
    a := *v[0];
    println(len());
    add(1); //~ ERROR E0024
    println(*a);
    g := add;
    b := *v[0];
    g(3); //~ ERROR E0024
    println(*b);
    c := *v[0];
    twice(add); //~ ERROR E0024
    println(*c);
    d := *v[0];
    twice((x) -> { println(x); });
    println(*d);
}
`);
  });
});

describe('points-to paths and summaries', () => {
  it('compares paths step-wise', () => {
    expect(pathWithin('.items[v]', '.items')).toBe(true);
    expect(pathWithin('.items', '.items')).toBe(true);
    expect(pathWithin('.itemsx', '.items')).toBe(false);
    expect(pathWithin('.a', '.items')).toBe(false);
    expect(crossesHeap('.a[]')).toBe(false);
    expect(crossesHeap('.a[v]')).toBe(true);
    expect(crossesHeap('.*')).toBe(true);
  });

  it('cuts long paths to MAX_PATH_STEPS steps', () => {
    let p = '';
    for (let i = 0; i < 20; i++) p = joinPath(p, '.next.*');
    expect(p.split(/[.[]/).length - 1).toBe(MAX_PATH_STEPS);
  });

  it('summarizes functions by the arguments their result may point into', () => {
    const text = `first(v: *Vec<i32>) -> *i32 { return *v[0]; }
same(a: *i32, b: *i32) -> *i32 { if arg_count() > 0 { return a; } return b; }
via(v: *Vec<i32>) -> *i32 { return first(v); }
count(v: *Vec<i32>) -> i64 { return v.len(); }
main() { v := Vec::filled(1, 1); println(*first(*v)); println(*same(*v[0], *v[0])); println(*via(*v)); println(count(*v)); }
`;
    const r = runPipeline({ path: 't.zeta', text }, { stopAfter: 'explicate-control' });
    const mp = ModulePointsTo.analyze(r.ir as Module);
    expect(mp.summaries.get('first')).toEqual([{ param: 0, load: false, path: '[v]' }]);
    expect(mp.summaries.get('via')).toEqual([{ param: 0, load: false, path: '[v]' }]);
    expect([...(mp.summaries.get('same') ?? [])].map((e) => e.param).sort()).toEqual([0, 1]);
    expect(mp.summaries.has('count')).toBe(false);
  });

  it('answers which live locals hold pointers to a variable', () => {
    const text = `main() { mut x := 1; p := *x; o := Some(p); println(*p); }
`;
    const r = runPipeline({ path: 't.zeta', text }, { stopAfter: 'explicate-control' });
    const m = r.ir as Module;
    const fn = m.fns.find((f) => f.name === 'main')!;
    const pt = ModulePointsTo.analyze(m).fn(fn);
    const id = (name: string) => fn.locals.find((l) => l.name === name)!.id;
    const end = pt.walkBlock(fn.blocks[0], pt.entry[0]);
    expect(pt.holdersOf(end, [id('p'), id('o')], id('x')).sort()).toEqual([id('p'), id('o')].sort());
    expect(pt.holdersOf(end, [id('x')], id('x'))).toEqual([]);
  });
});

describe('check-loans: samples', () => {
  const dir = join(CONFORMANCE, 'memory');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.zeta')) : [];
  it.skipIf(files.length === 0).each(files)('%s gives exactly its E0024 annotations', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(reported(text)).toEqual(annotated(text).filter((a) => a.endsWith('E0024')));
  });

  const runnable = [
    ...(existsSync(CONFORMANCE) ? readdirSync(CONFORMANCE, { recursive: true, encoding: 'utf8' }).map((f) => join(CONFORMANCE, f)) : []),
    ...readdirSync(join(ROOT, 'examples')).map((f) => join(ROOT, 'examples', f)),
  ].filter((f) => f.endsWith('.zeta') && !readFileSync(f, 'utf8').includes('//~ ERROR'));
  it('accepts every runnable sample and example', () => {
    const bad: string[] = [];
    for (const f of runnable) {
      const text = readFileSync(f, 'utf8');
      let r;
      try { r = runPipeline({ path: f, text }, { stopAfter: 'check-loans' }); } catch { continue; } // others' unfinished passes
      for (const d of r.diagnostics) if (['E0020', 'E0021', 'E0024'].includes(d.code)) bad.push(`${f}: ${d.code} ${d.message}`);
    }
    expect(bad).toEqual([]);
  });
});
