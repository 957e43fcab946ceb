// check-drop-copies (E0050): a value whose class implements Drop, or that holds one, may be
// moved (from a temporary, or from a variable at its last use) but never copied.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../tools/driver.js';
import { lineCol } from '../ir/diagnostics.js';
import { interpret } from '../ir/interpret.js';
import type { Lcfg, Node } from '../ir/languages.js';
import { CONFORMANCE } from './helpers.js';

const FILE = `class File(fd: i32) : Drop {
  drop() { println("close"); }
  read() -> i32 { return fd; }
}
open() -> File { return File { fd: 3 }; }
maybe() -> Option<File> { return Some(open()); }
use(f: File) { println(f.fd); }
`;

/** The E0050 errors of a program, as `line: message`, lines counted in `body` (after the prelude). */
function e0050(body: string): string[] {
  const text = FILE + body;
  const src = { path: 't.zeta', text };
  const r = runPipeline(src);
  const others = r.diagnostics.filter((d) => d.code !== 'E0050');
  expect(others.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const offset = FILE.split('\n').length - 1;
  return r.diagnostics.filter((d) => d.code === 'E0050').sort((a, b) => a.span.start - b.span.start)
    .map((d) => `${lineCol(src, d.span.start).line - offset}: ${d.message}`);
}

describe('check-drop-copies: E0050', () => {
  it('reports the conformance example at the copy, with the help note', () => {
    const path = join(CONFORMANCE, 'memory', '32_copy_drop_class.zeta');
    const src = { path, text: readFileSync(path, 'utf8') };
    const r = runPipeline(src);
    expect(r.diagnostics.map((d) => [d.code, lineCol(src, d.span.start).line])).toEqual([['E0050', 9]]);
    const d = r.diagnostics[0];
    expect(d.message).toBe('copy of `File`, which implements Drop');
    expect(src.text.slice(d.span.start, d.span.end)).toBe('f');
    expect(d.notes).toEqual(['help: take a pointer with `*f` instead, or use the value only once']);
    expect(r.ir).toBeNull();
  });

  it('accepts moves: temporaries, last uses, parameters returned, values moved into fields and calls', () => {
    expect(e0050(`main() {
      f := open();
      g := f;
      w := Some(g);
      if let Some(x) = maybe() { println(x.read()); }
      h := maybe() ?? open();
      use(h);
      k := maybe().unwrap();
      println(k.fd);
      o := maybe();
      println(o.is_some());
      println(o.unwrap().fd);
    }`)).toEqual([]);
  });

  it('reports copies of variables used again, in loops, out of places, and of values holding a Drop class', () => {
    expect(e0050(`class Wrap(f: File) {}
    main() {
      f := open();
      g := f;
      println(f.fd);
      k := open();
      for i in 0..2 { use(k); }
      mut v := Vec<File>::new();
      v.push(open());
      e := v[0];
      o := maybe();
      o2 := o;
      println(o.is_some());
      w := Wrap { f: open() };
      p := *w;
      q := w.f;
    }`)).toEqual([
      '4: copy of `File`, which implements Drop',
      '7: copy of `File`, which implements Drop',
      '10: copy of `File`, which implements Drop',
      '12: copy of `Option<File>`, which holds a `File` (it implements Drop)',
      '16: copy of `File`, which implements Drop',
    ]);
  });

  it('reports a copy while a pointer into the value is still used', () => {
    expect(e0050(`main() {
      f := open();
      p := *f;
      g := f;
      println(p.fd);
    }`)).toEqual(['4: copy of `File`, which implements Drop']);
  });

  it('does not report copies of values without a Drop class, nor reads that copy nothing', () => {
    expect(e0050(`class Plain(s: String) {}
    main() {
      a := Plain { s: String::from("x") };
      b := a;
      println(a.s);
      f := open();
      println(f.read());
      mut n := Some(open());
      println(n.is_some());
      pf := *f;
      println(pf.fd);
    }`)).toEqual([]);
  });

  it('a program it accepts runs each drop() once', () => {
    const r = runPipeline({ path: 't.zeta', text: FILE + `main() {
      f := open();
      g := f;
      use(g);
      k := maybe().unwrap();
      println("end");
    }` });
    expect(r.diagnostics).toEqual([]);
    expect(interpret(r.ir as unknown as Node<typeof Lcfg, 'Module'>).stdout).toBe('3\nclose\nend\nclose\n');
  });
});

describe('check-drop-copies: thread results', () => {
  it('joining a thread whose result holds a Drop class is E0050 (join copies the result)', () => {
    expect(e0050('main() {\n  t := spawn(() -> open());\n  r := t.join();\n  println(r.fd);\n}\n'))
      .toEqual(['3: joining a thread copies its result, `File`, which implements Drop']);
    expect(e0050('main() {\n  t := spawn(() -> 5);\n  println(t.join());\n}\n')).toEqual([]);
  });
});

describe('check-drop-copies: mutex guards', () => {
  /** The E0050 errors of a whole program (no Drop class in it), as `line: message`. */
  const guardErrors = (text: string) => {
    const src = { path: 't.zeta', text };
    return runPipeline(src).diagnostics.map((d) => `${d.code} ${lineCol(src, d.span.start).line}: ${d.message}`);
  };

  // functions whose locals cannot lead to a Guard are skipped: these reach one through a
  // class field and through a pointer
  it('a copy of a guard held in a class field, or read through a pointer, is E0050', () => {
    expect(guardErrors(`class Holder(g: Option<Guard<i64>>) {}
keep(h: Holder) {}
main() {
    m := Mutex::new(5i64);
    h := Holder { g: Some(m.lock()) };
    keep(h);
    keep(h);
}
`)).toEqual(['E0050 6: copy of `Holder`, which holds a mutex guard']);
    expect(guardErrors(`main() {
    m := Mutex::new(5i64);
    g := m.lock();
    p := *g;
    h := *p;
    k := *p;
    println(h.value);
}
`)).toEqual(['E0050 5: copy of a mutex guard (`Guard<i64>`)', 'E0050 6: copy of a mutex guard (`Guard<i64>`)']);
  });

  it('a guard used once, and pointers into it, are fine', () => {
    expect(guardErrors(`main() {
    m := Mutex::new(5i64);
    g := m.lock();
    p := *g;
    println(p.value);
}
`)).toEqual([]);
  });
});
