// End to end from Zeta source through the lowering passes (desugar-compound-assign ..
// lower-builtins): every runnable conformance sample must reach valid Lcore, each pass's
// output must be valid in its own output language (the driver's --verify-each, which also
// deep-freezes every IR so a pass that mutates its input fails), and the lowered trees
// must have the expected shapes.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lcore } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { CONFORMANCE, ROOT, zeta, writeProgram } from './helpers.js';

// the pipeline's own passes through lower-builtins, without the checks (which only read)
const PASSES = PIPELINE.slice(0, PIPELINE.findIndex((p) => p.name === 'lower-builtins') + 1).filter((p) => p.from !== p.to);

/** Source to Lcore, verifying every pass's output; fails on any diagnostic. */
function toCore(text: string, path = 'test.zeta'): AnyNode {
  const r = runPipeline({ path, text }, { passes: PASSES, verifyEach: true });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(r.lastPass).toBe('lower-builtins');
  expect(validate(Lcore, r.ir!)).toEqual([]);
  return r.ir!;
}

function collect(root: AnyNode, kind: string): any[] {
  const out: AnyNode[] = [];
  forEachNode(Lcore, root, (x) => { if (x.kind === kind) out.push(x); });
  return out;
}

/** Conformance samples that must compile and run (no `//~ ERROR` annotations). */
function runnableSamples(): string[] {
  if (!existsSync(CONFORMANCE)) return [];
  const out: string[] = [];
  for (const dir of readdirSync(CONFORMANCE, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(CONFORMANCE, dir.name))) {
      if (!f.endsWith('.zeta')) continue;
      const file = join(CONFORMANCE, dir.name, f);
      if (!readFileSync(file, 'utf8').includes('//~ ERROR')) out.push(file);
    }
  }
  return out.sort();
}

describe('runnable conformance samples reach valid Lcore', () => {
  for (const file of runnableSamples()) {
    it(file.slice(CONFORMANCE.length + 1), () => {
      const core = toCore(readFileSync(file, 'utf8'), file);
      for (const kind of ['Path', 'MethodCall', 'Unsafe', 'Star', 'For', 'IfLet', 'WhileLet', 'Coalesce', 'CompoundAssign']) {
        expect(collect(core, kind)).toEqual([]);
      }
    });
  }
});

describe('lowered shapes from source', () => {
  it('lowers methods, statics and built-in receivers', () => {
    const core = toCore(`
class Counter(count: i64) {
    get() -> i64 { return count; }
    mut add(n: i64) { count += n; }
    static make() -> Counter { return Counter { count: 0 }; }
}
main() {
    mut c := Counter::make();
    c.add(2);
    p := *mut c;
    p.add(3);
    println(c.get());
    mut v := Vec<i64>::new();
    v.push(c.get());
    println(v.len());
}`) as any;
    const fnNames = core.items.filter((i: AnyNode) => i.kind === 'FnDecl').map((f: AnyNode) => f.name);
    expect(fnNames).toEqual(expect.arrayContaining(['Counter.get', 'Counter.add', 'Counter.make', 'main']));
    const calls = collect(core, 'Call').filter((c) => c.callee.kind === 'Name').map((c) => c.callee.name);
    expect(calls).toEqual(expect.arrayContaining(['Counter.make', 'Counter.add', 'Counter.get']));
    const ops = collect(core, 'Builtin').map((b) => b.op);
    expect(ops).toEqual(expect.arrayContaining(['vec.new', 'vec.push', 'vec.len', 'println']));
    const push = collect(core, 'Builtin').find((b) => b.op === 'vec.push');
    expect(push.args[0]).toMatchObject({ kind: 'AddrOf', mut: true });
    // `p.add(3)` passes the pointer p itself
    const viaP = collect(core, 'Call').find((c) => c.callee.name === 'Counter.add' && c.args[0].kind === 'Name');
    expect(viaP?.args[0]).toMatchObject({ name: 'p' });
  });

  it('desugars for, if let, while let, ?? and compound assignment', () => {
    const core = toCore(`
main() {
    mut total: i64 := 0;
    for i in 0..=9223372036854775807i64 { if i > 3 { break; } total += i; }
    mut v := Vec<i64>::new();
    v.push(4);
    while let Some(x) = v.pop() { total += x; }
    if let Some(y) = v.pop() { println(y); } else { println(total); }
    println(v.pop() ?? -1);
}`);
    expect(collect(core, 'Loop').length).toBe(2);
    expect(collect(core, 'OptIsSome').length).toBe(3);
    expect(collect(core, 'OptPayload').length).toBe(3);
  });
});

// Runs a program through the whole compiler (the built CLI), so the lowering is checked by
// what the program prints: evaluation counts, loop bounds, receivers and Option sugar.
describe.skipIf(!existsSync(join(ROOT, 'dist/cli.mjs')))('lowered programs run as the source says', () => {
  it('prints what the source means', () => {
    const file = writeProgram(`class Counter(count: i64) {
    get() -> i64 { return count; }
    mut add(n: i64) { count += n; }
    mut bump() -> i64 { add(1); return get(); }
    static make(n: i64) -> Counter { return Counter { count: n }; }
}


next_index() -> i64 { println("index evaluated"); return 1; }

main() {
    mut v := Vec<i64>::new();
    v.push(10); v.push(20); v.push(30);
    v[next_index()] += 5;
    println(v[1]);                        // 25
    mut n: u8 := 0;
    mut count := 0;
    for i in 250u8..=255u8 { count += 1; n = i; }
    println(count);                       // 6
    println(n);                           // 255
    mut s := 0;
    for i in 0..10 { if i % 2 == 0 { continue; } s += i; }
    println(s);                           // 25
    mut x: i64 := 1;
    x <<= 3u8;
    println(x);                           // 8
    mut c := Counter::make(5);
    c.add(2);
    println(c.bump());                    // 8
    p := *mut c;
    p.add(10);
    println(p.get());                     // 18
    mut d := Counter::make(41);           // (a \`mut\` method needs a mutable place: E0011 on a temporary)
    println(d.bump());                    // 42
    mut b := Box::new(Counter::make(1));
    b.add(1);
    println(b.get());                     // 2
    *b = Counter::make(7);
    println(b.count);                     // 7
    mut o: Option<i64> := Some(3);
    mut total: i64 := 0;
    while let Some(k) = o { total += k; if k == 0 { o = None; } else { o = Some(k - 1); } }
    println(total);                       // 6
    q := v.pop() ?? -1;
    println(q);                           // 30
    r := if let Some(z) = v.pop() { z * 2 } else { 0 };
    println(r);                           // 50
    arr := [1, 2, 3];
    println(arr.len());
    m := Mutex::new(Counter::make(0));
    g := m.lock();
    g.value.count += 4;
    g.add(1);
    println(g.get());                 // 5
    println(g.value.count);
    a := Atomic::new(0i64);
    a.fetch_add(5, Ordering::Relaxed);
    a.fetch_add(1);
    println(a.load());                    // 6
    t := String::from("12");
    println(t.parse_i64() ?? 0);          // 12
    println(String::from("x7").parse_i64().is_none());
    println("abc".len());
}
`);
    const r = zeta(['run', '--verify-each', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['index evaluated', '25', '6', '255', '25', '8', '8', '18', '42', '2', '7',
      '6', '30', '50', '3', '5', '5', '6', '12', 'true', '3']);
  }, 120_000);
});
