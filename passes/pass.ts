// What a pass is: a name, a one-line description, the language it reads and the one it
// writes, and a function from one to the other. Passes never mutate their input (the
// driver deep-freezes IR between passes when verifying) and report errors into
// `ctx.diag` instead of throwing. Analyses that only check are passes whose output
// language is their input language and which return their input unchanged.

import type { AnyNode, Language } from '../ir/lang.js';
import type { Diagnostic, Diagnostics, SourceFile } from '../ir/diagnostics.js';
import { Lcfg, type Node } from '../ir/languages.js';
import type { Census } from '../ir/census.js';

type CfgModule = Node<typeof Lcfg, 'Module'>;
type CfgFn = Node<typeof Lcfg, 'FnDef'>;

export interface PassContext {
  readonly src: SourceFile;
  readonly diag: Diagnostics;
  /**
   * A fresh binding id for a local the pass introduces: unique within the function (all that
   * binding ids need), above every id the front end used. A function pass calls
   * `beginFunction` before each function, so a function's ids depend on nothing outside it.
   */
  freshId(): number;
  /** starts the numbering of fresh ids for the next function again (see freshId) */
  beginFunction?(): void;
  /**
   * Ends the pipeline after this pass: its errors left a tree the later passes cannot take
   * (a syntax error, an ill-typed expression). Errors that leave a meaningful tree do not
   * stop it, so the later checks report theirs in the same run (spec §11).
   */
  stop?(): void;
  /**
   * For a function pass in a sweep (see FunctionPass), whose `prepare` sees the module's
   * declarations but no function bodies: the whole module as the pass would read it, for
   * facts about every function (interprocedural summaries). Built on demand by running the
   * sweep's earlier passes over the whole module, with ids and diagnostics of their own, so
   * asking changes nothing in the output. Absent outside sweeps: `prepare` has the module.
   */
  wholeModule?(): AnyNode;
  /**
   * Every diagnostic reported so far in this compile, by this pass and the ones before it
   * (in a sweep each pass reports into a sink of its own, so `diag` holds only its own).
   */
  reported?(): readonly Diagnostic[];
  /**
   * Runs `release` once the compile is over, failed or not: for memory only this compile
   * reads, which the next one can reuse (parse's token arrays).
   */
  atEnd?(release: () => void): void;
}

export interface Pass {
  readonly name: string;
  readonly description: string;
  readonly from: Language;
  readonly to: Language;
  /**
   * A code generator (the C emitter): it needs a program without errors, so the driver stops
   * before it once any pass has reported one (checks that do not stop the pipeline still
   * prevent code generation).
   */
  readonly generatesCode?: boolean;
  run(ir: AnyNode, ctx: PassContext): AnyNode;
}

/** Declares a pass; `I`/`O` are the node types of its input and output roots. */
export function definePass<I extends AnyNode, O extends AnyNode>(p: {
  name: string; description: string; from: Language; to: Language;
  run(ir: I, ctx: PassContext): O;
}): Pass {
  return p as unknown as Pass;
}

/**
 * What threads compiling parts of one module made cannot be joined as it is (two C names
 * came out differently): not an error of the program nor of the compiler, the compile is
 * redone in one thread (FunctionPassParts.shard).
 */
export class ShardMismatch extends Error {}

/** An internal compiler error: a broken invariant, with the pass and node where it broke. */
export class InternalError extends Error {
  constructor(message: string, readonly pass?: string, readonly node?: AnyNode) { super(message); }
}

/**
 * Asserts an invariant a pass relies on; the reason names what was expected. On a hot path
 * whose reason is a template string, test first (`if (!c) invariant(false, \`...\`)`):
 * the argument would otherwise be built on every call, failing or not.
 */
export function invariant(cond: unknown, reason: string, node?: AnyNode): asserts cond {
  if (!cond) throw new InternalError(reason, undefined, node);
}

