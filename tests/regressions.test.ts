// Regression tests (tests/regressions/, in the conformance format of spec §12): programs
// that once showed a bug, most of them found by the fuzzer (tools/fuzz.mjs). Each runs
// through the shared conformance runner on both backends, as CI runs the samples; the
// runnable ones also run in the reference interpreter (ir/interpret.ts), which the fuzzer
// and the differential tests take as the third opinion, so its bugs are regressions too.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE, ROOT, annotations, runConformance } from './helpers.js';
import { runPipeline } from '../tools/driver.js';
import { interpret } from '../ir/interpret.js';
import type { Lcfg, Node } from '../ir/languages.js';

const DIR = join(ROOT, 'tests', 'regressions');
const RUNNER = join(CONFORMANCE, 'run.mjs');
const tests = readdirSync(DIR).filter((f) => f.endsWith('.zeta')).sort();

describe.skipIf(!existsSync(RUNNER))('regression tests (tests/regressions) through the conformance runner', () => {
  it(`passes every one of the ${tests.length} tests on both backends`, () => {
    const r = runConformance([DIR], 600_000);
    expect(r.failures, r.output).toEqual([]);
    expect(r.summary).toBe(`${tests.length * 2} passed, 0 failed`);
  }, 600_000);
});

describe('regression tests (tests/regressions) in the reference interpreter', () => {
  const runnable = tests.filter((f) => annotations(readFileSync(join(DIR, f), 'utf8')).length === 0);
  it('has runnable tests', () => expect(runnable.length).toBeGreaterThan(0));
  for (const file of runnable) {
    it(`${file}: prints its .stdout and exits with its status`, () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      const stdoutFile = join(DIR, file.replace(/\.zeta$/, '.stdout'));
      const want = existsSync(stdoutFile) ? readFileSync(stdoutFile, 'utf8') : '';
      const exit = Number(/^\s*\/\/\s*exit:\s*(\d+)/m.exec(text)?.[1] ?? 0);
      const args = /^\s*\/\/\s*args:(.*)$/m.exec(text)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
      const r = runPipeline({ path: file, text });
      expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
      const run = interpret(r.ir as Node<typeof Lcfg, 'Module'>, { args, maxBlocks: 5_000_000 });
      expect(run.stdout).toBe(want);
      expect(run.status).toBe(exit);
    });
  }
});
