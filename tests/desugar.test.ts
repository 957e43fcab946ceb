// Tests of the passes between Ltyped and Lcore (desugar-compound-assign, desugar-for,
// desugar-option-sugar, resolve-pointers, lower-methods, lower-builtins) on small typed
// trees built by hand, so they do not depend on the front end. End-to-end tests from
// Zeta source are in tests/desugar-e2e.test.ts.

import { describe, expect, it } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { validate, type AnyNode, type Language } from '../ir/lang.js';
import { Ltyped, Lnocompound, Lnofor, Lnosugar, Lptr, Lnomethods, Lcore } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { Diagnostics } from '../ir/diagnostics.js';
import { T, ptr, gen, arrayTy, classTy, fnTy, intRange, type Ty, type IntName } from '../ir/types.js';
import type { Pass, PassContext } from '../passes/pass.js';
import { desugarCompoundAssignPass } from '../passes/desugar-compound-assign.js';
import { desugarForPass } from '../passes/desugar-for.js';
import { desugarOptionSugarPass } from '../passes/desugar-option-sugar.js';
import { resolvePointersPass } from '../passes/resolve-pointers.js';
import { lowerMethodsPass } from '../passes/lower-methods.js';
import { lowerBuiltinsPass } from '../passes/lower-builtins.js';

// ------------------------------------------------------------------ a tiny Ltyped builder
const sp = { start: 3, end: 9 };
type E = AnyNode & { ty: Ty };
const n = (kind: string, fields: Record<string, unknown>): any => ({ kind, span: sp, ...fields });
const int = (v: number | bigint, ty: Ty = T.i32): E => n('IntLit', { value: String(v), suffix: null, ty });
const bool = (value: boolean): E => n('BoolLit', { value, ty: T.bool });
const str = (value: string): E => n('StrLit', { value, ty: T.str });
const local = (name: string, id: number, ty: Ty): E => n('Name', { name, ref: { k: 'local', id }, ty });
const global = (name: string, ty: Ty): E => n('Name', { name, ref: { k: 'global', name }, ty });
const fnRef = (name: string, ty: Ty): E => n('Name', { name, ref: { k: 'fn', name }, ty });
const builtinRef = (name: string, ty: Ty = T.void): E => n('Name', { name, ref: { k: 'builtin', name }, ty });
const bin = (op: string, left: E, right: E, ty: Ty = left.ty): E => n('Binary', { op, left, right, ty });
const call = (callee: E, args: E[], ty: Ty): E => n('Call', { callee, args, ty });
const callBuiltin = (name: string, args: E[], ty: Ty = T.void): E => call(builtinRef(name), args, ty);
const method = (object: E, m: string, args: E[], ty: Ty): E => n('MethodCall', { object, method: m, args, ty });
const path = (owner: string, member: string, ty: Ty, tyArgs: Ty[] = []): E => n('Path', { owner, tyArgs, member, ty });
const field = (object: E, name: string, ty: Ty): E => n('Field', { object, name, ty });
const index = (object: E, i: E, ty: Ty): E => n('Index', { object, index: i, ty });
const star = (mut: boolean, operand: E, ty: Ty): E => n('Star', { mut, operand, ty });
const block = (stmts: AnyNode[], tail: E | null = null, ty: Ty = tail?.ty ?? T.void): E => n('Block', { stmts, tail, ty });
const letS = (name: string, id: number, init: E, mut = false, ty: Ty = init.ty) => n('Let', { name, mut, ty, init, id });
const exprS = (expr: E) => n('ExprStmt', { expr });
const assign = (target: E, value: E) => n('Assign', { target, value });
const compound = (op: string, target: E, value: E) => n('CompoundAssign', { op, target, value });
const forS = (name: string, id: number, start: E, end: E, inclusive: boolean, body: E) =>
  n('For', { name, id, start, end, inclusive, body });
const param = (name: string, id: number, ty: Ty, mut = false) => n('Param', { name, mut, ty, id });
const fnDecl = (name: string, params: AnyNode[], body: E, ret: Ty = T.void, extra: Record<string, unknown> = {}) =>
  n('FnDecl', { name, params, ret, body, unsafe: false, mutSelf: false, isStatic: false, ...extra });
const program = (...items: AnyNode[]) => n('Program', { items });
const mainOf = (...stmts: AnyNode[]) => program(fnDecl('main', [], block(stmts)));

