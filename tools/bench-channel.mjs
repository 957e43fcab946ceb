#!/usr/bin/env node
// Channel throughput benchmark: examples/channel_stress.zeta (4 producers, 4 consumers,
// N messages through one channel) compiled by zeta-nano, against the hand-written C
// pthreads program tools/bench/channel.c doing the same, compiled in the same run with
// `cc -O2 -pthread`. Each program runs several times; the best wall time counts. Prints
// messages per second for both and their ratio, and fails if either gets a wrong sum.
//
//   node tools/bench-channel.mjs [--messages 1000000] [--runs 5] [--backend c|llvm]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runPipeline, getBackend, renderHuman } from '../dist/api.mjs';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const messages = Number(opt('--messages', '1000000'));
const runs = Number(opt('--runs', '5'));
const backendName = opt('--backend', 'c');

const dir = mkdtempSync(join(tmpdir(), 'zeta-bench-channel-'));
try {
  const file = join(root, 'examples/channel_stress.zeta');
  const src = { path: file, text: readFileSync(file, 'utf8') };
  const res = runPipeline(src);
  if (!res.ir) {
    process.stderr.write(renderHuman(src, res.diagnostics));
    throw new Error('examples/channel_stress.zeta did not compile');
  }
  const zetaExe = join(dir, 'channel_stress');
  getBackend(backendName).build(res.ir, { optLevel: 2, sanitize: [], out: zetaExe });
  const cExe = join(dir, 'channel_c');
  const cc = spawnSync(process.env.CC ?? 'cc', ['-O2', '-pthread', join(root, 'tools/bench/channel.c'), '-o', cExe], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed:\n${cc.stderr}`);

  const expected = `${(BigInt(messages) * BigInt(messages + 1)) / 2n}\nok\n`;
  const best = (exe) => {
    let ms = Infinity;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(exe, [String(messages)], { encoding: 'utf8' });
      const t = performance.now() - t0;
      if (r.status !== 0 || r.stdout !== expected) throw new Error(`${exe} failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
      ms = Math.min(ms, t);
    }
    return ms;
  };
  const zetaMs = best(zetaExe);
  const cMs = best(cExe);
  const rate = (ms) => `${(messages / (ms / 1000) / 1e6).toFixed(2)}M msg/s`;
  console.log(`channel: ${messages} messages, 4 producers, 4 consumers, best of ${runs}`);
  console.log(`  zeta-nano (${backendName})  ${zetaMs.toFixed(1).padStart(8)} ms  ${rate(zetaMs)}`);
  console.log(`  C pthreads      ${cMs.toFixed(1).padStart(8)} ms  ${rate(cMs)}`);
  console.log(`  zeta / C time   ${(zetaMs / cMs).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
