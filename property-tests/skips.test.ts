// Skips (docs/ARCHITECTURE.md, "Skips"): a sweep leaves a function out of every pass whose
// `appliesTo` says, from the function's census, that it has nothing to do there. The
// invariant: a skipped pass would have returned the function as it is and reported nothing.
// On random valid programs using every feature (regions, deletes, lambdas, pointers, every
// number type), with --verify-each each skip is checked by running the pass anyway, and
// the sweep's output must equal the whole-module passes', which never skip. SKIPS_RUNS=N
// runs N programs instead of 40.

import { describe, expect } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { runPipeline } from '../tools/driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { printIR } from '../ir/print.js';
import { Lcfg } from '../ir/languages.js';
import { generateProgram, type GenOptions } from './gen/program-generator.js';

const VARIANTS: GenOptions[] = [{}, { lambdas: true, heapCaptures: true }, { lambdas: true, numerics: true, threads: true, pointerClasses: true, functions: 6 }];

describe('skips of passes that do not apply', () => {
  fcTest.prop([fc.integer(), fc.nat({ max: VARIANTS.length - 1 })], { numRuns: Number(process.env.SKIPS_RUNS ?? 40) })(
    'skip only what the pass would leave alone: --verify-each passes and the IR equals the whole-module passes\'',
    (seed, variant) => {
      const { source } = generateProgram(seed, VARIANTS[variant]);
      const src = { path: `gen-${seed}.zeta`, text: source };
      const swept = runPipeline(src, { passes: PIPELINE, verifyEach: true });
      const whole = runPipeline(src, { passes: PIPELINE, wholeModule: true });
      expect(swept.diagnostics).toEqual([]);
      expect(whole.diagnostics).toEqual([]);
      expect(printIR(Lcfg, swept.ir!)).toBe(printIR(Lcfg, whole.ir!));
    },
    120_000,
  );
});
