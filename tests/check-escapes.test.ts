// check-escapes: E0023 (a pointer, capturing lambda or thread outlives its target) and
// E0025 (region data escapes its region), with inferred lifetimes (spec §5.2, §6, §7).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineCol, type Diagnostic } from '../ir/diagnostics.js';
import { runPipeline } from '../tools/driver.js';
import { checkEscapesPass } from '../passes/check-escapes.js';
import { CONFORMANCE, ROOT, annotations } from './helpers.js';
import { generateProgram } from '../property-tests/gen/program-generator.js';

/** Runs the pipeline through the tree memory checks; (code@line) of every error, in source order. */
function check(text: string): { errors: string[]; diags: Diagnostic[] } {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-delete-target', verifyEach: true });
  const diags = [...r.diagnostics].sort((a, b) => a.span.start - b.span.start);
  return { errors: diags.map((d) => `${d.code}@${lineCol(src, d.span.start).line}`), diags };
}
const errors = (text: string): string[] => check(text).errors;

/** The annotated (line, code) pairs, in this file's format. */
function annotated(text: string): string[] {
  return annotations(text).map((a) => `${a.code}@${a.line}`);
}

describe('check-escapes: returns', () => {
  it('a pointer to a local, to a parameter copy, or into a local Vec is E0023', () => {
    const src = `leak() -> *i32 {
  local := 5;
  return *local;
}
copy(x: i32) -> *i32 { return *x; }
elem() -> *i32 {
  v := Vec::filled(3, 1);
  return *v[0];
}
main() {}`;
    expect(errors(src)).toEqual(['E0023@3', 'E0023@5', 'E0023@8']);
  });

  it('through variables, Options, classes, calls and a body tail', () => {
    const src = `class H(p: *i32) {}
keep(p: *i32) -> *i32 { return p; }
a() -> Option<*i32> { x := 1; p := *x; o := Some(p); return o; }
b() -> H { x := 1; return H { p: *x }; }
c() -> *i32 { x := 1; return keep(*x); }
d() -> *i32 { x := 1; *x }
e(flag: bool) -> *i32 { x := 1; y := 2; if flag { *x } else { *y } }
main() {}`;
    expect(errors(src)).toEqual(['E0023@3', 'E0023@4', 'E0023@5', 'E0023@6', 'E0023@7']);
  });

  it('what was received, or derived from it, may be returned', () => {
    const src = `class Node(v: i32, next: Option<*Node>) {
  value() -> *i32 { return *v; }
  nextOr() -> *Node { return next ?? this; }
}
static LIMIT: i64 = 7;
keep(p: *Node) -> *i32 { return *p.v; }
last(n: *Node) -> *Node { mut cur := n; while let Some(nx) = cur.next { cur = nx; } return cur; }
first(v: *Vec<i32>) -> *i32 { return *v[0]; }
pick(a: *i32, b: *i32, left: bool) -> *i32 { if left { a } else { b } }
viaCall(n: *Node) -> *i32 { return keep(last(n)); }
limit() -> *i64 { return *LIMIT; }
unwrapped(o: Option<*i32>) -> *i32 { return o.unwrap(); }
main() {
  n := Node { v: 1, next: None };
  println(*keep(*n));
  println(*n.value());
}`;
    expect(errors(src)).toEqual([]);
  });

  it('the message names the local and says why (memory/27)', () => {
    const d = check('leak() -> *i32 {\n  local := 5;\n  return *local;\n}\nmain() {}').diags[0];
    expect(d.code).toBe('E0023');
    expect(d.message).toBe('returns a pointer to local variable `local`, which is dropped when the function returns');
    expect(d.notes).toEqual(['help: return the value itself, or take the target as a parameter']);
  });
});

