#!/usr/bin/env node
// Compile-speed benchmark (`npm run bench:compile`): generates programs of 10k, 100k and
// 1M lines, runs the front end and every pass through to C source, and reports lines per
// second and how time grows with size (linear means ~10x per 10x lines). Then times `cc -O2`
// on the generated C (10k and 100k; pass --cc-1m to include 1M).
//
//   node tools/bench-compile.mjs [--sizes 10000,100000,1000000] [--cc-1m] [--no-cc]

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { generateProgram } from './gen-program.mjs';
import { runPipeline, getBackend, renderHuman } from '../dist/api.mjs';

const argv = process.argv.slice(2);
const sizesArg = argv.indexOf('--sizes');
const sizes = sizesArg >= 0 ? argv[sizesArg + 1].split(',').map(Number) : [10_000, 100_000, 1_000_000];
const ccAll = argv.includes('--cc-1m');
const noCc = argv.includes('--no-cc');

const rows = [];
const dir = mkdtempSync(join(tmpdir(), 'zeta-bench-'));
try {
  for (const n of sizes) {
    const text = generateProgram(n);
    const lines = text.split('\n').length - 1;
    const src = { path: `bench${n}.zeta`, text };
    // warm up the JIT on a small program once
    if (rows.length === 0) runPipeline({ path: 'warm.zeta', text: generateProgram(2000) });
    const t0 = performance.now();
    const res = runPipeline(src);
    const t1 = performance.now();
    if (!res.ir) {
      process.stderr.write(renderHuman(src, res.diagnostics.slice(0, 5)));
      throw new Error(`generated program of ${lines} lines did not compile`);
    }
    const backend = getBackend('c');
    const c = backend.emitText(res.ir, { optLevel: 2, sanitize: [] });
    const t2 = performance.now();
    let ccMs = null;
    if (!noCc && (n < 1_000_000 || ccAll)) {
      const t3 = performance.now();
      backend.build(res.ir, { optLevel: 2, sanitize: [], out: join(dir, `b${n}`) });
      ccMs = performance.now() - t3 - (t2 - t1); // build re-emits C; subtract the emit time
    }
    const frontMs = t1 - t0;
    const totalMs = t2 - t0;
    rows.push({ lines, frontMs, emitMs: t2 - t1, totalMs, linesPerSec: lines / (totalMs / 1000), ccMs, cBytes: c.length });
    const slowest = [...res.timings].sort((a, b) => b.ms - a.ms).slice(0, 3).map((t) => `${t.pass} ${t.ms.toFixed(0)}ms`).join(', ');
    console.log(`${String(lines).padStart(8)} lines: passes ${frontMs.toFixed(0)} ms + C emit ${(t2 - t1).toFixed(0)} ms = ` +
      `${(lines / (totalMs / 1000)).toFixed(0)} lines/s; cc -O2 ${ccMs === null ? 'skipped' : `${(ccMs / 1000).toFixed(1)} s`}  (slowest: ${slowest})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('\n| lines | passes (ms) | C emit (ms) | lines/s | time ratio vs previous | cc -O2 (s) |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
rows.forEach((r, i) => {
  const ratio = i === 0 ? '' : `${(r.totalMs / rows[i - 1].totalMs).toFixed(1)}x for ${(r.lines / rows[i - 1].lines).toFixed(0)}x lines`;
  console.log(`| ${r.lines} | ${r.frontMs.toFixed(0)} | ${r.emitMs.toFixed(0)} | ${r.linesPerSec.toFixed(0)} | ${ratio} | ${r.ccMs === null ? '-' : (r.ccMs / 1000).toFixed(1)} |`);
});
const target = 100_000;
const worst = Math.min(...rows.map((r) => r.linesPerSec));
console.log(`\ntarget >= ${target} lines/s: ${worst >= target ? 'met' : 'NOT met'} (slowest size: ${worst.toFixed(0)} lines/s)`);
