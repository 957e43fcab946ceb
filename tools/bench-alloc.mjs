#!/usr/bin/env node
// Allocation per pass (`npm run bench:alloc`): how many bytes each pass and the C emitter
// allocate compiling a generated program (10k lines by default). Allocation is the
// compiler's main cost after the JIT warms up: every byte is written into a fresh
// young-generation page and, when it survives into the next pass (as IR does), copied by
// the scavenger. Unlike times, these numbers barely move with the machine's load, so they
// are what to compare before and after work on a pass.
//
//   node tools/bench-alloc.mjs [--lines N] [--runs R]
//
// It measures the heap's growth across each pass with a young generation large enough that
// no collection runs inside one (it restarts itself with those V8 flags). A function pass in
// a sweep (the back half, and the C emitter, `emit-c`, reported as "C emit") is measured
// across each of its calls (prepare, each function, assemble), summed.

import v8 from 'node:v8';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateProgram } from './gen-program.mjs';
import { instrumentPasses } from './instrument-passes.mjs';

const FLAGS = ['--max-semi-space-size=1024', '--min-semi-space-size=1024', '--expose-gc'];
if (!process.execArgv.includes('--expose-gc')) {
  const r = spawnSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { runPipeline, getBackend, PIPELINE } = await import('../dist/api.mjs');
const argv = process.argv.slice(2);
const argOf = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const text = generateProgram(Number(argOf('--lines') ?? 10_000));
const runs = Number(argOf('--runs') ?? 6);
const used = () => v8.getHeapStatistics().used_heap_size;

// what reading the heap's size allocates itself (its statistics object), taken off each reading
let overhead = Infinity;
for (let i = 0; i < 100; i++) { const a = used(); overhead = Math.min(overhead, used() - a); }

const backend = getBackend('c');
const label = (name) => (backend.passes.some((p) => p.name === name) ? 'C emit' : name);
// the least each pass allocated over the runs (a collection inside one would show as less)
const least = new Map();
let run = new Map(); // this run's bytes per pass
const note = (name, bytes) => run.set(label(name), (run.get(label(name)) ?? 0) + Math.max(0, bytes - overhead));
const measured = (name, f) => function (...args) {
  const a = used();
  try { return f.apply(this, args); } finally { note(name, used() - a); }
};
const passes = instrumentPasses([...PIPELINE, ...backend.passes], measured);
for (let i = 0; i < runs; i++) {
  globalThis.gc();
  run = new Map();
  const res = runPipeline({ path: 'alloc.zeta', text }, { passes });
  if (!res.ir) throw new Error('the generated program did not compile');
  for (const [name, bytes] of run) least.set(name, Math.min(least.get(name) ?? Infinity, bytes));
}
const lines = text.split('\n').length - 1;
let total = 0;
console.log(`| pass | MB allocated (${lines} lines) |\n| --- | ---: |`);
for (const [name, bytes] of least) { total += bytes; console.log(`| ${name} | ${(bytes / 1e6).toFixed(1)} |`); }
console.log(`| total | ${(total / 1e6).toFixed(1)} (${(total / text.length).toFixed(0)} bytes per source byte) |`);
