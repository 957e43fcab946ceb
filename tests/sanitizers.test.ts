// Safe programs are free of undefined behaviour, leaks and data races: every runnable
// conformance program and example runs clean under ASan+UBSan (leak detection on) and
// valgrind, and the concurrency programs run clean under ThreadSanitizer, 20 runs each
// (issues 2, 3 and 4). Programs that panic are checked for output only under valgrind's
// error detection: the spec says panic runs no drops, so they may leave memory behind.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CONFORMANCE, ROOT, tempDir } from './helpers.js';

interface Prog { file: string; stdout: string; exit: number; args: string[] }

function collect(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? collect(p) : p.endsWith('.zeta') ? [p] : [];
  });
}

function runnable(file: string): Prog | null {
  const text = readFileSync(file, 'utf8');
  if (/\/\/~\s*ERROR/.test(text)) return null;
  const out = file.replace(/\.zeta$/, '.stdout');
  return {
    file,
    stdout: existsSync(out) ? readFileSync(out, 'utf8') : '',
    exit: Number(text.match(/^\s*\/\/\s*exit:\s*(\d+)/m)?.[1] ?? 0),
    args: text.match(/^\s*\/\/\s*args:(.*)$/m)?.[1].trim().split(/\s+/).filter(Boolean) ?? [],
  };
}

const programs = [...collect(CONFORMANCE), ...collect(join(ROOT, 'examples'))]
  .map(runnable).filter((p): p is Prog => p !== null);
const dir = tempDir('zeta-san-');

function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const compile = (p: Prog, tag: string, extra: string[]) => {
  const exe = join(dir, `${basename(p.file, '.zeta')}-${tag}`);
  return sh(process.execPath, [join(ROOT, 'bin/zeta-nano.mjs'), 'compile', p.file, '-o', exe, ...extra]).then((r) => ({ ...r, exe }));
};

const hasValgrind = spawnSync('valgrind', ['--version']).status === 0;

describe('sanitizers and valgrind', () => {
  it.each(programs.map((p) => [basename(p.file), p] as const))('%s: ASan+UBSan with leak detection, and valgrind', async (_n, p) => {
    const [asan, plain] = await Promise.all([compile(p, 'asan', ['--sanitize=address,undefined']), compile(p, 'plain', [])]);
    expect(asan.err).toBe('');
    expect(plain.err).toBe('');
    const r = await sh(asan.exe, p.args, { ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' });
    expect(r.out).toBe(p.stdout);
    expect(r.code).toBe(p.exit);
    if (p.exit === 0) expect(r.err).toBe('');
    if (hasValgrind) {
      const leakCheck = p.exit === 0 ? ['--leak-check=full', '--errors-for-leak-kinds=definite,indirect,possible'] : ['--leak-check=no'];
      const v = await sh('valgrind', ['-q', '--error-exitcode=99', ...leakCheck, plain.exe, ...p.args]);
      expect(v.err.replace(/^panic: .*\n/m, '')).toBe('');
      expect(v.code).toBe(p.exit);
      expect(v.out).toBe(p.stdout);
    }
  }, 180_000);

  const concurrent = programs.filter((p) => p.file.includes('/concurrency/') && !readFileSync(p.file, 'utf8').includes('unsafe ('));
  it.each(concurrent.map((p) => [basename(p.file), p] as const))('%s: ThreadSanitizer, 20 runs', async (_n, p) => {
    const t = await compile(p, 'tsan', ['--sanitize=thread']);
    expect(t.err).toBe('');
    for (let i = 0; i < 20; i++) {
      const r = await sh(t.exe, p.args, { TSAN_OPTIONS: 'halt_on_error=1' });
      expect(r.err).toBe('');
      expect(r.out).toBe(p.stdout);
      expect(r.code).toBe(p.exit);
    }
  }, 180_000);
});
