// check-deletes (E0020 use after delete, E0021 double delete): Zeta programs run through
// the pipeline up to the check; each test compares the (line, code) pairs of the
// check's errors with the `//~ ERROR Exxxx` annotations in the program (spec §12).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { lineCol } from '../ir/diagnostics.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, annotations } from './helpers.js';

const CODES = new Set(['E0020', 'E0021']);

function check(text: string) {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-deletes' });
  return r.diagnostics.filter((d) => CODES.has(d.code)).map((d) => ({ ...d, line: lineCol(src, d.span.start).line }));
}

/** The (line, code) pairs the check reports, sorted. */
function reported(text: string): string[] {
  return check(text).map((d) => `${d.line} ${d.code}`).sort();
}

/** The annotated (line, code) pairs, in this file's format. */
function annotated(text: string): string[] {
  return annotations(text).map((a) => `${a.line} ${a.code}`).sort();
}

const expectAnnotations = (text: string) => expect(reported(text)).toEqual(annotated(text));

const BOX_CLASS = `
class Conn(fd: i32) : Drop {
    get() -> i32 { return fd; }
    drop() { println("closed"); }
}
`;

describe('check-deletes: straight-line code', () => {
  it('reports a read after delete (E0020) with the delete line in the help', () => {
    const text = `main() {
    b := Box::new(41);
    unsafe { delete b; }
    println(*b); //~ ERROR E0020
}
`;
    expectAnnotations(text);
    const [d] = check(text);
    expect(d.message).toBe('use of `b` after it was deleted');
    expect(d.label).toBe('used here after `delete`');
    expect(d.notes).toEqual(['help: `b` was deleted at line 3; assign it a new value before using it again']);
  });

  it('reports a second delete as E0021, not E0020', () => {
    expectAnnotations(`main() {
    b := Box::new(41);
    unsafe {
        delete b;
        delete b; //~ ERROR E0021
    }
}
`);
  });

  it('reports a method call (its receiver is a pointer) after delete', () => {
    expectAnnotations(`${BOX_CLASS}
main() {
    c := Conn { fd: 3 };
    unsafe { delete c; }
    println(c.get()); //~ ERROR E0020
}
`);
  });

  it('reports taking a pointer to, or into, a deleted variable', () => {
    expectAnnotations(`main() {
    mut v := Vec<i32>::new();
    v.push(1);
    unsafe { delete v; }
    p := *v; //~ ERROR E0020
    q := *v[0]; //~ ERROR E0020
}
`);
  });

  it('accepts a use after the variable is assigned again', () => {
    expectAnnotations(`main() {
    mut b := Box::new(1);
    unsafe { delete b; }
    b = Box::new(2);
    println(*b);
    unsafe { delete b; }
}
`);
  });

  it('reports a store into part of a deleted value, but not a store of the whole', () => {
    expectAnnotations(`class Pair(a: String, n: i32) {}
main() {
    mut p := Pair { a: String::from("x"), n: 1 };
    unsafe { delete p; }
    p.n = 2; //~ ERROR E0020
    p = Pair { a: String::from("y"), n: 3 };
    println(p.n);
}
`);
  });

  it('reports every use site once', () => {
    const text = `main() {
    s := String::from("a");
    unsafe { delete s; }
    println(s); //~ ERROR E0020
    println(s.len()); //~ ERROR E0020
}
`;
    expectAnnotations(text);
    expect(check(text)).toHaveLength(2);
  });

  it('ignores variables that are never deleted, and deletes of other variables', () => {
    expectAnnotations(`main() {
    a := Box::new(1);
    b := Box::new(2);
    unsafe { delete a; }
    println(*b);
}
`);
  });
});

