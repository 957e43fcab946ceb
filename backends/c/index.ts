// The C backend behind `--backend=c` (backends/index.ts): Lcfg -> C (emit-c.ts, a pass the
// driver runs after the shared pipeline) -> cc (toolchain.ts).

import type { AnyNode } from '../../ir/lang.js';
import type { Backend } from '../index.js';
import { cText, emitC, emitCPass, type CSource } from './emit-c.js';
import { compileCSync } from './toolchain.js';

type Module = Parameters<typeof emitC>[0];

/** The C of the emitter's output (a CSource), or of an Lcfg Module, emitted here (tests, the fuzzer). */
function cCode(ir: AnyNode): string | Buffer {
  return ir.kind === 'CSource' ? (ir as unknown as CSource).code as string | Buffer : emitC(ir as unknown as Module);
}

export function makeCBackend(): Backend {
  return {
    name: 'c',
    passes: [emitCPass],
    emitText: (ir: AnyNode) => (ir.kind === 'CSource' ? cText(ir as unknown as CSource) : emitC(ir as unknown as Module)),
    // the bytes go to the file as they are (no string is made of them)
    build: (ir: AnyNode, opts) => compileCSync(cCode(ir), opts.out, { optLevel: opts.optLevel, sanitize: opts.sanitize }),
  };
}

export { cText, emitC, emitCPass, Lcsource, type CSource } from './emit-c.js';
export { compileC, compileCSync, type CBuildOptions } from './toolchain.js';
