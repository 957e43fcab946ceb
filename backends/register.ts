// Registers the backends the CLI can use.
import { registerBackend } from './index.js';
import { makeCBackend } from './c/index.js';
import { llvmBackend } from './llvm/index.js';

registerBackend('c', makeCBackend);
registerBackend('llvm', llvmBackend);
