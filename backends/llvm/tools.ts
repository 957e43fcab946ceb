// Finds the external tools the LLVM backend drives: `opt` and `llc` of the same LLVM 14
// install that llvm-bindings was built against (bitcode written by LLVM 14 must be read by
// an LLVM at least as new), and the C compiler `cc` that compiles the runtime and links.
// A missing tool is a BackendUnavailable naming what is missing and how to install it,
// never a crash in the middle of a build.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BackendUnavailable } from '../index.js';

export interface LlvmTools {
  opt: string;
  llc: string;
  cc: string;
  /** major version of the opt/llc found */
  llvmMajor: number;
}

/** The LLVM major version llvm-bindings 0.4.x is built against. */
export const WANTED_LLVM_MAJOR = 14;

function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return null;
  return `${r.stdout}${r.stderr}`;
}

/** Absolute path of a program on PATH (or the path itself when it has a slash). */
function onPath(name: string): string | null {
  if (name.includes('/')) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/** `LLVM version 14.0.6` (opt/llc) or `14.0.6` (llvm-config) -> 14. */
function majorOf(versionText: string | null): number | null {
  const m = versionText?.match(/(?:LLVM version\s+)?(\d+)\.\d+/);
  return m ? Number(m[1]) : null;
}

/** Candidate directories holding opt/llc: `llvm-config --bindir` of the wanted version first. */
function llvmBinDirs(): string[] {
  const dirs: string[] = [];
  const configs = [process.env.ZETA_LLVM_CONFIG, `llvm-config-${WANTED_LLVM_MAJOR}`, 'llvm-config']
    .filter((c): c is string => !!c);
  for (const c of configs) {
    const exe = onPath(c);
    if (!exe) continue;
    const major = majorOf(run(exe, ['--version']));
    const bindir = run(exe, ['--bindir'])?.trim();
    if (bindir && major !== null && major >= WANTED_LLVM_MAJOR) dirs.push(bindir);
  }
  dirs.push(`/usr/lib/llvm-${WANTED_LLVM_MAJOR}/bin`);
  return dirs;
}

/** The first candidate that runs and reports an LLVM version >= 14 (14 itself preferred by order). */
function findLlvmTool(tool: 'opt' | 'llc', dirs: string[]): { path: string; major: number } | null {
  const candidates = [
    ...dirs.map((d) => join(d, tool)),
    `${tool}-${WANTED_LLVM_MAJOR}`,
    tool,
  ];
  for (const c of candidates) {
    const exe = onPath(c);
    if (!exe) continue;
    const major = majorOf(run(exe, ['--version']));
    if (major !== null && major >= WANTED_LLVM_MAJOR) return { path: exe, major };
  }
  return null;
}

function findCc(): string | null {
  for (const c of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!c) continue;
    const exe = onPath(c);
    if (exe && run(exe, ['--version']) !== null) return exe;
  }
  return null;
}

let cached: LlvmTools | null = null;

/** Finds opt, llc and cc once per process; throws BackendUnavailable saying what is missing. */
export function findTools(): LlvmTools {
  if (cached) return cached;
  const dirs = llvmBinDirs();
  const opt = findLlvmTool('opt', dirs);
  const llc = findLlvmTool('llc', dirs);
  const cc = findCc();
  const missing: string[] = [];
  if (!opt) missing.push(`\`opt\` (LLVM ${WANTED_LLVM_MAJOR} or newer)`);
  if (!llc) missing.push(`\`llc\` (LLVM ${WANTED_LLVM_MAJOR} or newer)`);
  if (!cc) missing.push('a C compiler (`cc`, `gcc` or `clang`, or set CC)');
  if (!opt || !llc || !cc) {
    throw new BackendUnavailable(
      `the LLVM backend needs ${missing.join(', ')}; looked in ${dirs.join(', ')} and on PATH ` +
      `(also as opt-${WANTED_LLVM_MAJOR}/llc-${WANTED_LLVM_MAJOR}).\n` +
      `help: install them with \`apt-get install llvm-${WANTED_LLVM_MAJOR} gcc\`, set ZETA_LLVM_CONFIG to an llvm-config, ` +
      'or use --backend=c');
  }
  cached = { opt: opt.path, llc: llc.path, cc, llvmMajor: Math.min(opt.major, llc.major) };
  return cached;
}
