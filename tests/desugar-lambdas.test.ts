// desugar-lambdas: closure conversion (spec §7, §8). The output is valid Lnolambda with the
// expected functions, environment records and captures; converted programs print what the
// source means (through the built compiler); concurrent programs run clean under
// ThreadSanitizer, including the channel stress example with fewer messages.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lnolambda } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { showTy } from '../ir/types.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, ROOT, tempDir, writeProgram, zeta } from './helpers.js';

/** Source through desugar-lambdas, verified; fails on any diagnostic. */
function convert(text: string): AnyNode {
  const r = runPipeline({ path: 't.zeta', text }, { stopAfter: 'desugar-lambdas', verifyEach: true });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(r.lastPass).toBe('desugar-lambdas');
  expect(validate(Lnolambda, r.ir!)).toEqual([]);
  return r.ir!;
}

const items = (p: AnyNode) => p.items as AnyNode[];
const item = (p: AnyNode, name: string) => {
  const it = items(p).find((x) => x.name === name);
  expect(it, `item ${name}`).toBeDefined();
  return it!;
};
/** A class's fields as `name: type`. */
const fields = (c: AnyNode) => (c.fields as AnyNode[]).map((f) => `${f.name}: ${showTy(f.ty as never)}`);
function collect(root: AnyNode, kind: string): AnyNode[] {
  const out: AnyNode[] = [];
  forEachNode(Lnolambda, root, (x) => { if (x.kind === kind) out.push(x); });
  return out;
}

