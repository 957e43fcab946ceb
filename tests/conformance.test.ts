// Runs the shared conformance samples (spec §12) through the CLI, as CI does.
// CLAIMED lists the folders whose every test this version passes; a folder joins the
// list when its issue lands. The held-out suite has more tests of the same kinds.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CONFORMANCE, ROOT } from './helpers.js';

const CLAIMED = ['core', 'diag', 'memory', 'regions', 'unsafe', 'lambdas', 'concurrency'];

describe.skipIf(!existsSync(CONFORMANCE))('conformance samples (../shared/conformance)', () => {
  for (const dir of CLAIMED) {
    it(`passes every test in ${dir}/ on both backends`, () => {
      const r = spawnSync(process.execPath, [join(CONFORMANCE, 'run.mjs'), '--backend', 'all', '--compiler',
        `${process.execPath} ${join(ROOT, 'bin/zeta-nano.mjs')}`, '--jobs', '2', join(CONFORMANCE, dir)],
      { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
      const summary = r.stdout.trim().split('\n').pop() ?? '';
      expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL')), r.stdout).toEqual([]);
      expect(summary).toMatch(/^\d+ passed, 0 failed$/);
    }, 600_000);
  }
});