// ------------------------------------------------------------------ running passes
const CHAIN: [Pass, Language][] = [
  [desugarCompoundAssignPass, Lnocompound], [desugarForPass, Lnofor], [desugarOptionSugarPass, Lnosugar],
  [resolvePointersPass, Lptr], [lowerMethodsPass, Lnomethods], [lowerBuiltinsPass, Lcore],
];

function context(): PassContext {
  let next = 1000;
  return { src: { path: 't.zeta', text: '' }, diag: new Diagnostics(), freshId: () => next++ };
}

/** Runs the passes from `first` through `last` (names), checking each output against its language. */
function run(prog: AnyNode, first: string, last = first): AnyNode {
  expect(validate(Ltyped, prog)).toEqual([]);
  const ctx = context();
  let ir = prog;
  let on = false;
  for (const [pass, lang] of CHAIN) {
    if (pass.name === first) on = true;
    if (!on) continue;
    ir = pass.run(ir, ctx);
    expect(validate(lang, ir).map((e) => `${pass.name}: ${e.path}: ${e.message}`)).toEqual([]);
    if (pass.name === last) break;
  }
  expect(ctx.diag.list).toEqual([]);
  return ir;
}
const runAll = (prog: AnyNode) => run(prog, 'desugar-compound-assign', 'lower-builtins');

function nodes(root: AnyNode, lang: Language, kind?: string): AnyNode[] {
  const out: AnyNode[] = [];
  forEachNode(lang, root, (x) => { if (!kind || x.kind === kind) out.push(x); });
  return out;
}
const mainStmts = (p: AnyNode): any[] => (p as any).items[0].body.stmts;

// ------------------------------------------------------------------ a tiny evaluator for integer loops
class Brk { } class Cont { }
/** Evaluates `main` of a loop-only program (ints, bools, let/assign, loop/while/for/if, record(v)). */
function evaluate(prog: AnyNode, fuel = 100_000): bigint[] {
  const out: bigint[] = [];
  const env = new Map<number, bigint | boolean>();
  const wrap = (v: bigint, ty: Ty) => {
    if (ty.k !== 'int') return v;
    const bits = BigInt(ty.name.slice(1));
    return ty.name.startsWith('i') ? BigInt.asIntN(Number(bits), v) : BigInt.asUintN(Number(bits), v);
  };
  const expr = (e: any): any => {
    switch (e.kind) {
      case 'IntLit': return BigInt(e.value);
      case 'BoolLit': return e.value;
      case 'Name': return env.get(e.ref.id);
      case 'Unary': return e.op === '!' ? !expr(e.operand) : wrap(-(expr(e.operand) as bigint), e.ty);
      case 'Binary': {
        const a = expr(e.left) as bigint; const b = expr(e.right) as bigint;
        switch (e.op) {
          case '+': return wrap(a + b, e.ty); case '-': return wrap(a - b, e.ty); case '%': return a % b;
          case '<': return a < b; case '<=': return a <= b; case '==': return a === b; case '!=': return a !== b;
        }
        throw new Error(`op ${e.op}`);
      }
      case 'Block': { for (const s of e.stmts) stmt(s); return e.tail ? expr(e.tail) : undefined; }
      case 'If': return expr(e.cond) ? expr(e.then) : e.else ? expr(e.else) : undefined;
      case 'Break': throw new Brk();
      case 'Continue': throw new Cont();
      case 'Call': out.push(expr(e.args[0])); return undefined;
    }
    throw new Error(`expr ${e.kind}`);
  };
  const loop = (cond: () => boolean, body: () => void, step: () => void = () => {}) => {
    while (cond()) {
      if (--fuel < 0) throw new Error('out of fuel: the loop does not stop');
      try { body(); } catch (x) { if (x instanceof Brk) break; if (!(x instanceof Cont)) throw x; }
      step();
    }
  };
  const stmt = (s: any): void => {
    switch (s.kind) {
      case 'Let': env.set(s.id, expr(s.init)); return;
      case 'Assign': env.set(s.target.ref.id, expr(s.value)); return;
      case 'ExprStmt': expr(s.expr); return;
      case 'Loop': loop(() => true, () => expr(s.body)); return;
      case 'For': {
        // the reference semantics: every value of the range, in order
        let i = expr(s.start) as bigint; const end = expr(s.end) as bigint;
        let done = s.inclusive ? i > end : i >= end;
        loop(() => !done, () => { env.set(s.id, i); expr(s.body); },
          () => { if (s.inclusive ? i === end : i + 1n >= end) done = true; else i += 1n; });
        return;
      }
    }
    throw new Error(`stmt ${s.kind}`);
  };
  expr((prog as any).items[0].body);
  return out;
}

