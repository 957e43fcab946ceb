// Loads llvm-bindings (an optional native dependency) on first use, so that a machine
// where it failed to build still runs the C backend: the failure becomes a
// BackendUnavailable that says how to get it, never a crash at startup.

import { createRequire } from 'node:module';
import type * as LLVM from 'llvm-bindings';
import { BackendUnavailable } from '../index.js';

export type Llvm = typeof LLVM;

/** The x86-64 / AArch64 System V data layouts of LLVM 14, by architecture (see `targetLayout`). */
const DATA_LAYOUTS: Record<string, string> = {
  x86_64: 'e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128',
  aarch64: 'e-m:e-i8:8:32-i16:16:32-i64:64-i128:128-n32:64-S128',
};

let loaded: Llvm | null = null;
let loadError: string | null = null;

export const INSTALL_HINT =
  'help: the LLVM backend needs the optional native module llvm-bindings, built against LLVM 14: ' +
  'install the headers and cmake (`apt-get install llvm-14-dev cmake`), then run `npm rebuild llvm-bindings`; ' +
  'meanwhile --backend=c works without it';

/** llvm-bindings, loaded once; BackendUnavailable (with the install hint) when it cannot be loaded. */
export function loadLlvm(): Llvm {
  if (loaded) return loaded;
  if (loadError === null) {
    try {
      const require = createRequire(import.meta.url);
      loaded = require('llvm-bindings') as Llvm;
      return loaded;
    } catch (e) {
      loadError = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
  }
  throw new BackendUnavailable(`the LLVM backend cannot load llvm-bindings (${loadError})\n${INSTALL_HINT}`);
}

export interface Target { triple: string; dataLayout: string }

/**
 * The host target. llvm-bindings 0.4.2 cannot hand out a TargetMachine's data layout (its
 * createDataLayout returns a dangling reference), so the layout comes from this table of the
 * System V layouts LLVM 14 uses; the module must carry it so that field offsets, alignments
 * and sizes agree with the C compiler that builds the runtime.
 */
export function hostTarget(llvm: Llvm): Target {
  const triple = llvm.config.LLVM_DEFAULT_TARGET_TRIPLE;
  const arch = triple.split('-')[0];
  const dataLayout = DATA_LAYOUTS[arch];
  if (!dataLayout || !/linux|gnu/.test(triple)) {
    throw new BackendUnavailable(`the LLVM backend does not know the data layout of target \`${triple}\` ` +
      `(it supports ${Object.keys(DATA_LAYOUTS).join(', ')} Linux); use --backend=c`);
  }
  return { triple, dataLayout };
}
