// The backends behind `--backend=c|llvm`: both take the same final IR (an Lcfg Module),
// so a researcher's new pass serves both. A backend may add passes of its own after the
// shared pipeline (the C emitter is one: it runs in the sweep, function by function).

import type { AnyNode } from '../ir/lang.js';
import type { Pass } from '../passes/pass.js';

export type BackendName = 'c' | 'llvm';

export interface BuildOptions {
  optLevel: 0 | 2;
  /** sanitizers to build with: 'address', 'undefined', 'thread' */
  sanitize: string[];
}

export interface Backend {
  readonly name: BackendName;
  /**
   * The backend's own passes, run by the driver after the shared PIPELINE
   * (`[...PIPELINE, ...backend.passes]`): the C emitter for C, none for LLVM.
   */
  readonly passes: readonly Pass[];
  /**
   * The generated source: C for the C backend, textual LLVM IR for the LLVM one. `ir` is
   * the last of `passes`' output, or an Lcfg Module (what the shared pipeline ends with).
   */
  emitText(ir: AnyNode, opts: BuildOptions): string;
  /** builds an executable at `out` (from `ir` as for emitText), atomically (no half-written file on failure) */
  build(ir: AnyNode, opts: BuildOptions & { out: string }): void;
}

/** A backend that cannot run on this machine (a missing tool or library); the message says how to fix it. */
export class BackendUnavailable extends Error {}

const registry = new Map<BackendName, () => Backend>();

export function registerBackend(name: BackendName, make: () => Backend): void {
  registry.set(name, make);
}

export function getBackend(name: BackendName): Backend {
  const make = registry.get(name);
  if (!make) throw new BackendUnavailable(`the ${name} backend is not available in this build`);
  return make();
}
