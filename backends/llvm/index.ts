// The LLVM backend (`--backend=llvm`): Lcfg Module -> LLVM module in-process (emit.ts, with
// llvm-bindings) -> verifyModule -> bitcode (textual IR when it needs function attributes)
// -> `opt -O2|-O0` -> `llc -filetype=obj` -> `cc` with the C runtime (runtime-c/, compiled
// with the same flags as for the C backend).
//
// llvm-bindings is an optional native dependency: it is loaded on first use, and a machine
// without it (or without opt/llc) gets a BackendUnavailable that says how to install it,
// while the C backend keeps working.
//
// A module that fails verifyModule is an internal compiler error naming the functions
// that are broken, never a silent miscompile. The executable is written atomically: a
// temporary file in the output's directory, then a rename.

import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { AnyNode } from '../../ir/lang.js';
import { InternalError } from '../../passes/pass.js';
import { BackendUnavailable, type Backend, type BuildOptions } from '../index.js';
import { cFlags, findRuntimeDir, runtimeObject as cRuntimeObject } from '../c/toolchain.js';
import { hostTarget, loadLlvm } from './bindings.js';
import { emitModule, type EmittedModule } from './emit.js';
import { withTbaa } from './tbaa.js';
import { withNoWrap } from './ranges.js';
import { findTools } from './tools.js';

/**
 * Sanitizers the LLVM backend instruments itself: the function attribute that opts a
 * function in, and the opt passes (in LLVM 14 `asan-module` instruments the functions as
 * well as the globals; adding `function(asan)` would instrument the instrumentation).
 */
const INSTRUMENTED: Record<string, { attribute: string; passes: string }> = {
  address: { attribute: 'sanitize_address', passes: 'require<asan-globals-md>,asan-module' },
  thread: { attribute: 'sanitize_thread', passes: 'tsan-module,function(tsan)' },
};

function checkSanitizers(sanitize: readonly string[]): void {
  for (const s of sanitize) {
    // `undefined` instruments C source; the LLVM IR we emit has explicit checks instead, so it
    // applies to the runtime only (compiled and linked with -fsanitize=undefined)
    if (!(s in INSTRUMENTED) && s !== 'undefined') {
      throw new BackendUnavailable(`the LLVM backend does not support --sanitize=${s} (supported: address, thread, undefined)`);
    }
  }
}

/** Builds, verifies and returns the LLVM module of an Lcfg module. */
function emitVerified(module: AnyNode, opts: BuildOptions): EmittedModule {
  const llvm = loadLlvm();
  checkSanitizers(opts.sanitize);
  const emitted = emitModule(llvm, hostTarget(llvm), module, 'zeta', {
    sanitizeAddress: opts.sanitize.includes('address'),
    unrollRecursion: opts.optLevel !== 0,
    tbaa: opts.optLevel !== 0,
    ranges: opts.optLevel !== 0,
  });
  if (llvm.verifyModule(emitted.module)) {
    // verifyModule reports to stderr; name the broken functions in the error itself
    const broken = emitted.functions.filter((f) => llvm.verifyFunction(f.fn)).map((f) => f.name);
    throw new InternalError(`LLVM backend: the generated module does not verify` +
      (broken.length ? ` (broken function${broken.length > 1 ? 's' : ''}: ${broken.join(', ')})` : ' (module-level problem)') +
      '; the verifier\'s report is above');
  }
  return emitted;
}

/** Whether the module needs function attributes that only the textual IR can carry. */
function needsAttributes(emitted: EmittedModule, sanitize: readonly string[]): boolean {
  return emitted.alwaysInline.length > 0 || sanitize.some((s) => s in INSTRUMENTED);
}

/** Whether the module needs what only the textual IR can carry: attributes, TBAA tags, no-wrap flags. */
function needsText(emitted: EmittedModule, sanitize: readonly string[]): boolean {
  return emitted.tbaaMarks || emitted.noWrapMarks || needsAttributes(emitted, sanitize);
}

/** `@name` or `@"name"` of a printed definition line (names we give need no escapes). */
const DEFINED_NAME = /^define [^\n]*?@(?:"([^"]*)"|([-\w$.]+))\(/;