describe('desugar-lambdas: shapes', () => {
  it('a lambda that captures nothing is a plain function value', () => {
    const p = convert(`main() {
    double := (x: i32) -> x * 2;
    println(double(4));
}`);
    const f = item(p, 'main.lambda1');
    expect(f.kind).toBe('FnDecl');
    expect((f.params as AnyNode[]).map((x) => x.name)).toEqual(['x']);
    expect(collect(p, 'Closure')).toEqual([]);
    const init = collect(item(p, 'main'), 'Let')[0].init as AnyNode;
    expect(init).toMatchObject({ kind: 'Name', name: 'main.lambda1', ref: { k: 'fn', name: 'main.lambda1' } });
  });

  it('a capturing lambda gets a record of pointers, declared after its last captured variable and set where the lambda is', () => {
    const p = convert(`main() {
    mut total := 0;
    k := 2;
    other := 1;
    add := (n: i32) -> { total += n * k; };
    add(5);
}`);
    expect(fields(item(p, 'main.lambda1.env'))).toEqual(['total: *mut i32', 'k: *i32']);
    const f = item(p, 'main.lambda1');
    expect((f.params as AnyNode[]).map((x) => `${x.name}: ${showTy(x.ty as never)}`)).toEqual(['env: *main.lambda1.env', 'n: i32']);
    // `total` is reached as *env.total inside
    const derefs = collect(f, 'Deref').filter((d) => (d.ptr as AnyNode).kind === 'Field');
    expect(derefs.map((d) => (d.ptr as AnyNode).name)).toEqual(['total', 'total', 'k']);
    const stmts = (item(p, 'main').body as AnyNode).stmts as AnyNode[];
    expect(stmts.map((s) => s.kind === 'Let' ? s.name : s.kind)).toEqual(['total', 'k', 'main.lambda1.env', 'other', 'add', 'ExprStmt']);
    const record = stmts[2];
    expect(record).toMatchObject({ kind: 'Let', mut: true, init: { kind: 'Name', name: 'None' } });
    // at the lambda: the record is set (the pointers are taken there), then the Closure points to it
    const at = (stmts[4].init as AnyNode);
    expect(at.kind).toBe('Block');
    const set = (at.stmts as AnyNode[])[0];
    expect(set).toMatchObject({ kind: 'Assign', target: { kind: 'Name', name: 'main.lambda1.env' } });
    const made = ((set.value as AnyNode).args as AnyNode[])[0];
    expect(made).toMatchObject({ kind: 'StructLit', className: 'main.lambda1.env' });
    expect(((made.fields as AnyNode[])[0].value as AnyNode)).toMatchObject({ kind: 'AddrOf', mut: true, place: { kind: 'Name', name: 'total' } });
    const closure = collect(p, 'Closure')[0];
    expect(closure).toMatchObject({ fn: 'main.lambda1', env: { kind: 'AddrOf', place: { kind: 'OptPayload', value: { kind: 'Name', name: 'main.lambda1.env' } } } });
  });

  it('a lambda inside a lambda reaches outer captures through the outer environment', () => {
    const p = convert(`main() {
    mut base := 10;
    outer := (x: i32) -> {
        inner := (y: i32) -> { base += y; return x + base; };
        return inner(1);
    };
    println(outer(1));
}`);
    expect(fields(item(p, 'main.lambda1.env'))).toEqual(['base: *mut i32']);
    expect(fields(item(p, 'main.lambda2.env'))).toEqual(['base: *mut i32', 'x: *i32']);
    // the inner record is declared in the outer lambda's body, and built from the outer environment
    const outerBody = item(p, 'main.lambda1').body as AnyNode;
    const record = (outerBody.stmts as AnyNode[])[0];
    expect(record).toMatchObject({ kind: 'Let', name: 'main.lambda2.env' });
    const made = collect(item(p, 'main.lambda1'), 'StructLit').find((x) => x.className === 'main.lambda2.env')!;
    const baseInit = (made.fields as AnyNode[])[0].value as AnyNode;
    expect(baseInit).toMatchObject({ kind: 'AddrOf', place: { kind: 'Deref', ptr: { kind: 'Field', name: 'base' } } });
  });

  it('lambdas in methods are named after the method and capture `this`', () => {
    const p = convert(`class Acc(total: i64) {
    mut addAll(n: i64) { f := (k: i64) -> { total += k; }; f(n); }
}
main() {}`);
    expect(fields(item(p, 'Acc.addAll.lambda1.env'))).toEqual(['this: **mut Acc']);
  });

  it('a concurrent lambda copies non-Sync captures where it is created, and shares Sync ones', () => {
    const p = convert(`run(f: concurrent fn() -> i64) -> i64 { return f(); }
main() {
    c := Atomic::new(1i64);
    n := 2i64;
    s := String::from("ab");
    println(run(() -> c.load() + n + s.len()));
}`);
    expect(fields(item(p, 'main.lambda1.env'))).toEqual(['c: *Atomic<i64>', 'n: i64', 's: String']);
    const stmts = (item(p, 'main').body as AnyNode).stmts as AnyNode[];
    const env = stmts.find((s) => s.name === 'main.lambda1.env')!;
    expect(showTy(env.ty as never)).toBe('Option<main.lambda1.env>');
    expect(stmts.indexOf(env)).toBe(3); // just before the statement that creates the lambda
    const block = collect(item(p, 'main'), 'Block').find((b) => (b.tail as AnyNode | null)?.kind === 'Closure')!;
    expect((block.stmts as AnyNode[])[0]).toMatchObject({ kind: 'Assign', value: { kind: 'Call', callee: { name: 'Some' } } });
  });

  it('a lambda given to spawn gets its record on the heap, owned by the thread', () => {
    const p = convert(`main() {
    c := Atomic::new(0i64);
    n := 5i64;
    t := spawn(() -> { c.fetch_add(n); });
    u := spawn(unsafe () -> { c.fetch_add(n); });
    t.join();
}`);
    expect(fields(item(p, 'main.lambda1.env'))).toEqual(['c: *Atomic<i64>', 'n: i64']);
    expect(fields(item(p, 'main.lambda2.env'))).toEqual(['c: *Atomic<i64>', 'n: *i64']);
    const f = item(p, 'main.lambda1');
    expect(showTy((f.params as AnyNode[])[0].ty as never)).toBe('Box<main.lambda1.env>');
    const closures = collect(p, 'Closure');
    expect(closures.map((c) => (c.env as AnyNode).kind)).toEqual(['Call', 'Call']);
    expect((closures[0].env as AnyNode).callee).toMatchObject({ kind: 'Path', owner: 'Box', member: 'new' });
  });
});

// Running needs the bundled compiler (`node tools/build.mjs`) and a C compiler.
const built = existsSync(join(ROOT, 'dist/cli.mjs'));

