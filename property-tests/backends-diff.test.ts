// Differential test of the two backends on generated programs (programArb, with and
// without lambdas): each program goes through the whole pipeline once, then is built by
// the C backend and by the LLVM backend (`getBackend('c' | 'llvm')`, both unoptimized) and
// run; the two executables must exit with the same status and print the same bytes, and
// both must match the reference interpreter (ir/interpret.ts) on the same final IR.
// Builds run as async child processes, two at a time (cc, opt, llc are the slow part).

import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programArb, type GenOptions } from './gen/program-generator.js';
import { mapLimit, RUNTIME_DIR, runTraced, type Module } from './drop-harness.js';
import { interpret } from '../ir/interpret.js';
import { runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { BackendUnavailable, getBackend, type Backend } from '../backends/index.js';
import '../backends/register.js';
import { compileC } from '../backends/c/toolchain.js';
import { buildLlvmAsync } from '../backends/llvm/index.js';

const FC_SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PER_OPTIONS = 6;
const OPTIONS: { label: string; opts: GenOptions }[] = [
  { label: 'default', opts: {} },
  { label: 'lambdas', opts: { lambdas: true } },
];

function backendOrNull(name: 'c' | 'llvm'): Backend | null {
  try { return getBackend(name); } catch (e) { if (e instanceof BackendUnavailable) return null; throw e; }
}
const c = backendOrNull('c');
const llvm = backendOrNull('llvm');

/** The final IR of the whole pipeline; throws with the diagnostics when the program is rejected. */
function compileFinal(source: string, what: string): Module {
  const r = runPipeline({ path: `${what}.zeta`, text: source }, { passes: PIPELINE });
  // every diagnostic is an error (ir/diagnostics.ts): a generated program must have none
  if (r.ir === null || r.ir.kind !== 'Module' || r.diagnostics.length > 0 || r.lastPass !== PIPELINE[PIPELINE.length - 1].name) {
    throw new Error(`${what} did not compile (last pass ${r.lastPass}): ${r.diagnostics.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  }
  return r.ir as unknown as Module;
}

describe('C and LLVM backends agree on generated programs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zeta-backends-diff-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const programs = OPTIONS.flatMap(({ label, opts }) =>
    fc.sample(programArb(opts), { numRuns: PER_OPTIONS, seed: FC_SEED }).map((p) => ({ ...p, label })));

  const title = `${programs.length} programs (${PER_OPTIONS} default, ${PER_OPTIONS} with lambdas): same stdout and exit status on both backends, equal to the interpreter's`;
  it.skipIf(c === null || llvm === null)(llvm === null ? `${title} (SKIPPED: the LLVM backend is not available)` : title, async () => {
    const results = await mapLimit(programs, 2, async (p) => {
      const m = compileFinal(p.source, `gen-${p.label}-${p.seed}`);
      const expected = interpret(m, { maxBlocks: 5_000_000 });
      const cExe = join(dir, `c-${p.label}-${p.seed}`);
      const llvmExe = join(dir, `llvm-${p.label}-${p.seed}`);
      // the C backend's own emitter, built asynchronously (Backend.build blocks)
      await compileC(c!.emitText(m, { optLevel: 0, sanitize: [] }), cExe, { optLevel: 0, runtimeDir: RUNTIME_DIR });
      await buildLlvmAsync(m, { optLevel: 0, sanitize: [], out: llvmExe });
      const [cRun, llvmRun] = await Promise.all([runTraced(cExe), runTraced(llvmExe)]);
      return { p, expected, cRun, llvmRun };
    });
    let lines = 0, lambdaPrograms = 0;
    for (const { p, expected, cRun, llvmRun } of results) {
      const ctx = `program seed ${p.seed} (${p.label}), fast-check seed ${FC_SEED}\n` +
        `C stderr: ${cRun.stderr.slice(0, 300)}\nLLVM stderr: ${llvmRun.stderr.slice(0, 300)}`;
      expect(expected.status, ctx).toBe(0);
      expect(llvmRun.status, ctx).toBe(cRun.status);
      expect(llvmRun.stdout, ctx).toBe(cRun.stdout);
      expect(cRun.status, ctx).toBe(expected.status);
      expect(cRun.stdout, ctx).toBe(expected.stdout);
      // same runtime, same program: the same heap blocks, all freed
      expect([llvmRun.allocs, llvmRun.frees], ctx).toEqual([cRun.allocs, cRun.frees]);
      expect(cRun.frees, ctx).toBe(cRun.allocs);
      lines += cRun.stdout.split('\n').length;
      if (p.features.some((f) => f.includes('lambda'))) lambdaPrograms++;
    }
    // the programs do print (every one ends with `end`) and the lambda half has lambdas
    expect(lines).toBeGreaterThan(programs.length * 2);
    expect(lambdaPrograms).toBeGreaterThanOrEqual(PER_OPTIONS / 2);
  }, 120_000);
});
