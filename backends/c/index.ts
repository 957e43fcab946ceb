// The C backend behind `--backend=c` (backends/index.ts): Lcfg -> C (emit-c.ts) -> cc (toolchain.ts).

import type { AnyNode } from '../../ir/lang.js';
import type { Backend } from '../index.js';
import { emitC } from './emit-c.js';
import { compileCSync } from './toolchain.js';

type Module = Parameters<typeof emitC>[0];

export function makeCBackend(): Backend {
  return {
    name: 'c',
    emitText: (module: AnyNode) => emitC(module as unknown as Module),
    build: (module: AnyNode, opts) =>
      compileCSync(emitC(module as unknown as Module), opts.out, { optLevel: opts.optLevel, sanitize: opts.sanitize }),
  };
}

export { emitC } from './emit-c.js';
export { compileC, compileCSync, type CBuildOptions } from './toolchain.js';
