// Runs the shared conformance samples (spec §12) through the CLI, as CI does.
// CLAIMED lists the folders whose every test this version passes; a folder joins the
// list when its issue lands. The held-out suite has more tests of the same kinds.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE, runConformance } from './helpers.js';

const CLAIMED = ['core', 'diag', 'memory', 'regions', 'unsafe', 'lambdas', 'concurrency'];

describe.skipIf(!existsSync(CONFORMANCE))('conformance samples (../shared/conformance)', () => {
  for (const dir of CLAIMED) {
    it(`passes every test in ${dir}/ on both backends`, () => {
      const r = runConformance([join(CONFORMANCE, dir)], 600_000);
      expect(r.failures, r.output).toEqual([]);
      expect(r.summary).toMatch(/^\d+ passed, 0 failed$/);
    }, 600_000);
  }
});