describe('check-deletes: control flow', () => {
  it('reports a use after the join when one branch deleted', () => {
    expectAnnotations(`main() {
    b := Box::new(1);
    if arg_count() > 0 {
        unsafe { delete b; }
    }
    println(*b); //~ ERROR E0020
}
`);
  });

  it('accepts a use only on the path that did not delete', () => {
    expectAnnotations(`main() {
    b := Box::new(1);
    if arg_count() > 0 {
        unsafe { delete b; }
    } else {
        println(*b);
    }
    println("done");
}
`);
  });

  it('accepts a use after a branch that deleted and then returned', () => {
    expectAnnotations(`main() {
    b := Box::new(1);
    if arg_count() > 0 {
        unsafe { delete b; }
        return;
    }
    println(*b);
}
`);
  });

  it('names every delete that may reach the use', () => {
    const text = `main() {
    b := Box::new(1);
    if arg_count() > 0 {
        unsafe { delete b; }
    } else {
        unsafe { delete b; }
    }
    println(*b); //~ ERROR E0020
}
`;
    expectAnnotations(text);
    expect(check(text)[0].notes[0]).toContain('was deleted at lines 4 and 6');
  });

  it('reports a use in the next loop iteration (E0020) and a delete in the next iteration (E0021)', () => {
    expectAnnotations(`main() {
    b := Box::new(1);
    c := Box::new(2);
    for i in 0..3 {
        println(*b); //~ ERROR E0020
        unsafe { delete b; } //~ ERROR E0021
        unsafe { delete c; } //~ ERROR E0021
    }
}
`);
  });

  it('accepts a delete in a loop body of a variable assigned at the top of each iteration', () => {
    expectAnnotations(`main() {
    mut b := Box::new(0);
    for i in 0..3 {
        b = Box::new(i);
        println(*b);
        unsafe { delete b; }
    }
}
`);
  });

  it('accepts a delete of a variable declared inside the loop body', () => {
    expectAnnotations(`main() {
    mut i := 0;
    while i < 3 {
        s := String::from("x");
        println(s);
        unsafe { delete s; }
        i += 1;
    }
}
`);
  });

  it('reports a read in a loop condition after a delete in the body', () => {
    expectAnnotations(`main() {
    mut n := Box::new(3);
    while *n > 0 { //~ ERROR E0020
        unsafe { delete n; } //~ ERROR E0021
    }
}
`);
  });

  it('accepts a delete followed by break', () => {
    expectAnnotations(`main() {
    b := Box::new(1);
    loop {
        println(*b);
        unsafe { delete b; }
        break;
    }
}
`);
  });
});

describe('check-deletes: parts of variables', () => {
  it('tracks `delete x.f` as deleting only that field', () => {
    expectAnnotations(`class Holder(name: String, items: Vec<i32>) {}
main() {
    mut h := Holder { name: String::from("a"), items: Vec<i32>::new() };
    unsafe { delete h.name; }
    println(h.items.len());
    println(h.name); //~ ERROR E0020
    h.name = String::from("b");
    println(h.name);
}
`);
  });

  it('counts a use of the whole value as a use of its deleted field', () => {
    expectAnnotations(`class Holder(name: String, n: i32) {}
show(h: Holder) { println(h.n); }
main() {
    h := Holder { name: String::from("a"), n: 1 };
    unsafe { delete h.name; }
    show(h); //~ ERROR E0020
}
`);
  });
});

describe('check-deletes: deletes that are E0027', () => {
  it('does not track a delete of a pointer or a Region handle (one error per mistake)', () => {
    expectAnnotations(`main() {
    mut x := Box::new(1);
    p := *mut x;
    region r(64) {
        unsafe { delete r; }
        q := r.alloc(1);
        unsafe { delete p; }
        println(*p);
    }
}
`);
  });
});

describe('check-deletes: lambdas', () => {
  it('reports a lambda created after a delete of what it captures, not one created after reassignment', () => {
    expectAnnotations(`main() {
    mut b := Box::new(1);
    unsafe { delete b; }
    f := () -> *b; //~ ERROR E0020
    b = Box::new(2);
    g := () -> *b;
    println(g());
}
`);
  });
});

describe('check-deletes: conformance samples', () => {
  const dir = join(CONFORMANCE, 'memory');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.zeta')) : [];
  it.skipIf(files.length === 0).each(files)('%s gives exactly its E0020/E0021 annotations', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(reported(text)).toEqual(annotated(text).filter((a) => CODES.has(a.split(' ')[1])));
  });
});
