// Registers the backends the CLI can use.
import { registerBackend, BackendUnavailable } from './index.js';

registerBackend('llvm', () => {
  throw new BackendUnavailable('the LLVM backend (--backend=llvm) is not available yet; use --backend=c');
});
