#!/usr/bin/env node
// The `zeta-nano` command: the bundled CLI (built by `npm run build`, also on install).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const dist = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(fileURLToPath(dist))) {
  console.error('zeta-nano: dist/cli.mjs is missing; run `npm run build` (or `npm install`) first');
  process.exit(70);
}
await import(dist.href);