/**
 * A pass that works one function at a time, as rustc's MIR passes work per body. It reads
 * the module's declarations once (`prepare`), then transforms or checks each function
 * (`runFunction`) knowing nothing of the other functions' bodies.
 *
 * Why: the driver runs consecutive function passes as one *sweep*: each function goes
 * through all of them before the next one starts. Its intermediate IR then dies young (the
 * garbage collector never copies it) and stays in the caches, instead of a whole program's
 * IR living on into the next pass. The whole-module `run` every pass has is derived from
 * the same three functions, so both ways run the same code and give the same output.
 * A function pass reports errors and goes on; it may stop the pipeline (ctx.stop) only in
 * `finish`, once it has seen every function (check-types does). The passes after it in the
 * sweep stop running as soon as `goesOn` says it will.
 */
export interface FunctionPass<In extends AnyNode = AnyNode, Unit = unknown, Facts = unknown, Out extends AnyNode = AnyNode, Done = unknown> extends Pass {
  readonly perFunction: FunctionPassParts<In, Unit, Facts, Out, Done>;
}

/** What a function pass is made of (the driver calls these directly in a sweep). */
export interface FunctionPassParts<In extends AnyNode, Unit, Facts, Out extends AnyNode, Done> {
  /** the functions of a module, in order (a unit need not be a node: see explicate-control) */
  functionsOf(module: In): readonly Unit[];
  /** module-wide facts from the declarations (`module` may have no function bodies) */
  prepare(module: In, ctx: PassContext): Facts;
  runFunction(fn: Unit, facts: Facts, ctx: PassContext): Done;
  /** the output module: `module`'s declarations with these functions (in order) */
  assemble(module: In, facts: Facts, fns: readonly Done[]): Out;
  /**
   * After every function: module-wide checks, and the decision whether the pipeline goes on
   * (the only place a function pass may call ctx.stop). `output` gives the pass's whole
   * output module; in a sweep that means running the sweep's passes up to this one over the
   * whole module again, so it is for error paths (check-types' E0030 scan when it stops).
   */
  finish?(module: In, facts: Facts, ctx: PassContext, output: () => Out): void;
  /**
   * Whether the pipeline still goes on after this pass, from what it has seen so far (false
   * means `finish` will stop it): in a sweep, the passes after it stop running from then on,
   * and what they reported is dropped, as if they had never run. Asked only after errors.
   */
  goesOn?(facts: Facts, ctx: PassContext): boolean;
  /**
   * Declarations that appeared after `prepare` (in a sweep: the closure environments
   * desugar-lambdas makes function by function), as a module holding only them; `facts`
   * must answer from then on as if `prepare` had seen them. Absent: the facts read no class.
   */
  declare?(declarations: In, facts: Facts, ctx: PassContext): void;
  /**
   * For a pass whose units are not the previous pass's (bodies, after passes over item
   * groups): how a sweep makes its units from those, given `module`'s declarations.
   */
  bridge?(module: In): UnitBridge;
  /**
   * Whether the pass can do anything to a function with this census (ir/census.ts: the node
   * kinds and type constructors in it). False promises that runFunction would return the
   * unit as it is, report nothing and record nothing: a sweep then skips the unit (the
   * whole-module `run` never does, so comparing the two checks every promise, as
   * --verify-each does for each skip). The census is taken at the first pass that asks
   * and serves the later ones, so ask only about constructs no pass in between introduces.
   */
  appliesTo?(census: Census, facts: Facts): boolean;
  /** the IR nodes of one function's output, which --verify-each validates (default: the output) */
  nodesOf?(fn: Done): readonly AnyNode[];
  /**
   * For the last pass of a sweep that may be split between threads (tools/shards.ts: each
   * thread runs the sweep over some of the functions): `save` gives what this pass made of a
   * shard's functions as data another thread can take (structured-clonable), and `merge` takes
   * it into the facts of the thread that assembles the module, after its own functions
   * (`fns`), giving all of them. `merge` throws ShardMismatch when the two cannot be joined
   * as they are (the compile is then redone in one thread).
   */
  shard?: { save(facts: Facts, fns: readonly Done[]): unknown; merge(facts: Facts, fns: readonly Done[], saved: unknown): readonly Done[] };
  /**
   * What a unit is, coming in and going out: a sweep goes on from one pass to the next
   * only where they agree (an 'item' is also a one-item group of 'items'). Absent: the
   * pass runs alone.
   */
  units?: { in: UnitKind; out: UnitKind };
}

/**
 * item: an item of a tree program; items: what one item became; body: see passes/bodies.ts;
 * fn: an Lcfg FnDef
 */
