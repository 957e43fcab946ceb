// The `zeta-nano` command line: compile, run, check, passes.
// Exit status: 0 success, 1 the program has errors (diagnostics printed), 2 bad usage
// or unreadable input, 70 internal compiler error (a bug: please report it).

import { Command, Option, CommanderError, InvalidArgumentError } from 'commander';
import { readFileSync, writeFileSync, renameSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { isMainThread, parentPort } from 'node:worker_threads';
import { lineCol, renderHuman, renderJson, type SourceFile } from '../ir/diagnostics.js';
import { printIR } from '../ir/print.js';
import { Lcfg } from '../ir/languages.js';
import type { AnyNode } from '../ir/lang.js';
import { PIPELINE } from '../passes/pipeline.js';
import type { Pass } from '../passes/pass.js';
import { runPipeline, sweepOfEachPass, InternalCompilerError, type PipelineOptions, type PipelineResult } from './driver.js';
import { getBackend, BackendUnavailable, type Backend, type BackendName } from '../backends/index.js';
import '../backends/register.js';

class ExitError extends Error { constructor(readonly code: number) { super(`exit ${code}`); } }

interface CommonOpts {
  errorFormat: 'human' | 'json';
  verifyEach?: boolean;
  dumpAfter?: string;
  timePasses?: boolean;
  jobs?: number;
}

function readSource(file: string): SourceFile {
  try {
    return { path: file, text: readFileSync(file, 'utf8') };
  } catch (e) {
    process.stderr.write(`error: cannot read \`${file}\`: ${(e as NodeJS.ErrnoException).code ?? e}\n`);
    throw new ExitError(2);
  }
}

/** Tells the launcher (bin/zeta-nano.mjs) which stage starts, for its progress line on long work ('' when none). */
function progress(stage: string): void {
  parentPort?.postMessage({ progress: stage });
}

/** Prints the IR dumps `--dump-after` asked for. */
function printDumps(dumps: PipelineResult['dumps']): void {
  for (const d of dumps) process.stderr.write(`;; ---- IR after ${d.pass} ----\n${d.text}\n`);
}

/**
 * Runs the pipeline, then `backendPasses` (a backend's own, e.g. the C emitter); prints
 * diagnostics, dumps and timings; returns the last pass's output (the Lcfg module when
 * there are no backend passes).
 */
function compileFile(file: string, o: CommonOpts, backendPasses: readonly Pass[] = []): AnyNode {
  const src = readSource(file);
  const passes = [...PIPELINE, ...backendPasses];
  const dumpAfter = o.dumpAfter === undefined ? undefined : o.dumpAfter === 'all' ? 'all' as const : o.dumpAfter.split(',');
  if (Array.isArray(dumpAfter)) {
    const unknown = dumpAfter.filter((n) => !passes.some((p) => p.name === n));
    if (unknown.length) {
      process.stderr.write(`error: --dump-after: no pass named ${unknown.map((u) => `\`${u}\``).join(', ')} (see \`zeta-nano passes\`)\n`);
      throw new ExitError(2);
    }
  }
  let res;
  progress(`${basename(file)}: front end and ${passes.length} passes (${lineCol(src, src.text.length).line} lines)`);
  // one thread by default: a second one starts with a cold JIT of its own, which a one-off
  // compile pays in full (docs/DECISIONS.md, "Compile speed": slower up to 1M lines here)
  const opts: PipelineOptions = { verifyEach: o.verifyEach, dumpAfter, timePasses: o.timePasses, jobs: o.jobs };
  try {
    res = runPipeline(src, { ...opts, passes });
  } catch (e) {
    if (e instanceof InternalCompilerError) {
      printDumps(e.dumps);
      process.stderr.write(`internal compiler error: pass \`${e.pass}\`: ${e.detail}\n` +
        `note: this is a bug in zeta-nano; please report it with the input file\n`);
      throw new ExitError(70);
    }
    throw e;
  }
  printDumps(res.dumps);
  if (o.timePasses) {
    const total = res.timings.reduce((s, t) => s + t.ms, 0);
    for (const t of res.timings) process.stderr.write(`${t.ms.toFixed(2).padStart(10)} ms  ${t.pass}\n`);
    process.stderr.write(`${total.toFixed(2).padStart(10)} ms  total${res.threads > 1 ? ` (this thread's share: the compile was split between ${res.threads} threads)` : ''}\n`);
  }
  if (res.diagnostics.length > 0) {
    process.stderr.write(o.errorFormat === 'json' ? renderJson(src, res.diagnostics) : renderHuman(src, res.diagnostics));
    throw new ExitError(1);
  }
  if (!res.ir) throw new ExitError(1);
  return res.ir;
}

/** Writes a file atomically: a temporary beside it, then a rename. */
function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The backend options of `compile` and `run`. */
function buildOptions(o: { optLevel: string; sanitize?: string }): { optLevel: 0 | 2; sanitize: string[] } {
  return { optLevel: Number(o.optLevel) as 0 | 2, sanitize: o.sanitize ? o.sanitize.split(',') : [] };
}

function buildStage(backend: string, optLevel: number): string {
  return backend === 'llvm' ? `building with the LLVM backend (opt -O${optLevel}, llc, cc)` : `building with the C backend (cc -O${optLevel})`;
}

/**
 * The backend, or null when it cannot run on this machine: then the program is still
 * checked, and getBackend says what is missing afterwards (the program's errors first).
 */
function tryBackend(name: BackendName): Backend | null {
  try {
    return getBackend(name);
  } catch (e) {
    if (e instanceof BackendUnavailable) return null;
    throw e;
  }
}

/**
 * Compiles `file` through the pipeline and `name`'s own passes (the C emitter runs in the
 * pipeline: emitText/build take its output). A backend that cannot run here is reported
 * after the program's own errors.
 */
function compileFor(file: string, o: CommonOpts, name: BackendName): { ir: AnyNode; backend: Backend } {
  const backend = tryBackend(name);
  const ir = compileFile(file, o, backend?.passes);
  return { ir, backend: backend ?? getBackend(name) };
}

function defaultOut(file: string): string {
  return basename(file).replace(/\.zeta$/, '') || 'a.out';
}

const program = new Command();
program
  .name('zeta-nano')
  .description('A nanopass compiler for Zeta (C and LLVM backends).')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const withCommon = (c: Command) => c
  .addOption(new Option('--error-format <format>', 'diagnostics format').choices(['human', 'json']).default('human'))
  .option('--verify-each', 'validate the IR after every pass against its language')
  .option('--dump-after <passes>', 'print the IR after these passes (comma-separated names, or "all") to stderr')
  .option('--time-passes', 'print the time each pass takes')
  .option('-j, --jobs <n>', 'threads a large file\'s compile may be split between (2 or more: split files of 200 KB and up)', parseJobs, 1);

function parseJobs(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

const withBackend = (c: Command) => c
  .addOption(new Option('--backend <backend>', 'code generator').choices(['c', 'llvm']).default('c'))
  .addOption(new Option('-O, --opt-level <level>', 'optimisation level').choices(['0', '2']).default('2'))
  .option('--sanitize <list>', 'build with sanitizers, e.g. address,undefined or thread');

withBackend(withCommon(program.command('compile')
  .description('compile a Zeta file to an executable (or C, IR)')
  .argument('<file>', 'the .zeta source file')
  .option('-o, --output <path>', 'output path (default: the file name without .zeta)')
  .addOption(new Option('--emit <what>', 'what to write').choices(['exe', 'c', 'ir', 'llvm-ir']).default('exe'))))
  .action((file: string, o: CommonOpts & { output?: string; emit: string; backend: BackendName; optLevel: string; sanitize?: string }) => {
    if (o.emit === 'ir') {
      const text = printIR(Lcfg, compileFile(file, o)) + '\n';
      if (o.output) writeAtomic(o.output, text); else process.stdout.write(text);
      return;
    }
    const { ir, backend } = compileFor(file, o, o.emit === 'c' ? 'c' : o.emit === 'llvm-ir' ? 'llvm' : o.backend);
    const buildOpts = buildOptions(o);
    if (o.emit === 'c' || o.emit === 'llvm-ir') {
      const text = backend.emitText(ir, buildOpts);
      if (o.output) writeAtomic(o.output, text); else process.stdout.write(text);
      return;
    }
    progress(buildStage(backend.name, buildOpts.optLevel));
    backend.build(ir, { ...buildOpts, out: o.output ?? defaultOut(file) });
  });

withBackend(withCommon(program.command('run')
  .description('compile a Zeta file and run it; arguments after `--` go to the program')
  .argument('<file>', 'the .zeta source file')
  .argument('[args...]', 'program arguments')))
  .action((file: string, args: string[], o: CommonOpts & { backend: BackendName; optLevel: string; sanitize?: string }) => {
    const { ir, backend } = compileFor(file, o, o.backend);
    const dir = mkdtempSync(join(tmpdir(), 'zeta-run-'));
    try {
      const exe = join(dir, defaultOut(file));
      const buildOpts = buildOptions(o);
      progress(buildStage(o.backend, buildOpts.optLevel));
      backend.build(ir, { ...buildOpts, out: exe });
      progress('');
      const r = spawnSync(exe, args, { stdio: 'inherit' });
      throw new ExitError(r.status ?? (r.signal ? 128 : 1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

withCommon(program.command('check')
  .description('check a Zeta file for errors without generating code')
  .argument('<file>', 'the .zeta source file'))
  .action((file: string, o: CommonOpts) => { compileFile(file, o); });

program.command('passes')
  .description('list the pipeline: each pass with its languages, how it runs (over the whole module, or one function at a time in a sweep) and what it does')
  .action(() => {
    // then each backend's own passes, run after the pipeline when building with it
    const rows = PIPELINE.map((p) => ({ p, note: '' }));
    for (const b of ['c', 'llvm'] as const) for (const p of tryBackend(b)?.passes ?? []) rows.push({ p, note: ` (--backend=${b})` });
    // how each runs: over the whole module, or one function at a time in a sweep
    const sweep = sweepOfEachPass(rows.map(({ p }) => p));
    const w = Math.max(...rows.map(({ p }) => p.name.length));
    rows.forEach(({ p, note }, i) => {
      const how = sweep[i] === 0 ? 'module' : `sweep ${sweep[i]}`;
      process.stdout.write(`${p.name.padEnd(w)}  ${`${p.from.name} -> ${p.to.name}`.padEnd(28)}  ${how.padEnd(7)}  ${p.description}${note}\n`);
    });
  });

function main(): number {
  try {
    program.parse(process.argv);
    return 0;
  } catch (e) {
    if (e instanceof ExitError) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof BackendUnavailable) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof InternalCompilerError) {
      process.stderr.write(`internal compiler error: pass \`${e.pass}\`: ${e.detail}\n`);
      return 70;
    }
    process.stderr.write(`internal compiler error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 70;
  }
}

// In the launcher's worker thread (bin/zeta-nano.mjs) the status must leave through exit().
const status = main();
if (isMainThread) process.exitCode = status; else process.exit(status);