// ================================================================== desugar-compound-assign
describe('desugar-compound-assign', () => {
  it('turns `x += 1` into `x = x + 1` when the place has no effects', () => {
    const x = local('x', 1, T.i32);
    const out = run(mainOf(letS('x', 1, int(0), true), compound('+', x, int(1))), 'desugar-compound-assign');
    const a = mainStmts(out)[1];
    expect(a).toMatchObject({ kind: 'Assign', target: x, value: { kind: 'Binary', op: '+', left: x, right: int(1), ty: T.i32 } });
    expect(a.span).toEqual(sp);
    expect(nodes(out, Lnocompound, 'CompoundAssign')).toHaveLength(0);
  });

  it('evaluates a place with a call once, binding the call first', () => {
    const v = local('v', 1, gen('vec', T.i64));
    const f = call(fnRef('f', fnTy([], T.i64)), [], T.i64);
    const out = run(mainOf(compound('*', index(v, f, T.i64), int(3, T.i64))), 'desugar-compound-assign');
    expect(nodes(out, Lnocompound, 'Call')).toHaveLength(1);
    const blk = mainStmts(out)[0].expr;
    expect(blk.kind).toBe('Block');
    expect(blk.stmts[0]).toMatchObject({ kind: 'Let', init: f, ty: T.i64 });
    const tmp = { kind: 'Name', ref: { k: 'local', id: blk.stmts[0].id } };
    expect(blk.stmts[1]).toMatchObject({
      kind: 'Assign', target: { kind: 'Index', object: v, index: tmp },
      value: { kind: 'Binary', op: '*', left: { kind: 'Index', object: v, index: tmp } },
    });
  });

  it('keeps a temporary guard alive for the whole update', () => {
    const stats = classTy('Stats');
    const m = local('m', 1, gen('mutex', stats));
    const lock = method(m, 'lock', [], gen('guard', stats));
    const target = field(field(lock, 'value', stats), 'count', T.i64);
    const out = run(mainOf(compound('+', target, int(1, T.i64))), 'desugar-compound-assign');
    const blk = mainStmts(out)[0].expr;
    expect(blk.stmts[0]).toMatchObject({ kind: 'Let', init: lock, ty: gen('guard', stats) });
    expect(nodes(out, Lnocompound, 'MethodCall')).toHaveLength(1);
  });

  it('keeps a Box a place: `*bs[f()] += 1` changes the boxed value, not a copy of the box', () => {
    const bs = local('bs', 1, gen('vec', gen('box', T.i32)));
    const f = call(fnRef('f', fnTy([], T.i64)), [], T.i64);
    const target = star(false, index(bs, f, gen('box', T.i32)), T.i32);
    const out = run(mainOf(compound('+', target, int(1))), 'desugar-compound-assign');
    const blk = mainStmts(out)[0].expr;
    expect(blk.stmts).toHaveLength(2); // only the index is bound
    expect(blk.stmts[1].target).toMatchObject({ kind: 'Star', operand: { kind: 'Index', object: bs } });
  });

  it('gives `<<=` the type of the target, whatever the shift amount type', () => {
    const x = local('x', 1, T.i64);
    const out = run(mainOf(compound('<<', x, int(3, T.u8))), 'desugar-compound-assign');
    expect(mainStmts(out)[0].value).toMatchObject({ op: '<<', ty: T.i64, right: { ty: T.u8 } });
  });
});

