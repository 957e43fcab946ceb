#!/usr/bin/env node
// The fuzzer: generates random valid Zeta programs (property-tests/gen/program-generator.ts),
// compiles each once and runs it on the C backend, the LLVM backend and the reference
// interpreter, and reports every seed where they disagree, where the compiler crashed
// (an internal compiler error), rejected the program (the generator only writes valid
// programs), or a run did not exit 0 or leaked heap blocks. The compile-and-compare code is
// property-tests/diff-harness.ts, the same as the backends-diff property test's; it runs
// from the bundle (dist/api.mjs), so build first: `npm run fuzz -- --seeds 0..99`.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

const HELP = `usage: node tools/fuzz.mjs --seeds A..B [options]

Generates one program per seed, compiles it, runs it on each engine and compares
stdout and exit status. Every failure (a disagreement, a non-zero exit, a leak, an
internal compiler error, or a rejected program) is saved under the keep folder
and summed up on one line.

options:
  --seeds SPEC        seeds: A..B (inclusive), N, or a comma list of those (required)
  --backends LIST     engines to run, from c,llvm,interp (default: all three)
  --jobs N            seeds in flight at once (default 1)
  --keep DIR          where failures are saved (default fuzz-failures/)
  --gen JSON          generator options for every seed, e.g. '{"lambdas":true}'
                      (default: every switch on: lambdas, heapCaptures, threads, pointerClasses,
                      numerics and ownership; odd seeds also get larger programs:
                      {"functions":6,"depth":4,"stmts":8})
  --opt 0|2           optimisation level of both backends (default 0)
  --sanitize LIST     build with sanitizers, e.g. address,undefined (default none)
  --verify-each       validate each pass's output IR against its language
  --timeout MS        per-run timeout of an executable (default 20000)
  --help              this text

exit status: 0 no failure, 1 some failure, 2 bad usage (or no dist/api.mjs)`;

function usage(msg) {
  process.stderr.write(`fuzz: ${msg}\n\n${HELP}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      seeds: { type: 'string' }, backends: { type: 'string' }, jobs: { type: 'string' }, keep: { type: 'string' },
      gen: { type: 'string' }, timeout: { type: 'string' }, opt: { type: 'string' }, sanitize: { type: 'string' },
      'verify-each': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
} catch (e) {
  usage(e.message);
}
if (args.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

/** `A..B`, `N` and comma lists of them, in order, without repeats. */
function parseSeeds(spec) {
  const out = new Set();
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(-?\d+)(?:\.\.(-?\d+))?$/.exec(part);
    if (!m) usage(`bad seed spec \`${part}\` (want A..B, N or a comma list)`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) usage(`empty seed range \`${part}\``);
    if (b - a > 10_000_000) usage(`seed range \`${part}\` is too large`);
    for (let s = a; s <= b; s++) out.add(s);
  }
  return [...out];
}

if (!args.seeds) usage('--seeds is required');
const seeds = parseSeeds(args.seeds);
const engines = (args.backends ?? 'c,llvm,interp').split(',').map((s) => s.trim()).filter(Boolean);
for (const e of engines) if (!['c', 'llvm', 'interp'].includes(e)) usage(`unknown backend \`${e}\` (want c, llvm or interp)`);
if (engines.length === 0) usage('--backends lists no engine');
const jobs = Math.max(1, Number(args.jobs ?? 1) || 1);
const keep = resolve(args.keep ?? join(ROOT, 'fuzz-failures'));
const timeoutMs = Math.max(1000, Number(args.timeout ?? 20_000) || 20_000);
const optLevel = Number(args.opt ?? 0);
if (optLevel !== 0 && optLevel !== 2) usage(`--opt takes 0 or 2, not \`${args.opt}\``);
const sanitize = (args.sanitize ?? '').split(',').map((s) => s.trim()).filter(Boolean);
let fixedOpts = null;
if (args.gen !== undefined) {
  try { fixedOpts = JSON.parse(args.gen); } catch (e) { usage(`--gen is not JSON: ${e.message}`); }
}
/** Every feature switch on; odd seeds also get larger programs. */
const ALL_ON = { lambdas: true, heapCaptures: true, numerics: true, ownership: true, threads: true, pointerClasses: true };
const LARGER = { functions: 6, depth: 4, stmts: 8 };
const optionsFor = (seed) => fixedOpts ?? (Math.abs(seed) % 2 === 1 ? { ...ALL_ON, ...LARGER } : ALL_ON);

let api;
try {
  api = await import(join(ROOT, 'dist/api.mjs'));
} catch (e) {
  usage(`cannot load dist/api.mjs (run \`node tools/build.mjs\` first): ${e.message}`);
}
if (typeof api.diffProgram !== 'function') usage('dist/api.mjs has no diffProgram: rebuild it with `node tools/build.mjs`');

