// The library entry point (bundled as dist/api.mjs): what scripts and benchmarks use
// to drive the compiler without the CLI.
export { runPipeline, InternalCompilerError, type PipelineOptions, type PipelineResult } from './driver.js';
export { PIPELINE, checkPipelineChain } from '../passes/pipeline.js';
export { getBackend, BackendUnavailable } from '../backends/index.js';
export { printIR } from '../ir/print.js';
export { renderHuman, renderJson } from '../ir/diagnostics.js';
import '../backends/register.js';