// ================================================================== desugar-for
describe('desugar-for', () => {
  it('becomes a loop over a hidden counter; the loop variable keeps its id', () => {
    const i = local('i', 7, T.i32);
    const out = run(mainOf(forS('i', 7, int(0), int(10), false, block([exprS(callBuiltin('println', [i]))]))), 'desugar-for');
    expect(nodes(out, Lnofor, 'For')).toHaveLength(0);
    const blk = mainStmts(out)[0].expr;
    expect(blk.stmts.map((s: AnyNode) => s.kind)).toEqual(['Let', 'Let', 'Loop']);
    const loopStmts = blk.stmts[2].body.stmts;
    expect(loopStmts.map((s: AnyNode) => s.kind)).toEqual(['ExprStmt', 'Let', 'Assign', 'ExprStmt']);
    expect(loopStmts[1]).toMatchObject({ name: 'i', id: 7, mut: false, ty: T.i32 });
    expect(nodes(out, Lnofor).every((x) => x.span === sp)).toBe(true);
  });

  it('evaluates the end once, outside the loop', () => {
    const f = call(fnRef('n', fnTy([], T.i64)), [], T.i64);
    const out = run(mainOf(forS('i', 7, int(0, T.i64), f, false, block([]))), 'desugar-for');
    const blk = mainStmts(out)[0].expr;
    expect(blk.stmts[1].init).toBe(f);
    expect(nodes(blk.stmts[2], Lnofor, 'Call')).toHaveLength(0);
  });

  it('runs `0..=255u8` exactly 256 times (no overflow, no endless loop)', () => {
    const i = local('i', 7, T.u8);
    const prog = mainOf(forS('i', 7, int(0, T.u8), int(255, T.u8), true, block([exprS(callBuiltin('record', [i]))])));
    const values = evaluate(run(prog, 'desugar-for'));
    expect(values).toHaveLength(256);
    expect(values.at(-1)).toBe(255n);
  });

  const intTy = fc.constantFrom<IntName>('i8', 'u8');
  const bounded = (name: IntName) => {
    const [lo, hi] = intRange(name);
    return fc.oneof(fc.bigInt({ min: lo, max: hi }), fc.constantFrom(lo, hi, hi - 1n, lo + 1n));
  };
  fcTest.prop([intTy.chain((t) => fc.tuple(fc.constant(t), bounded(t), bounded(t), fc.boolean(),
    fc.integer({ min: 1, max: 4 }), fc.option(bounded(t))))], { numRuns: 300 })(
    'visits the same values as the for loop, with continue and break in the body',
    ([name, a, b, inclusive, skipEvery, stopAt]) => {
      const ty: Ty = { k: 'int', name };
      const i = local('i', 7, ty);
      // body: if i % k == 0 { continue; }  record(i);  if i == stop { break; }
      const body = block([
        exprS(n('If', { cond: bin('==', bin('%', i, int(skipEvery, ty)), int(0, ty), T.bool),
          then: block([exprS(n('Continue', { ty: T.never }))]), else: null, ty: T.void })),
        exprS(callBuiltin('record', [i])),
        ...(stopAt === null ? [] : [exprS(n('If', { cond: bin('==', i, int(stopAt, ty), T.bool),
          then: block([exprS(n('Break', { ty: T.never }))]), else: null, ty: T.void }))]),
      ]);
      const prog = mainOf(forS('i', 7, int(a, ty), int(b, ty), inclusive, body));
      expect(evaluate(run(prog, 'desugar-for'))).toEqual(evaluate(prog));
    });
});