describe('check-escapes: stores', () => {
  it('a pointer to an inner block\'s local stored into an outer variable is E0023, once', () => {
    const src = `main() {
  mut outer: Option<*i32> := None;
  {
    inner := 3;
    outer = Some(*inner);
  }
  if let Some(p) = outer { println(*p); }
  copy := outer;
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0023@5']);
    expect(r.diags[0].message).toBe('a pointer to local variable `inner` is stored in `outer`, which outlives it');
  });

  it('into an outer Vec, through a pointer, into a field, out of a loop', () => {
    const src = `class H(p: *i32) {}
main() {
  top := 0;
  mut v := Vec<*i32>::new();
  mut h := H { p: *top };
  mut keep: Option<*i32> := None;
  pk := *mut keep;
  {
    x := 1;
    v.push(*x);
    *pk = Some(*x);
    h.p = *x;
  }
  for i in 0..3 { keep = Some(*i); }
}`;
    expect(errors(src)).toEqual(['E0023@10', 'E0023@11', 'E0023@12', 'E0023@14']);
  });

  it('a pointer into a temporary that needs drop may be used in its statement, not kept', () => {
    const src = `class Pt(x: i32) {}
mk() -> Vec<i32> { return Vec::filled(3, 7); }
mkp() -> Pt { return Pt { x: 1 }; }
first(v: *Vec<i32>) -> *i32 { return *v[0]; }
main() {
  println(*first(*mk()));
  p := *mk()[0];
  r := first(*mk());
  q := *mkp().x;
  println(*p + *r + *q);
}`;
    expect(errors(src)).toEqual(['E0023@7', 'E0023@8']);
  });

  it('pointers stored where their target outlives them are fine', () => {
    const src = `class Pt(x: i32, y: i32) {}
class Ref(p: *Pt) {}
main() {
  a := Pt { x: 1, y: 2 };
  mut v := Vec<*i32>::new();
  mut best: Option<*i32> := None;
  {
    p := *a;
    r := Ref { p: p };
    v.push(*a.x);
    best = Some(*r.p.y);
    q := *p;
    inner := 5;
    mut w: *i32 := *inner;
    w = *a.y;
  }
  mut later: *i32 := *a.x;
  b := 1;
  later = *b;            // same block: b lives as long as later
  println(*later);
}`;
    expect(errors(src)).toEqual([]);
  });

  it('a parameter\'s pointer stored into another parameter\'s target is E0023; into its own, fine', () => {
    const src = `class Holder(p: *i32, next: Option<*Holder>) {
  mut set(q: *i32) { p = q; }
  mut skip() { if let Some(n) = next { next = n.next; } }
}
put(dst: *mut Holder, src: *i32) { dst.p = src; }
relink(h: *mut Holder) { if let Some(n) = h.next { h.next = n.next; } }
local(dst: *mut Holder) { x := 1; dst.p = *x; }
main() {}`;
    expect(errors(src)).toEqual(['E0023@2', 'E0023@5', 'E0023@7']);
  });
});

describe('check-escapes: regions (E0025)', () => {
  it('regions/42: a region pointer returned or kept after the block', () => {
    const src = readFileSync(join(CONFORMANCE, 'regions/42_region_escape.zeta'), 'utf8');
    const r = check(src);
    expect(r.errors).toEqual(annotated(src));
    expect(r.diags[0].message).toBe('returns a pointer into region `r`, which is freed when its block ends');
    expect(r.diags[1].message).toBe('data of region `r` escapes into `keep`, which outlives the region');
  });

  it('through calls with the region, pushes, and into an outer region', () => {
    const src = `class T(v: i32, next: Option<*T>) {}
build(r: Region) -> *T { return r.alloc(T { v: 1, next: None }) ?? panic("full"); }
main() {
  mut keep: Option<*T> := None;
  mut all := Vec<*T>::new();
  region outer {
    region r {
      keep = Some(build(r));
      all.push(build(r));
      o := outer.alloc(T { v: 2, next: None }) ?? panic("full");
      o.next = Some(build(r));
      i := r.alloc(T { v: 3, next: Some(o) }) ?? panic("full");
    }
  }
}`;
    expect(errors(src)).toEqual(['E0025@8', 'E0025@9', 'E0025@11']);
  });

  it('region objects may point to each other and to what outlives the region', () => {
    const src = `class T(v: i32, next: Option<*T>, out: Option<*i32>) {}
link(r: Region, n: i32) -> *mut T {
  mut prev: Option<*T> := None;
  for i in 0..n {
    p := r.alloc(T { v: i, next: prev, out: None }) ?? panic("full");
    prev = Some(p);
  }
  return r.alloc(T { v: n, next: prev, out: None }) ?? panic("full");
}
main() {
  x := 5;
  region outer {
    o := outer.alloc(T { v: 2, next: None, out: Some(*x) }) ?? panic("full");
    region r {
      mut head: Option<*T> := None;
      for i in 0..3 {
        c := link(r, 2);
        c.next = head;
        head = Some(c);
      }
      i := r.alloc(T { v: 3, next: Some(o), out: Some(*x) }) ?? panic("full");
      i.next = head;
    }
  }
}`;
    expect(errors(src)).toEqual([]);
  });

  it('a local of an inner block stored in a region object is E0023', () => {
    const src = `class W(p: *i32) {}
main() {
  region r {
    mut keep: Option<*mut W> := None;
    {
      inner := 1;
      keep = r.alloc(W { p: *inner });
    }
  }
}`;
    expect(errors(src)).toEqual(['E0023@7']);
  });

  it('allocations from one Region parameter may hold pointers from it, not from another', () => {
    const src = `class T(next: Option<*T>) {}
same(r: Region) -> *T {
  a := r.alloc(T { next: None }) ?? panic("full");
  return r.alloc(T { next: Some(a) }) ?? panic("full");
}
mixed(r: Region, s: Region) -> *T {
  a := s.alloc(T { next: None }) ?? panic("full");
  return r.alloc(T { next: Some(a) }) ?? panic("full");
}
push(r: Region, head: Option<*T>) -> *T {
  return r.alloc(T { next: head }) ?? panic("full");
}
main() {}`;
    expect(errors(src)).toEqual(['E0023@8', 'E0023@11']);
  });
});

describe('check-escapes: lambdas and threads', () => {
  it('lambdas/51: a capturing lambda may not be returned; a non-capturing one may', () => {
    const src = readFileSync(join(CONFORMANCE, 'lambdas/51_lambda_escape.zeta'), 'utf8');
    const r = check(src);
    expect(r.errors).toEqual(annotated(src));
    expect(r.diags[0].message).toBe('returns a lambda that captures local variable `n`, which is dropped when the function returns');
  });

  it('capturing lambdas stored outside their captures; returns inside lambdas', () => {
    const src = `main() {
  mut f: fn() -> i32 := () -> 0;
  {
    y := 2;
    f = () -> y;
    g := () -> y + 1;
  }
  x := 1;
  h := () -> { z := 3; p := *z; return p; };
  k := () -> *x;
  apply(f);
}
apply(f: fn() -> i32) -> i32 { return f(); }`;
    expect(errors(src)).toEqual(['E0023@5', 'E0023@9']);
  });

  it('a thread sharing a variable may not outlive it, even in one block', () => {
    const src = `main() {
  counter := Atomic::new(0i64);
  mut ts := Vec<Thread<void>>::new();
  for i in 0..4 { ts.push(spawn(() -> { counter.fetch_add(1); })); }
  mut late := Vec<Thread<void>>::new();
  m := Mutex::new(0);
  late.push(spawn(() -> { g := m.lock(); }));
  limit := 10;
  copies := spawn(() -> { println(limit); });
}`;
    expect(errors(src)).toEqual(['E0023@7']);
  });
});

describe('check-escapes: drop order in one block', () => {
  it('a value whose drop may use a pointer must be declared after its target', () => {
    const src = `class Logger(target: *i32) : Drop { drop() { println(*target); } }
class Plain(target: *i32) {}
main() {
  a := 1;
  mut early := Logger { target: *a };
  mut plain := Plain { target: *a };
  b := 2;
  early.target = *b;
  plain.target = *b;
  late := Logger { target: *b };
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0023@8']);
    expect(r.diags[0].message).toBe('a pointer to local variable `b` is stored in `early`, whose drop may use it after `b` is dropped');
  });
});

describe('check-escapes: samples', () => {
  it('memory/27 gives exactly its annotated errors', () => {
    const src = readFileSync(join(CONFORMANCE, 'memory/27_dangling_return.zeta'), 'utf8');
    expect(errors(src)).toEqual(annotated(src));
  });

  it('no error on any runnable conformance sample or example', () => {
    const files: string[] = [];
    for (const dir of readdirSync(CONFORMANCE, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      for (const f of readdirSync(join(CONFORMANCE, dir.name))) if (f.endsWith('.zeta')) files.push(join(CONFORMANCE, dir.name, f));
    }
    for (const f of readdirSync(join(ROOT, 'examples'))) if (f.endsWith('.zeta')) files.push(join(ROOT, 'examples', f));
    const runnable = files.filter((f) => annotated(readFileSync(f, 'utf8')).length === 0);
    expect(runnable.length).toBeGreaterThan(20);
    for (const f of runnable) expect([f, errors(readFileSync(f, 'utf8'))]).toEqual([f, []]);
  });

  it('no error on valid generated programs (pointers, regions, lambdas)', () => {
    for (let seed = 0; seed < 12; seed++) {
      const { source } = generateProgram(seed, { lambdas: seed % 2 === 0 });
      expect([seed, errors(source)]).toEqual([seed, []]);
    }
  });

  it('returns its input unchanged', () => {
    const r = runPipeline({ path: 't.zeta', text: 'main() { x := 1; p := *x; }' }, { stopAfter: 'resolve-pointers' });
    const ctx = { src: { path: 't.zeta', text: '' }, diag: { error: () => { throw new Error('no error expected'); } } as never, freshId: () => 0 };
    expect(checkEscapesPass.run(r.ir!, ctx)).toBe(r.ir);
  });
});
