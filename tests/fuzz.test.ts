// The fuzzer's command line (tools/fuzz.mjs): usage errors, and a short clean run on the
// interpreter that reports its seeds and writes nothing to the keep folder.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, tempDir } from './helpers.js';

const fuzz = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'tools/fuzz.mjs'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('tools/fuzz.mjs', () => {
  it('prints its help, and rejects bad usage with exit 2', () => {
    const help = fuzz(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--seeds A\.\.B/);
    for (const bad of [[], ['--seeds', '5..2'], ['--seeds', '1', '--backends', 'c,gcc'], ['--seeds', '1', '--opt', '3'], ['--seeds', '1', '--gen', '{']]) {
      const r = fuzz(bad);
      expect(r.status, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^fuzz: /);
    }
  });

  it('runs seeds on the interpreter and sums them up', () => {
    const keep = join(tempDir('zeta-fuzz-'), 'failures');
    const r = fuzz(['--seeds', '0..1,7', '--backends', 'interp', '--keep', keep]);
    expect(r.stdout.trim().split('\n').pop()).toBe('fuzz: 3 seeds on interp (-O0): 0 failure(s)');
    expect(r.status).toBe(0);
    expect(existsSync(keep)).toBe(false);
  }, 120_000);
});
