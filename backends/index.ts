// The backends behind `--backend=c|llvm`: both take the same final IR (an Lcfg Module),
// so a researcher's new pass serves both.

import type { AnyNode } from '../ir/lang.js';

export type BackendName = 'c' | 'llvm';

export interface BuildOptions {
  optLevel: 0 | 2;
  /** sanitizers to build with: 'address', 'undefined', 'thread' */
  sanitize: string[];
}

export interface Backend {
  readonly name: BackendName;
  /** the generated source: C for the C backend, textual LLVM IR for the LLVM one */
  emitText(module: AnyNode, opts: BuildOptions): string;
  /** builds an executable at `out`, atomically (no half-written file on failure) */
  build(module: AnyNode, opts: BuildOptions & { out: string }): void;
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
