// Every example compiles, runs and prints its .stdout — also under AddressSanitizer and
// UndefinedBehaviorSanitizer, which proves the generated C free of UB on these programs.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, zeta, tempDir } from './helpers.js';

const dir = join(ROOT, 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.zeta')).sort();

describe('examples', () => {
  for (const ex of examples) {
    const expected = readFileSync(join(dir, ex.replace(/\.zeta$/, '.stdout')), 'utf8');
    for (const sanitize of [null, 'address,undefined']) {
      it(`${ex}${sanitize ? ` under -fsanitize=${sanitize}` : ''}`, () => {
        const exe = join(tempDir(), ex.replace(/\.zeta$/, ''));
        const c = zeta(['compile', join(dir, ex), '-o', exe, '--verify-each', ...(sanitize ? [`--sanitize=${sanitize}`] : [])]);
        expect(c.stderr).toBe('');
        expect(c.status).toBe(0);
        expect(existsSync(exe)).toBe(true);
        const r = spawnSync(exe, [], { encoding: 'utf8', env: { ...process.env, UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1', ASAN_OPTIONS: 'detect_leaks=1' } });
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(expected);
        expect(r.status).toBe(0);
      });
    }
  }
});
