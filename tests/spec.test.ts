// Runs our own conformance tests (tests/spec/<area>/, format of spec §12) through the CLI on
// both backends, as tests/conformance.test.ts does for the shared samples. These tests were
// written from the spec, section by section (core: §1–§4 and §10 built-ins; diag: §11;
// memory: §5; regions: §6; lambdas: §7; concurrency: §8; unsafe: §9), with outputs reasoned
// from the spec and the seed, not copied from the compiler.
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CONFORMANCE, ROOT } from './helpers.js';

const SPEC = join(ROOT, 'tests', 'spec');
const AREAS = readdirSync(SPEC).filter((d) => statSync(join(SPEC, d)).isDirectory()).sort();

describe('spec tests (tests/spec)', () => {
  it('has test folders', () => expect(AREAS.length).toBeGreaterThan(0));
  for (const dir of AREAS) {
    it(`passes every test in ${dir}/ on both backends`, () => {
      const r = spawnSync(process.execPath, [join(CONFORMANCE, 'run.mjs'), '--backend', 'all', '--compiler',
        `${process.execPath} ${join(ROOT, 'bin/zeta-nano.mjs')}`, '--jobs', '2', join(SPEC, dir)],
      { cwd: ROOT, encoding: 'utf8', timeout: 900_000 });
      const summary = r.stdout.trim().split('\n').pop() ?? '';
      expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL')), r.stdout + r.stderr).toEqual([]);
      expect(summary).toMatch(/^[1-9]\d* passed, 0 failed$/);
    }, 900_000);
  }
});