describe.skipIf(!built)('converted programs run as the source says', () => {
  it('captures by reference, through nested lambdas, in methods, statics and loops', () => {
    const file = writeProgram(`static INC: fn(i32) -> i32 = (x: i32) -> x + 1;
class Acc(total: i64) {
    mut addAll(n: i64) { f := (k: i64) -> { total += k; }; for i in 0..n { f(i); } }
    scaled(m: i64) -> i64 { g := (x: i64) -> x * m + total; return g(2); }
}
apply(f: fn(i64) -> i64, v: i64) -> i64 { return f(v); }
runc(f: concurrent fn() -> i64) -> i64 { return f(); }
check(f: concurrent fn() -> bool) -> bool { return f(); }
main() {
    println(INC(41));
    mut a := Acc { total: 0 };
    a.addAll(5);
    println(a.total);
    println(a.scaled(3));
    mut base := 10i64;
    outer := (x: i64) -> {
        inner := (y: i64) -> { base += 1; return x + y + base; };
        return apply(inner, 1);
    };
    println(outer(100));
    println(base);
    mut n := 1i64;
    s := String::from("xyz");
    while check(() -> n < 4) { n += 1; }
    println(n);
    println(runc(() -> n * 100 + s.len()));
    n = 9;
    println(runc(() -> n) + runc(() -> n));
    mut fs := Vec<fn() -> i64>::new();
    for i in 0..3i64 { fs.push(() -> 7); }
    println(fs[0]() + fs[2]());
}`);
    const r = zeta(['run', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42\n10\n16\n112\n11\n4\n403\n18\n14\n');
  });

  it('threads get copies made at spawn time, joined results repeat, loop variables are per thread', () => {
    const file = writeProgram(`main() {
    mut ts := Vec<Thread<i64>>::new();
    for i in 0..4i64 {
        tag := String::from("t");
        ts.push(spawn(() -> { mut s := tag; s.append(i); return s.len() * 100 + i; }));
    }
    mut sum := 0i64;
    for i in 0..4 { sum += ts[i].join(); sum += ts[i].join(); }
    println(sum);
    mut x := 1i64;
    t := spawn(() -> x * 10);
    x = 2;
    println(t.join());
}`);
    const r = zeta(['run', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1612\n10\n');
  });
});

const tsanWorks = built && (() => {
  const probe = spawnSync('sh', ['-c', 'printf "int main(void){return 0;}" | cc -fsanitize=thread -x c - -o /dev/null'], { encoding: 'utf8' });
  return probe.status === 0;
})();

describe.skipIf(!tsanWorks)('ThreadSanitizer finds no data race', () => {
  const programs: [string, string, string[]][] = [
    ['60_atomic_counter', join(CONFORMANCE, 'concurrency/60_atomic_counter.zeta'), []],
    ['61_channel', join(CONFORMANCE, 'concurrency/61_channel.zeta'), []],
    ['62_mutex', join(CONFORMANCE, 'concurrency/62_mutex.zeta'), []],
    ['68_inferred_sync', join(CONFORMANCE, 'concurrency/68_inferred_sync.zeta'), []],
    ['channel_stress (20,000 messages)', join(ROOT, 'examples/channel_stress.zeta'), ['20000']],
  ];
  for (const [name, file, args] of programs) {
    it(name, () => {
      const exe = join(tempDir(), 'tsan');
      const c = zeta(['compile', file, '--sanitize=thread', '-o', exe]);
      expect(c.stderr).toBe('');
      for (let i = 0; i < 5; i++) {
        const r = spawnSync(exe, args, { encoding: 'utf8', env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=1' } });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
      }
    }, 60_000);
  }
  it('and it does find one in a racy unsafe lambda (the check can fail)', () => {
    const file = writeProgram(`main() {
    mut n := 0i64;
    {
        a := spawn(unsafe () -> { for i in 0..100000 { n += 1; } });
        b := spawn(unsafe () -> { for i in 0..100000 { n += 1; } });
    }
    println(n);
}`);
    const exe = join(tempDir(), 'race');
    expect(zeta(['compile', file, '--sanitize=thread', '-o', exe]).status).toBe(0);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expect(r.stderr).toContain('ThreadSanitizer: data race');
  }, 60_000);
});
