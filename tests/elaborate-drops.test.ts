// elaborate-drops (and the drops explicate-control schedules), end to end: Zeta programs
// whose output shows when each value is dropped, run with the reference interpreter and
// with the C backend under AddressSanitizer (leak detection on); the IR after the pass is
// valid, well typed, has no Delete, and an independent path exploration (tests/drop-paths.ts)
// finds no double drop, use after drop or leak, on these programs, the conformance
// programs, the examples and generated programs. Then the parts: Copy → Move and when it
// must not happen (pointers), drop flags.

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import { formatFnDef, lcfgTypeErrors, type FnDef, type Operand, type Stmt } from '../ir/cfg.js';
import { interpret } from '../ir/interpret.js';
import { runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { elaborateDropsPass } from '../passes/elaborate-drops.js';
import { compileC } from '../backends/c/toolchain.js';
import { emitC } from '../backends/c/emit-c.js';
// @ts-expect-error -- a plain .mjs script (the benchmark's program generator), without types
import { generateProgram as generateBenchProgram } from '../tools/gen-program.mjs';
import { generateProgram } from '../property-tests/gen/program-generator.js';
import { dropPathProblems } from './drop-paths.js';
import { CONFORMANCE, ROOT, tempDir } from './helpers.js';

type Module = Node<typeof Lcfg, 'Module'>;

/** Compiles through the whole pipeline; checks the result is valid Lcfg without Delete and with sound drops. */
function compile(text: string, path = 'test.zeta'): Module {
  const r = runPipeline({ path, text }, { verifyEach: true });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const m = r.ir as unknown as Module;
  expect(m).not.toBeNull();
  expect(validate(Lcfg, m as unknown as AnyNode)).toEqual([]);
  expect(lcfgTypeErrors(m)).toEqual([]);
  for (const f of m.fns) f.blocks.forEach((b, k) => expect(b.id).toBe(k));
  expect(dropPathProblems(m)).toEqual([]);
  return m;
}

const fnOf = (m: Module, name: string): FnDef => m.fns.find((f) => f.name === name)!;

/** Prints `drop NAME` when dropped; `get` reads the name through a pointer. */
const NOISY = `class N(name: str) : Drop {
  drop() { print("drop "); println(name); }
  get() -> str { return name; }
}
mk(s: str) -> N { return N { name: s }; }
`;

interface Case { name: string; src: string; out: string }
const CASES: Case[] = [
  {
    name: 'nested scopes drop in reverse order of declaration, inner scope first',
    src: `main() {
      a := N { name: "a" };
      if true {
        b := N { name: "b" };
        c := N { name: "c" };
        println("inner");
      }
      d := N { name: "d" };
      println("end");
    }`,
    out: 'inner\ndrop c\ndrop b\nend\ndrop d\ndrop a\n',
  },
  {
    name: 'loops: each iteration drops its values; break and continue drop what they leave',
    src: `main() {
      mut i := 0;
      while i < 4 {
        i += 1;
        n := N { name: "iter" };
        if i == 2 { continue; }
        if i == 3 { break; }
        m := N { name: "m" };
        println(i);
      }
      println("after");
    }`,
    out: '1\ndrop m\ndrop iter\ndrop iter\ndrop iter\nafter\n',
  },
  {
    name: 'an early return from nested loops drops every enclosing scope, innermost first',
    src: `find(target: i32) -> i32 {
      outer := N { name: "outer" };
      for i in 0..3 {
        a := N { name: "a" };
        for j in 0..3 {
          b := N { name: "b" };
          if i * 3 + j == target { return i * 10 + j; }
        }
      }
      return -1;
    }
    main() { println(find(4)); }`,
    out: 'drop b\ndrop b\ndrop b\ndrop a\ndrop b\ndrop b\ndrop a\ndrop outer\n11\n',
  },
  {
    name: 'the return inside ?? drops what exists; the value of a return is computed first',
    src: `lookup(b: bool) -> Option<N> { if b { return Some(N { name: "got" }); } return None; }
    use(b: bool) -> i32 {
      guard := N { name: "guard" };
      v := lookup(b) ?? return 0;
      println(v.get());
      return 1;
    }
    main() { println(use(true)); println(use(false)); }`,
    out: 'got\ndrop got\ndrop guard\n1\ndrop guard\n0\n',
  },
  {
    name: 'reassignment computes the new value, drops the old one, then stores (variables and fields)',
    src: `class Holder(n: N) {}
    main() {
      mut x := N { name: "one" };
      println("a");
      x = N { name: "two" };
      println("b");
      mut h := Holder { n: N { name: "f1" } };
      h.n = N { name: "f2" };
      println("c");
    }`,
    out: 'a\ndrop one\nb\ndrop f1\nc\ndrop f2\ndrop two\n',
  },
  {
    name: 'temporaries die at the end of their statement (receivers, discarded results, let initializers)',
    src: `main() {
      println(mk("t1").get());
      mk("t2");
      x := mk("t3").get();
      println(x);
    }`,
    out: 't1\ndrop t1\ndrop t2\ndrop t3\nt3\n',
  },
  {
    name: 'temporaries of a block\'s tail, an if arm or ?? are the statement\'s around them: dropped at its end, when made',
    src: `show(s: str) { print("show "); println(s); }
    main() {
      o: Option<str> := None;
      for i in 0..2 {
        show(if i == 0 { mk("then").get() } else { mk("else").get() });
      }
      show(o ?? mk("qq").get());
      show({ a := mk("a"); mk("tail").get() });
      println("end");
    }`,
    out: 'show then\ndrop then\nshow else\ndrop else\nshow qq\ndrop qq\ndrop a\nshow tail\ndrop tail\nend\n',
  },
  {
    name: 'a condition\'s temporaries die before the branch runs, each time it is tested',
    src: `some(s: str) -> Option<N> { return Some(N { name: s }); }
    main() {
      if some("cond").is_some() { println("then"); }
      mut k := 0;
      while some("loop").is_some() && k < 2 { k += 1; println("body"); }
    }`,
    out: 'drop cond\nthen\ndrop loop\nbody\ndrop loop\nbody\ndrop loop\n',
  },
  {
    name: 'parameters belong to the callee; a variable at its last use is moved, not copied',
    src: `consume(n: N) { println("in consume"); }
    pass(n: N) -> N { return n; }
    main() {
      a := N { name: "a" };
      consume(a);
      println("after");
      b := pass(N { name: "p" });
      println("got");
    }`,
    out: 'in consume\ndrop a\nafter\ngot\ndrop p\n',
  },
  {
    name: 'delete drops now; the scope-end drop runs only where nothing deleted it (drop flags)',
    src: `run(flag: bool) {
      h := N { name: "h" };
      if flag { unsafe { delete h; } println("deleted"); }
      println("leaving");
    }
    main() {
      run(true);
      run(false);
      mut r := N { name: "r1" };
      for i in 0..3 {
        if i == 1 { unsafe { delete r; } r = N { name: "r2" }; }
      }
      println("end");
    }`,
    out: 'drop h\ndeleted\nleaving\nleaving\ndrop h\ndrop r1\nend\ndrop r2\n',
  },
  {
    name: 'a move on one path only: the scope end drops on the other (a flag)',
    src: `take(n: N) { println("taken"); }
    f(b: bool) {
      x := N { name: "x" };
      if b { take(x); } else { println("kept"); }
      println("end of f");
    }
    main() { f(true); f(false); }`,
    out: 'taken\ndrop x\nend of f\nkept\nend of f\ndrop x\n',
  },
  {
    name: 'a class runs its drop(), then drops its fields in declaration order',
    src: `class Outer(first: N, second: N) : Drop { drop() { println("outer"); } }
    class Pair(a: N, b: N) {}
    main() {
      o := Outer { first: N { name: "f" }, second: N { name: "s" } };
      p := Pair { a: N { name: "pa" }, b: N { name: "pb" } };
      println("made");
    }`,
    out: 'made\ndrop pa\ndrop pb\nouter\ndrop f\ndrop s\n',
  },
  {
    name: 'Vec elements and popped Options are dropped',
    src: `main() {
      mut v := Vec<N>::new();
      v.push(N { name: "v0" });
      v.push(N { name: "v1" });
      p := v.pop();
      println("popped");
      mut words := Vec<String>::new();
      for i in 0..3 { mut w := String::from("w"); w.append(i); words.push(w); }
      println(words[2]);
    }`,
    out: 'popped\nw2\ndrop v1\ndrop v0\n',
  },
  {
    name: 'Option<Box<T>> lists: building moves the old head in; dropping the head drops the chain',
    src: `class Node(name: str, next: Option<Box<Node>>) : Drop { drop() { print("drop "); println(name); } }
    main() {
      mut head: Option<Box<Node>> := None;
      head = Some(Box::new(Node { name: "a", next: head }));
      head = Some(Box::new(Node { name: "b", next: head }));
      println("built");
      if let Some(n) = head { println(n.name); }
      println("end");
    }`,
    out: 'built\nb\ndrop b\ndrop a\nend\n',
  },
  {
    name: 'if let on a temporary moves its payload out; the temporary is not dropped again',
    src: `find(ok: bool) -> Option<N> { if ok { return Some(N { name: "found" }); } return None; }
    main() {
      if let Some(n) = find(true) { println(n.get()); }
      if let Some(n) = find(false) { println(n.get()); } else { println("none"); }
      println(find(true).is_some());
      mut count := 0;
      mut v := Vec<N>::new();
      v.push(mk("e1")); v.push(mk("e2"));
      while let Some(e) = v.pop() { count += 1; }
      println(count);
    }`,
    out: 'found\ndrop found\nnone\ntrue\ndrop found\ndrop e2\ndrop e1\n2\n',
  },
  {
    name: 'a block\'s value outlives the block\'s drops; regions free after their values are dropped',
    src: `main() {
      x := { a := N { name: "inner" }; mk("value") };
      println("after block");
      region r(4096) {
        n := N { name: "in region" };
        p := r.alloc(7) ?? panic("full");
        println(*p);
      }
      println(x.get());
    }`,
    out: 'drop inner\nafter block\n7\ndrop in region\nvalue\ndrop value\n',
  },
];

describe('elaborate-drops: drop order, on the reference interpreter', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const m = compile(NOISY + c.src);
      expect(interpret(m, { maxBlocks: 1_000_000 }).stdout).toBe(c.out);
    });
  }
});

