// The LLVM backend (backends/llvm): hand-built Lcfg modules for the scalar core (calls,
// loops, wrapping, division and bounds panics, casts, globals), the verifier turning a
// broken module into an internal error, --emit=llvm-ir and sanitizers, and a differential
// test that compiles every example and runnable conformance program with both backends
// and compares stdout and exit status.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AnyNode } from '../ir/lang.js';
import { T, ptr, type Ty } from '../ir/types.js';
import { ORDERING } from '../ir/builtins.js';
import { InternalError } from '../passes/pass.js';
import { buildLlvm, buildLlvmAsync, emitLlvmIr, llvmBackend } from '../backends/llvm/index.js';
import { hostTarget, INSTALL_HINT, type Llvm } from '../backends/llvm/bindings.js';
import { findTools } from '../backends/llvm/tools.js';
import { withTbaa } from '../backends/llvm/tbaa.js';
import { getBackend, BackendUnavailable, type Backend } from '../backends/index.js';
import '../backends/register.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, ROOT, tempDir } from './helpers.js';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------- a tiny Lcfg builder
const sp = { start: 0, end: 0 };
type Place = AnyNode & { ty: Ty };

class Fn {
  readonly locals: AnyNode[] = [];
  readonly params: number[] = [];
  readonly blocks: { stmts: AnyNode[]; term: AnyNode | null }[] = [];
  private nextId = 1;
  constructor(readonly name: string, readonly ret: Ty) { this.block(); }

  local(name: string, ty: Ty): Place {
    const id = this.nextId++;
    this.locals.push({ kind: 'LocalDef', span: sp, id, name, ty, mut: true });
    return { kind: 'LocalPlace', span: sp, id, ty };
  }
  param(name: string, ty: Ty): Place {
    const p = this.local(name, ty);
    this.params.push(p.id as number);
    return p;
  }
  block(): number { this.blocks.push({ stmts: [], term: null }); return this.blocks.length - 1; }
  assign(b: number, place: Place, value: AnyNode): void { this.blocks[b].stmts.push({ kind: 'Assign', span: sp, place, value }); }
  eval(b: number, value: AnyNode): void { this.blocks[b].stmts.push({ kind: 'Eval', span: sp, value }); }
  /** Lcfg operands are flat: an rvalue is computed into a temporary first, then moved. */
  operand(b: number, v: AnyNode): AnyNode {
    if (['Const', 'Copy', 'Move', 'FnRef'].includes(v.kind)) return v;
    const t = this.local(`t${this.nextId}`, v.ty as Ty);
    this.assign(b, t, v);
    return { kind: 'Move', span: sp, place: t };
  }
  term(b: number, term: AnyNode): void { this.blocks[b].term = term; }
  def(): AnyNode {
    return {
      kind: 'FnDef', span: sp, name: this.name, params: this.params, ret: this.ret, unsafe: false, locals: this.locals,
      blocks: this.blocks.map((bb, id) => ({ kind: 'BasicBlock', span: sp, id, stmts: bb.stmts, term: bb.term ?? { kind: 'Unreachable', span: sp } })),
    };
  }
}

const c = (value: string | number | boolean, ty: Ty = T.i32): AnyNode =>
  ({ kind: 'Const', span: sp, value: typeof value === 'number' && ty.k === 'int' ? String(value) : value, ty });
const copy = (place: Place): AnyNode => ({ kind: 'Copy', span: sp, place });
const use = (op: AnyNode): AnyNode => ({ kind: 'Use', span: sp, op });
const bin = (op: string, left: AnyNode, right: AnyNode, ty: Ty): AnyNode => ({ kind: 'BinOp', span: sp, op, left, right, ty });
const un = (op: string, operand: AnyNode, ty: Ty): AnyNode => ({ kind: 'UnOp', span: sp, op, operand, ty });
const cast = (op: AnyNode, ty: Ty): AnyNode => ({ kind: 'CastOp', span: sp, op, ty });
const call = (fn: string, args: AnyNode[], ty: Ty): AnyNode => ({ kind: 'CallFn', span: sp, fn, args, ty });
const builtin = (op: string, args: AnyNode[], ty: Ty = T.void): AnyNode => ({ kind: 'Builtin', span: sp, op, args, ty });
const println = (op: AnyNode) => builtin('println', [op]);
const ret = (value: AnyNode | null = null): AnyNode => ({ kind: 'Return', span: sp, value });
const goto = (target: number): AnyNode => ({ kind: 'Goto', span: sp, target });
const branch = (cond: AnyNode, then: number, els: number): AnyNode => ({ kind: 'Branch', span: sp, cond, then, else: els });

function moduleOf(fns: Fn[], extra: Partial<Record<'globals' | 'classes' | 'externs', AnyNode[]>> & { init?: string } = {}): AnyNode {
  return {
    kind: 'Module', span: sp, classes: extra.classes ?? [], globals: extra.globals ?? [], externs: extra.externs ?? [],
    fns: fns.map((f) => f.def()), main: 'main', init: extra.init ?? null,
  };
}

/** A main that prints each value computed by `body` (which appends statements to block 0). */
function printing(body: (f: Fn, print: (op: AnyNode) => void) => void): AnyNode {
  const f = new Fn('main', T.void);
  body(f, (v) => f.eval(0, println(f.operand(0, v))));
  f.term(0, ret());
  return moduleOf([f]);
}

interface Ran { status: number | null; stdout: string; stderr: string }

async function buildAndRun(m: AnyNode, opts: { optLevel?: 0 | 2; sanitize?: string[]; args?: string[] } = {}): Promise<Ran> {
  const exe = join(tempDir('zeta-llvm-'), 'prog');
  await buildLlvmAsync(m, { optLevel: opts.optLevel ?? 2, sanitize: opts.sanitize ?? [], out: exe });
  return runExe(exe, opts.args ?? []);
}