export type UnitKind = 'item' | 'items' | 'body' | 'fn' | 'emitted';

/** The skip a function pass may declare (FunctionPassParts.appliesTo), as the define* helpers below take it. */
export type Skip<Facts> = Pick<FunctionPassParts<AnyNode, unknown, Facts, AnyNode, unknown>, 'appliesTo'>;

/** The IR nodes of a tree unit: a group's items, the statics of the statics' initializers (bodies.ts), or the unit. */
export function unitNodes(unit: unknown): readonly AnyNode[] {
  if (Array.isArray(unit)) return unit as readonly AnyNode[];
  const node = unit as AnyNode;
  return node.kind === 'StaticInit' ? node.statics as readonly AnyNode[] : [node];
}

/** Whether two units hold the same nodes (a one-item group is its item). */
export function sameUnit(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const x = unitNodes(a), y = unitNodes(b);
  return x.length === y.length && x.every((n, i) => n === y[i]);
}

/** Whether a sweep can hand `next` the units `prev` writes (through next's bridge where they differ). */
export function unitsChain(prev: FunctionPass, next: FunctionPass): boolean {
  const out = prev.perFunction.units?.out;
  const want = next.perFunction.units?.in;
  return out !== undefined && (out === want || (out === 'item' && want === 'items') || (needsBridge(prev, next) && next.perFunction.bridge !== undefined));
}

/** Whether `next` takes units of another kind than `prev` writes (its bridge makes them). */
export function needsBridge(prev: FunctionPass, next: FunctionPass): boolean {
  const out = prev.perFunction.units?.out;
  return (out === 'item' || out === 'items') && next.perFunction.units?.in === 'body';
}

/**
 * How a sweep turns the units of one pass into the next one's (passes/bodies.ts: the item
 * groups of lower-methods into the bodies of lower-builtins), one unit at a time.
 */
export interface UnitBridge {
  /** the next pass's units made of one unit, and the declarations first seen in it (a module of them, or null) */
  take(unit: unknown): { units: readonly unknown[]; declarations: AnyNode | null };
  /** the units held back until every unit was taken (the statics' initializers) */
  end(): readonly unknown[];
  /** the module the next pass assembles its output into: every declaration, in order */
  module(): AnyNode;
}

/** Declares a function pass; its whole-module `run` prepares, maps the functions, assembles. */
export function defineFunctionPass<In extends AnyNode, Unit, Facts, Out extends AnyNode, Done>(
  p: { name: string; description: string; from: Language; to: Language; generatesCode?: boolean } & FunctionPassParts<In, Unit, Facts, Out, Done>,
): FunctionPass {
  const { functionsOf, prepare, runFunction, assemble, finish, goesOn, declare, bridge, nodesOf, units, appliesTo, shard } = p;
  const pass: FunctionPass<In, Unit, Facts, Out, Done> = {
    name: p.name, description: p.description, from: p.from, to: p.to, generatesCode: p.generatesCode,
    perFunction: { functionsOf, prepare, runFunction, assemble, finish, goesOn, declare, bridge, nodesOf, units, appliesTo, shard },
    run(ir: AnyNode, ctx: PassContext): AnyNode {
      const module = ir as In;
      const facts = prepare(module, ctx);
      const units = functionsOf(module);
      const out: Done[] = new Array(units.length);
      for (let i = 0; i < units.length; i++) {
        ctx.beginFunction?.();
        out[i] = runFunction(units[i], facts, ctx);
      }
      const output = assemble(module, facts, out);
      finish?.(module, facts, ctx, () => output);
      return output;
    },
  };
  return pass as unknown as FunctionPass;
}

export function isFunctionPass(p: Pass): p is FunctionPass {
  return (p as Partial<FunctionPass>).perFunction !== undefined;
}