// ================================================================== desugar-option-sugar
describe('desugar-option-sugar', () => {
  const optI32 = gen('option', T.i32);
  const first = call(fnRef('first', fnTy([], optI32)), [], optI32);

  it('turns `if let` over a call into a bound temporary, a test and a payload binding', () => {
    const e = local('e', 5, T.i32);
    const ifLet = n('IfLet', { name: 'e', id: 5, value: first, then: block([exprS(callBuiltin('println', [e]))]),
      else: block([exprS(callBuiltin('println', [str('none')]))]), ty: T.void });
    const out = run(mainOf(exprS(ifLet)), 'desugar-option-sugar');
    const blk = mainStmts(out)[0].expr;
    expect(blk).toMatchObject({ kind: 'Block', ty: T.void, stmts: [{ kind: 'Let', init: first, ty: optI32 }] });
    const tmp = { kind: 'Name', ref: { k: 'local', id: blk.stmts[0].id }, ty: optI32 };
    expect(blk.tail).toMatchObject({ kind: 'If', cond: { kind: 'OptIsSome', value: tmp, ty: T.bool }, ty: T.void });
    expect(blk.tail.then.stmts[0]).toMatchObject({ kind: 'Let', name: 'e', id: 5, ty: T.i32, init: { kind: 'OptPayload', value: tmp, ty: T.i32 } });
    expect(blk.tail.else).toBe(ifLet.else);
  });

  it('reads a plain place directly instead of copying the Option', () => {
    const o = local('o', 1, optI32);
    const ifLet = n('IfLet', { name: 'e', id: 5, value: o, then: block([]), else: null, ty: T.void });
    const out = run(mainOf(exprS(ifLet)), 'desugar-option-sugar');
    expect(mainStmts(out)[0].expr).toMatchObject({ kind: 'If', cond: { kind: 'OptIsSome', value: o }, else: null });
  });

  it('turns `while let` into a loop that evaluates the Option each time round', () => {
    const ch = local('ch', 1, gen('channel', T.i64));
    const recv = method(ch, 'recv', [], gen('option', T.i64));
    const out = run(mainOf(n('WhileLet', { name: 'v', id: 2, value: recv, body: block([]) })), 'desugar-option-sugar');
    const loop = mainStmts(out)[0];
    expect(loop.kind).toBe('Loop');
    expect(loop.body.stmts.map((s: AnyNode) => s.kind)).toEqual(['Let', 'ExprStmt', 'Let']);
    expect(loop.body.stmts[0].init).toBe(recv);
    expect(loop.body.stmts[1].expr.cond).toMatchObject({ kind: 'Unary', op: '!', operand: { kind: 'OptIsSome' } });
    expect(loop.body.stmts[2]).toMatchObject({ id: 2, ty: T.i64, init: { kind: 'OptPayload', ty: T.i64 } });
  });

  it('turns `e ?? return None` into an if whose else diverges', () => {
    const ret = n('Return', { value: n('Name', { name: 'None', ref: { k: 'builtin', name: 'None' }, ty: optI32 }), ty: T.never });
    const x = n('Coalesce', { left: first, right: ret, ty: T.i32 });
    const out = run(mainOf(letS('x', 1, x)), 'desugar-option-sugar');
    const blk = mainStmts(out)[0].init;
    expect(blk).toMatchObject({ kind: 'Block', ty: T.i32, tail: { kind: 'If', ty: T.i32 } });
    expect(blk.tail.then).toMatchObject({ kind: 'Block', tail: { kind: 'OptPayload', ty: T.i32 }, ty: T.i32 });
    expect(blk.tail.else).toMatchObject({ kind: 'Block', tail: ret, ty: T.never });
  });
});

// ================================================================== resolve-pointers
describe('resolve-pointers', () => {
  it('decides between AddrOf and Deref by type (spec §5.2)', () => {
    const x = local('x', 1, T.i32);
    const p = local('p', 2, ptr(T.i32, true));
    const b = local('b', 3, gen('box', T.i32));
    const out = run(mainOf(
      letS('a', 10, star(false, x, ptr(T.i32))),
      letS('c', 11, star(true, x, ptr(T.i32, true))),
      letS('d', 12, star(false, p, T.i32)),
      letS('e', 13, star(false, b, T.i32)),
      letS('f', 14, star(true, p, ptr(ptr(T.i32, true), true))),
    ), 'resolve-pointers');
    const inits = mainStmts(out).map((s) => s.init);
    expect(inits[0]).toMatchObject({ kind: 'AddrOf', mut: false, place: x, ty: ptr(T.i32) });
    expect(inits[1]).toMatchObject({ kind: 'AddrOf', mut: true, place: x });
    expect(inits[2]).toMatchObject({ kind: 'Deref', ptr: p, ty: T.i32 });
    expect(inits[3]).toMatchObject({ kind: 'Deref', ptr: b, ty: T.i32 });
    expect(inits[4]).toMatchObject({ kind: 'AddrOf', mut: true, place: p });
  });

  it('derefs through every pointer and Box level before a field, index or method', () => {
    const pt = classTy('Point');
    const pp = local('pp', 1, ptr(gen('box', pt)));
    const bv = local('bv', 2, gen('box', gen('vec', T.i32)));
    const out = run(mainOf(
      letS('a', 10, field(pp, 'x', T.i32)),
      letS('b', 11, index(bv, int(0), T.i32)),
      letS('c', 12, method(bv, 'len', [], T.i64)),
    ), 'resolve-pointers');
    const inits = mainStmts(out).map((s) => s.init);
    expect(inits[0]).toMatchObject({ kind: 'Field', object: { kind: 'Deref', ty: pt, ptr: { kind: 'Deref', ty: gen('box', pt), ptr: pp } } });
    expect(inits[1]).toMatchObject({ kind: 'Index', object: { kind: 'Deref', ptr: bv, ty: gen('vec', T.i32) } });
    expect(inits[2]).toMatchObject({ kind: 'MethodCall', object: { kind: 'Deref', ptr: bv } });
  });

  it('sees through a Guard as its `value`, and keeps `g.value` itself', () => {
    const stats = classTy('Stats');
    const g = local('g', 1, gen('guard', stats));
    const out = run(mainOf(letS('a', 10, field(g, 'count', T.i64)), letS('b', 11, field(g, 'value', stats))), 'resolve-pointers');
    const inits = mainStmts(out).map((s) => s.init);
    expect(inits[0]).toMatchObject({ kind: 'Field', name: 'count', object: { kind: 'Field', name: 'value', object: g, ty: stats } });
    expect(inits[1]).toMatchObject({ kind: 'Field', name: 'value', object: g });
  });
});