async function runExe(exe: string, args: string[]): Promise<Ran> {
  try {
    const r = await execFileP(exe, args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof err.code === 'number' ? err.code : null, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

// ---------------------------------------------------------------- the scalar core
describe('LLVM backend: hand-built Lcfg', () => {
  it('compiles a recursive fib; main -> i32 is the exit status', async () => {
    const fib = new Fn('fib', T.i32);
    const n = fib.param('n', T.i32);
    const small = fib.local('small', T.bool);
    const a = fib.local('a', T.i32);
    const [base, rec] = [fib.block(), fib.block()];
    fib.assign(0, small, bin('<', copy(n), c(2), T.bool));
    fib.term(0, branch(copy(small), base, rec));
    fib.term(base, ret(copy(n)));
    const t = fib.local('t', T.i32);
    fib.assign(rec, t, bin('-', copy(n), c(1), T.i32));
    fib.assign(rec, a, call('fib', [copy(t)], T.i32));
    fib.assign(rec, t, bin('-', copy(n), c(2), T.i32));
    fib.assign(rec, t, call('fib', [copy(t)], T.i32));
    fib.assign(rec, a, bin('+', copy(a), copy(t), T.i32));
    fib.term(rec, ret(copy(a)));
    const main = new Fn('main', T.i32);
    const r = main.local('r', T.i32);
    main.assign(0, r, call('fib', [c(10)], T.i32));
    main.eval(0, println(copy(r)));
    main.term(0, ret(copy(r)));
    const run = await buildAndRun(moduleOf([fib, main]));
    expect(run).toEqual({ status: 55, stdout: '55\n', stderr: '' });
  });

  it('runs loops over blocks (sum of 1..=100, at -O0 and -O2)', async () => {
    const f = new Fn('main', T.void);
    const i = f.local('i', T.i64);
    const sum = f.local('sum', T.i64);
    const more = f.local('more', T.bool);
    const [head, body, done] = [f.block(), f.block(), f.block()];
    f.assign(0, i, use(c(1, T.i64)));
    f.assign(0, sum, use(c(0, T.i64)));
    f.term(0, goto(head));
    f.assign(head, more, bin('<=', copy(i), c(100, T.i64), T.bool));
    f.term(head, branch(copy(more), body, done));
    f.assign(body, sum, bin('+', copy(sum), copy(i), T.i64));
    f.assign(body, i, bin('+', copy(i), c(1, T.i64), T.i64));
    f.term(body, goto(head));
    f.eval(done, println(copy(sum)));
    f.term(done, ret());
    const m = moduleOf([f]);
    const [o0, o2] = await Promise.all([buildAndRun(m, { optLevel: 0 }), buildAndRun(m, { optLevel: 2 })]);
    expect(o0).toEqual({ status: 0, stdout: '5050\n', stderr: '' });
    expect(o2).toEqual(o0);
  });

  it('wraps integer arithmetic and masks shift amounts', async () => {
    const m = printing((f, print) => {
      const x = f.local('x', T.i32);
      f.assign(0, x, use(c(2147483647)));
      print(bin('+', copy(x), c(1), T.i32));                        // -2147483648
      const u = f.local('u', T.u8);
      f.assign(0, u, use(c(250, T.u8)));
      print(bin('+', copy(u), c(10, T.u8), T.u8));                  // 4
      print(bin('*', c(3000000000, T.i64), c(4, T.i64), T.i64));    // 12000000000
      print(bin('*', c('9223372036854775807', T.i64), c(2, T.i64), T.i64)); // -2
      print(un('-', c('-2147483648'), T.i32));                      // -2147483648
      print(un('~', c(0), T.i32));                                  // -1
      print(bin('<<', c(1), c(33, T.u8), T.i32));                   // 1 << (33 % 32) = 2
      print(bin('>>', c(-16), c(2, T.i64), T.i32));                 // -4 (arithmetic)
      print(bin('>>', c(4294967280, T.u32), c(36), T.u32));         // 0xfffffff0 >> 4
      print(bin('<<', c(1, T.u64), c(-1, T.i32), T.u64));           // 1 << 63
      print(c('18446744073709551615', T.u64));
      print(c('-9223372036854775808', T.i64));
      print(bin('<', c(-1), c(1), T.bool));                         // signed: true
      print(bin('<', c(4294967295, T.u32), c(1, T.u32), T.bool));   // unsigned: false
    });
    const run = await buildAndRun(m);
    expect(run.stdout).toBe(['-2147483648', '4', '12000000000', '-2', '-2147483648', '-1', '2', '-4', '268435455',
      '9223372036854775808', '18446744073709551615', '-9223372036854775808', 'true', 'false', ''].join('\n'));
    expect(run.status).toBe(0);
  });

  it('divides like the spec: truncating, remainder takes the dividend sign', async () => {
    const m = printing((f, print) => {
      print(bin('/', c(7), c(2), T.i32));
      print(bin('/', c(-7), c(2), T.i32));
      print(bin('%', c(-7), c(2), T.i32));
      print(bin('/', c(250, T.u8), c(7, T.u8), T.u8));
      print(bin('%', c(7.5, T.f64), c(2, T.f64), T.f64));
      print(bin('/', c(1, T.f64), c(0, T.f64), T.f64));             // inf: no panic for floats
    });
    const run = await buildAndRun(m);
    expect(run).toEqual({ status: 0, stdout: '3\n-3\n-1\n35\n1.5\ninf\n', stderr: '' });
  });

  it('panics on division by zero, MIN / -1 and out-of-bounds indexing (exit 101, the runtime\'s messages)', async () => {
    // one program, one check per number of arguments (building is the slow part)
    const cases: { args: number; msg: string; run: (f: Fn, b: number) => void }[] = [];
    const division = (op: string, l: string | number, r: number, ty: Ty) => (f: Fn, b: number) => {
      const a = f.local('a', ty);
      const d = f.local('d', ty);
      f.assign(b, a, use(c(l, ty)));
      f.assign(b, d, use(c(r, ty)));
      f.eval(b, println(f.operand(b, bin(op, copy(a), copy(d), ty))));
    };
    cases.push({ args: 0, msg: 'division by zero', run: division('/', 7, 0, T.i32) });
    cases.push({ args: 1, msg: 'division by zero', run: division('%', 7, 0, T.u64) });
    cases.push({ args: 2, msg: 'overflow', run: division('/', '-2147483648', -1, T.i32) });
    cases.push({ args: 3, msg: 'overflow', run: division('%', -128, -1, T.i8) });
    cases.push({
      args: 4, msg: 'index out of bounds: the len is 3 but the index is -1', run: (f, b) => {
        const arr = f.local('arr', { k: 'array', elem: T.i32, n: 3 });
        const i = f.local('i', T.i64);
        f.assign(b, arr, { kind: 'Aggregate', span: sp, ops: [c(10), c(20), c(30)], ty: arr.ty });
        f.assign(b, i, use(c(2, T.i64)));
        f.eval(b, println(copy({ kind: 'IndexPlace', span: sp, base: arr, index: copy(i), ty: T.i32 })));
        f.assign(b, i, use(c(-1, T.i64)));
        f.eval(b, println(copy({ kind: 'IndexPlace', span: sp, base: arr, index: copy(i), ty: T.i32 })));
      },
    });
    const f = new Fn('main', T.void);
    const n = f.local('n', T.i64);
    f.assign(0, n, builtin('arg_count', [], T.i64));
    f.eval(0, println(c('before', T.str)));
    let test = 0;
    for (const k of cases) {
      const [yes, no] = [f.block(), f.block()];
      f.term(test, branch(f.operand(test, bin('==', copy(n), c(k.args, T.i64), T.bool)), yes, no));
      k.run(f, yes);
      f.eval(yes, println(c('after', T.str)));
      f.term(yes, ret());
      test = no;
    }
    f.term(test, ret());
    const exe = join(tempDir('zeta-llvm-'), 'prog');
    await buildLlvmAsync(moduleOf([f]), { optLevel: 2, sanitize: [], out: exe });
    for (const k of cases) {
      const run = await runExe(exe, Array.from({ length: k.args }, () => 'x'));
      expect(run, k.msg).toEqual({ status: 101, stdout: k.args === 4 ? 'before\n30\n' : 'before\n', stderr: `panic: ${k.msg}\n` });
    }
  });

  it('casts: truncation, extension, saturating float->int (NaN -> 0), bool and int->float', async () => {
    const m = printing((f, print) => {
      print(cast(c(300), T.u8));                                    // 44
      print(cast(c(-1), T.u32));                                    // 4294967295
      print(cast(c(-1, T.i8), T.i64));                              // -1 (sign-extends)
      print(cast(c(255, T.u8), T.i64));                             // 255 (zero-extends)
      print(cast(c(300.7, T.f64), T.u8));                           // 255
      print(cast(c(-5.5, T.f64), T.u8));                            // 0
      print(cast(c(7.9, T.f64), T.i32));                            // 7
      print(cast(c(-7.9, T.f64), T.i32));                           // -7
      print(cast(c(NaN, T.f64), T.i32));                            // 0
      print(cast(c(1e20, T.f64), T.i64));                           // i64 max
      print(cast(c(-1e20, T.f32), T.i64));                          // i64 min
      print(cast(c(true, T.bool), T.i32));                          // 1
      print(cast(c(-3), T.f64));                                    // -3
      print(cast(c(4294967295, T.u32), T.f64));                     // 4294967295
      print(cast(c(0.1, T.f64), T.f32));                            // 0.1 as f32
    });
    const run = await buildAndRun(m);
    expect(run.stdout.split('\n')).toEqual(['44', '4294967295', '-1', '255', '255', '0', '7', '-7', '0',
      '9223372036854775807', '-9223372036854775808', '1', '-3', '4294967295', '0.1', '']);
  });

  it('initializes globals in the init function before main', async () => {
    const init = new Fn('__init', T.void);
    const g = { kind: 'GlobalPlace', span: sp, name: 'LIMIT', ty: T.i64 } as Place;
    init.assign(0, g, bin('*', c(6, T.i64), c(7, T.i64), T.i64));
    init.term(0, ret());
    const main = new Fn('main', T.void);
    main.eval(0, println(copy(g)));
    main.term(0, ret());
    const m = moduleOf([init, main], { globals: [{ kind: 'GlobalDef', span: sp, name: 'LIMIT', ty: T.i64, mut: false }], init: '__init' });
    expect(await buildAndRun(m)).toEqual({ status: 0, stdout: '42\n', stderr: '' });
  });

  it('calls extern "C" functions by their C name, and user functions never clash with libc', async () => {
    // a user function named `abs` must not replace libc's; the extern `labs` is libc's
    const abs = new Fn('abs', T.i32);
    const x = abs.param('x', T.i32);
    abs.term(0, ret(abs.operand(0, bin('+', copy(x), c(1000), T.i32))));
    const main = new Fn('main', T.void);
    main.eval(0, println(main.operand(0, call('abs', [c(-5)], T.i32))));
    main.eval(0, println(main.operand(0, call('labs', [c(-5, T.i64)], T.i64))));
    main.term(0, ret());
    const m = moduleOf([abs, main], { externs: [{ kind: 'ExternDef', span: sp, name: 'labs', params: [T.i64], ret: T.i64 }] });
    expect(await buildAndRun(m)).toEqual({ status: 0, stdout: '995\n5\n', stderr: '' });
  });

  it('emits atomics with their orderings (relaxed, acquire, release, seq_cst, cmpxchg)', () => {
    const f = new Fn('main', T.void);
    const a = f.local('a', { k: 'atomic', of: T.i64 });
    const p = f.local('p', ptr({ k: 'atomic', of: T.i64 }, true));
    const ok = f.local('ok', T.bool);
    f.assign(0, a, builtin('atomic.new', [c(5, T.i64)], a.ty));
    f.assign(0, p, { kind: 'Ref', span: sp, place: a, mut: true, ty: p.ty });
    f.eval(0, builtin('atomic.fetch_add', [copy(p), c(1, T.i64), c(ORDERING.Relaxed)], T.i64));
    f.eval(0, builtin('atomic.store', [copy(p), c(9, T.i64), c(ORDERING.Release)]));
    f.eval(0, println(f.operand(0, builtin('atomic.load', [copy(p), c(ORDERING.Acquire)], T.i64))));
    f.assign(0, ok, builtin('atomic.compare_exchange', [copy(p), c(9, T.i64), c(1, T.i64)], T.bool));
    f.eval(0, println(copy(ok)));
    f.eval(0, println(f.operand(0, builtin('atomic.swap', [copy(p), c(3, T.i64), c(ORDERING.AcqRel)], T.i64))));
    f.eval(0, println(f.operand(0, builtin('atomic.load', [copy(p)], T.i64))));
    f.term(0, ret());
    const m = moduleOf([f]);
    const ir = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    expect(ir).toMatch(/atomicrmw add i64\* %p, i64 %v monotonic/);
    expect(ir).toMatch(/store atomic i64 %v, i64\* %p release/);
    expect(ir).toMatch(/load atomic i64, i64\* %p acquire/);
    expect(ir).toMatch(/cmpxchg i64\* %p, i64 %old, i64 %new seq_cst seq_cst/);
    expect(ir).toMatch(/atomicrmw xchg i64\* %p, i64 %v acq_rel/);
    expect(ir).toMatch(/load atomic i64, i64\* %p seq_cst/);
    return buildAndRun(m).then((run) => expect(run).toEqual({ status: 0, stdout: '9\ntrue\n1\n3\n', stderr: '' }));
  });
});

// ---------------------------------------------------------------- owned values, closures, threads
const vecOf = (t: Ty): Ty => ({ k: 'vec', of: t });
const optOf = (t: Ty): Ty => ({ k: 'option', of: t });
const boxOf = (t: Ty): Ty => ({ k: 'box', of: t });
const ref = (place: AnyNode, ty: Ty, mut = true): AnyNode => ({ kind: 'Ref', span: sp, place, mut, ty });
const deref = (p: AnyNode, ty: Ty): Place => ({ kind: 'DerefPlace', span: sp, ptr: p, ty });
const move = (place: Place): AnyNode => ({ kind: 'Move', span: sp, place });
const drop = (f: Fn, b: number, place: Place) => f.blocks[b].stmts.push({ kind: 'Drop', span: sp, place });
const s = (text: string) => c(text, T.str);

describe('LLVM backend: owned values, closures and threads', () => {
  it('copies String/Vec/Box/Option/arrays/classes deeply and drops them exactly once (ASan + LeakSanitizer)', async () => {
    const S = T.string;
    const named = { kind: 'ClassDef', span: sp, name: 'Named', traits: ['Drop'], dropFn: 'Named.drop',
      fields: [{ kind: 'LocalField', span: sp, name: 'name', ty: S }, { kind: 'LocalField', span: sp, name: 'extra', ty: optOf(boxOf(T.i64)) }] };
    const namedTy: Ty = { k: 'class', name: 'Named' };
    const dropFn = new Fn('Named.drop', T.void);
    const self = dropFn.param('this', ptr(namedTy, true));
    dropFn.eval(0, builtin('print', [s('drop ')]));
    dropFn.eval(0, println(copy({ kind: 'FieldPlace', span: sp, base: deref(copy(self), namedTy), field: 'name', ty: S } as Place)));
    dropFn.term(0, ret());

    const f = new Fn('main', T.void);
    const str = f.local('s', S);
    const t = f.local('t', S);
    f.assign(0, str, builtin('string.from', [s('abc')], S));
    f.assign(0, t, use(copy(str)));                                      // a deep copy
    f.eval(0, builtin('string.append', [f.operand(0, ref(t, ptr(S, true))), s('def')]));
    f.eval(0, println(copy(str)));                                       // abc
    f.eval(0, println(copy(t)));                                         // abcdef
    const v = f.local('v', vecOf(S));
    f.assign(0, v, builtin('vec.new', [], vecOf(S)));
    f.eval(0, builtin('vec.push', [f.operand(0, ref(v, ptr(vecOf(S), true))), move(t)]));
    f.eval(0, builtin('vec.push', [f.operand(0, ref(v, ptr(vecOf(S), true))), copy(str)]));
    const w = f.local('w', vecOf(S));
    f.assign(0, w, use(copy(v)));
    const o = f.local('o', optOf(S));
    f.assign(0, o, builtin('vec.pop', [f.operand(0, ref(w, ptr(vecOf(S), true)))], optOf(S)));
    const [some, after] = [f.block(), f.block()];
    f.term(0, branch(f.operand(0, { kind: 'IsSome', span: sp, op: copy(o), ty: T.bool }), some, after));
    f.eval(some, println(copy({ kind: 'PayloadPlace', span: sp, base: o, ty: S } as Place)));   // abc
    f.term(some, goto(after));
    const b = f.local('b', boxOf(vecOf(S)));
    const b2 = f.local('b2', boxOf(vecOf(S)));
    f.assign(after, b, builtin('box.new', [move(w)], boxOf(vecOf(S))));
    f.assign(after, b2, use(copy(b)));
    f.eval(after, println(f.operand(after, builtin('vec.len', [f.operand(after, ref(deref(copy(b2), vecOf(S)), ptr(vecOf(S))))], T.i64)))); // 1
    f.eval(after, println(copy({ kind: 'IndexPlace', span: sp, base: deref(copy(b2), vecOf(S)), index: c(0, T.i64), ty: S } as Place))); // abcdef
    const arr = f.local('arr', { k: 'array', elem: S, n: 3 });
    f.assign(after, arr, { kind: 'Repeat', span: sp, op: copy(str), count: 3, ty: arr.ty });
    f.eval(after, println(copy({ kind: 'IndexPlace', span: sp, base: arr, index: c(2), ty: S } as Place))); // abc
    const k = f.local('k', namedTy);
    const k2 = f.local('k2', namedTy);
    const extra = f.operand(after, { kind: 'MakeSome', span: sp, op: f.operand(after, builtin('box.new', [c(7, T.i64)], boxOf(T.i64))), ty: optOf(boxOf(T.i64)) });
    f.assign(after, k, { kind: 'Aggregate', span: sp, ops: [copy(str), extra], ty: namedTy });
    f.assign(after, k2, use(copy(k)));
    f.eval(after, builtin('string.append', [f.operand(after, ref({ kind: 'FieldPlace', span: sp, base: k2, field: 'name', ty: S }, ptr(S, true))), s('2')]));
    for (const p of [k, k2, str, v, o, b, b2, arr]) drop(f, after, p);  // drop abc, drop abc2
    f.term(after, ret());
    const m = moduleOf([dropFn, f], { classes: [named] });
    const exe = join(tempDir('zeta-llvm-'), 'prog');
    await buildLlvmAsync(m, { optLevel: 0, sanitize: ['address'], out: exe });
    const r = await execFileP(exe, [], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } })
      .then((x) => ({ status: 0, ...x }), (e) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }));
    expect(r).toEqual({ status: 0, stdout: 'abc\nabcdef\nabc\n1\nabcdef\nabc\ndrop abc\ndrop abc2\n', stderr: '' });
  });

  it('calls closures and function values, and runs threads, channels and mutexes (TSan-clean)', async () => {
    const envTy: Ty = { k: 'class', name: 'Env' };
    const env = { kind: 'ClassDef', span: sp, name: 'Env', traits: [], dropFn: null,
      fields: [{ kind: 'LocalField', span: sp, name: 'total', ty: ptr(T.i64, true) }] };
    // add(env, n): *env.total += n — a closure body: its first parameter receives the env
    const add = new Fn('add', T.void);
    const e = add.param('env', ptr(envTy, true));
    const n = add.param('n', T.i64);
    const total = (fn: Fn, p: Place) => deref(copy({ kind: 'FieldPlace', span: sp, base: deref(copy(p), envTy), field: 'total', ty: ptr(T.i64, true) } as Place), T.i64);
    add.assign(0, total(add, e), bin('+', copy(total(add, e)), copy(n), T.i64));
    add.term(0, ret());
    const dbl = new Fn('dbl', T.i64);
    const x = dbl.param('x', T.i64);
    dbl.term(0, ret(dbl.operand(0, bin('*', copy(x), c(2, T.i64), T.i64))));
    // worker(ch): sums what it receives until the channel is closed and drained
    const chTy: Ty = { k: 'channel', of: T.i64 };
    const worker = new Fn('worker', T.i64);
    const ch = worker.param('ch', ptr(chTy, true));
    const sum = worker.local('sum', T.i64);
    const got = worker.local('got', optOf(T.i64));
    const [loop, body, done] = [worker.block(), worker.block(), worker.block()];
    worker.assign(0, sum, use(c(0, T.i64)));
    worker.term(0, goto(loop));
    worker.assign(loop, got, builtin('channel.recv', [copy(ch)], optOf(T.i64)));
    worker.term(loop, branch(worker.operand(loop, { kind: 'IsSome', span: sp, op: copy(got), ty: T.bool }), body, done));
    worker.assign(body, sum, bin('+', copy(sum), copy({ kind: 'PayloadPlace', span: sp, base: got, ty: T.i64 } as Place), T.i64));
    worker.term(body, goto(loop));
    worker.term(done, ret(copy(sum)));

    const f = new Fn('main', T.void);
    const tot = f.local('total', T.i64);
    const envv = f.local('env', envTy);
    const addFn: Ty = { k: 'fn', params: [T.i64], ret: T.void, concurrent: false };
    const cl = f.local('f', addFn);
    f.assign(0, tot, use(c(0, T.i64)));
    f.assign(0, envv, { kind: 'Aggregate', span: sp, ops: [f.operand(0, ref(tot, ptr(T.i64, true)))], ty: envTy });
    f.assign(0, cl, { kind: 'Closure', span: sp, fn: 'add', env: f.operand(0, ref(envv, ptr(envTy, true))), ty: addFn });
    f.eval(0, { kind: 'CallValue', span: sp, callee: copy(cl), args: [c(5, T.i64)], ty: T.void });
    f.eval(0, { kind: 'CallValue', span: sp, callee: copy(cl), args: [c(7, T.i64)], ty: T.void });
    f.eval(0, println(copy(tot)));                                                         // 12
    const dblTy: Ty = { k: 'fn', params: [T.i64], ret: T.i64, concurrent: false };
    f.eval(0, println(f.operand(0, { kind: 'CallValue', span: sp, callee: { kind: 'FnRef', span: sp, name: 'dbl', ty: dblTy }, args: [c(21, T.i64)], ty: T.i64 }))); // 42
    const chan = f.local('ch', chTy);
    f.assign(0, chan, builtin('channel.new', [c(2, T.i64)], chTy));
    const workTy: Ty = { k: 'fn', params: [], ret: T.i64, concurrent: true };
    const thTy: Ty = { k: 'thread', of: T.i64 };
    const th = f.local('th', thTy);
    f.assign(0, th, builtin('spawn', [f.operand(0, { kind: 'Closure', span: sp, fn: 'worker', env: f.operand(0, ref(chan, ptr(chTy, true))), ty: workTy })], thTy));
    const i = f.local('i', T.i64);
    const [head, send, closed] = [f.block(), f.block(), f.block()];
    f.assign(0, i, use(c(1, T.i64)));
    f.term(0, goto(head));
    f.term(head, branch(f.operand(head, bin('<=', copy(i), c(100, T.i64), T.bool)), send, closed));
    f.eval(send, builtin('channel.send', [f.operand(send, ref(chan, ptr(chTy))), copy(i)], T.bool));
    f.assign(send, i, bin('+', copy(i), c(1, T.i64), T.i64));
    f.term(send, goto(head));
    f.eval(closed, builtin('channel.close', [f.operand(closed, ref(chan, ptr(chTy)))]));
    f.eval(closed, println(f.operand(closed, builtin('thread.join', [f.operand(closed, ref(th, ptr(thTy, true)))], T.i64)))); // 5050
    const mTy: Ty = { k: 'mutex', of: T.i64 };
    const gTy: Ty = { k: 'guard', of: T.i64 };
    const mx = f.local('m', mTy);
    const g = f.local('g', gTy);
    const pv = f.local('pv', ptr(T.i64, true));
    f.assign(closed, mx, builtin('mutex.new', [c(40, T.i64)], mTy));
    f.assign(closed, g, builtin('mutex.lock', [f.operand(closed, ref(mx, ptr(mTy)))], gTy));
    f.assign(closed, pv, builtin('guard.value', [f.operand(closed, ref(g, ptr(gTy)))], ptr(T.i64, true)));
    f.assign(closed, deref(copy(pv), T.i64), bin('+', copy(deref(copy(pv), T.i64)), c(2, T.i64), T.i64));
    f.eval(closed, println(copy(deref(copy(pv), T.i64))));                              // 42
    for (const p of [g, th, chan, mx]) drop(f, closed, p);
    f.term(closed, ret());
    const m = moduleOf([add, dbl, worker, f], { classes: [env] });
    const expected = { status: 0, stdout: '12\n42\n5050\n42\n', stderr: '' };
    const [plain, tsan] = await Promise.all([buildAndRun(m), buildAndRun(m, { sanitize: ['thread'] })]);
    expect(plain).toEqual(expected);
    expect(tsan).toEqual(expected);
  });
});

