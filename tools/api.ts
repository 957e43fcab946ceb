// The library entry point (bundled as dist/api.mjs): what scripts and benchmarks use
// to drive the compiler without the CLI.
export { runPipeline, InternalCompilerError, type PipelineOptions, type PipelineResult } from './driver.js';
export { PIPELINE, checkPipelineChain } from '../passes/pipeline.js';
export { getBackend, BackendUnavailable } from '../backends/index.js';
export { printIR } from '../ir/print.js';
export { renderHuman, renderJson } from '../ir/diagnostics.js';
import '../backends/register.js';
// for the fuzzer (tools/fuzz.mjs): the program generator and the differential harness
export { generateProgram, DEFAULT_OPTIONS, type GenOptions } from '../property-tests/gen/program-generator.js';
export { diffProgram, compileFinal, compareRuns, ENGINES, type Engine, type EngineRun, type DiffOutcome } from '../property-tests/diff-harness.js';
export { interpret } from '../ir/interpret.js';