const hasCC = (() => { try { return existsSync('/usr/bin/cc') || !!process.env.CC; } catch { return false; } })();

function runExe(exe: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(exe, [], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'halt_on_error=1' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

describe.skipIf(!hasCC)('elaborate-drops: the same programs with the C backend, ASan + UBSan, leaks detected', () => {
  it('prints the same, frees everything, touches no freed memory', async () => {
    const dir = tempDir('zeta-drops-');
    // one program holding every case keeps the C builds few
    const renamed = CASES.map((c, i) => {
      // each case's functions and classes get a suffix, so the cases can live in one file
      const names = [...c.src.matchAll(/^\s*([a-z]\w*)\([^()]*\)\s*(?:->[^{]+)?\{/gm)].map((x) => x[1]).filter((n) => n !== 'drop');
      const classes = [...c.src.matchAll(/class (\w+)/g)].map((x) => x[1]);
      let s = c.src;
      for (const n of names) s = s.replace(new RegExp(`\\b${n}(?=\\()`, 'g'), `${n}${i}`);
      for (const n of classes) s = s.replace(new RegExp(`\\b${n}\\b`, 'g'), `${n}${i}`);
      return s;
    });
    const main = `main() {\n${CASES.map((_, i) => `  main${i}();\n  println("--");`).join('\n')}\n}\n`;
    const m = compile(NOISY + renamed.join('\n') + '\n' + main);
    const exe = join(dir, 'drops');
    await compileC(emitC(m as Parameters<typeof emitC>[0]), exe, { optLevel: 0, sanitize: ['address', 'undefined'], runtimeDir: join(ROOT, 'runtime-c') });
    const r = await runExe(exe);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(CASES.map((c) => c.out + '--\n').join(''));
  }, 300_000);
});

// ---------------------------------------------------------------- the independent check, on many programs

function runnableConformance(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  if (!existsSync(CONFORMANCE)) return out;
  for (const dir of readdirSync(CONFORMANCE)) {
    const d = join(CONFORMANCE, dir);
    if (!statSync(d).isDirectory()) continue;
    for (const f of readdirSync(d).filter((x) => x.endsWith('.zeta'))) {
      const text = readFileSync(join(d, f), 'utf8');
      if (!text.includes('//~ ERROR')) out.push({ path: join(d, f), text });
    }
  }
  return out;
}

describe('elaborate-drops: every needs-drop local is dropped exactly once and never used after, on every path', () => {
  it('conformance programs and examples', () => {
    const progs = runnableConformance();
    const ex = join(ROOT, 'examples');
    for (const f of readdirSync(ex).filter((x) => x.endsWith('.zeta'))) progs.push({ path: join(ex, f), text: readFileSync(join(ex, f), 'utf8') });
    expect(progs.length).toBeGreaterThan(10);
    for (const p of progs) {
      const r = runPipeline(p, { verifyEach: true });
      expect(r.diagnostics.map((d) => `${p.path}: ${d.code} ${d.message}`)).toEqual([]);
      expect(dropPathProblems(r.ir as unknown as Module).map((x) => `${p.path}: ${x}`)).toEqual([]);
    }
  });

  it('generated programs', () => {
    const m = compile(generateBenchProgram(600), 'bench.zeta');
    expect(m.fns.length).toBeGreaterThan(5);
    for (let seed = 1; seed <= 60; seed++) {
      const src = generateProgram(seed).source;
      const r = runPipeline({ path: `gen${seed}.zeta`, text: src }, { verifyEach: true });
      expect(r.diagnostics.map((d) => `seed ${seed}: ${d.code} ${d.message}`)).toEqual([]);
      expect(dropPathProblems(r.ir as unknown as Module).map((x) => `seed ${seed}: ${x}`)).toEqual([]);
    }
  });

  it('the check itself catches a missing drop, a double drop and a use after drop', () => {
    const good = compile(NOISY + 'main() { a := mk("a"); b := mk("b"); println(b.get()); }');
    const main = fnOf(good, 'main');
    const drops = main.blocks.flatMap((b) => b.stmts.map((s, i) => ({ b: b.id, i, s }))).filter((x) => x.s.kind === 'Drop');
    expect(drops.length).toBe(2);
    const edit = (f: (stmts: Stmt[], at: number) => void): Module => {
      const d = drops[0];
      const blocks = main.blocks.map((b) => (b.id === d.b ? { ...b, stmts: (() => { const s = b.stmts.slice(); f(s, d.i); return s; })() } : b));
      return { ...good, fns: good.fns.map((x) => (x === main ? { ...main, blocks } : x)) };
    };
    expect(dropPathProblems(edit((s, at) => s.splice(at, 1))).join()).toMatch(/still owned at return/);
    expect(dropPathProblems(edit((s, at) => s.splice(at, 0, s[at]))).join()).toMatch(/drop of nothing/);
    // drop b before `b.get()` takes its address
    expect(dropPathProblems(edit((s, at) => s.splice(s.findIndex((x) => x.kind === 'Assign' && x.value.kind === 'Ref'), 0, s[at]))).join())
      .toMatch(/use of a dropped/);
  });
});

// ---------------------------------------------------------------- Copy → Move

/** The operand stored into the user local `name` of `fn` (the first such store). */
function storedInto(m: Module, fn: string, name: string): Operand {
  const f = fnOf(m, fn);
  const id = f.locals.find((l) => l.name === name)!.id;
  for (const b of f.blocks) for (const s of b.stmts) {
    if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && s.place.id === id && s.value.kind === 'Use') return s.value.op;
  }
  throw new Error(`no store into ${name}`);
}

describe('elaborate-drops: copies at last use become moves, only when nothing can tell', () => {
  it('moves a variable at its last use; copies one used again, or used again by a later loop iteration', () => {
    const m = compile(`main() {
      a := String::from("a");
      b := a;
      println(b);
      c := String::from("c");
      d := c;
      println(c);
      mut i := 0;
      e := String::from("e");
      while i < 2 { f := e; println(f); i += 1; }
    }`);
    expect(storedInto(m, 'main', 'b').kind).toBe('Move');
    expect(storedInto(m, 'main', 'd').kind).toBe('Copy');
    expect(storedInto(m, 'main', 'f').kind).toBe('Copy');
    expect(interpret(m).stdout).toBe('a\nc\ne\ne\n');
  });

  it('does not move a variable while a pointer into it may still be used', () => {
    const m = compile(`main() {
      a := String::from("a");
      p := *a;
      b := a;
      println(*p);
      c := String::from("c");
      q := *c;
      println(*q);
      d := c;
      println(d);
    }`);
    expect(storedInto(m, 'main', 'b').kind).toBe('Copy');
    // q is dead when d is made: moving is fine
    expect(storedInto(m, 'main', 'd').kind).toBe('Move');
    expect(interpret(m).stdout).toBe('a\nc\nc\n');
  });

  it('does not move a variable once a pointer into it was stored where locals cannot see it', () => {
    const m = compile(`main() {
      a := String::from("a");
      mut ptrs := Vec<*String>::new();
      ptrs.push(*a);
      b := a;
      println(b);
      println(*ptrs[0]);
    }`);
    expect(storedInto(m, 'main', 'b').kind).toBe('Copy');
  });

  it('moves the payload out of an Option temporary (if let, ??) and moves into struct fields and returns', () => {
    const m = compile(`class Box2(items: Vec<i32>) {}
    make() -> Option<Vec<i32>> { return Some(Vec::filled(2, 1)); }
    wrap(v: Vec<i32>) -> Box2 { return Box2 { items: v }; }
    main() {
      if let Some(v) = make() { println(v.len()); }
      w := make() ?? Vec<i32>::new();
      b := wrap(w);
      println(b.items.len());
    }`);
    const text = m.fns.map(formatFnDef).join('\n');
    expect(text).not.toMatch(/copy _t\d+\.some/);
    expect(formatFnDef(fnOf(m, 'wrap'))).toMatch(/Box2 \{move v\}/);
    expect(interpret(m).stdout).toBe('2\n2\n');
  });
});

// ---------------------------------------------------------------- flags and shapes

describe('elaborate-drops: the drops it leaves', () => {
  it('guards a drop with a flag only where the value may or may not be there', () => {
    const m = compile(NOISY + `f(b: bool) {
      x := mk("x");
      if b { unsafe { delete x; } }
      y := mk("y");
      println(y.get());
    }
    main() { f(true); }`);
    const f = fnOf(m, 'f');
    const flags = f.locals.filter((l) => l.name.endsWith('_dropflag'));
    expect(flags.map((l) => l.name)).toEqual(['x_dropflag']);
    // y is always there at its drop: no flag, an unconditional drop
    const text = formatFnDef(f);
    expect(text).toMatch(/drop y\n/);
    expect(text).toMatch(/branch copy x_dropflag/);
    expect(f.blocks.some((b) => b.stmts.some((s) => s.kind === 'Delete'))).toBe(false);
  });

  it('removes the drops of values that were moved, and those that need none', () => {
    const m = compile(`main() { a := String::from("a"); b := a; n := 5; println(b); }`);
    const text = formatFnDef(fnOf(m, 'main'));
    expect(text.match(/drop /g)?.length).toBe(1);
    expect(text).toMatch(/drop b/);
  });

  it('is the identity on functions without values that need drop', () => {
    const r = runPipeline({ path: 't.zeta', text: 'main() { x := 1; println(x + 2); }' }, { stopAfter: 'check-loans' });
    const before = r.ir as unknown as Module;
    let next = 1 << 30;
    const after = elaborateDropsPass.run(before as unknown as AnyNode, { src: { path: 't', text: '' }, diag: null as never, freshId: () => next++ });
    expect(after).toBe(before);
    expect(PIPELINE.map((p) => p.name)).toContain('elaborate-drops');
  });
});
