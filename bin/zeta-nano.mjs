#!/usr/bin/env node
// The `zeta-nano` command: runs the bundled CLI (dist/cli.mjs, built by `npm run build`,
// also on install) in a worker thread with a large stack, so deeply nested programs
// (a 50,000-term expression is a valid program) never overflow the compiler's stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const dist = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  console.error('zeta-nano: dist/cli.mjs is missing; run `npm run build` (or `npm install`) first');
  process.exit(70);
}
// A young generation of 192 MB (64 MB semi-spaces, as `--max-semi-space-size=64`): a big
// program's passes allocate their output trees quickly, and the default (16 MB semi-spaces)
// scavenges too often; measured ~12% faster on a 1M-line program, no change on small ones.
const worker = new Worker(dist, { argv: process.argv.slice(2), resourceLimits: { stackSizeMb: 512, maxYoungGenerationSizeMb: 192 } });

// Progress on long work: the CLI (in the worker) reports each stage as it starts; a stage
// still running after a while (1.5 s; ZETA_NANO_PROGRESS=MS sets it, and turns progress on
// where stderr is not a terminal) is shown on stderr, and so is every stage after it.
const progressEnv = process.env.ZETA_NANO_PROGRESS;
const progressAfterMs = progressEnv !== undefined && progressEnv !== '' ? Number(progressEnv) : process.stderr.isTTY ? 1500 : null;
if (progressAfterMs !== null && Number.isFinite(progressAfterMs)) {
  let stage = null, since = 0, showing = false;
  const show = () => process.stderr.write(`zeta-nano: ${stage}...\n`);
  worker.on('message', (m) => {
    if (typeof m?.progress !== 'string') return;
    stage = m.progress || null; // '': no compiler work (the program itself runs)
    if (stage === null) return;
    since = Date.now();
    if (showing) show();
    else if (progressAfterMs <= 0) { showing = true; show(); }
  });
  setInterval(() => {
    if (stage !== null && !showing && Date.now() - since >= progressAfterMs) { showing = true; show(); }
  }, 100).unref();
}
worker.on('error', (e) => {
  process.stderr.write(`internal compiler error: ${e?.stack ?? e}\n`);
  process.exitCode = 70;
});
worker.on('exit', (code) => { process.exitCode ??= code; });
// A reader that stops early (`zeta-nano passes | head`) closes the pipe: stop quietly, as
// command-line tools do, rather than crash on the write that finds it closed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e?.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}
