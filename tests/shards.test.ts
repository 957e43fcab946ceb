// A compile split between two threads (tools/shards.ts) must write the C one thread
// writes, byte for byte, and report exactly its diagnostics (it runs alone when there are
// any). The worker runs the bundled compiler (dist/shard-worker.mjs, built by `npm test`).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline, type PipelineOptions } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { emitCPass, type CSource } from '../backends/c/emit-c.js';
import { splitUnits } from '../tools/shards.js';
import type { AnyNode } from '../ir/lang.js';
import { CONFORMANCE, ROOT, zetaFiles } from './helpers.js';
import '../backends/register.js';

const passes = [...PIPELINE, emitCPass];
const programs = [join(ROOT, 'examples'), join(ROOT, 'tests', 'spec'), join(ROOT, 'tests', 'regressions'), CONFORMANCE]
  .flatMap(zetaFiles);

function compile(text: string, opts: PipelineOptions) {
  const res = runPipeline({ path: 'prog.zeta', text }, { passes, ...opts });
  return {
    c: res.ir?.kind === 'CSource' ? Buffer.from((res.ir as CSource).code as Uint8Array | string) : null,
    diagnostics: res.diagnostics.map((d) => `${d.code} ${d.span.start}..${d.span.end} ${d.message}`),
    threads: res.threads,
  };
}

const alone = (text: string) => compile(text, { jobs: 1 });
const split = (text: string, share = 0.5) => compile(text, { jobs: 2, shardMinBytes: 0, shardShare: share });

/** A program of n functions, each calling the next; `extra` goes at the end. */
function chain(n: number, extra = ''): string {
  const fns = Array.from({ length: n }, (_, i) => `f${i}(x: i64) -> i64 { v := Vec::filled(2, x); ${i + 1 < n ? `f${i + 1}(v[1] + 1)` : 'v[0]'} }`);
  return `${fns.join('\n')}\nmain() { println(f0(1)); }\n${extra}`;
}

describe('a compile split between two threads', () => {
  it(`writes the same C and diagnostics as one thread on ${programs.length} programs, split at three points`, () => {
    expect(programs.length).toBeGreaterThan(400);
    let splitDone = 0;
    for (const path of programs) {
      const text = readFileSync(path, 'utf8');
      const one = alone(text);
      expect(one.threads).toBe(1);
      for (const share of [0.3, 0.5, 0.8]) {
        const two = split(text, share);
        expect(two.diagnostics, `${path} at ${share}`).toEqual(one.diagnostics);
        expect(two.c?.equals(one.c!) ?? one.c, `${path} at ${share}`).toBe(one.c === null ? null : true);
        // a clean compile is really split (its emitters' C names agreed); one with diagnostics runs alone
        expect(two.threads, `${path} at ${share}`).toBe(one.diagnostics.length === 0 ? 2 : 1);
        if (two.threads === 2) splitDone++;
      }
    }
    expect(splitDone).toBeGreaterThan(400);
  });

  it('splits the functions by size, and gives every static to the worker (it runs their initializers)', () => {
    const unit = (kind: string, bytes: number): AnyNode => ({ kind, span: { start: 0, end: bytes } }) as AnyNode;
    const units = [unit('FnDecl', 10), unit('StaticDecl', 5), unit('FnDecl', 10), unit('ClassDecl', 10), unit('FnDecl', 10)];
    expect([...splitUnits(units, 0.5)]).toEqual([1, 0, 1, 1, 0]); // (up to half of the 45 bytes, and the unit that passes it)
    expect([...splitUnits(units, 0)]).toEqual([0, 0, 0, 0, 0]);
    expect([...splitUnits(units, 1)]).toEqual([1, 0, 1, 1, 1]);
  });

  it('is the same with statics, closures and glue on both sides', () => {
    const text = chain(40, [
      'static COUNT: Atomic<i64> = Atomic::new(0);',
      'static NAMES: [i64; 3] = [1, 2, 3];',
      'class P(a: i64, b: Option<Box<P>>) {}',
      'late() -> i64 { k := 3; f := (x: i64) -> x + k; mut v: Vec<Option<Box<P>>> := Vec::new(); v.push(Some(Box::new(P { a: 1, b: None }))); f(NAMES[1]) + v.len() }',
    ].join('\n'));
    const one = alone(text);
    expect(one.diagnostics).toEqual([]);
    for (const share of [0.1, 0.5, 0.9]) {
      const two = split(text, share);
      expect(two.threads).toBe(2);
      expect(two.c!.equals(one.c!)).toBe(true);
    }
  });

  it('runs alone, with the same C, when the two halves name something differently', () => {
    // `a__b` and the method `a.b` both want the C name z_a__b: the first named gets it
    const text = `a__b() -> i64 { 1 }\n${chain(30)}\nclass a(x: i64) { b() -> i64 { x } }\nlast() -> i64 { a { x: 2 }.b() }\n`;
    const one = alone(text);
    expect(one.diagnostics).toEqual([]);
    const two = split(text, 0.3);
    expect(two.threads).toBe(1);
    expect(two.c!.equals(one.c!)).toBe(true);
  });

  it('runs alone when either half has an error, and reports exactly what one thread does', () => {
    for (const text of [chain(30, 'bad() -> i64 { true }'), `bad() -> i64 { true }\n${chain(30)}`, chain(30, 'bad() { x := 1; x = 2; }')]) {
      const one = alone(text);
      expect(one.diagnostics.length).toBeGreaterThan(0);
      for (const share of [0.2, 0.8]) expect(split(text, share)).toEqual(one);
    }
  });

  it('is not done for small programs, for one job, nor when the IR is looked at between passes', () => {
    const text = chain(20);
    expect(compile(text, { jobs: 2 }).threads).toBe(1); // (under SHARD_MIN_BYTES)
    expect(compile(text, { jobs: 1, shardMinBytes: 0 }).threads).toBe(1);
    expect(compile(text, { jobs: 2, shardMinBytes: 0, dumpAfter: ['check-types'] }).threads).toBe(1);
    expect(compile(text, { jobs: 2, shardMinBytes: 0, passes: PIPELINE }).threads).toBe(1);
  });
});