/** One seed: generate, compile, run, compare. Returns null when all is well, else the failure. */
async function fuzzOne(seed) {
  const opts = optionsFor(seed);
  let program;
  try {
    program = api.generateProgram(seed, opts);
  } catch (e) {
    return { seed, opts, source: null, kind: 'generator', summary: `generator threw: ${e.message}`, details: e.stack ?? String(e), runs: [] };
  }
  const outcome = await api.diffProgram(program.source, `fuzz-${seed}`, { engines, timeoutMs, optLevel, sanitize, verifyEach: Boolean(args['verify-each']) });
  const base = { seed, opts, source: program.source };
  switch (outcome.kind) {
    case 'rejected':
      return { ...base, kind: 'rejected', summary: `rejected after ${outcome.lastPass}: ${outcome.diagnostics[0] ?? '(no diagnostic)'}`,
        details: outcome.diagnostics.join('\n'), runs: [] };
    case 'ice':
      return { ...base, kind: 'ice', summary: `internal compiler error in ${outcome.pass}: ${outcome.message.split('\n')[0]}`,
        details: outcome.message, runs: [] };
    default:
      if (outcome.problems.length === 0) return null;
      return { ...base, kind: 'mismatch', summary: outcome.problems.join('; '), details: outcome.problems.join('\n'), runs: outcome.runs };
  }
}

function save(f) {
  const dir = join(keep, `seed-${f.seed}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (f.source !== null) writeFileSync(join(dir, 'program.zeta'), f.source);
  writeFileSync(join(dir, 'report.txt'),
    `seed: ${f.seed}\ngenerator options: ${JSON.stringify(f.opts)}\nengines: ${engines.join(',')} (-O${optLevel}` +
    `${sanitize.length ? `, sanitizers ${sanitize.join(',')}` : ''})\nkind: ${f.kind}\n\n${f.details}\n\n` +
    `reproduce: node tools/fuzz.mjs --seeds ${f.seed} --backends ${engines.join(',')} --gen '${JSON.stringify(f.opts)}'` +
    `${optLevel ? ` --opt ${optLevel}` : ''}${args['verify-each'] ? ' --verify-each' : ''}${sanitize.length ? ` --sanitize ${sanitize.join(',')}` : ''}\n`);
  for (const r of f.runs) {
    writeFileSync(join(dir, `${r.engine}.stdout`), r.stdout);
    writeFileSync(join(dir, `${r.engine}.stderr`), (r.error ? `${r.error}\n` : '') + r.stderr);
    writeFileSync(join(dir, `${r.engine}.status`), `${r.status}\n`);
  }
  return dir;
}

const tty = process.stderr.isTTY;
const started = Date.now();
let done = 0;
const failures = [];
let saved = 0;
const byKind = { mismatch: 0, ice: 0, rejected: 0, generator: 0 };

function progress(final = false) {
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  const line = `fuzz: ${done}/${seeds.length} seeds, ${failures.length} failure(s), ${secs}s`;
  if (tty && !final) process.stderr.write(`\r${line}`);
  else if (!tty && (final ? done % 25 !== 0 : done % 25 === 0)) process.stderr.write(`${line}\n`);
}

let next = 0;
async function worker() {
  while (next < seeds.length) {
    const seed = seeds[next++];
    let f;
    try {
      f = await fuzzOne(seed);
    } catch (e) {
      // the harness itself failed (out of disk, a tool missing...): a failure to look at too
      f = { seed, opts: optionsFor(seed), source: null, kind: 'ice', summary: `harness: ${e.message}`, details: e.stack ?? String(e), runs: [] };
    }
    done++;
    if (f) {
      failures.push(f);
      byKind[f.kind]++;
      let where;
      try { where = `saved in ${save(f)}`; saved++; } catch (e) { where = `not saved: ${e.message}`; }
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(`FAIL seed ${seed} [${f.kind}] ${f.summary.slice(0, 300)} (${where})\n`);
    }
    progress();
  }
}
await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, worker));
if (tty) process.stderr.write('\r\x1b[K');
progress(true);
const kinds = Object.entries(byKind).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
process.stdout.write(`fuzz: ${seeds.length} seeds on ${engines.join(',')} (-O${optLevel}${sanitize.length ? `, ${sanitize.join(',')}` : ''}): ${failures.length} failure(s)${kinds ? ` (${kinds})` : ''}` +
  `${saved ? `, saved in ${keep}` : ''}\n`);
process.exit(failures.length ? 1 : 0);
