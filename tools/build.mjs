#!/usr/bin/env node
// Bundles the TypeScript sources into dist/ with esbuild, so the CLI starts fast
// (no TypeScript loader at run time). Runs on `npm install` (prepare) and before tests.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'tools/cli.ts'))) {
  console.log('build: tools/cli.ts not present yet, nothing to bundle');
  process.exit(0);
}
await build({
  entryPoints: { cli: join(root, 'tools/cli.ts'), api: join(root, 'tools/api.ts'), 'shard-worker': join(root, 'tools/shard-worker.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  packages: 'external',
  logLevel: 'warning',
});
