// Builds a native executable from generated C: writes the C to a temporary directory and
// runs the system C compiler on it with the runtime (runtime-c/). The runtime object is
// compiled once per set of flags and cached (keyed by a hash of its sources and the flags),
// so building a program compiles only the program's own C.
//
// The executable is written atomically: cc writes a temporary file next to OUT, which is
// then renamed to OUT, so a reader never sees a half-written program. A failing cc is a
// compiler bug (the C we generate must always compile): it is reported as an InternalError
// carrying cc's stderr.

import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../../passes/pass.js';

export interface CBuildOptions {
  /** sanitizers, e.g. ['address', 'undefined'] or ['thread'] */
  sanitize?: readonly string[];
  /** -O level (default 2) */
  optLevel?: 0 | 1 | 2 | 3 | 's';
  /** -g */
  debug?: boolean;
  /** the C compiler (default $CC or `cc`) */
  cc?: string;
  /** the runtime directory (default: runtime-c/ of this repository, or $ZETA_RUNTIME_DIR) */
  runtimeDir?: string;
  /** also write the generated C next to OUT (OUT.c), for reading and debugging */
  keepC?: boolean;
}

/** runtime-c/, looked up from this module's location (works from the sources and from dist/). */
export function findRuntimeDir(): string {
  if (process.env.ZETA_RUNTIME_DIR) return resolve(process.env.ZETA_RUNTIME_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'runtime-c');
    if (existsSync(join(candidate, 'zeta_rt.h'))) return candidate;
    dir = dirname(dir);
  }
  throw new InternalError('C backend: runtime-c/zeta_rt.h not found (set ZETA_RUNTIME_DIR)');
}

/** The C compiler flags for the options (shared by the runtime and the program). */
export function cFlags(opts: CBuildOptions): string[] {
  const flags = ['-std=c11', `-O${opts.optLevel ?? 2}`];
  if (opts.debug) flags.push('-g');
  const san = opts.sanitize ?? [];
  if (san.length) {
    flags.push(`-fsanitize=${san.join(',')}`, '-fno-omit-frame-pointer');
    if (san.includes('undefined')) flags.push('-fno-sanitize-recover=undefined');
    if (san.includes('address')) flags.push('-DZRT_ASAN');
  }
  return flags;
}

const runAsync = (cmd: string, args: string[]) => new Promise<void>((res, rej) => {
  execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
    if (err) rej(new InternalError(`C backend: ${cmd} failed (${err.code ?? err.message}):\n${stderr}`));
    else res();
  });
});

const runSync = (cmd: string, args: string[]): void => {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer; message: string };
    throw new InternalError(`C backend: ${cmd} failed (${err.status ?? err.message}):\n${err.stderr?.toString() ?? ''}`);
  }
};

/**
 * runtime-c/zeta_rt.c compiled with these flags, cached by a hash of the compiler, the flags
 * and the runtime sources, so a build compiles only the program's own code. Shared by both
 * backends (they link the same runtime). Yields the compile step when the cache misses.
 */
export function* runtimeObject(cc: string, flags: readonly string[], runtimeDir: string): Generator<[string, string[]], string, void> {
  const h = createHash('sha256');
  h.update(cc).update('\0').update(flags.join(' ')).update('\0');
  for (const f of ['zeta_rt.h', 'zeta_rt.c']) h.update(readFileSync(join(runtimeDir, f)));
  const cacheDir = join(tmpdir(), 'zeta-nano-runtime-cache');
  mkdirSync(cacheDir, { recursive: true });
  const rt = join(cacheDir, `zeta_rt-${h.digest('hex').slice(0, 24)}.o`);
  if (!existsSync(rt)) {
    const tmp = `${rt}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      yield [cc, [...flags, '-c', join(runtimeDir, 'zeta_rt.c'), '-o', tmp]];
      renameSync(tmp, rt); // concurrent builds may race; each rename installs a complete file
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return rt;
}

/**
 * The steps of a build, as a generator of commands so that one description serves both
 * the blocking and the asynchronous entry points: the runtime object (when not cached),
 * then the program, each compiled to a temporary name and renamed into place.
 */
function* buildSteps(cSource: string | Buffer, out: string, opts: CBuildOptions): Generator<[string, string[]], void, void> {
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const flags = cFlags(opts);
  const runtimeDir = opts.runtimeDir ?? findRuntimeDir();

  const rt = yield* runtimeObject(cc, flags, runtimeDir);

  const outPath = resolve(out);
  const work = mkdtempSync(join(tmpdir(), 'zeta-nano-c-'));
  const tmpOut = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const cFile = join(work, 'program.c');
    writeFileSync(cFile, cSource);
    if (opts.keepC) writeFileSync(`${outPath}.c`, cSource);
    yield [cc, [...flags, `-I${runtimeDir}`, cFile, rt, '-lm', '-pthread', '-o', tmpOut]];
    renameSync(tmpOut, outPath);
  } finally {
    rmSync(tmpOut, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Compiles generated C (from emitC) into the executable `out`. */
export async function compileC(cSource: string | Buffer, out: string, opts: CBuildOptions = {}): Promise<void> {
  const steps = buildSteps(cSource, out, opts);
  for (let step = steps.next(); !step.done;) {
    try {
      await runAsync(...step.value);
    } catch (e) {
      steps.throw(e); // runs the generator's cleanup, then rethrows
    }
    step = steps.next();
  }
}

/** compileC, blocking (for the command-line driver). */
export function compileCSync(cSource: string | Buffer, out: string, opts: CBuildOptions = {}): void {
  for (const [cmd, args] of buildSteps(cSource, out, opts)) runSync(cmd, args);
}
