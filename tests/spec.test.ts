// Runs our own conformance tests (tests/spec/<area>/, format of spec §12) through the CLI on
// both backends, as tests/conformance.test.ts does for the shared samples. These tests were
// written from the spec, section by section (core: §1–§4 and §10 built-ins; diag: §11;
// memory: §5; regions: §6; lambdas: §7; concurrency: §8; unsafe: §9), with outputs reasoned
// from the spec and the seed, not copied from the compiler.
import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runConformance } from './helpers.js';

const SPEC = join(ROOT, 'tests', 'spec');
const AREAS = readdirSync(SPEC).filter((d) => statSync(join(SPEC, d)).isDirectory()).sort();

describe('spec tests (tests/spec)', () => {
  it('has test folders', () => expect(AREAS.length).toBeGreaterThan(0));
  for (const dir of AREAS) {
    it(`passes every test in ${dir}/ on both backends`, () => {
      const r = runConformance([join(SPEC, dir)]);
      expect(r.failures, r.output).toEqual([]);
      expect(r.summary).toMatch(/^[1-9]\d* passed, 0 failed$/);
    }, 900_000);
  }
});
