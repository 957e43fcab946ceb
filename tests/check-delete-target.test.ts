// check-delete-target: E0027 for `delete` of a pointer or of region memory (spec §5.4).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineCol, type Diagnostic } from '../ir/diagnostics.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE } from './helpers.js';

function check(text: string): { errors: string[]; diags: Diagnostic[] } {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-delete-target', verifyEach: true });
  const diags = [...r.diagnostics].sort((a, b) => a.span.start - b.span.start);
  return { errors: diags.map((d) => `${d.code}@${lineCol(src, d.span.start).line}`), diags };
}

describe('check-delete-target', () => {
  it('regions/44 gives exactly its annotated error, about region memory', () => {
    const r = check(readFileSync(join(CONFORMANCE, 'regions/44_region_delete.zeta'), 'utf8'));
    expect(r.errors).toEqual(['E0027@4']);
    expect(r.diags[0].notes).toEqual(['help: only owned values (Box, Vec, String, Drop classes) can be deleted']);
  });

  it('a lambda may not delete a variable it captures (by reference or by copy), only its own', () => {
    const src = `main() {
  b := Box::new(1);
  f := () -> { unsafe { delete b; } };
  c := Box::new(2);
  t := spawn(unsafe () -> { delete c; });
  g := () -> {
    own := Box::new(3);
    unsafe { delete own; }
    h := () -> { unsafe { delete own; } };
  };
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0027@3', 'E0027@5', 'E0027@9']);
    expect(r.diags[0].message).toBe('cannot delete `b` inside a lambda that captures it: the lambda only refers to it');
  });

  it('pointers, region handles, `this`, and places reached through a pointer are refused', () => {
    const src = `class Conn(fd: i32, items: Vec<i32>) : Drop {
  drop() {}
  close() { unsafe { delete this; } }
}
main() {
  mut b := Box::new(1);
  mut c := Conn { fd: 1, items: Vec<i32>::new() };
  pc := *mut c;
  unsafe {
    delete pc;
    delete *pc;
    delete pc.items;
  }
  region r {
    p := r.alloc(5) ?? panic("full");
    unsafe {
      delete *p;
      delete r;
    }
  }
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0027@3', 'E0027@10', 'E0027@11', 'E0027@12', 'E0027@17', 'E0027@18']);
    expect(r.diags[2].message).toBe('cannot delete through a pointer: the memory belongs to the pointer\'s target');
    expect(r.diags[4].message).toBe('cannot delete region memory: it is freed when its region\'s block ends');
  });

  it('owned values may be deleted: Box, Vec, String, Drop classes, their fields, a Box\'s value', () => {
    const src = `class Conn(fd: i32, items: Vec<i32>) : Drop { drop() {} }
main() {
  b := Box::new(1);
  bb := Box::new(Box::new(2));
  v := Vec<i32>::new();
  s := String::from("x");
  c := Conn { fd: 1, items: Vec<i32>::new() };
  d := Conn { fd: 2, items: Vec<i32>::new() };
  unsafe {
    delete b;
    delete bb;
    delete v;
    delete s;
    delete c;
    delete d;
  }
}`;
    expect(check(src).errors).toEqual([]);
  });

  it('refuses parts of values and statics: drops are tracked per local variable', () => {
    const src = `class Conn(fd: i32, items: Vec<i32>) {}
static NAME: i32 = 3;
main() {
  mut bb := Box::new(Box::new(2));
  mut d := Conn { fd: 2, items: Vec<i32>::new() };
  mut v := Vec::filled(2, String::from("a"));
  unsafe {
    delete *bb;
    delete d.items;
    delete v[0];
    delete NAME;
  }
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0027@8', 'E0027@9', 'E0027@10', 'E0027@11']);
    expect(r.diags[0].message).toMatch(/only a whole local variable/);
    expect(r.diags[3].message).toMatch(/global/);
  });
});
