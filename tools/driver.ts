// The driver: runs the pipeline (passes/pipeline.ts) over one source file, with the
// researcher's switches: verify each pass's output against its language, dump the IR
// after chosen passes, time the passes. It turns a thrown exception into an internal
// compiler error that names the pass, never an uncaught crash.

import { freeze } from 'immer';
import { validate, type AnyNode } from '../ir/lang.js';
import { Diagnostics, type Diagnostic, type SourceFile } from '../ir/diagnostics.js';
import { printIR } from '../ir/print.js';
import { InternalError, type Pass, type PassContext } from '../passes/pass.js';
import { PIPELINE } from '../passes/pipeline.js';

export interface PipelineOptions {
  /** validate every pass's output against its output language (and deep-freeze it) */
  verifyEach?: boolean;
  /** pass names whose output to print, or 'all' */
  dumpAfter?: readonly string[] | 'all';
  /** stop after this pass (for `--emit=ir` and tests) */
  stopAfter?: string;
  timePasses?: boolean;
  passes?: readonly Pass[];
}

export interface PassTiming { pass: string; ms: number }

export interface PipelineResult {
  /** the last pass's output (an Lcfg Module after the full pipeline) unless errors stopped it */
  ir: AnyNode | null;
  lastPass: string | null;
  diagnostics: Diagnostic[];
  dumps: { pass: string; text: string }[];
  timings: PassTiming[];
}

export class InternalCompilerError extends Error {
  /** the IR dumps asked for that were made before the failing pass (to debug it with) */
  dumps: { pass: string; text: string }[] = [];
  constructor(readonly pass: string, readonly detail: string, readonly causeError?: unknown) {
    super(`internal compiler error in pass \`${pass}\`: ${detail}`);
  }
}

function describeNode(n: AnyNode | undefined): string {
  return n ? `${n.kind} at bytes ${n.span?.start}..${n.span?.end}` : 'unknown node';
}

export function runPipeline(src: SourceFile, opts: PipelineOptions = {}): PipelineResult {
  const passes = opts.passes ?? PIPELINE;
  const diag = new Diagnostics();
  let nextId = 1_000_000;
  let stopped = false;
  const ctx: PassContext = { src, diag, freshId: () => nextId++, stop: () => { stopped = true; } };
  const result: PipelineResult = { ir: null, lastPass: null, diagnostics: diag.list, dumps: [], timings: [] };
  let ir: AnyNode = { kind: 'SourceText', span: { start: 0, end: src.text.length }, path: src.path, text: src.text };
  const wantDump = (name: string) => opts.dumpAfter === 'all' || (opts.dumpAfter ?? []).includes(name);
  /** An internal error of `pass`, carrying the dumps made so far (to debug it with). */
  const ice = (pass: Pass, detail: string, cause?: unknown) => {
    const err = new InternalCompilerError(pass.name, detail, cause);
    err.dumps = result.dumps;
    return err;
  };

  for (const pass of passes) {
    const t0 = performance.now();
    let out: AnyNode;
    try {
      out = pass.run(ir, ctx);
    } catch (e) {
      if (e instanceof InternalError) throw ice(pass, `${e.message} (${describeNode(e.node)})`, e);
      throw ice(pass, e instanceof Error ? e.stack ?? e.message : String(e), e);
    }
    result.timings.push({ pass: pass.name, ms: performance.now() - t0 });
    if (opts.verifyEach && !stopped) {
      const problems = validate(pass.to, out);
      if (problems.length > 0) {
        const p = problems[0];
        throw ice(pass,
          `output is not valid ${pass.to.name}: ${p.message} at ${p.path} (${describeNode(p.node)})` +
          (problems.length > 1 ? ` and ${problems.length - 1} more problem(s)` : ''));
      }
      freeze(out, true);
    }
    if (wantDump(pass.name)) result.dumps.push({ pass: pass.name, text: printIR(pass.to, out) });
    ir = out;
    result.lastPass = pass.name;
    if (stopped) return result;
    if (opts.stopAfter === pass.name) break;
  }
  // checks that do not stop the pipeline still prevent code generation
  result.ir = diag.hasErrors ? null : ir;
  return result;
}