/** A function pass over the final IR (Lcfg → Lcfg): its functions are the module's `fns`. */
export function defineCfgFunctionPass<Facts>(p: {
  name: string; description: string;
  prepare(module: CfgModule, ctx: PassContext): Facts;
  runFunction(fn: CfgFn, facts: Facts, ctx: PassContext): CfgFn;
  declare?(declarations: CfgModule, facts: Facts, ctx: PassContext): void;
} & Skip<Facts>): FunctionPass {
  return defineFunctionPass<CfgModule, CfgFn, Facts, CfgModule, CfgFn>({
    ...p, from: Lcfg, to: Lcfg, units: { in: 'fn', out: 'fn' },
    functionsOf: (m) => m.fns,
    assemble: (m, _facts, fns) => (fns.length === m.fns.length && fns.every((f, i) => f === m.fns[i]) ? m : { ...m, fns }),
  });
}

/** A tree language's program, as the item and body passes see it. */
export type Program = { kind: 'Program'; span: AnyNode['span']; items: readonly AnyNode[] };

/**
 * A function pass over a tree language whose units are the program's items, one for one
 * (a function, a class with its methods, a static, an extern). `prepare` may read only the
 * items' declarations (names, fields, signatures, flags): in a sweep it is given the items
 * as the sweep started, before the earlier passes changed their bodies.
 */
export function defineItemPass<Facts>(p: {
  name: string; description: string; from: Language; to: Language;
  prepare(program: Program, ctx: PassContext): Facts;
  runFunction(item: AnyNode, facts: Facts, ctx: PassContext): AnyNode;
  /** the declarations as this pass writes them, when it changes them (resolve-names resolves their types) */
  declarations?(program: Program): Program;
  /** see FunctionPassParts: a pass that may end the pipeline (parse-bodies, check-types) */
  goesOn?(facts: Facts, ctx: PassContext): boolean;
  finish?(program: Program, facts: Facts, ctx: PassContext, output: () => Program): void;
} & Skip<Facts>): FunctionPass {
  const { declarations } = p;
  return defineFunctionPass<Program, AnyNode, Facts, Program, AnyNode>({
    name: p.name, description: p.description, from: p.from, to: p.to, prepare: p.prepare, runFunction: p.runFunction,
    goesOn: p.goesOn, finish: p.finish, appliesTo: p.appliesTo,
    units: { in: 'item', out: 'item' },
    functionsOf: (program) => program.items,
    // no items: the declarations a sweep's next pass prepares from
    assemble: (program, _facts, items) =>
      items.length === 0 ? (declarations ? declarations(program) : program)
      : items.every((it, i) => it === program.items[i]) ? program : { kind: 'Program', span: program.span, items },
  });
}

/**
 * An item pass that may turn one item into several (closure conversion lifts lambdas, method
 * lowering lifts methods). Its unit is what the sweep made of one item of the program so far:
 * an item, or the items an earlier pass of this kind made of it. `runItem` maps each item
 * to its replacements; fresh ids start again for each.
 */
export function defineItemGroupPass<Facts>(p: {
  name: string; description: string; from: Language; to: Language;
  prepare(program: Program, ctx: PassContext): Facts;
  runItem(item: AnyNode, facts: Facts, ctx: PassContext): AnyNode | readonly AnyNode[];
  /** the declarations as this pass writes them, when it changes them (lower-methods empties classes) */
  declarations?(program: Program): Program;
} & Skip<Facts>): FunctionPass {
  const { runItem, declarations } = p;
  type Group = AnyNode | readonly AnyNode[];
  return defineFunctionPass<Program, Group, Facts, Program, readonly AnyNode[]>({
    name: p.name, description: p.description, from: p.from, to: p.to, prepare: p.prepare, appliesTo: p.appliesTo,
    units: { in: 'items', out: 'items' },
    functionsOf: (program) => program.items,
    runFunction(unit, facts, ctx) {
      const out: AnyNode[] = [];
      for (const item of Array.isArray(unit) ? unit as readonly AnyNode[] : [unit as AnyNode]) {
        ctx.beginFunction?.();
        const made = runItem(item, facts, ctx);
        if (Array.isArray(made)) out.push(...made); else out.push(made as AnyNode);
      }
      return out;
    },
    // no items: the declarations a sweep's next pass prepares from (see defineItemPass)
    assemble(program, _facts, groups) {
      if (groups.length === 0) return declarations ? declarations(program) : program;
      if (groups.every((g, i) => g.length === 1 && g[0] === program.items[i])) return program;
      return { kind: 'Program', span: program.span, items: groups.flat() };
    },
    nodesOf: (group) => group,
  });
}
