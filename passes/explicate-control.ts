// explicate-control: turns the last tree language into the final IR (Lnoregions → Lcfg).
//
// Backends, the reference interpreter and the memory-model analyses (liveness, delete
// tracking, drop insertion) all want code as a control-flow graph of basic blocks over
// typed locals with flat operands, where evaluation order and every jump are explicit.
// This pass makes them explicit once: nested expressions become statements on
// temporaries, `if`/`while`/`loop`/`&&`/`||`/`break`/`continue`/`return` become jumps
// between blocks, and a `Finally` cleanup (a region's free) runs on every way out of its body. It also schedules
// the drops of RAII (spec §5.3) with the same scope exits: every variable, parameter and
// temporary whose type needs drop is dropped on every way out of its scope; the pass
// elaborate-drops then keeps exactly the drops that find a value (see there).
//
// Module level: classes → ClassDef, externs → ExternDef, functions (with lifted methods)
// → FnDef, statics → GlobalDef plus one init function `static.init` that evaluates their
// initializers, each after those of the statics it uses (explicate-control/static-order.ts;
// `static` is a keyword, so the name cannot clash with a user function or a
// `Class.method`). Per function see explicate-control/*.ts.

import type { AnyNode } from '../ir/lang.js';
import { Lnoregions, Lcfg, type Node } from '../ir/languages.js';
import { defineFunctionPass, invariant } from './pass.js';
import { FunctionBuilder, type FnDef } from './explicate-control/function-builder.js';
import { FnLowering, type ModuleInfo } from './explicate-control/lower-function.js';
import { classTable, declareClass, needsDropIn } from '../ir/needs-drop.js';
import { bodiesOf, bodyBridge, type Body, type StaticInit } from './bodies.js';
import { orderStatics } from './explicate-control/static-order.js';

type N<K extends string> = Node<typeof Lnoregions, K>;
type M<K extends string> = Node<typeof Lcfg, K>;

/** The name of the function that initializes the statics (Module.init). */
export const STATIC_INIT_FN = 'static.init';

function lowerFunction(f: N<'FnDecl'>, info: ModuleInfo, fb: FunctionBuilder): FnDef {
  fb.begin(f.span);
  const lower = new FnLowering(fb, info);
  const params = f.params.map((p) => lower.declareParam(p));
  const fnScope = fb.pushScope('fn');
  // the callee owns its parameters (arguments are copies): dropped when it returns
  for (const p of params) lower.scheduleDrop(p);
  lower.lowerFnBody(f.body, f.ret);
  const end = { start: f.body.span.end, end: f.body.span.end };
  fb.popScope(fnScope, end);
  if (!fb.isDead) {
    // a non-void function cannot fall off its end (the checker guarantees a return; a tail
    // value is returned by lowerFnBody)
    if (f.ret.k === 'void') fb.terminate({ kind: 'Return', span: end, value: null });
    else fb.terminate({ kind: 'Unreachable', span: end });
  }
  return fb.finish(f.name, params.map((p) => p.id), f.ret, f.unsafe);
}

/** `static.init`: stores each static's initial value, in the order given (orderStatics). */
function lowerStaticInit(statics: readonly N<'StaticDecl'>[], info: ModuleInfo, fb: FunctionBuilder, span: AnyNode['span']): FnDef {
  fb.begin(span);
  const scope = fb.pushScope('fn');
  for (const s of statics) {
    if (fb.isDead) break;
    // each initializer numbered its bindings on its own: give them fresh ids
    const lower = new FnLowering(fb, info, new Map());
    lower.assignTo({ kind: 'GlobalPlace', span: s.span, name: s.name, ty: s.ty }, s.init);
  }
  fb.popScope(scope, span);
  if (!fb.isDead) fb.terminate({ kind: 'Return', span, value: null });
  return fb.finish(STATIC_INIT_FN, [], { k: 'void' }, false);
}

export const explicateControlPass = defineFunctionPass({
  name: 'explicate-control',
  description: 'expressions flattened into basic blocks of simple statements (Lnoregions → Lcfg)',
  from: Lnoregions,
  to: Lcfg,
  units: { in: 'body', out: 'fn' },
  functionsOf: (program: N<'Program'>): Body[] => bodiesOf(program),
  bridge: (program: N<'Program'>) => bodyBridge(program),
  prepare(program, ctx) {
    const classFields = new Map<string, readonly string[]>();
    for (const it of program.items) if (it.kind === 'ClassDecl') classFields.set(it.name, it.fields.map((f) => f.name));
    const classes = classTable(program.items);
    const info: ModuleInfo = { classFields, needsDrop: needsDropIn(classes) };
    // (in a sweep `program` has no bodies: static-order asks ctx.wholeModule for them)
    return { info, classFields, classes, fb: new FunctionBuilder(() => ctx.freshId()), program };
  },
  declare(declarations, { classFields, classes }) {
    for (const it of declarations.items) {
      if (it.kind !== 'ClassDecl') continue;
      classFields.set(it.name, it.fields.map((f) => f.name));
      declareClass(classes, it);
    }
  },
  runFunction: (body, { info, fb, classes, program }, ctx): FnDef => body.kind === 'StaticInit'
    ? lowerStaticInit(orderStatics({
      statics: (body as StaticInit).statics as N<'StaticDecl'>[],
      isDropClass: (cls) => classes.get(cls)?.traits.includes('Drop') ?? false,
      whole: () => ctx.wholeModule?.() ?? program, diag: ctx.diag, src: ctx.src,
    }), info, fb, body.span)
    : lowerFunction(body as N<'FnDecl'>, info, fb),
  assemble(program, _facts, fns): M<'Module'> {
    const classes: M<'ClassDef'>[] = [];
    const globals: M<'GlobalDef'>[] = [];
    const externs: M<'ExternDef'>[] = [];
    for (const it of program.items) {
      switch (it.kind) {
        case 'ClassDecl':
          invariant(it.methods.length === 0, `class ${it.name} still has methods (lower-methods lifts them)`, it);
          classes.push({
            kind: 'ClassDef', span: it.span, name: it.name,
            fields: it.fields.map((f) => ({ kind: 'LocalField', span: f.span, name: f.name, ty: f.ty })),
            traits: it.traits, dropFn: it.dropFn,
          });
          break;
        case 'StaticDecl':
          globals.push({ kind: 'GlobalDef', span: it.span, name: it.name, ty: it.ty, mut: it.mut });
          break;
        case 'ExternFn':
          externs.push({ kind: 'ExternDef', span: it.span, name: it.name, params: it.params.map((p) => p.ty), ret: it.ret });
          break;
        case 'FnDecl':
          break;
        default:
          invariant(false, `unexpected item ${(it as AnyNode).kind}`, it);
      }
    }
    const init = globals.length > 0 ? STATIC_INIT_FN : null;
    return { kind: 'Module', span: program.span, classes, globals, externs, fns: fns as FnDef[], main: 'main', init };
  },
});
