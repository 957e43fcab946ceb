// The code of a program after lower-methods, as the last tree passes (lower-builtins,
// lower-regions, explicate-control) take it one piece at a time: each function, and the
// statics' initializers together (explicate-control turns them into one function,
// `static.init`). Classes and externs have no code left by then: they are declarations.

import type { AnyNode, Language } from '../ir/lang.js';
import { defineFunctionPass, type FunctionPass, type PassContext, type Program, type Skip, type UnitBridge } from './pass.js';

type Span = AnyNode['span'];

/** The statics of a program, whose initializers run before main (in the order explicate-control/static-order.ts gives them). */
export interface StaticInit { kind: 'StaticInit'; statics: readonly AnyNode[]; span: Span }

/** A function, or the statics' initializers. */
export type Body = AnyNode | StaticInit;

/**
 * Whether a function was lifted out of a static's initializer (a lambda there, and what
 * closure conversion makes of it: `static.NAME.lambdaN...`; `static` is a keyword, so no
 * other function is named so). These are held back with the statics: a compile split
 * between threads gives every static to the worker (tools/shards.ts), with what was lifted
 * out of it, so one thread must place them after every other function too, as the worker's
 * part comes last.
 */
const liftedFromStatic = (fn: AnyNode): boolean => (fn as { name?: string } & AnyNode).name?.startsWith('static.') === true;

/** The bodies of a program: its functions in order, then those lifted out of statics, then its statics (when it has any). */
export function bodiesOf(program: Program): Body[] {
  const bodies: Body[] = [];
  const held: AnyNode[] = [];
  const statics: AnyNode[] = [];
  for (const it of program.items) {
    if (it.kind === 'FnDecl') (liftedFromStatic(it) ? held : bodies).push(it);
    else if (it.kind === 'StaticDecl') statics.push(it);
  }
  bodies.push(...held);
  if (statics.length > 0) bodies.push({ kind: 'StaticInit', statics, span: program.span });
  return bodies;
}

/** `program` with its functions and statics replaced by `bodies` (as bodiesOf gave them). */
function withBodies(program: Program, bodies: readonly Body[]): Program {
  const last = bodies[bodies.length - 1];
  const statics = last?.kind === 'StaticInit' ? (last as StaticInit).statics : [];
  let plain = 0;
  for (const it of program.items) if (it.kind === 'FnDecl' && !liftedFromStatic(it)) plain++;
  let f = 0;
  let h = plain;
  let s = 0;
  let changed = false;
  const items = program.items.map((it) => {
    const out = it.kind === 'FnDecl' ? bodies[liftedFromStatic(it) ? h++ : f++] as AnyNode : it.kind === 'StaticDecl' ? statics[s++] : it;
    if (out !== it) changed = true;
    return out;
  });
  return changed ? { kind: 'Program', span: program.span, items } : program;
}

/**
 * How a sweep makes bodies of the item groups the passes before (lower-methods) write, group
 * by group, as bodiesOf makes them of a whole program: each function as it comes, those
 * lifted out of statics and the statics together at the end. `declarations` are the program's as the sweep prepared from
 * them; a class not among them (a closure environment) is handed on to be declared before
 * the bodies that use it. What the bodies are assembled into keeps every other item, with a
 * placeholder where each function goes (withBodies puts the functions there), so no
 * function's tree lives on after its bodies have gone through.
 */
export function bodyBridge(declarations: Program): UnitBridge {
  const known = new Set<string>();
  for (const it of declarations.items) if (it.kind === 'ClassDecl') known.add((it as { name: string } & AnyNode).name);
  const items: AnyNode[] = [];
  const held: AnyNode[] = [];
  const statics: AnyNode[] = [];
  const span = declarations.span;
  return {
    take(unit) {
      const bodies: Body[] = [];
      let late: AnyNode[] | null = null;
      for (const it of Array.isArray(unit) ? unit as readonly AnyNode[] : [unit as AnyNode]) {
        if (it.kind === 'FnDecl') {
          (liftedFromStatic(it) ? held : bodies).push(it);
          items.push({ kind: 'FnDecl', span: it.span, name: it.name } as AnyNode); // (withBodies reads only its name, and replaces it)
          continue;
        }
        if (it.kind === 'StaticDecl') statics.push(it);
        else if (it.kind === 'ClassDecl') {
          const name = (it as { name: string } & AnyNode).name;
          if (!known.has(name)) { known.add(name); (late ??= []).push(it); }
        }
        items.push(it);
      }
      return { units: bodies, declarations: late && { kind: 'Program', span, items: late } };
    },
    end: () => (statics.length > 0 ? [...held, { kind: 'StaticInit', statics, span }] : held),
    module: () => ({ kind: 'Program', span, items }),
  };
}

/**
 * A function pass over the bodies of a tree language: `lower` rewrites one function or one
 * static (and returns it as it is when nothing in it changes). As for item passes, `prepare`
 * may read only declarations.
 */
export function defineBodyPass<Facts>(p: {
  name: string; description: string; from: Language; to: Language;
  prepare(program: Program, ctx: PassContext): Facts;
  lower(fnOrStatic: AnyNode, facts: Facts, ctx: PassContext): AnyNode;
} & Skip<Facts>): FunctionPass {
  const { lower } = p;
  return defineFunctionPass<Program, Body, Facts, Program, Body>({
    name: p.name, description: p.description, from: p.from, to: p.to, prepare: p.prepare, appliesTo: p.appliesTo,
    units: { in: 'body', out: 'body' },
    functionsOf: bodiesOf,
    bridge: bodyBridge,
    runFunction(body, facts, ctx) {
      if (body.kind !== 'StaticInit') return lower(body as AnyNode, facts, ctx);
      const init = body as StaticInit;
      const statics = init.statics.map((s) => lower(s, facts, ctx));
      return statics.every((s, i) => s === init.statics[i]) ? init : { kind: 'StaticInit', statics, span: init.span };
    },
    // no bodies: the declarations a sweep's next pass prepares from, which this pass keeps
    assemble: (program, _facts, bodies) => (bodies.length === 0 ? program : withBodies(program, bodies)),
    nodesOf: (body) => (body.kind === 'StaticInit' ? (body as StaticInit).statics : [body as AnyNode]),
  });
}