// ================================================================== lower-methods
describe('lower-methods', () => {
  const C = classTy('Counter');
  const thisC = (mut: boolean) => local('this', 0, ptr(C, mut));
  const counterClass = n('ClassDecl', {
    name: 'Counter', fields: [param('count', 0, T.i64)], traits: ['Drop'],
    methods: [
      fnDecl('get', [], block([], field(thisC(false), 'count', T.i64)), T.i64),
      fnDecl('add', [param('n', 1, T.i64)], block([assign(field(thisC(true), 'count', T.i64), local('n', 1, T.i64))]), T.void, { mutSelf: true }),
      fnDecl('make', [], block([], n('StructLit', { className: 'Counter', fields: [n('FieldInit', { name: 'count', value: int(0, T.i64) })], ty: C })), C, { isStatic: true }),
      fnDecl('drop', [], block([])),
    ],
  });

  it('lifts methods to `Class.method` functions with `this` first', () => {
    const out = run(program(counterClass), 'desugar-compound-assign', 'lower-methods') as any;
    expect(out.items.map((i: AnyNode) => `${i.kind} ${i.name}`)).toEqual(
      ['ClassDecl Counter', 'FnDecl Counter.get', 'FnDecl Counter.add', 'FnDecl Counter.make', 'FnDecl Counter.drop']);
    expect(out.items[0]).toMatchObject({ methods: [], dropFn: 'Counter.drop', fields: counterClass.fields });
    const [, get, add, make, drop] = out.items;
    expect(get.params).toMatchObject([{ name: 'this', id: 0, ty: ptr(C, false) }]);
    expect(add.params).toMatchObject([{ name: 'this', id: 0, ty: ptr(C, true) }, { name: 'n', id: 1 }]);
    expect(make.params).toEqual([]);
    expect(drop.params).toMatchObject([{ name: 'this', ty: ptr(C, true) }]);
    // the body's `this.count` reads through the explicit pointer
    expect(get.body.tail).toMatchObject({ kind: 'Field', object: { kind: 'Deref', ptr: thisC(false) } });
  });

  it('turns calls into plain calls with a receiver pointer', () => {
    const c = local('c', 1, C);
    const p = local('p', 2, ptr(C, true));
    const prog = program(counterClass, fnDecl('main', [], block([
      letS('c', 1, call(path('Counter', 'make', fnTy([], C)), [], C), true),
      exprS(method(c, 'add', [int(5, T.i64)], T.void)),
      exprS(method(c, 'get', [], T.i64)),
      letS('p', 2, star(true, c, ptr(C, true))),
      exprS(method(p, 'add', [int(1, T.i64)], T.void)),
      exprS(method(p, 'get', [], T.i64)),
      exprS(method(call(path('Counter', 'make', fnTy([], C)), [], C), 'get', [], T.i64)),
    ])));
    const out = run(prog, 'desugar-compound-assign', 'lower-methods') as any;
    const s = out.items.at(-1).body.stmts;
    const callee = (name: string) => ({ kind: 'Name', name, ref: { k: 'fn', name } });
    expect(s[0].init).toMatchObject({ kind: 'Call', callee: { ...callee('Counter.make'), ty: fnTy([], C) }, args: [] });
    expect(s[1].expr).toMatchObject({ kind: 'Call', callee: { ...callee('Counter.add'), ty: fnTy([ptr(C, true), T.i64], T.void) },
      args: [{ kind: 'AddrOf', mut: true, place: c, ty: ptr(C, true) }, int(5, T.i64)] });
    expect(s[2].expr.args[0]).toMatchObject({ kind: 'AddrOf', mut: false, place: c });
    expect(s[4].expr.args[0]).toBe(p);                       // the pointer itself, not *(*p)
    expect(s[5].expr.args[0]).toMatchObject({ kind: 'AddrOf', mut: false, place: { kind: 'Deref', ptr: p } });
    const tmpCall = s[6].expr;                               // a temporary receiver is stored first
    expect(tmpCall).toMatchObject({ kind: 'Block', ty: T.i64, stmts: [{ kind: 'Let', ty: C }], tail: { kind: 'Call' } });
    expect(tmpCall.tail.args[0]).toMatchObject({ kind: 'AddrOf', place: { kind: 'Name', ref: { k: 'local', id: tmpCall.stmts[0].id } } });
    expect(nodes(out, Lnomethods, 'MethodCall')).toHaveLength(0);
  });

  it('leaves built-in methods to lower-builtins', () => {
    const v = local('v', 1, gen('vec', T.i32));
    const out = run(mainOf(exprS(method(v, 'push', [int(1)], T.void))), 'lower-methods');
    expect(mainStmts(out)[0].expr.kind).toBe('MethodCall');
  });
});

