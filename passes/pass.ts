// What a pass is: a name, a one-line description, the language it reads and the one it
// writes, and a function from one to the other. Passes never mutate their input (the
// driver deep-freezes IR between passes when verifying) and report errors into
// `ctx.diag` instead of throwing. Analyses that only check are passes whose output
// language is their input language and which return their input unchanged.

import type { AnyNode, Language } from '../ir/lang.js';
import type { Diagnostics, SourceFile } from '../ir/diagnostics.js';

export interface PassContext {
  readonly src: SourceFile;
  readonly diag: Diagnostics;
  /** a fresh binding id for locals a pass introduces (above every id the front end used) */
  freshId(): number;
  /**
   * Ends the pipeline after this pass: its errors left a tree the later passes cannot take
   * (a syntax error, an ill-typed expression). Errors that leave a meaningful tree do not
   * stop it, so the later checks report theirs in the same run (spec §11).
   */
  stop?(): void;
}

export interface Pass {
  readonly name: string;
  readonly description: string;
  readonly from: Language;
  readonly to: Language;
  run(ir: AnyNode, ctx: PassContext): AnyNode;
}

/** Declares a pass; `I`/`O` are the node types of its input and output roots. */
export function definePass<I extends AnyNode, O extends AnyNode>(p: {
  name: string; description: string; from: Language; to: Language;
  run(ir: I, ctx: PassContext): O;
}): Pass {
  return p as unknown as Pass;
}

/** An internal compiler error: a broken invariant, with the pass and node where it broke. */
export class InternalError extends Error {
  constructor(message: string, readonly pass?: string, readonly node?: AnyNode) { super(message); }
}

/**
 * Asserts an invariant a pass relies on; the reason names what was expected. On a hot path
 * whose reason is a template string, test first (`if (!c) invariant(false, \`...\`)`):
 * the argument would otherwise be built on every call, failing or not.
 */
export function invariant(cond: unknown, reason: string, node?: AnyNode): asserts cond {
  if (!cond) throw new InternalError(reason, undefined, node);
}
