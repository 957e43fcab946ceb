// Function passes run as sweeps (tools/driver.ts, passes/pass.ts FunctionPass): every
// function goes through the back half's passes before the next starts. A sweep must give
// exactly what running each pass over the whole module gives, diagnostics included.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline, InternalCompilerError } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { defineCfgFunctionPass, isFunctionPass, unitsChain, type Pass } from '../passes/pass.js';
import { printIR } from '../ir/print.js';
import { Lcfg } from '../ir/languages.js';
import { CONFORMANCE, ROOT, zetaFiles } from './helpers.js';
import { cText, emitCPass, type CSource } from '../backends/c/emit-c.js';

const programs = [join(ROOT, 'examples'), join(ROOT, 'tests', 'spec'), join(ROOT, 'tests', 'regressions'), CONFORMANCE]
  .flatMap(zetaFiles);

function compile(path: string, opts: Parameters<typeof runPipeline>[1]) {
  const src = { path, text: readFileSync(path, 'utf8') };
  const res = runPipeline(src, opts);
  return {
    ir: res.ir ? printIR(Lcfg, res.ir) : null,
    diagnostics: res.diagnostics.map((d) => `${d.code} ${d.span.start}..${d.span.end} ${d.message}`),
    timings: res.timings.map((t) => t.pass),
  };
}