// ---------------------------------------------------------------- self-recursion unrolling
/** The Lcfg module of a Zeta program (through the whole pipeline). */
function lcfgOf(text: string): AnyNode {
  const res = runPipeline({ path: 'rec.zeta', text });
  if (!res.ir) throw new Error(`does not compile: ${JSON.stringify(res.diagnostics)}`);
  return res.ir;
}

/** The function definitions of textual IR whose name is z.NAME or one of its recursion copies. */
const copiesIn = (ir: string, name: string) =>
  [...ir.matchAll(new RegExp(`^define [^\\n]*@z\\.${name}(\\.rec\\d+)?\\(.*$`, 'gm'))].map((m) => m[0]);

/** The textual IR after `opt -O2` (what the backend's build runs). */
async function optimized(ir: string): Promise<string> {
  const file = join(tempDir('zeta-llvm-'), 'in.ll');
  writeFileSync(file, ir);
  const { stdout } = await execFileP(findTools().opt, ['-passes=default<O2>', '-S', file, '-o', '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return stdout;
}

describe('LLVM backend: self-recursion unrolling', () => {
  const RECURSIVE = `
nodes(n: i32) -> i64 {
    if n < 2 { return 1; }
    return 1 + nodes(n - 1) + nodes(n - 2);
}
down(n: i64) -> i64 {
    if n == 0 { return 0; }
    return n + down(n - 1);
}
// too big a frame to unroll (a copy per level would multiply the stack deep recursion needs)
wide(n: i64) -> i64 {
    mut a := [0i64; 64];
    a[n % 64] = n;
    if n == 0 { return 0; }
    return a[n % 64] + wide(n - 1);
}
main() {
    for n in 0..15 { println(nodes(n)); }
    println(down(0));
    println(down(1));
    println(down(2));
    println(down(7));
    println(down(10000));
    println(wide(1000));
}
`;
  it('unrolls small self-recursive functions into copies that opt inlines back (only at -O2, only small frames)', async () => {
    const m = lcfgOf(RECURSIVE);
    const ir = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    // nodes: 2 self-calls, 3 levels; down: 1 self-call, 3 levels; the copies are alwaysinline
    for (const name of ['nodes', 'down']) {
      const defs = copiesIn(ir, name);
      expect(defs).toHaveLength(3);
      expect(defs.filter((d) => d.endsWith(' alwaysinline {'))).toHaveLength(2);
    }
    expect(copiesIn(ir, 'wide')).toHaveLength(1);
    expect(copiesIn(emitLlvmIr(m, { optLevel: 0, sanitize: [] }), 'nodes')).toHaveLength(1);
    // opt folds the copies back into their function: one definition each is left
    const opt = await optimized(ir);
    expect(opt).not.toMatch(/\.rec\d+\(/);
    expect(opt).toMatch(/^define internal [^\n]*@z\.nodes\(/m);
  });

  it('computes the same results at every depth', async () => {
    const nodes = (n: number): number => (n < 2 ? 1 : 1 + nodes(n - 1) + nodes(n - 2));
    const expected = [
      ...Array.from({ length: 15 }, (_, n) => nodes(n)),
      ...[0, 1, 2, 7, 10000].map((n) => (n * (n + 1)) / 2),
      (1000 * 1001) / 2,
    ].map((v) => `${v}\n`).join('');
    const [o2, o0] = await Promise.all([buildAndRun(lcfgOf(RECURSIVE)), buildAndRun(lcfgOf(RECURSIVE), { optLevel: 0 })]);
    expect(o2).toEqual({ status: 0, stdout: expected, stderr: '' });
    expect(o0).toEqual(o2);
  });

  it('panics from inside the unrolled levels as the plain function does', async () => {
    // `dig` reaches `depth` (from the command line) and indexes a[depth % 8] there: in
    // bounds for depth % 8 < 4, a panic otherwise, at whichever level of the unrolling
    const m = lcfgOf(`
dig(n: i64, depth: i64, a: *[i64; 4]) -> i64 {
    if n == depth { return a[depth % 8]; }
    return a[n % 4] + dig(n + 1, depth, a) + dig(n + 1, depth, a);
}
main() {
    depth := arg(0).parse_i64() ?? 0;
    a := [1i64, 2, 3, 4];
    println(dig(0, depth, *a));
}
`);
    expect(copiesIn(emitLlvmIr(m, { optLevel: 2, sanitize: [] }), 'dig').length).toBeGreaterThan(1);
    const exe = join(tempDir('zeta-llvm-'), 'dig');
    await buildLlvmAsync(m, { optLevel: 2, sanitize: [], out: exe });
    const a = [1, 2, 3, 4];
    const dig = (n: number, depth: number): number => (n === depth ? a[depth % 8] : a[n % 4] + 2 * dig(n + 1, depth));
    for (const depth of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) {
      const run = await runExe(exe, [String(depth)]);
      expect({ depth, run }).toEqual({ depth, run: depth % 8 < 4
        ? { status: 0, stdout: `${dig(0, depth)}\n`, stderr: '' }
        : { status: 101, stdout: '', stderr: `panic: index out of bounds: the len is 4 but the index is ${depth % 8}\n` } });
    }
  });

  it('drops what every unrolled level owns exactly once and allocates in regions (ASan + LeakSanitizer)', async () => {
    const m = lcfgOf(`
class Cell(v: i64) {}
label(n: i64, r: Region) -> String {
    mut s := String::from("(");
    s.append(n);
    if n > 0 {
        c := r.alloc(Cell { v: n }) ?? panic("region full");
        mut parts: Vec<String> := Vec::new();
        parts.push(label(n - 1, r));
        parts.push(label(n - 2, r));
        s.append(parts[0]);
        s.append(parts[1]);
        s.append(c.v);
    }
    s.append(")");
    return s;
}
main() {
    region r(1 << 20) {
        for n in 0..7 { println(label(n, r)); }
    }
}
`);
    expect(copiesIn(emitLlvmIr(m, { optLevel: 2, sanitize: [] }), 'label').length).toBeGreaterThan(1);
    const label = (n: number): string => (n > 0 ? `(${n}${label(n - 1)}${label(n - 2)}${n})` : `(${n})`);
    const exe = join(tempDir('zeta-llvm-'), 'label');
    await buildLlvmAsync(m, { optLevel: 2, sanitize: ['address'], out: exe });
    const r = await execFileP(exe, [], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' } })
      .then((x) => ({ status: 0, ...x }), (e) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }));
    expect(r).toEqual({ status: 0, stdout: Array.from({ length: 7 }, (_, n) => `${label(n)}\n`).join(''), stderr: '' });
  });
});

describe('LLVM backend: TBAA metadata', () => {
  /** `!N = !{...}` definitions of textual IR, by number. */
  const metadataOf = (ir: string) => new Map([...ir.matchAll(/^!(\d+) = !\{(.*)\}$/gm)].map((m) => [m[1], m[2]]));
  /** The scalar type name a `!tbaa !N` tag stands for, checking the tag's shape on the way. */
  const scalarOfTag = (md: Map<string, string>, tag: string): string => {
    const access = /^!(\d+), !(\d+), i64 0$/.exec(md.get(tag) ?? '');
    expect(access, `tag !${tag}`).not.toBeNull();
    expect(access![1]).toBe(access![2]);
    const node = /^!"([^"]+)", !(\d+), i64 0$/.exec(md.get(access![1]) ?? '');
    expect(node, `type node !${access![1]}`).not.toBeNull();
    expect(md.get(node![2])).toBe('!"Zeta TBAA"');
    return node![1];
  };
  const LOOP = `
class Pair(count: i64, maybe: Option<i64>) {}
bump(p: *mut i64) { *p = *p + 1; }
main() {
    n := arg(0).parse_i64() ?? 100;
    step := arg(1).parse_i64() ?? 3;
    mut v := Vec::filled(n, false);
    mut k: i64 := 0;
    while k < n {
        v[k] = true;
        k += step;
    }
    mut p := Pair { count: 0, maybe: Some(1) };
    for i in 0..n { if v[i] { bump(*mut p.count); } }
    p.maybe = None;
    println(p.count);
}
`;

  it('tags the accesses of Vec headers, elements and class fields with a well-formed type tree (only at -O2)', async () => {
    const m = lcfgOf(LOOP);
    const ir = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    const md = metadataOf(ir);
    const accesses = [...ir.matchAll(/^\s*(?:%[-\w.]+ = load (.+), \1|store (.+) .+, \2)\* (%[-\w.]+), align \d+(, !tbaa !(\d+))?$/gm)];
    expect(accesses.length).toBeGreaterThan(20);
    const seen = new Set<string>();
    for (const [line, loadTy, storeTy, ptr, tagged, tag] of accesses) {
      const ty = loadTy ?? storeTy;
      if (!ptr.startsWith('%tbaa-')) {
        // locals, derefs of pointers (the `*p` of bump), anything not marked: untagged
        expect(tagged, line).toBeUndefined();
        continue;
      }
      if (ty.startsWith('{')) { expect(tagged, line).toBeUndefined(); continue; } // the Option field
      expect(tagged, line).toBeDefined();
      const scalar = scalarOfTag(md, tag);
      expect(scalar, line).toBe(ty.endsWith('*') ? 'any pointer' : ty);
      seen.add(`${storeTy ? 'store' : 'load'} ${scalar}`);
    }
    // the element store, the header's pointer and length loads, the class field
    for (const k of ['store i8', 'load i8', 'load any pointer', 'load i64', 'store i64']) expect(seen).toContain(k);
    // Some(1) and None into the Option<i64> field: not a scalar, untagged
    expect(ir).toMatch(/^\s*store \{ i8, i64 \} .*, align 8$/m);
    expect(ir).not.toMatch(/\{ i8, i64 \}\* [^\n]*!tbaa/);
    expect(emitLlvmIr(m, { optLevel: 0, sanitize: [] })).not.toContain('!tbaa');
    // the LLVM verifier (opt parses and verifies the input) accepts the tags
    const opt = await optimized(ir);
    expect(opt).toContain('!tbaa');
  });

  it('lets opt keep the Vec\'s buffer pointer in a register across element stores', async () => {
    // without the tags, `v[k] = true` may overwrite v's own {ptr, len}: the loop reloads them
    const ir = emitLlvmIr(lcfgOf(LOOP), { optLevel: 2, sanitize: [] });
    /** the blocks of the optimised IR that store an element (`v[k] = true`) */
    const storeBlocks = async (text: string) => {
      const found = (await optimized(text)).split(/\n(?=[-\w.]+:)/).filter((b) => /store i8 1, i8\* /.test(b));
      expect(found.length).toBeGreaterThan(0);
      return found;
    };
    for (const block of await storeBlocks(ir)) expect(block).not.toMatch(/= load /);
    const untagged = await storeBlocks(ir.replace(/, !tbaa !\d+/g, ''));
    expect(untagged.some((block) => /= load i8\*, i8\*\* /.test(block))).toBe(true);
  });

  it('tags by the access type, leaves aggregates untagged, numbers after the module\'s own metadata', () => {
    const text = [
      '  %a = load i64, i64* %tbaa-, align 8',
      '  store { i8*, i64 }* %x, { i8*, i64 }** %tbaa-1, align 8',
      '  %b = load { i8*, i64 }, { i8*, i64 }* %tbaa-2, align 8',
      '  store double 1.5, double* %tbaa-3, align 8',
      '  store i64 0, i64* %tbaa.4, align 8',
      '  %c = load i64, i64* %k.3, align 8',
      '!0 = !{i32 1, !"wchar_size", i32 4}',
    ].join('\n');
    expect(withTbaa(text).split('\n')).toEqual([
      '  %a = load i64, i64* %tbaa-, align 8, !tbaa !3',
      '  store { i8*, i64 }* %x, { i8*, i64 }** %tbaa-1, align 8, !tbaa !5',
      '  %b = load { i8*, i64 }, { i8*, i64 }* %tbaa-2, align 8',
      '  store double 1.5, double* %tbaa-3, align 8, !tbaa !7',
      '  store i64 0, i64* %tbaa.4, align 8',
      '  %c = load i64, i64* %k.3, align 8',
      '!0 = !{i32 1, !"wchar_size", i32 4}',
      '!1 = !{!"Zeta TBAA"}',
      '!2 = !{!"i64", !1, i64 0}',
      '!3 = !{!2, !2, i64 0}',
      '!4 = !{!"any pointer", !1, i64 0}',
      '!5 = !{!4, !4, i64 0}',
      '!6 = !{!"double", !1, i64 0}',
      '!7 = !{!6, !6, i64 0}',
      '',
    ]);
    expect(withTbaa('  store i64 0, i64* %k.3, align 8')).toBe('  store i64 0, i64* %k.3, align 8');
  });

  it('computes the same at -O2 as at -O0 when Vec<bool>, Vec<i64>, Strings and class fields meet pointers', async () => {
    // pointers to a class field, a Vec<i64> element (inside a class) and a Vec<bool> element
    // are written through while the same memory is read directly: tagged and untagged
    // accesses of one location must stay ordered
    const m = lcfgOf(`
class Acc(count: i64, flag: bool, scale: f64, label: String, hits: Vec<i64>) {}
bump(p: *mut i64, by: i64) { *p = *p + by; }
setb(p: *mut bool) { *p = true; }
main() {
    n: i64 := 300;
    mut sieve := Vec::filled(n, false);
    mut primes: Vec<i64> := Vec::new();
    mut a := Acc { count: 0, flag: false, scale: 0.5, label: String::from("p"), hits: Vec::filled(n, 0) };
    for i in 2..n {
        if sieve[i] { a.hits[i] += 1; continue; }
        primes.push(i);
        bump(*mut a.count, 1);
        a.scale = a.scale + 0.25;
        mut k := i * i;
        while k < n {
            sieve[k] = true;
            a.hits[k] += i;
            bump(*mut a.hits[0], 1);
            k += i;
        }
        if a.count % 10 == 0 {
            a.label.append(i);
            a.label.append(",");
            setb(*mut a.flag);
        }
    }
    mut total: i64 := 0;
    for i in 0..n { total += a.hits[i]; }
    println(primes.len());
    println(a.count);
    println(total);
    println(a.label);
    println(a.flag);
    println(a.label.len());
    println(a.scale);
    pe := *mut primes[3];
    for j in 0..5 { *pe = *pe + primes[j]; }
    println(primes[3]);
    pb := *mut sieve[2];
    mut flips: i64 := 0;
    for j in 0..10 {
        *pb = !sieve[2];
        if sieve[2] { flips += 1; }
    }
    println(flips);
}
`);
    // the same computation in JavaScript
    const n = 300;
    const sieve = new Array<boolean>(n).fill(false);
    const hits = new Array<number>(n).fill(0);
    const primes: number[] = [];
    let count = 0;
    let scale = 0.5;
    let label = 'p';
    let flag = false;
    for (let i = 2; i < n; i++) {
      if (sieve[i]) { hits[i] += 1; continue; }
      primes.push(i);
      count += 1;
      scale += 0.25;
      for (let k = i * i; k < n; k += i) { sieve[k] = true; hits[k] += i; hits[0] += 1; }
      if (count % 10 === 0) { label += `${i},`; flag = true; }
    }
    const total = hits.reduce((x, y) => x + y, 0);
    // *pe = *pe + primes[j] for j in 0..5: primes[3] itself changes at j = 3
    let pe = primes[3];
    for (let j = 0; j < 5; j++) pe += j === 3 ? pe : primes[j];
    let bit = sieve[2];
    let flips = 0;
    for (let j = 0; j < 10; j++) { bit = !bit; if (bit) flips += 1; }
    const expected = [primes.length, count, total, label, flag, label.length, scale, pe, flips].map((v) => `${v}\n`).join('');
    const ir = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    expect(ir.match(/!tbaa !/g)?.length ?? 0).toBeGreaterThan(10);
    const [o2, o0] = await Promise.all([buildAndRun(m), buildAndRun(m, { optLevel: 0 })]);
    expect(o2).toEqual({ status: 0, stdout: expected, stderr: '' });
    expect(o0).toEqual(o2);
  });
});

// ---------------------------------------------------------------- verifier, IR text, sanitizers
describe('LLVM backend: verification, --emit=llvm-ir, sanitizers', () => {
  it('reports a module that fails verifyModule as an internal error naming the function', () => {
    // Lcfg that breaks its contract (a function returning i64 into an i32 result) must not
    // reach opt: the verifier catches it and the error names the function
    const f = new Fn('broken', T.i32);
    f.term(0, ret(c(1, T.i64)));
    const main = new Fn('main', T.void);
    main.eval(0, call('broken', [], T.i32));
    main.term(0, ret());
    let err: unknown = null;
    try { emitLlvmIr(moduleOf([f, main]), { optLevel: 2, sanitize: [] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).message).toMatch(/does not verify.*broken function: broken/);
  });

  it('writes textual IR: internal user functions, a C main, and sanitize_address on request', () => {
    const m = printing((f, print) => print(c('hi', T.str)));
    const ir = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    expect(ir).toMatch(/^define internal void @z\.main\(\) \{$/m);
    expect(ir).toMatch(/^define i32 @main\(i32 %0, i8\*\* %1\) \{$/m);
    expect(ir).toContain('call void @zrt_init(');
    expect(ir).not.toContain('sanitize_address');
    const asan = emitLlvmIr(m, { optLevel: 2, sanitize: ['address'] });
    expect(asan.match(/^define .*sanitize_address \{$/gm)?.length).toBe(2);
  });

  it('finds heap overflows under --sanitize=address', async () => {
    // unsafe pointer arithmetic one past a 4-byte malloc: ASan must stop the program
    const f = new Fn('main', T.void);
    const p = f.local('p', ptr(T.i32, true));
    f.assign(0, p, cast(f.operand(0, call('malloc', [c(4, T.u64)], ptr(T.u8, true))), ptr(T.i32, true)));
    f.assign(0, p, bin('+', copy(p), c(1, T.i64), ptr(T.i32, true)));
    f.assign(0, { kind: 'DerefPlace', span: sp, ptr: copy(p), ty: T.i32 } as Place, use(c(7)));
    f.eval(0, println(c('wrote', T.str)));
    f.term(0, ret());
    const m = moduleOf([f], { externs: [{ kind: 'ExternDef', span: sp, name: 'malloc', params: [T.u64], ret: ptr(T.u8, true) }] });
    const run = await buildAndRun(m, { sanitize: ['address'], optLevel: 0 });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('AddressSanitizer: heap-buffer-overflow');
  });

  it('builds atomically: a failed build leaves no output file behind', () => {
    const f = new Fn('broken', T.i32);
    f.term(0, ret(c(1, T.i64)));
    const main = new Fn('main', T.void);
    main.term(0, ret());
    const dir = tempDir('zeta-llvm-');
    const out = join(dir, 'prog');
    expect(() => buildLlvm(moduleOf([f, main]), { optLevel: 2, sanitize: [], out })).toThrow(InternalError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says what is missing instead of crashing: an unknown target, an unsupported sanitizer', () => {
    const fake = { config: { LLVM_DEFAULT_TARGET_TRIPLE: 'riscv64-unknown-elf' } } as unknown as Llvm;
    expect(() => hostTarget(fake)).toThrow(BackendUnavailable);
    expect(() => hostTarget(fake)).toThrow(/riscv64-unknown-elf.*--backend=c/);
    const m = printing((f, print) => print(c(1)));
    expect(() => emitLlvmIr(m, { optLevel: 2, sanitize: ['memory'] })).toThrow(BackendUnavailable);
    expect(INSTALL_HINT).toMatch(/apt-get install llvm-14-dev cmake.*npm rebuild llvm-bindings/);
  });

  it('is a Backend with emitText and build', () => {
    const b = llvmBackend();
    expect(b.name).toBe('llvm');
    expect(b.emitText(printing((f, print) => print(c(1))), { optLevel: 0, sanitize: [] })).toContain('@zrt_println_i64');
  });
});

// ---------------------------------------------------------------- differential: C vs LLVM
interface Program { file: string; args: string[]; exit: number; stdout: string }

function programs(): Program[] {
  const out: Program[] = [];
  const add = (file: string, expectedStdout: string) => {
    const src = readFileSync(file, 'utf8');
    if (/\/\/~\s*ERROR/.test(src)) return;
    const args = src.match(/^\s*\/\/\s*args:(.*)$/m)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
    const exit = Number(src.match(/^\s*\/\/\s*exit:\s*(\d+)/m)?.[1] ?? 0);
    out.push({ file, args, exit, stdout: expectedStdout });
  };
  const examples = join(ROOT, 'examples');
  for (const f of readdirSync(examples).filter((x) => x.endsWith('.zeta')).sort()) {
    add(join(examples, f), readFileSync(join(examples, f.replace(/\.zeta$/, '.stdout')), 'utf8'));
  }
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.zeta')) {
        const expected = p.replace(/\.zeta$/, '.stdout');
        add(p, existsSync(expected) ? readFileSync(expected, 'utf8') : '');
      }
    }
  };
  if (existsSync(CONFORMANCE)) walk(CONFORMANCE);
  return out;
}

function cBackend(): Backend | null {
  try { return getBackend('c'); } catch (e) { if (e instanceof BackendUnavailable) return null; throw e; }
}

/** Runs `f` over the items with at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) { const i = next++; results[i] = await f(items[i]); }
  }));
  return results;
}

const c0 = cBackend();

describe.skipIf(c0 === null)('differential: every example and runnable conformance program on both backends', () => {
  it('gives the same stdout and exit status with --backend=c and --backend=llvm (and the expected ones)', async () => {
    const c = c0!;
    const dir = tempDir('zeta-diff-');
    const all = programs();
    // programs the front end cannot compile yet are the front end's business (its tests
    // catch them); the examples and core/ must always compile
    const compiled = all.flatMap((p, i) => {
      const res = (() => {
        try { return runPipeline({ path: p.file, text: readFileSync(p.file, 'utf8') }); } catch { return null; }
      })();
      const required = p.file.startsWith(join(ROOT, 'examples')) || p.file.includes(`${join('conformance', 'core')}`);
      if (!res?.ir) {
        if (required) throw new Error(`${p.file} does not compile: ${JSON.stringify(res?.diagnostics ?? 'internal error')}`);
        return [];
      }
      return [{ ...p, required, ir: res.ir, cExe: join(dir, `c${i}`), llExe: join(dir, `ll${i}`) }];
    });
    expect(compiled.length).toBeGreaterThanOrEqual(15);
    // LLVM at -O2 (where optimisations would expose any undefined behaviour in the IR we
    // emit) against the C backend at -O0 as the reference (quicker to build, same output)
    const builtLlvm = pool(compiled, 3, (p) => buildLlvmAsync(p.ir, { optLevel: 2, sanitize: [], out: p.llExe }));
    for (const p of compiled) {
      c.build(p.ir, { optLevel: 0, sanitize: [], out: p.cExe }); // blocking: the LLVM builds move on in between
      await new Promise((res) => setImmediate(res));
    }
    await builtLlvm;
    const runs = await pool(compiled, 4, async (p) => ({ p, c: await runExe(p.cExe, p.args), ll: await runExe(p.llExe, p.args) }));
    const mismatches = runs.filter((r) => r.c.stdout !== r.ll.stdout || r.c.status !== r.ll.status)
      .map((r) => ({ file: r.p.file, c: r.c, llvm: r.ll }));
    expect(mismatches).toEqual([]);
    // the expected outputs of the programs that must compile (the rest are the conformance suite's business)
    const wrong = runs.filter((r) => r.p.required && (r.ll.stdout !== r.p.stdout || r.ll.status !== r.p.exit))
      .map((r) => ({ file: r.p.file, expected: { stdout: r.p.stdout, exit: r.p.exit }, llvm: r.ll }));
    expect(wrong).toEqual([]);
  }, 180_000);
});
