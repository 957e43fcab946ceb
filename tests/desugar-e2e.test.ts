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
import type { Pass } from '../passes/pass.js';
import { parsePass } from '../passes/parse.js';
import { resolveNamesPass } from '../passes/resolve-names.js';
import { checkTypesPass } from '../passes/check-types.js';
import { desugarCompoundAssignPass } from '../passes/desugar-compound-assign.js';
import { desugarForPass } from '../passes/desugar-for.js';
import { desugarOptionSugarPass } from '../passes/desugar-option-sugar.js';
import { resolvePointersPass } from '../passes/resolve-pointers.js';
import { lowerMethodsPass } from '../passes/lower-methods.js';
import { lowerBuiltinsPass } from '../passes/lower-builtins.js';
import { CONFORMANCE } from './helpers.js';

const PASSES: Pass[] = [parsePass, resolveNamesPass, checkTypesPass, desugarCompoundAssignPass, desugarForPass,
  desugarOptionSugarPass, resolvePointersPass, lowerMethodsPass, lowerBuiltinsPass];

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