describe('sweeps of function passes', () => {
  it('every pass after parse is a function pass, all in one sweep', () => {
    expect(PIPELINE.filter((p) => !isFunctionPass(p)).map((p) => p.name)).toEqual(['parse']);
    const sweeps: string[][] = [];
    PIPELINE.filter(isFunctionPass).forEach((p, i, all) => {
      if (i === 0 || !unitsChain(all[i - 1], p)) sweeps.push([]);
      sweeps[sweeps.length - 1].push(p.name);
    });
    expect(sweeps.map((s) => [s[0], s[s.length - 1]])).toEqual([
      ['parse-bodies', 'check-drop-copies'],
    ]);
  });

  it(`give the same IR and diagnostics as whole-module passes on ${programs.length} programs`, () => {
    expect(programs.length).toBeGreaterThan(200);
    let withLoanErrors = 0;
    for (const path of programs) {
      const sweep = compile(path, { verifyEach: true });
      const whole = compile(path, { verifyEach: true, wholeModule: true });
      expect(sweep, path).toEqual(whole);
      if (sweep.diagnostics.some((d) => d.startsWith('E0024'))) withLoanErrors++;
    }
    // check-loans asks for the whole module (ctx.wholeModule) in these
    expect(withLoanErrors).toBeGreaterThan(3);
  });

  it('keep each pass\'s diagnostics together, in pipeline order', () => {
    // function by function this would come out E0024 (first), E0020 (second)
    const text = [
      'first() {',
      '    mut v := Vec::filled(3, 1);',
      '    p := *v[0];',
      '    v.pop();',
      '    println(*p);',
      '}',
      'main() {',
      '    first();',
      '    b := Box::new(1);',
      '    unsafe { delete b; }',
      '    println(*b);',
      '}',
    ].join('\n');
    const res = runPipeline({ path: 't.zeta', text }, {});
    expect(res.diagnostics.map((d) => d.code)).toEqual(['E0020', 'E0024']);
  });

  it('name the pass that failed inside a sweep, and the invalid node with --verify-each', () => {
    const broken = (name: string, breakIt: 'throw' | 'invalid'): Pass => defineCfgFunctionPass({
      name, description: 'a deliberately broken pass for this test',
      prepare: () => null,
      runFunction(fn) {
        if (fn.name !== 'main') return fn;
        if (breakIt === 'throw') throw new Error('boom');
        return { ...fn, blocks: [{ ...fn.blocks[0], term: { kind: 'Goto', span: fn.span, target: 'nowhere' } }] } as unknown as typeof fn;
      },
    });
    const src = { path: 't.zeta', text: 'helper() -> i32 { return 1; }\nmain() { println(helper()); }\n' };
    const upTo = PIPELINE.findIndex((p) => p.name === 'check-deletes') + 1;
    const pipeline = (p: Pass) => [...PIPELINE.slice(0, upTo), p, ...PIPELINE.slice(upTo)];
    expect(() => runPipeline(src, { passes: pipeline(broken('throws', 'throw')) }))
      .toThrow(expect.objectContaining({ pass: 'throws', message: expect.stringMatching(/boom/) }));
    try {
      runPipeline(src, { passes: pipeline(broken('breaks-ir', 'invalid')), verifyEach: true });
      expect.unreachable('an invalid function must be caught');
    } catch (e) {
      expect(e).toBeInstanceOf(InternalCompilerError);
      expect((e as InternalCompilerError).pass).toBe('breaks-ir');
      expect((e as Error).message).toMatch(/Goto\.target should be number, got "nowhere" at FnDef\.blocks\[0\]\.term\.target \(Goto at bytes \d+\.\.\d+\)$/);
    }
  });

  it('skip a function for a pass whose appliesTo says it has nothing to do there, and catch a false promise with --verify-each', () => {
    const seen: string[] = [];
    // claims to act only on functions with a `delete`, but counts every function it sees
    const claims = defineCfgFunctionPass({
      name: 'claims', description: 'a pass whose appliesTo is checked by this test',
      prepare: () => null,
      appliesTo: (c) => c.hasKind('Delete'),
      runFunction(fn) { seen.push(fn.name); return fn; },
    });
    const src = { path: 't.zeta', text: 'helper() -> i32 { return 1; }\nmain() { x := Box::new(helper()); unsafe { delete x; } }\n' };
    // last: no later pass asks for the whole module (check-loans does, which runs the ones before it whole)
    const passes = [...PIPELINE, claims];
    expect(runPipeline(src, { passes }).diagnostics).toEqual([]);
    expect(seen).toEqual(['main']); // helper has no delete: skipped
    // with --verify-each a skipped function still goes through the pass, which must leave it alone
    seen.length = 0;
    runPipeline(src, { passes, verifyEach: true });
    expect(seen).toEqual(['helper', 'main']);
    const liar = defineCfgFunctionPass({
      name: 'liar', description: 'changes functions it says it would not touch',
      prepare: () => null,
      appliesTo: () => false,
      runFunction: (fn) => ({ ...fn }),
    });
    const lying = [...PIPELINE, liar];
    expect(runPipeline(src, { passes: lying }).diagnostics).toEqual([]); // (not checked without verification)
    expect(() => runPipeline(src, { passes: lying, verifyEach: true }))
      .toThrow(expect.objectContaining({ pass: 'liar', message: expect.stringMatching(/appliesTo said the pass does nothing to FnDef .*, but it changed it/) }));
  });

  it('run no code generator once a check has reported an error, in a sweep or not', () => {
    // check-drop-copies rejects the copies of a Guard, which the C emitter cannot write
    const path = join(ROOT, 'tests', 'spec', 'concurrency', '29_guard_copy.zeta');
    const passes = [...PIPELINE, emitCPass];
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path, text: readFileSync(path, 'utf8') }, { passes, wholeModule, verifyEach: true });
      expect(res.ir).toBeNull();
      expect(res.diagnostics.map((d) => d.code)).toEqual(['E0050', 'E0050']);
    }
    expect(emitCPass.generatesCode).toBe(true);
  });

  it('end where check-types stops the pipeline, as if the passes after it had not run', () => {
    // f's use after delete (check-deletes, after check-types in the sweep) is found before
    // the error in S's type: it must not be reported, since the pipeline stops at check-types
    const text = [
      'f() {', '    b := Box::new(1);', '    unsafe { delete b; }', '    println(*b);', '}',
      'static S: Nope = 1;',
      'main() { f(); }',
    ].join('\n');
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path: 't.zeta', text }, { wholeModule, verifyEach: true });
      expect(res.diagnostics.map((d) => d.code)).toEqual(['E0002']);
      expect(res.lastPass).toBe('check-types');
      expect(res.ir).toBeNull();
    }
  });

  it('leave out a function with an unknown type in its signature, and the bodies that name it, wherever they are', () => {
    const text = [
      'user() -> i64 { x := 1; return g(*x).len(); }',
      'g(p: *Nope) -> Vec<Nope> { loop {} }',
      'f() {', '    b := Box::new(1);', '    unsafe { delete b; }', '    println(*b);', '}',
      'h() -> *i64 { n: i64 := 4; return *n; }',
      'main() { f(); q := g; println(*h()); }',
    ].join('\n');
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path: 't.zeta', text }, { wholeModule, verifyEach: true });
      // (in pipeline order: check-escapes' E0023 before check-deletes' E0020; the parameter's
      // unknown type is reported at the parameter, the result's at the declaration)
      expect(res.diagnostics.map((d) => `${d.code}@${d.span.start}`)).toEqual(
        [`E0002@${text.indexOf('p: *Nope')}`, `E0002@${text.indexOf('g(p')}`, `E0023@${text.indexOf('return *n')}`, `E0020@${text.indexOf('*b)')}`]);
      expect(res.ir).toBeNull();
    }
  });

  it('end where a syntax error in a body stops the pipeline (parse-bodies), reporting only syntax errors', () => {
    const text = [
      'f() {', '    b := Box::new(1);', '    unsafe { delete b; }', '    println(*b);', '}',
      'g() -> i32 { return 1 +; }',
      'h() -> i32 { return (1 2); }',
      'main() { f(); println(g()); }',
    ].join('\n');
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path: 't.zeta', text }, { wholeModule, verifyEach: true });
      expect(res.diagnostics.map((d) => d.code)).toEqual(['E0001', 'E0001']);
      expect(res.lastPass).toBe('parse-bodies');
    }
  });

  it('end where a pass would stop the pipeline when a later pass asks for the whole module first', () => {
    // check-loans asks for the whole module (ctx.wholeModule) at Stack.top, before main's
    // syntax error is reached: parse-bodies stops there, so check-loans must not go on
    const path = join(ROOT, 'tests', 'spec', 'memory', '35_modified_through_calls.zeta');
    const text = readFileSync(path, 'utf8').replace('Stack { items: Vec', 'Stack { : Vec');
    expect(text).not.toEqual(readFileSync(path, 'utf8'));
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path, text }, { wholeModule, verifyEach: true });
      expect(res.diagnostics.map((d) => d.code)).toEqual(['E0001']);
    }
  });

  it('go on past errors that leave a well-typed tree (E0005 on a variable), so later checks still report', () => {
    const text = [
      'f() {', '    b := Box::new(1);', '    unsafe { delete b; }', '    println(*b);', '}',
      'main() { x := 1; x = 2; f(); println(x); }',
    ].join('\n');
    const codes = (wholeModule: boolean) => runPipeline({ path: 't.zeta', text }, { wholeModule }).diagnostics.map((d) => d.code);
    expect(codes(false)).toEqual(['E0005', 'E0020']);
    expect(codes(true)).toEqual(codes(false));
  });

  it('leave a body with a type error out of the later passes, which go on with the others (both ways alike)', () => {
    const text = [
      'f() {', '    b := Box::new(1);', '    unsafe { delete b; }', '    println(*b);', '}',
      'g() -> i32 { return true; }',
      'h() {', '    c := Box::new(2);', '    unsafe { delete c; }', '    unsafe { delete c; }', '}',
      'main() { f(); println(g()); h(); }',
    ].join('\n');
    for (const wholeModule of [false, true]) {
      const res = runPipeline({ path: 't.zeta', text }, { wholeModule, verifyEach: true });
      expect(res.diagnostics.map((d) => d.code)).toEqual(['E0003', 'E0020', 'E0021']);
      expect(res.lastPass).toBe('check-drop-copies'); // (every check ran; no code is generated)
      expect(res.ir).toBeNull();
    }
  });

  it('declare closure environments to the passes after the bridge before the bodies that use them', () => {
    // the environments hold a String and a class that needs drop: the C frees them
    const text = [
      'class Named(name: String, n: i64) {}',
      'apply(f: fn(i64) -> i64, x: i64) -> i64 { return f(x); }',
      'main() {',
      '    s := String::from("abc");',
      '    k := Named { name: String::from("k"), n: 3 };',
      '    g := (x: i64) -> x + s.len() + k.n;',
      '    println(apply(g, 1));',
      '}',
    ].join('\n');
    const c = (wholeModule: boolean) => {
      const res = runPipeline({ path: 't.zeta', text }, { passes: [...PIPELINE, emitCPass], wholeModule, verifyEach: true });
      expect(res.diagnostics).toEqual([]);
      return cText(res.ir as CSource);
    };
    const sweep = c(false);
    expect(sweep).toEqual(c(true));
    expect(sweep).toMatch(/main_lambda\d*_env|main\.lambda/);
  });

  it('stop where the researcher wants to see the whole module (--dump-after inside the sweep)', () => {
    const path = join(ROOT, 'examples', 'bank.zeta');
    const res = runPipeline({ path, text: readFileSync(path, 'utf8') }, { dumpAfter: ['check-deletes'] });
    expect(res.dumps.map((d) => d.pass)).toEqual(['check-deletes']);
    expect(res.dumps[0].text).toMatch(/^\(Module/);
    expect(compile(path, { dumpAfter: ['check-deletes'] }).ir).toEqual(compile(path, {}).ir);
  });
});