// ================================================================== lower-builtins
describe('lower-builtins', () => {
  it('passes receivers as pointers with the mutability of the op', () => {
    const v = local('v', 1, gen('vec', T.i32));
    const out = runAll(mainOf(exprS(method(v, 'push', [int(3)], T.void)), exprS(method(v, 'len', [], T.i64))));
    const [push, len] = mainStmts(out).map((s) => s.expr);
    expect(push).toMatchObject({ kind: 'Builtin', op: 'vec.push', args: [{ kind: 'AddrOf', mut: true, place: v, ty: ptr(v.ty, true) }, int(3)], ty: T.void });
    expect(len).toMatchObject({ kind: 'Builtin', op: 'vec.len', args: [{ kind: 'AddrOf', mut: false, place: v }], ty: T.i64 });
  });

  it('stores a temporary receiver first: `arg(i).parse_i64()`', () => {
    const argCall = callBuiltin('arg', [int(1, T.i64)], T.string);
    const out = runAll(mainOf(letS('n', 1, method(argCall, 'parse_i64', [], gen('option', T.i64)))));
    const init = mainStmts(out)[0].init;
    expect(init).toMatchObject({ kind: 'Block', ty: gen('option', T.i64),
      stmts: [{ kind: 'Let', ty: T.string, init: { kind: 'Builtin', op: 'arg', ty: T.string } }],
      tail: { kind: 'Builtin', op: 'string.parse_i64', args: [{ kind: 'AddrOf', place: { kind: 'Name', ref: { k: 'local' } } }] } });
  });

  it('lowers constructors, Option, Ordering, array len, free functions and unsafe blocks', () => {
    const vecTy = gen('vec', T.i32);
    const at = gen('atomic', T.i64);
    const a = local('a', 3, at);
    const arr = local('arr', 4, arrayTy(T.f64, 8));
    const o = local('o', 5, gen('option', T.i32));
    const out = runAll(mainOf(
      letS('v', 1, call(path('Vec', 'new', fnTy([], vecTy), [T.i32]), [], vecTy)),
      letS('s', 2, call(path('String', 'from', fnTy([T.str], T.string)), [str('hi')], T.string)),
      letS('a', 3, call(path('Atomic', 'new', fnTy([T.i64], at)), [int(0, T.i64)], at)),
      exprS(method(a, 'fetch_add', [int(1, T.i64)], T.i64)),
      exprS(method(a, 'load', [path('Ordering', 'Relaxed', T.i32)], T.i64)),
      letS('n', 6, method(arr, 'len', [], T.i64)),
      letS('o', 5, callBuiltin('Some', [int(1)], gen('option', T.i32))),
      letS('none', 7, builtinRef('None', gen('option', T.i32))),
      letS('t', 8, method(o, 'is_none', [], T.bool)),
      letS('u', 9, method(o, 'unwrap', [], T.i32)),
      exprS(n('Unsafe', { body: block([exprS(callBuiltin('println', [str('x')]))]), ty: T.void })),
      exprS(callBuiltin('panic', [str('boom')], T.never)),
    ));
    const s = mainStmts(out);
    expect(s[0].init).toMatchObject({ kind: 'Builtin', op: 'vec.new', args: [], ty: vecTy });
    expect(s[1].init).toMatchObject({ kind: 'Builtin', op: 'string.from', args: [str('hi')] });
    expect(s[2].init).toMatchObject({ kind: 'Builtin', op: 'atomic.new', ty: at });
    expect(s[3].expr).toMatchObject({ op: 'atomic.fetch_add', args: [{ kind: 'AddrOf', mut: false, place: a }, int(1, T.i64), { kind: 'IntLit', value: '5', ty: T.i32 }] });
    expect(s[4].expr.args).toHaveLength(2);
    expect(s[4].expr.args[1]).toMatchObject({ kind: 'IntLit', value: '0', ty: T.i32 });
    expect(s[5].init).toMatchObject({ kind: 'IntLit', value: '8', ty: T.i64 });
    expect(s[6].init).toMatchObject({ kind: 'OptSome', value: int(1), ty: gen('option', T.i32) });
    expect(s[7].init).toMatchObject({ kind: 'OptNone', ty: gen('option', T.i32) });
    expect(s[8].init).toMatchObject({ kind: 'Unary', op: '!', operand: { kind: 'OptIsSome', value: o } });
    expect(s[9].init).toMatchObject({ kind: 'Builtin', op: 'option.unwrap', args: [{ kind: 'AddrOf', place: o }] });
    expect(s[10].expr).toMatchObject({ kind: 'Block', stmts: [{ expr: { kind: 'Builtin', op: 'println' } }] });
    expect(s[11].expr).toMatchObject({ kind: 'Builtin', op: 'panic', ty: T.never });
  });

  it('keeps what computes an array whose length is asked', () => {
    const mk = call(fnRef('mk', fnTy([], arrayTy(T.i32, 3))), [], arrayTy(T.i32, 3));
    const out = runAll(mainOf(letS('n', 1, method(mk, 'len', [], T.i64))));
    expect(mainStmts(out)[0].init).toMatchObject({ kind: 'Block', stmts: [{ expr: { kind: 'Call' } }], tail: { kind: 'IntLit', value: '3' } });
  });

  it('reads `g.value` through the pointer `guard.value` gives, also in compound assignments', () => {
    const stats = classTy('Stats');
    const g = local('g', 1, gen('guard', stats));
    const count = field(field(g, 'value', stats), 'count', T.i64);
    const out = runAll(mainOf(compound('+', count, int(1, T.i64)), letS('n', 2, field(g, 'count', T.i64))));
    const [upd, read] = mainStmts(out);
    const valueOfG = { kind: 'Deref', ty: stats, ptr: { kind: 'Builtin', op: 'guard.value', args: [{ kind: 'AddrOf', mut: false, place: g }], ty: ptr(stats, true) } };
    expect(upd).toMatchObject({ kind: 'Assign', target: { kind: 'Field', name: 'count', object: valueOfG } });
    expect(read.init).toMatchObject({ kind: 'Field', name: 'count', object: valueOfG });
  });

  it('writes through a temporary guard into the mutex: `m.lock().value.v.push(1)`', () => {
    const vecTy = gen('vec', T.i32);
    const m = local('m', 1, gen('mutex', vecTy));
    const value = field(method(m, 'lock', [], gen('guard', vecTy)), 'value', vecTy);
    const out = runAll(mainOf(exprS(method(value, 'push', [int(1)], T.void))));
    const push = mainStmts(out)[0].expr;
    // the receiver is the pointer guard.value returns (from a block holding the guard), not a copy
    expect(push).toMatchObject({ kind: 'Builtin', op: 'vec.push', args: [{
      kind: 'Block', ty: ptr(vecTy, true), stmts: [{ kind: 'Let', init: { op: 'mutex.lock' } }], tail: { kind: 'Builtin', op: 'guard.value' },
    }, int(1)] });
  });

  it('leaves no Path, MethodCall, Unsafe or built-in name behind in a whole program', () => {
    const i = local('i', 2, T.i64);
    const v = local('v', 1, gen('vec', T.i64));
    const out = runAll(mainOf(
      letS('v', 1, call(path('Vec', 'new', fnTy([], gen('vec', T.i64)), [T.i64]), [], gen('vec', T.i64)), true),
      forS('i', 2, int(0, T.i64), callBuiltin('arg_count', [], T.i64), true, block([
        exprS(method(v, 'push', [i], T.void)),
        compound('+', index(v, int(0, T.i64), T.i64), i),
      ])),
      exprS(callBuiltin('println', [n('Coalesce', { left: method(v, 'pop', [], gen('option', T.i64)), right: int(-1, T.i64), ty: T.i64 })])),
    ));
    for (const kind of ['Path', 'MethodCall', 'Unsafe', 'Star', 'For', 'Coalesce', 'CompoundAssign']) expect(nodes(out, Lcore, kind)).toEqual([]);
    expect(nodes(out, Lcore, 'Name').filter((x) => (x.ref as { k: string }).k === 'builtin')).toEqual([]);
  });
});
