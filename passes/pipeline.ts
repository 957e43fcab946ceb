// The pipeline: every pass, in order, in one list. `zeta-nano passes` prints it.
// Each pass reads the language the previous one wrote (checked by `--verify-each`).

import type { Pass } from './pass.js';
import { parsePass } from './parse.js';
import { parseBodiesPass } from './parse-bodies.js';
import { resolveNamesPass } from './resolve-names.js';
import { checkTypesPass } from './check-types.js';
import { checkUnsafePass } from './check-unsafe.js';
import { desugarCompoundAssignPass } from './desugar-compound-assign.js';
import { desugarForPass } from './desugar-for.js';
import { desugarOptionSugarPass } from './desugar-option-sugar.js';
import { resolvePointersPass } from './resolve-pointers.js';
import { checkEscapesPass } from './check-escapes.js';
import { checkRegionValuesPass } from './check-region-values.js';
import { checkDeleteTargetPass } from './check-delete-target.js';
import { inferSyncPass } from './infer-sync.js';
import { checkConcurrencyPass } from './check-concurrency.js';
import { desugarLambdasPass } from './desugar-lambdas.js';
import { lowerMethodsPass } from './lower-methods.js';
import { lowerBuiltinsPass } from './lower-builtins.js';
import { lowerRegionsPass } from './lower-regions.js';
import { explicateControlPass } from './explicate-control.js';
import { checkDeletesPass } from './check-deletes.js';
import { checkLoansPass } from './check-loans.js';
import { elaborateDropsPass } from './elaborate-drops.js';
import { checkDropCopiesPass } from './check-drop-copies.js';

export const PIPELINE: readonly Pass[] = [
  parsePass,                   // Lsource     -> Lskimmed
  parseBodiesPass,             // Lskimmed    -> Lsrc
  resolveNamesPass,            // Lsrc        -> Lresolved
  checkTypesPass,              // Lresolved   -> Ltyped
  checkUnsafePass,             // Ltyped      (E0030)
  desugarCompoundAssignPass,   // Ltyped      -> Lnocompound
  desugarForPass,              // Lnocompound -> Lnofor
  desugarOptionSugarPass,      // Lnofor      -> Lnosugar
  resolvePointersPass,         // Lnosugar    -> Lptr
  checkEscapesPass,            // Lptr        (E0023, E0025)
  checkRegionValuesPass,       // Lptr        (E0026)
  checkDeleteTargetPass,       // Lptr        (E0027)
  inferSyncPass,               // Lptr        (E0042)
  checkConcurrencyPass,        // Lptr        (E0040, E0041, E0043, E0044)
  desugarLambdasPass,          // Lptr        -> Lnolambda
  lowerMethodsPass,            // Lnolambda   -> Lnomethods
  lowerBuiltinsPass,           // Lnomethods  -> Lcore
  lowerRegionsPass,            // Lcore       -> Lnoregions
  explicateControlPass,        // Lnoregions  -> Lcfg        (E0003: a static whose initializer needs its own value)
  checkDeletesPass,            // Lcfg        (E0020, E0021)
  checkLoansPass,              // Lcfg        (E0024)
  elaborateDropsPass,          // Lcfg        (moves at last use; drops run once: flags; no Delete)
  checkDropCopiesPass,         // Lcfg        (E0050)
];

/** Checks that consecutive passes agree on languages (run by the tests). */
export function checkPipelineChain(passes: readonly Pass[] = PIPELINE): string[] {
  const problems: string[] = [];
  for (let i = 1; i < passes.length; i++) {
    if (passes[i].from !== passes[i - 1].to) {
      problems.push(`${passes[i].name} reads ${passes[i].from.name} but ${passes[i - 1].name} writes ${passes[i - 1].to.name}`);
    }
  }
  return problems;
}
