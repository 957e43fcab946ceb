// Registers the backends the CLI can use.
import { registerBackend } from './index.js';
import { llvmBackend } from './llvm/index.js';
import { emitC } from './c/emit-c.js';
import { compileCSync } from './c/toolchain.js';

registerBackend('c', () => ({
  name: 'c',
  emitText: (module) => emitC(module as Parameters<typeof emitC>[0]),
  build: (module, o) => compileCSync(emitC(module as Parameters<typeof emitC>[0]), o.out, { optLevel: o.optLevel, sanitize: o.sanitize }),
}));

registerBackend('llvm', llvmBackend);
