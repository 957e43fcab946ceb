// Shared test helpers: run the built CLI, write temporary programs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const ROOT = join(import.meta.dirname, '..');
export const CONFORMANCE = join(ROOT, '..', 'shared', 'conformance');

/** The .zeta files under `dir`, sorted, subfolders included. */
export function zetaFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? zetaFiles(p) : p.endsWith('.zeta') ? [p] : [];
  });
}

export interface Run { status: number; stdout: string; stderr: string }

/** Runs `zeta-nano ARGS` (the bundled CLI, as users run it). */
export function zeta(args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/zeta-nano.mjs'), ...args], {
    cwd: opts.cwd ?? ROOT, encoding: 'utf8', input: opts.input, timeout: 120_000, env: opts.env,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'zeta-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a Zeta program to a fresh temporary directory; returns its path. */
export function writeProgram(text: string, name = 'prog.zeta'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

/** The `//~ ERROR Exxxx` annotations of a test program (spec §12), as {line, code}, in order. */
export function annotations(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  text.split('\n').forEach((l, i) => { for (const m of l.matchAll(/\/\/~ ERROR (E\d{4})/g)) out.push({ line: i + 1, code: m[1] }); });
  return out;
}

/**
 * Runs the shared conformance runner (../shared/conformance/run.mjs, spec §12) over `paths`
 * on both backends with this repository's CLI: the FAIL lines and the closing summary line.
 */
export function runConformance(paths: string[], timeoutMs = 900_000): { failures: string[]; summary: string; output: string } {
  const r = spawnSync(process.execPath, [join(CONFORMANCE, 'run.mjs'), '--backend', 'all', '--compiler',
    `${process.execPath} ${join(ROOT, 'bin/zeta-nano.mjs')}`, '--jobs', '2', ...paths],
  { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs });
  return {
    failures: r.stdout.split('\n').filter((l) => l.startsWith('FAIL')),
    summary: r.stdout.trim().split('\n').pop() ?? '',
    output: r.stdout + r.stderr,
  };
}
