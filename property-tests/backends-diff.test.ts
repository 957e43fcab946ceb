// Differential test of the two backends on generated programs (programArb: default, with
// lambdas, and with the wider switches): each program goes through the whole pipeline once, then is built by
// the C backend and by the LLVM backend (both unoptimized) and run; the two executables
// must exit with the same status and print the same bytes, and both must match the
// reference interpreter (ir/interpret.ts) on the same final IR. The compile-and-compare
// code is diff-harness.ts, shared with the fuzzer (tools/fuzz.mjs).
// Programs run two at a time (cc, opt, llc are the slow part).

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArb, type GenOptions } from './gen/program-generator.js';
import { mapLimit } from './drop-harness.js';
import { backendOrNull, diffProgram } from './diff-harness.js';

const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_OPTIONS = 6;
const OPTIONS: { label: string; opts: GenOptions }[] = [
  { label: 'default', opts: {} },
  { label: 'lambdas', opts: { lambdas: true } },
  // lambdas capturing heap values, every integer width and the floats, threads
  { label: 'wide', opts: { lambdas: true, heapCaptures: true, numerics: true, threads: true } },
];

const c = backendOrNull('c');
const llvm = backendOrNull('llvm');

describe('C and LLVM backends agree on generated programs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeta-backends-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const programs = OPTIONS.flatMap(({ label, opts }) =>
    fc.sample(programArb(opts), { numRuns: PER_OPTIONS, seed: FC_SEED }).map((p) => ({ ...p, label })));

  const title = `${programs.length} programs (${PER_OPTIONS} each: ${OPTIONS.map((o) => o.label).join(', ')}): same stdout and exit status on both backends, equal to the interpreter's`;
  it.skipIf(c === null || llvm === null)(llvm === null ? `${title} (SKIPPED: the LLVM backend is not available)` : title, async () => {
    const results = await mapLimit(programs, 2, async (p) =>
      ({ p, outcome: await diffProgram(p.source, `gen-${p.label}-${p.seed}`, { engines: ['interp', 'c', 'llvm'], dir }) }));
    let lines = 0, lambdaPrograms = 0;
    for (const { p, outcome } of results) {
      const ctx = `program seed ${p.seed} (${p.label}), fast-check seed ${FC_SEED}; reproduce with ` +
        `node tools/fuzz.mjs --seeds ${p.seed} --gen '${JSON.stringify(OPTIONS.find((o) => o.label === p.label)!.opts)}'`;
      expect(outcome.kind, `${ctx}\n${JSON.stringify(outcome).slice(0, 2000)}`).toBe('ran');
      if (outcome.kind !== 'ran') continue;
      const [interp, cRun, llvmRun] = outcome.runs;
      // no engine failed, each exited 0, same stdout and status everywhere, same heap
      // blocks on both backends (same runtime, same program), all freed
      expect(outcome.problems, `${ctx}\nC stderr: ${cRun.stderr.slice(0, 300)}\nLLVM stderr: ${llvmRun.stderr.slice(0, 300)}`).toEqual([]);
      expect([interp.status, cRun.status, llvmRun.status]).toEqual([0, 0, 0]);
      expect(cRun.allocs).toBe(llvmRun.allocs);
      lines += cRun.stdout.split('\n').length;
      if (p.features.some((f) => f.includes('lambda'))) lambdaPrograms++;
    }
    // the programs do print (every one ends with `end`) and those with lambdas have lambdas
    expect(lines).toBeGreaterThan(programs.length * 2);
    expect(lambdaPrograms).toBeGreaterThanOrEqual(PER_OPTIONS);
  }, 180_000);
});