/**
 * The module's textual IR with TBAA tags on the accesses emit.ts marked (tbaa.ts), no-wrap
 * flags on the arithmetic it marked (ranges.ts) and function attributes added to its definitions: the sanitizer attributes on every function,
 * `alwaysinline` on the recursion copies (llvm-bindings 0.4.2 can set neither metadata,
 * instruction flags nor function attributes; the IR parser accepts all of them inline).
 */
function withAttributes(emitted: EmittedModule, sanitize: readonly string[]): string {
  let ir = emitted.module.print();
  if (emitted.tbaaMarks) ir = withTbaa(ir);
  if (emitted.noWrapMarks) ir = withNoWrap(ir);
  if (!needsAttributes(emitted, sanitize)) return ir;
  const all = sanitize.filter((s) => s in INSTRUMENTED).map((s) => INSTRUMENTED[s].attribute);
  const inline = new Set(emitted.alwaysInline);
  return ir.replace(/^(define [^\n]*?)\s*\{$/gm, (line, head: string) => {
    const m = DEFINED_NAME.exec(head);
    const attrs = m && inline.has(m[1] ?? m[2]) ? [...all, 'alwaysinline'] : all;
    return attrs.length ? `${head} ${attrs.join(' ')} {` : line;
  });
}

/** The LLVM IR text of the module (what `--emit=llvm-ir` writes). */
export function emitLlvmIr(module: AnyNode, opts: BuildOptions): string {
  return withAttributes(emitVerified(module, opts), opts.sanitize);
}

/**
 * Tuning of opt's optimising pipeline. No load PRE across loop iterations, and full unrolling
 * only of loops whose unrolled body costs under 100 (LLVM's default 150; gcc -O2 unrolls far
 * less): in bench/nbody the five bodies' positions, stored at the end of one step and loaded
 * again in the next, otherwise live in registers across the whole step loop, spilled and
 * reloaded on every step (with the position update unrolled, 15 of them): 3.31G instructions,
 * 3.21G without the loop PRE, 3.12G with both (gcc: 3.18G); the other benchmarks and
 * examples/ are unchanged.
 *
 * The SLP vectorizer is on (LLVM's default; gcc 12 -O2 packs too), but only for packs that
 * save more than 2 (`-slp-threshold=2`, default 0). It packs pairs of adjacent f64 fields
 * into 2-wide SSE2 ops without reassociating (the same bits). It was off while the two flags
 * above were not there: then it made bench/nbody ~8% slower (0.302 s vs 0.281 s CPU, best of
 * 11). With them it is the other way: nbody's pair loop goes from 25 FP arithmetic
 * instructions and 20 memory accesses to 19 (+3 shuffles) and 14 (gcc's: 20 and 14); that
 * loop is bound by FP-port and load/store throughput around the sqrt/div unit, not only by
 * latency: 3.115G -> 2.665G instructions (gcc 3.18G), CPU s best of 21 alternating runs
 * 0.2765 -> 0.2665, median 0.282 -> 0.276 (C backend 0.272/0.278), the same with 64-byte
 * loop alignment. A 2D particle loop (16 bodies, sqrt and division each) goes 0.051 ->
 * 0.037 s: the loop vectorizer scalarizes its sqrt and SLP makes it one sqrtpd.
 * The threshold keeps out what only merges a copy of two adjacent i64s (String/Vec headers,
 * cost -1 or -2): the runtime has just written those fields with two 8-byte stores, and one
 * 16-byte load of them cannot be store-forwarded. A String-building loop (String::from,
 * append, move into a class, 2M times) ran 0.062 -> 0.067 s with those packs (gcc's code for
 * the C backend has the same stall: 0.067); with the threshold its code is unchanged.
 * binary_trees, fib, sieve, examples/ and the conformance programs compile to the same code.
 */
const OPT_FLAGS = ['-slp-threshold=2', '-enable-load-in-loop-pre=false', '-unroll-threshold=100'];

/**
 * Tuning of llc. Loop strength reduction's cost model counts an induction variable of an
 * enclosing loop that already exists as a phi as a free register, yet SCEVExpander then
 * builds new phis for it in that loop: in bench/sieve, once TBAA lets the Vec's pointer stay
 * in a register, LSR gives the marking loop a pointer induction variable whose start
 * (base + i*i) is then kept up to date on every iteration of the enclosing scan loop (three
 * more instructions on each of 100M iterations: +0.76G instructions in all). The
 * post-indexed mode drops that "existing phi is free" rule; x86 has no indexed addressing,
 * so its other effects do not apply. It changed no other benchmark; -disable-lsr instead made
 * bench/nbody 4% longer.
 */
const LLC_FLAGS = ['-lsr-preferred-addressing-mode=postindexed'];

type Step = [cmd: string, args: string[]];

/** The build as a sequence of commands, so the blocking and the asynchronous builds share it. */
function* buildSteps(module: AnyNode, opts: BuildOptions & { out: string }): Generator<Step, void, void> {
  const llvm = loadLlvm();
  const tools = findTools();
  const emitted = emitVerified(module, opts);
  const o = `-O${opts.optLevel}`;
  const runtime = yield* runtimeObject(opts);
  const outPath = resolve(opts.out);
  const work = mkdtempSync(join(tmpdir(), 'zeta-nano-llvm-'));
  const tmpOut = join(dirname(outPath), `.${basename(outPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const instrument = opts.sanitize.filter((s) => s in INSTRUMENTED);
    let input: string;
    if (needsText(emitted, opts.sanitize)) {
      input = join(work, 'program.ll');
      writeFileSync(input, withAttributes(emitted, opts.sanitize));
    } else {
      input = join(work, 'program.bc');
      llvm.WriteBitcodeToFile(emitted.module, input);
    }
    const optimized = join(work, 'program.opt.bc');
    const passes = [`default<O${opts.optLevel}>`, ...instrument.map((s) => INSTRUMENTED[s].passes)].join(',');
    yield [tools.opt, [`-passes=${passes}`, ...(opts.optLevel === 0 ? [] : OPT_FLAGS), input, '-o', optimized]];
    const object = join(work, 'program.o');
    yield [tools.llc, [o, ...(opts.optLevel === 0 ? [] : LLC_FLAGS), '-filetype=obj', '--relocation-model=pic', optimized, '-o', object]];
    yield [tools.cc, [...linkFlags(opts), object, runtime, '-lm', '-pthread', '-o', tmpOut]];
    renameSync(tmpOut, outPath);
  } finally {
    rmSync(tmpOut, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

function linkFlags(opts: BuildOptions): string[] {
  return cFlags({ optLevel: opts.optLevel, sanitize: opts.sanitize }).filter((f) => f.startsWith('-fsanitize') || f === '-fno-omit-frame-pointer');
}

/** runtime-c/zeta_rt.c compiled with the C backend's flags for these options (its cache). */
function runtimeObject(opts: BuildOptions): Generator<Step, string, void> {
  return cRuntimeObject(findTools().cc, cFlags({ optLevel: opts.optLevel, sanitize: opts.sanitize }), findRuntimeDir());
}

function toolError(cmd: string, detail: string, stderr: string): InternalError {
  return new InternalError(`LLVM backend: ${basename(cmd)} failed (${detail}):\n${stderr}`);
}

function runSync([cmd, args]: Step): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { status?: number; stderr?: Buffer; message: string };
    throw toolError(cmd, String(err.status ?? err.message), err.stderr?.toString() ?? '');
  }
}

function runAsync([cmd, args]: Step): Promise<void> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err) rej(toolError(cmd, String(err.code ?? err.message), stderr));
      else res();
    });
  });
}

/** Builds the executable `opts.out` (blocking). */
export function buildLlvm(module: AnyNode, opts: BuildOptions & { out: string }): void {
  for (const step of buildSteps(module, opts)) runSync(step);
}

/** Builds the executable `opts.out` without blocking on the external tools (for parallel builds). */
export async function buildLlvmAsync(module: AnyNode, opts: BuildOptions & { out: string }): Promise<void> {
  const steps = buildSteps(module, opts);
  for (let step = steps.next(); !step.done;) {
    try {
      await runAsync(step.value);
    } catch (e) {
      steps.throw(e); // runs the generator's cleanup, then rethrows
    }
    step = steps.next();
  }
}

/** The LLVM backend, for backends/register.ts. */
export function llvmBackend(): Backend {
  // fail early, with the install hint, when llvm-bindings is missing (opt/llc/cc are
  // looked for when building, so --emit=llvm-ir works without them)
  loadLlvm();
  return {
    name: 'llvm',
    passes: [], // it builds its module from the Lcfg the shared pipeline ends with
    emitText: emitLlvmIr,
    build: buildLlvm,
  };
}
