// check-concurrency: E0040 (a concurrent lambda changes a captured variable), E0041 (it
// captures a pointer or a value holding one), E0043 (`static mut` of a non-Sync type),
// E0044 (a channel of pointers); and the E0023 rules for capturing lambdas and threads
// that check-escapes applies with desugar-lambdas' environment records (spec §7, §8).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineCol } from '../ir/diagnostics.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, annotations } from './helpers.js';

/** (code@line) of every error of the whole pipeline, in source order. */
function errors(text: string): string[] {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { verifyEach: true });
  return [...r.diagnostics].sort((a, b) => a.span.start - b.span.start).map((d) => `${d.code}@${lineCol(src, d.span.start).line}`);
}

/** The annotated (line, code) pairs, in this file's format. */
function annotated(text: string): string[] {
  return annotations(text).map((a) => `${a.code}@${a.line}`);
}

describe('conformance samples get exactly their annotated errors', () => {
  for (const dir of ['lambdas', 'concurrency']) {
    for (const f of readdirSync(join(CONFORMANCE, dir)).filter((x) => x.endsWith('.zeta'))) {
      it(`${dir}/${f}`, () => {
        const text = readFileSync(join(CONFORMANCE, dir, f), 'utf8');
        expect(errors(text)).toEqual(annotated(text));
      });
    }
  }
});

describe('E0040: a concurrent lambda changes a captured variable', () => {
  it('assignment, compound assignment, `*mut` and mut methods of a copied variable, at the use', () => {
    expect(errors(`class P(x: i64) { mut bump() { x += 1; } get() -> i64 { return x; } }
main() {
    mut n := 0;
    mut v := Vec<i32>::new();
    mut s := String::from("a");
    mut p := P { x: 1 };
    t := spawn(() -> {
        n = 5;
        v.push(1);
        s.append("b");
        p.bump();
        q := *mut n;
        println(p.get() + v.len());
    });
}
`)).toEqual(['E0040@8', 'E0040@9', 'E0040@10', 'E0040@11', 'E0040@12']);
  });

  it('a store into a shared Sync variable races; its methods do not', () => {
    expect(errors(`main() {
    mut c := Atomic::new(0i64);
    m := Mutex::new(0i64);
    t := spawn(() -> {
        c.fetch_add(1);
        g := m.lock();
        g.value = 7;
        c = Atomic::new(5i64);
    });
}
`)).toEqual(['E0040@8']);
  });

  it('changes made by a lambda nested in the concurrent one count; its own locals do not', () => {
    expect(errors(`main() {
    mut total := 0;
    t := spawn(() -> {
        mut mine := 1;
        bump := () -> { total += 1; mine += 1; };
        bump();
    });
}
`)).toEqual(['E0040@5']);
  });

  it('an unsafe lambda, and an ordinary lambda, may change what they capture', () => {
    expect(errors(`main() {
    mut n := 0;
    t := spawn(unsafe () -> { n += 1; });
    f := () -> { n += 1; };
    f();
}
`)).toEqual([]);
  });
});

describe('E0041: a concurrent lambda captures a pointer or a value holding one', () => {
  it('pointers, Options and classes of pointers, capturing lambdas, Guards and Regions', () => {
    expect(errors(`class Holder(p: *i64) {}
main() {
    x := 1i64;
    p := *x;
    o: Option<*i64> := Some(p);
    h := Holder { p: p };
    f := () -> x + 1;
    m := Mutex::new(1);
    g := m.lock();
    region r {
        t := spawn(() -> {
            println(*p);
            println(*p);
            if o.is_some() { println(*h.p); }
            println(f());
            println(g.value);
            r.alloc(1i64);
        });
    }
}
`)).toEqual(['E0041@12', 'E0041@14', 'E0041@14', 'E0041@15', 'E0041@16', 'E0041@17']);
  });

  it('numbers, Strings, Vecs and plain functions are copied; Sync values shared', () => {
    expect(errors(`square(x: i64) -> i64 { return x * x; }
main() {
    n := 3i64;
    s := String::from("s");
    v := Vec::filled(2, 1i64);
    sq := square;
    twice := (x: i64) -> x * 2;
    c := Atomic::new(0i64);
    t := spawn(() -> { c.fetch_add(sq(n) + twice(v[0]) + s.len()); });
    t.join();
}
`)).toEqual([]);
  });

  it('an unsafe lambda may capture pointers', () => {
    expect(errors(`main() {
    mut x := 1;
    p := *mut x;
    t := spawn(unsafe () -> { *p = 2; });
}
`)).toEqual([]);
  });
});

describe('E0043 and E0044', () => {
  it('static mut of a non-Sync type; Sync or immutable statics are fine', () => {
    expect(errors(`class Counters(a: Atomic<i64>) {}
static A: Atomic<i64> = Atomic::new(0);
static mut B: Atomic<i64> = Atomic::new(0);
static C: i64 = 1;
static mut D: i64 = 1;
static mut E: Vec<i32> = Vec::new();
main() { println(C); }
`)).toEqual(['E0043@5', 'E0043@6']);
  });

  it('a channel whose messages hold pointers, where created and where declared', () => {
    expect(errors(`class Msg(p: *i64) {}
class Box2(c: Channel<Msg>) {}
take(c: Channel<Option<*i64>>) {}
main() {
    a := Channel<*i64>::new(1);
    b := Channel<i64>::new(1);
    c := Channel<String>::new(1);
}
`)).toEqual(['E0044@2', 'E0044@3', 'E0044@5']);
  });
});

describe('E0023: capturing lambdas and threads', () => {
  it('a lambda that captures by reference may not be returned or outlive what it captures', () => {
    expect(errors(`make() -> fn() -> i32 {
    n := 1;
    return () -> n;
}
main() {
    mut f := () -> 0;
    {
        k := 2;
        f = () -> k;
    }
    m := 5;
    g := () -> m;
    println(g() + f());
}
`)).toEqual(['E0023@3', 'E0023@9']);
  });

  it('a concurrent lambda\'s copies live in the block that creates it, unless spawn takes it', () => {
    expect(errors(`main() {
    mut g: concurrent fn() -> i64 := () -> 0i64;
    {
        n := 5i64;
        g = () -> n;
    }
    mut ts := Vec<Thread<i64>>::new();
    for i in 0..4i64 { ts.push(spawn(() -> i * 2)); }
    println(g());
}
`)).toEqual(['E0023@5']);
  });

  it('a thread may not outlive the variables its lambda shares', () => {
    expect(errors(`main() {
    mut ts := Vec<Thread<void>>::new();
    for i in 0..2 {
        c := Atomic::new(0i64);
        ts.push(spawn(() -> { c.fetch_add(1); }));
    }
}
`)).toEqual(['E0023@5']);
  });
});
