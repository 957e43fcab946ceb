// C backend tests: hand-built Lcfg modules (builders below) are emitted as C, compiled with
// the system cc and the runtime, run, and their stdout/stderr/exit status compared with
// what the spec says. A subset also runs under AddressSanitizer + UBSan (leak checking on,
// so drop glue must free everything) and ThreadSanitizer.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { validate } from '../ir/lang.js';
import { Lcfg, operandTy, type Node } from '../ir/languages.js';
import { T, ptr, gen, arrayTy, fnTy, classTy, type Ty } from '../ir/types.js';
import { cText, emitC, emitCPass, Lcsource, type CSource } from '../backends/c/emit-c.js';
import { isFunctionPass } from '../passes/pass.js';
import { PIPELINE } from '../passes/pipeline.js';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, ROOT, zetaFiles } from './helpers.js';
import { compileC, type CBuildOptions } from '../backends/c/toolchain.js';
import { makeCBackend } from '../backends/c/index.js';
import { LocalNames, TextBuffer } from '../backends/c/text.js';
const span = { start: 0, end: 0 };
// Loosely typed nodes: the validator checks their shape.
type N = { kind: string; span: typeof span; [k: string]: unknown };
type Module = Node<typeof Lcfg, 'Module'>;

// ---------------------------------------------------------------- operands and places
const c = (value: unknown, ty: Ty): N => ({ kind: 'Const', span, value, ty });
const i32 = (v: number | string) => c(String(v), T.i32);
const i64 = (v: number | string | bigint) => c(String(v), T.i64);
const u8 = (v: number) => c(String(v), T.u8);
const f64 = (v: number) => c(v, T.f64);
const f32 = (v: number) => c(Math.fround(v), T.f32);
const bool = (v: boolean) => c(v, T.bool);
const s = (v: string) => c(v, T.str);
const cp = (place: N): N => ({ kind: 'Copy', span, place });
const mv = (place: N): N => ({ kind: 'Move', span, place });
const fnRef = (name: string, ty: Ty): N => ({ kind: 'FnRef', span, name, ty });
const glob = (name: string, ty: Ty): N => ({ kind: 'GlobalPlace', span, name, ty });
const deref = (p: N, ty: Ty): N => ({ kind: 'DerefPlace', span, ptr: p, ty });
const field = (base: N, name: string, ty: Ty): N => ({ kind: 'FieldPlace', span, base, field: name, ty });
const idx = (base: N, index: N, ty: Ty): N => ({ kind: 'IndexPlace', span, base, index, ty });
const payload = (base: N, ty: Ty): N => ({ kind: 'PayloadPlace', span, base, ty });

// ---------------------------------------------------------------- rvalues
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);
const use = (op: N): N => ({ kind: 'Use', span, op });
const bin = (op: string, left: N, right: N, ty?: Ty): N =>
  ({ kind: 'BinOp', span, op, left, right, ty: ty ?? (COMPARE.has(op) ? T.bool : operandTy(left)) });
const un = (op: string, operand: N): N => ({ kind: 'UnOp', span, op, operand, ty: operandTy(operand) });
const cast = (op: N, ty: Ty): N => ({ kind: 'CastOp', span, op, ty });
const ref = (place: N, mut = false): N => ({ kind: 'Ref', span, place, mut, ty: ptr(place.ty as Ty, mut) });
const call = (fn: string, args: N[], ty: Ty): N => ({ kind: 'CallFn', span, fn, args, ty });
const callv = (callee: N, args: N[], ty: Ty): N => ({ kind: 'CallValue', span, callee, args, ty });
const closure = (fn: string, env: N, ty: Ty): N => ({ kind: 'Closure', span, fn, env, ty });
const agg = (ops: N[], ty: Ty): N => ({ kind: 'Aggregate', span, ops, ty });
const rep = (op: N, count: number, ty: Ty): N => ({ kind: 'Repeat', span, op, count, ty });
const some = (op: N, ty: Ty): N => ({ kind: 'MakeSome', span, op, ty });
const none = (ty: Ty): N => ({ kind: 'MakeNone', span, ty });
const isSome = (op: N): N => ({ kind: 'IsSome', span, op, ty: T.bool });
const bi = (op: string, args: N[], ty: Ty = T.void): N => ({ kind: 'Builtin', span, op, args, ty });

// ---------------------------------------------------------------- functions
class Fn {
  readonly locals: N[] = [];
  readonly params: number[] = [];
  readonly blocks: { stmts: N[]; term: N | null }[] = [];
  private cur = 0;
  private nextId = 1;

  constructor(readonly name: string, readonly retTy: Ty = T.void) { this.block(); }

  local(name: string, ty: Ty): N {
    const id = this.nextId++;
    this.locals.push({ kind: 'LocalDef', span, id, name, ty, mut: true });
    return { kind: 'LocalPlace', span, id, ty };
  }
  param(name: string, ty: Ty): N {
    const p = this.local(name, ty);
    this.params.push(p.id as number);
    return p;
  }
  /** a new local holding the value */
  let(name: string, ty: Ty, rv: N): N {
    const p = this.local(name, ty);
    this.assign(p, rv);
    return p;
  }
  /** a compiler temporary holding the value, read back with Move */
  tmp(ty: Ty, rv: N): N { return mv(this.let('', ty, rv)); }
  /** `*place` / `*mut place` as a Move of a temporary (how receivers are passed) */
  refOf(place: N, mut = false): N { return this.tmp(ptr(place.ty as Ty, mut), ref(place, mut)); }

  block(): number { this.blocks.push({ stmts: [], term: null }); return this.blocks.length - 1; }
  at(b: number): this { this.cur = b; return this; }
  private stmt(st: N): this {
    const b = this.blocks[this.cur];
    if (b.term) throw new Error(`${this.name}: block ${this.cur} already ended`);
    b.stmts.push(st);
    return this;
  }
  assign(place: N, value: N): this { return this.stmt({ kind: 'Assign', span, place, value }); }
  eval(value: N): this { return this.stmt({ kind: 'Eval', span, value }); }
  drop(place: N): this { return this.stmt({ kind: 'Drop', span, place }); }
  println(op: N): this { return this.eval(bi('println', [op])); }
  print(op: N): this { return this.eval(bi('print', [op])); }
  /** println of an rvalue's result */
  show(rv: N, ty: Ty): this { return this.println(this.tmp(ty, rv)); }

  private term(t: N): this {
    const b = this.blocks[this.cur];
    if (b.term) throw new Error(`${this.name}: block ${this.cur} already ended`);
    b.term = t;
    return this;
  }
  goto(target: number): this { return this.term({ kind: 'Goto', span, target }); }
  branch(cond: N, then: number, els: number): this { return this.term({ kind: 'Branch', span, cond, then, else: els }); }
  ret(value: N | null = null): this { return this.term({ kind: 'Return', span, value }); }
  unreachable(): this { return this.term({ kind: 'Unreachable', span }); }
  panic(msg: string): this { return this.eval(bi('panic', [s(msg)])).unreachable(); }

  /** if cond { then() } else { els() }, continuing after */
  if(cond: N, then: () => void, els?: () => void): this {
    const tb = this.block(), eb = this.block(), after = this.block();
    this.branch(cond, tb, eb);
    this.at(tb); then(); if (!this.blocks[this.cur].term) this.goto(after);
    this.at(eb); els?.(); if (!this.blocks[this.cur].term) this.goto(after);
    return this.at(after);
  }
  /** for i in start..end (ty) { body(i) } */
  for(name: string, ty: Ty, start: N, end: N, body: (i: N) => void): this {
    const i = this.let(name, ty, use(start));
    const head = this.block(), bodyB = this.block(), exit = this.block();
    this.goto(head).at(head);
    this.branch(this.tmp(T.bool, bin('<', cp(i), end)), bodyB, exit);
    this.at(bodyB);
    body(i);
    this.assign(i, bin('+', cp(i), c('1', ty)));
    this.goto(head);
    return this.at(exit);
  }
  /** loop { body(exitBlock) }: body breaks with goto(exit) */
  loop(body: (exit: number) => void): this {
    const head = this.block(), exit = this.block();
    this.goto(head).at(head);
    body(exit);
    if (!this.blocks[this.cur].term) this.goto(head);
    return this.at(exit);
  }

  def(): N {
    const blocks = this.blocks.map((b, id) => {
      if (!b.term) throw new Error(`${this.name}: block ${id} has no terminator`);
      return { kind: 'BasicBlock', span, id, stmts: b.stmts, term: b.term };
    });
    return { kind: 'FnDef', span, name: this.name, params: this.params, ret: this.retTy, locals: this.locals, blocks, unsafe: false };
  }
}

const classDef = (name: string, fields: [string, Ty][], dropFn: string | null = null): N =>
  ({ kind: 'ClassDef', span, name, fields: fields.map(([n, ty]) => ({ kind: 'LocalField', span, name: n, ty })), traits: dropFn ? ['Drop'] : [], dropFn });
const globalDef = (name: string, ty: Ty, mut = false): N => ({ kind: 'GlobalDef', span, name, ty, mut });
const externDef = (name: string, params: Ty[], ret: Ty): N => ({ kind: 'ExternDef', span, name, params, ret });

function module(fns: Fn[], extra: { classes?: N[]; globals?: N[]; externs?: N[]; init?: string; main?: string } = {}): Module {
  const m = {
    kind: 'Module', span, classes: extra.classes ?? [], globals: extra.globals ?? [], externs: extra.externs ?? [],
    fns: fns.map((f) => f.def()), main: extra.main ?? 'main', init: extra.init ?? null,
  };
  const errors = validate(Lcfg, m);
  if (errors.length) throw new Error(`invalid Lcfg: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return m as unknown as Module;
}

// ---------------------------------------------------------------- build and run
interface RunResult { stdout: string; stderr: string; code: number | null }

const workDir = mkdtempSync(join(tmpdir(), 'zeta-c-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
let counter = 0;

function run(exe: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(exe, args, { timeout: 30_000, env: { ...process.env, ...env }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

/** Compiles the C source to a fresh executable and returns its path. */
async function buildC(source: string, opts: CBuildOptions = {}): Promise<string> {
  const exe = join(workDir, `prog${counter++}`);
  await compileC(source, exe, opts);
  return exe;
}

/** emitC + compile + run. */
async function compileAndRun(mod: Module, opts: CBuildOptions = {}, args: string[] = []): Promise<RunResult & { c: string }> {
  const src = emitC(mod);
  const exe = await buildC(src, opts);
  return { ...(await run(exe, args)), c: src };
}

/** Runs async jobs with at most `limit` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}

// ================================================================ test programs
// Each case: a module, the expected stdout/exit status (and stderr for panics), and
// whether it also runs under AddressSanitizer + UBSan (leak checking on).

interface Case {
  name: string;
  mod: Module;
  stdout: string;
  code?: number;
  stderr?: string | RegExp;
  args?: string[];
  /** also build with -fsanitize=address,undefined (or thread) and expect the same, with no sanitizer report */
  sanitize?: 'asan' | 'tsan' | 'both';
}

const cases: Case[] = [];
const lines = (...xs: (string | number | bigint | boolean)[]) => xs.map((x) => `${x}\n`).join('');

// ---- fib and loops
{
  const fib = new Fn('fib', T.i32);
  const n = fib.param('n', T.i32);
  fib.if(fib.tmp(T.bool, bin('<', cp(n), i32(2))), () => { fib.ret(cp(n)); });
  const a = fib.let('a', T.i32, call('fib', [fib.tmp(T.i32, bin('-', cp(n), i32(1)))], T.i32));
  const b = fib.let('b', T.i32, call('fib', [fib.tmp(T.i32, bin('-', cp(n), i32(2)))], T.i32));
  fib.ret(fib.tmp(T.i32, bin('+', cp(a), cp(b))));

  const main = new Fn('main');
  main.for('i', T.i32, i32(0), i32(10), (i) => { main.print(main.tmp(T.i32, call('fib', [cp(i)], T.i32))).print(s(' ')); });
  main.println(s(''));
  main.show(call('fib', [i32(25)], T.i32), T.i32);
  const sum = main.let('sum', T.i64, use(i64(0)));
  main.for('k', T.i64, i64(1), i64(101), (k) => { main.assign(sum, bin('+', cp(sum), cp(k))); });
  main.println(cp(sum));
  const fact = main.let('fact', T.i64, use(i64(1)));
  main.for('k', T.i64, i64(1), i64(21), (k) => { main.assign(fact, bin('*', cp(fact), cp(k))); });
  main.println(cp(fact));
  main.ret();
  cases.push({ name: 'fib and loops', mod: module([fib, main]), stdout: '0 1 1 2 3 5 8 13 21 34 \n' + lines(75025, 5050, '2432902008176640000') });
}

// ---- integer and float arithmetic edge cases (no UB: checked under UBSan)
{
  const m = new Fn('main');
  const v = (ty: Ty, value: string | number) => m.let('v', ty, use(c(String(value), ty)));
  const show = (rv: N, ty: Ty) => m.show(rv, ty);
  show(bin('+', cp(v(T.i32, 2147483647)), i32(1)), T.i32);
  show(bin('+', cp(v(T.i8, 127)), c('1', T.i8)), T.i8);
  show(bin('+', cp(v(T.u8, 250)), u8(10)), T.u8);
  show(bin('*', cp(v(T.u16, 65535)), cp(v(T.u16, 65535))), T.u16);
  show(bin('*', cp(v(T.i64, '-9223372036854775808')), i64(-1)), T.i64);
  show(un('-', cp(v(T.i32, '-2147483648'))), T.i32);
  show(bin('<<', cp(v(T.i32, 1)), i32(33)), T.i32);
  show(bin('>>', cp(v(T.i32, -8)), i32(1)), T.i32);
  show(bin('<<', cp(v(T.u8, 1)), u8(9)), T.u8);
  show(bin('<<', cp(v(T.i32, 1)), i32(-1)), T.i32);
  show(bin('<<', cp(v(T.i32, 1)), cp(v(T.u64, 35))), T.i32);
  show(bin('-', cp(v(T.u32, 0)), c('1', T.u32)), T.u32);
  show(un('-', cp(v(T.u32, 1))), T.u32);
  show(cast(cp(v(T.i32, 300)), T.u8), T.u8);
  show(cast(cp(v(T.i32, -1)), T.u32), T.u32);
  show(cast(cp(v(T.f64, 3.9)), T.i32), T.i32);
  show(cast(cp(v(T.f64, -3.9)), T.i32), T.i32);
  show(cast(cp(m.let('f', T.f64, use(f64(1e10)))), T.i32), T.i32);
  show(cast(cp(m.let('f', T.f64, use(f64(-1e10)))), T.i32), T.i32);
  show(cast(cp(m.let('f', T.f64, use(f64(NaN)))), T.i32), T.i32);
  show(cast(cp(m.let('f', T.f64, use(f64(-1.5)))), T.u8), T.u8);
  show(cast(cp(m.let('f', T.f64, use(f64(300.7)))), T.u8), T.u8);
  show(cast(cp(m.let('f', T.f64, use(f64(1e20)))), T.u64), T.u64);
  show(cast(cp(m.let('f', T.f64, use(f64(Infinity)))), T.i64), T.i64);
  show(cast(cp(m.let('f', T.f32, use(f32(-3e38)))), T.i64), T.i64);
  show(bin('/', cp(v(T.i32, -7)), cp(v(T.i32, 2))), T.i32);
  show(bin('%', cp(v(T.i32, -7)), cp(v(T.i32, 2))), T.i32);
  show(bin('%', cp(m.let('f', T.f64, use(f64(7.5)))), f64(2)), T.f64);
  show(un('~', cp(v(T.i32, 0))), T.i32);
  show(un('~', cp(v(T.u8, 0))), T.u8);
  show(bi('abs', [cp(v(T.i32, '-2147483648'))], T.i32), T.i32);
  show(bi('abs', [cp(v(T.i64, -5))], T.i64), T.i64);
  show(bi('min', [cp(v(T.i32, 3)), i32(-4)], T.i32), T.i32);
  show(bi('max', [cp(m.let('f', T.f64, use(f64(1.5)))), f64(2.5)], T.f64), T.f64);
  show(cast(cp(m.let('t', T.bool, use(bool(true)))), T.i32), T.i32);
  show(bin('+', cp(v(T.u64, '18446744073709551615')), c('1', T.u64)), T.u64);
  show(cast(cp(v(T.i8, -128)), T.i64), T.i64);
  show(cast(cp(v(T.u64, '18446744073709551615')), T.i32), T.i32);
  show(bin('>>', cp(v(T.i8, -128)), c('9', T.i8)), T.i8);
  show(bin('<<', cp(v(T.u64, 1)), c('63', T.u64)), T.u64);
  show(cast(cp(v(T.i32, 16777217)), T.f32), T.f32);
  show(bin('*', cp(v(T.i64, '12345678901')), i64(1000)), T.i64);
  show(bi('sqrt', [f64(2)], T.f64), T.f64);
  show(bi('floor', [f64(-2.5)], T.f64), T.f64);
  show(bi('ceil', [f32(2.1)], T.f32), T.f32);
  show(bin('&', cp(m.let('t', T.bool, use(bool(true)))), bool(false)), T.bool);
  show(bin('^', cp(m.let('t', T.bool, use(bool(true)))), bool(true)), T.bool);
  show(bin('==', cp(v(T.i32, 3)), i32(3)), T.bool);
  show(bin('!=', cp(m.let('f', T.f64, use(f64(2.5)))), f64(2.5)), T.bool);
  show(bin('/', cp(v(T.i16, -32768)), c('2', T.i16)), T.i16);
  show(bin('%', cp(v(T.u32, 4000000000)), c('7', T.u32)), T.u32);
  show(bin('-', cp(v(T.i16, -32768)), c('1', T.i16)), T.i16);
  m.ret();
  cases.push({
    name: 'arithmetic edge cases', mod: module([m]), sanitize: 'asan',
    stdout: lines(-2147483648, -128, 4, 1, '-9223372036854775808', -2147483648, 2, -4, 2, -2147483648, 8,
      4294967295, 4294967295, 44, 4294967295, 3, -3, 2147483647, -2147483648, 0, 0, 255, '18446744073709551615',
      '9223372036854775807', '-9223372036854775808', -3, -1, 1.5, -1, 255, -2147483648, 5, -4, 2.5, 1, 0, -128, -1, -64,
      '9223372036854775808', 16777216, '12345678901000', 1.4142135623730951, -3, 3, false, false, true, false, -16384,
      4000000000 % 7, 32767),
  });
}

// ---- division panics and the exit status of main
const divPanic = (name: string, ty: Ty, a: string, b: string, op: string, msg: string) => {
  const m = new Fn('main');
  const x = m.let('x', ty, use(c(a, ty)));
  const y = m.let('y', ty, use(c(b, ty)));
  m.println(s('before'));
  m.show(bin(op, cp(x), cp(y)), ty);
  m.println(s('after'));
  m.ret();
  cases.push({ name, mod: module([m]), stdout: 'before\n', code: 101, stderr: `panic: ${msg}\n` });
};
divPanic('i32 division by zero panics', T.i32, '5', '0', '/', 'division by zero');
divPanic('u8 remainder by zero panics', T.u8, '5', '0', '%', 'division by zero');
divPanic('i64 MIN / -1 panics', T.i64, '-9223372036854775808', '-1', '/', 'overflow');
divPanic('i8 MIN % -1 panics', T.i8, '-128', '-1', '%', 'overflow');

// ---- bounds checks
{
  const m = new Fn('main');
  const v = m.let('v', gen('vec', T.i32), bi('vec.filled', [i64(3), i32(7)], gen('vec', T.i32)));
  m.println(cp(idx(v, i64(2), T.i32)));
  const i = m.let('i', T.i32, use(i32(5)));
  m.println(cp(idx(v, cp(i), T.i32)));
  m.println(s('unreachable'));
  m.ret();
  cases.push({ name: 'Vec index out of bounds panics', mod: module([m]), stdout: '7\n', code: 101, stderr: 'panic: index out of bounds: the len is 3 but the index is 5\n', sanitize: 'asan' });
}
{
  const m = new Fn('main');
  const arr = arrayTy(T.i64, 4);
  const a = m.let('a', arr, agg([i64(1), i64(2), i64(3), i64(4)], arr));
  m.println(cp(idx(a, i32(3), T.i64)));
  const i = m.let('i', T.i64, use(i64(-1)));
  m.assign(idx(a, cp(i), T.i64), use(i64(9)));
  m.ret();
  cases.push({ name: 'array index -1 panics (on store)', mod: module([m]), stdout: '4\n', code: 101, stderr: 'panic: index out of bounds: the len is 4 but the index is -1\n' });
}
{
  const m = new Fn('main');
  const v = m.let('v', gen('vec', T.u8), bi('vec.new', [], gen('vec', T.u8)));
  m.println(cp(idx(v, c('18446744073709551615', T.u64), T.u8)));
  m.ret();
  cases.push({ name: 'u64 index beyond i64 panics with its unsigned value', mod: module([m]), stdout: '', code: 101, stderr: 'panic: index out of bounds: the len is 0 but the index is 18446744073709551615\n' });
}

// ---- String and Vec, deep copies
{
  const m = new Fn('main');
  const S = T.string;
  const str = m.let('s', S, bi('string.from', [s('fives')], S));
  const t = m.let('t', S, use(cp(str)));
  m.eval(bi('string.append', [m.refOf(str, true), s('six')]));
  m.println(cp(str)).println(cp(t));
  m.show(bi('string.len', [m.refOf(str)], T.i64), T.i64);
  const line = m.let('line', S, bi('string.from', [s('n=')], S));
  const app = (op: N) => m.eval(bi('string.append', [m.refOf(line, true), op]));
  app(i32(42)); app(s(', ok=')); app(bool(true)); app(s(', f=')); app(m.tmp(T.f64, bin('+', f64(0.1), f64(0.2))));
  app(s(' ')); app(f32(0.1)); app(s(' ')); app(c('18446744073709551615', T.u64)); app(s(' ')); app(cp(t));
  m.println(cp(line));
  const V = gen('vec', T.i64);
  const v = m.let('v', V, bi('vec.with_capacity', [i64(2)], V));
  m.for('i', T.i64, i64(0), i64(5), (i) => { m.eval(bi('vec.push', [m.refOf(v, true), m.tmp(T.i64, bin('*', cp(i), cp(i)))])); });
  const w = m.let('w', V, use(cp(v)));
  m.assign(idx(v, i32(0), T.i64), use(i64(100)));
  m.println(cp(idx(v, i32(0), T.i64))).println(cp(idx(w, i32(0), T.i64)));
  const popped = m.let('popped', gen('option', T.i64), bi('vec.pop', [m.refOf(v, true)], gen('option', T.i64)));
  m.if(m.tmp(T.bool, isSome(cp(popped))), () => { m.println(cp(payload(popped, T.i64))); });
  m.show(bi('vec.len', [m.refOf(v)], T.i64), T.i64);
  m.show(bi('vec.len', [m.refOf(w)], T.i64), T.i64);
  m.eval(bi('vec.clear', [m.refOf(v, true)]));
  m.show(bi('vec.len', [m.refOf(v)], T.i64), T.i64);
  m.show(isSome(m.tmp(gen('option', T.i64), bi('vec.pop', [m.refOf(v, true)], gen('option', T.i64)))), T.bool);
  // == on String and str compares contents
  m.show(bin('==', m.tmp(S, bi('string.from', [s('ab')], S)), m.tmp(S, bi('string.from', [s('ab')], S))), T.bool);
  m.show(bin('!=', cp(str), cp(t)), T.bool);
  m.show(bin('==', s('x\0y'), s('x\0y')), T.bool);
  m.show(bin('==', s('x\0y'), s('x\0z')), T.bool);
  // Vec<String> copies its elements
  const VS = gen('vec', S);
  const vs = m.let('vs', VS, bi('vec.new', [], VS));
  m.eval(bi('vec.push', [m.refOf(vs, true), m.tmp(S, bi('string.from', [s('a')], S))]));
  m.eval(bi('vec.push', [m.refOf(vs, true), m.tmp(S, bi('string.from', [s('b')], S))]));
  const vs2 = m.let('vs2', VS, use(cp(vs)));
  m.eval(bi('string.append', [m.refOf(idx(vs, i32(0), S), true), s('!')]));
  m.println(cp(idx(vs, i32(0), S))).println(cp(idx(vs2, i32(0), S))).println(cp(idx(vs2, i32(1), S)));
  // appending a String to itself
  const ab = m.let('ab', S, bi('string.from', [s('ab')], S));
  m.eval(bi('string.append', [m.refOf(ab, true), cp(ab)]));
  m.println(cp(ab));
  // a moved String printed is consumed (dropped after the print)
  m.println(m.tmp(S, bi('string.from', [s('temp')], S)));
  m.println(s('utf8: é ✓'));
  const filled = m.let('filled', VS, bi('vec.filled', [i64(3), m.tmp(S, bi('string.from', [s('f')], S))], VS));
  m.eval(bi('string.append', [m.refOf(idx(filled, i32(2), S), true), s('2')]));
  m.print(cp(idx(filled, i32(0), S))).print(cp(idx(filled, i32(1), S))).println(cp(idx(filled, i32(2), S)));
  for (const p of [str, t, line, v, w, vs, vs2, ab, filled]) m.drop(p);
  m.ret();
  cases.push({
    name: 'String and Vec with deep copies', mod: module([m]), sanitize: 'asan',
    stdout: lines('fivessix', 'fives', 8, 'n=42, ok=true, f=0.30000000000000004 0.1 18446744073709551615 fives', 100, 0, 16, 4, 5, 0, false,
      true, true, true, false, 'a!', 'a', 'b', 'abab', 'temp', 'utf8: é ✓', 'fff2'),
  });
}

// ---- Option
{
  const m = new Fn('main');
  const OI = gen('option', T.i32);
  const o = m.let('o', OI, some(i32(5), OI));
  m.show(isSome(cp(o)), T.bool);
  m.println(cp(payload(o, T.i32)));
  const n = m.let('n', OI, none(OI));
  m.show(isSome(cp(n)), T.bool);
  m.show(bi('option.unwrap', [m.refOf(o)], T.i32), T.i32);
  const BI = gen('box', T.i32), OB = gen('option', BI);
  const ob = m.let('ob', OB, some(m.tmp(BI, bi('box.new', [i32(7)], BI)), OB));
  const ob2 = m.let('ob2', OB, use(cp(ob)));
  m.assign(deref(cp(payload(ob2, BI)), T.i32), use(i32(8)));
  m.println(cp(deref(cp(payload(ob, BI)), T.i32))).println(cp(deref(cp(payload(ob2, BI)), T.i32)));
  const x = m.let('x', T.i32, use(i32(33)));
  const OP = gen('option', ptr(T.i32));
  const op = m.let('op', OP, some(m.tmp(ptr(T.i32), ref(x)), OP));
  m.show(isSome(cp(op)), T.bool);
  m.println(cp(deref(cp(payload(op, ptr(T.i32))), T.i32)));
  const nop = m.let('nop', OP, none(OP));
  m.show(isSome(cp(nop)), T.bool);
  const OS = gen('option', T.string);
  const os = m.let('os', OS, some(m.tmp(T.string, bi('string.from', [s('hi')], T.string)), OS));
  m.println(m.tmp(T.string, bi('option.unwrap', [m.refOf(os)], T.string)));
  m.println(cp(payload(os, T.string)));
  m.drop(ob).drop(ob2).drop(os);
  m.println(s('end'));
  m.show(bi('option.unwrap', [m.refOf(n)], T.i32), T.i32);
  m.ret();
  cases.push({
    name: 'Option (struct and nullable pointer forms); unwrap of None panics', mod: module([m]), sanitize: 'asan',
    stdout: lines(true, 5, false, 5, 7, 8, true, 33, false, 'hi', 'hi', 'end'), code: 101, stderr: 'panic: unwrap of None\n',
  });
}

// ---- classes and methods
{
  const P = classTy('Point'), NM = classTy('Named'), E = classTy('Empty');
  const classes = [classDef('Point', [['x', T.i32], ['y', T.i32]]), classDef('Named', [['name', T.string], ['p', P]]), classDef('Empty', [])];
  const sum = new Fn('Point.sum', T.i32);
  const self = sum.param('this', ptr(P));
  sum.ret(sum.tmp(T.i32, bin('+', cp(field(deref(cp(self), P), 'x', T.i32)), cp(field(deref(cp(self), P), 'y', T.i32)))));
  const shift = new Fn('Point.shift');
  const me = shift.param('this', ptr(P, true)), d = shift.param('d', T.i32);
  shift.assign(field(deref(cp(me), P), 'x', T.i32), bin('+', cp(field(deref(cp(me), P), 'x', T.i32)), cp(d)));
  shift.ret();
  const m = new Fn('main');
  const p = m.let('p', P, agg([i32(40), i32(2)], P));
  m.show(call('Point.sum', [m.refOf(p)], T.i32), T.i32);
  const q = m.let('q', P, use(cp(p)));
  m.assign(field(q, 'x', T.i32), use(i32(1)));
  m.println(cp(field(p, 'x', T.i32)));
  m.show(call('Point.sum', [m.refOf(q)], T.i32), T.i32);
  m.eval(call('Point.shift', [m.refOf(p, true), i32(5)], T.void));
  m.println(cp(field(p, 'x', T.i32)));
  const n = m.let('n', NM, agg([m.tmp(T.string, bi('string.from', [s('ann')], T.string)), cp(p)], NM));
  const n2 = m.let('n2', NM, use(cp(n)));
  m.eval(bi('string.append', [m.refOf(field(n2, 'name', T.string), true), s('e')]));
  m.println(cp(field(n, 'name', T.string))).println(cp(field(n2, 'name', T.string)));
  m.println(cp(field(field(n2, 'p', P), 'x', T.i32)));
  const bp = m.let('bp', gen('box', P), bi('box.new', [cp(q)], gen('box', P)));
  m.assign(field(deref(cp(bp), P), 'y', T.i32), use(i32(-7)));
  m.show(call('Point.sum', [m.refOf(deref(cp(bp), P))], T.i32), T.i32);
  m.let('e', E, agg([], E));
  m.drop(n).drop(n2).drop(bp);
  m.ret();
  cases.push({ name: 'classes, methods, deep copies of fields', mod: module([sum, shift, m], { classes }), sanitize: 'asan', stdout: lines(42, 40, 3, 45, 'ann', 'anne', 45, -6) });
}

// ---- arrays are values
{
  const A3 = arrayTy(T.i32, 3);
  const modify = new Fn('modify', T.i32);
  const arr = modify.param('arr', A3);
  modify.assign(idx(arr, i32(1), T.i32), use(i32(100)));
  modify.ret(cp(idx(arr, i32(1), T.i32)));
  const m = new Fn('main');
  const a = m.let('a', A3, agg([i32(1), i32(2), i32(3)], A3));
  const b = m.let('b', A3, use(cp(a)));
  m.assign(idx(b, i32(0), T.i32), use(i32(9)));
  m.println(cp(idx(a, i32(0), T.i32))).println(cp(idx(b, i32(0), T.i32)));
  m.show(call('modify', [cp(a)], T.i32), T.i32);
  m.println(cp(idx(a, i32(1), T.i32)));
  const R = arrayTy(T.f64, 4);
  const r = m.let('r', R, rep(f64(0.5), 4, R));
  m.println(cp(idx(r, i32(3), T.f64)));
  const SA = arrayTy(T.string, 2);
  const sa = m.let('sa', SA, rep(m.tmp(T.string, bi('string.from', [s('x')], T.string)), 2, SA));
  m.eval(bi('string.append', [m.refOf(idx(sa, i32(0), T.string), true), s('y')]));
  m.println(cp(idx(sa, i32(0), T.string))).println(cp(idx(sa, i32(1), T.string)));
  const sb = m.let('sb', SA, use(cp(sa)));
  m.eval(bi('string.append', [m.refOf(idx(sb, i32(1), T.string), true), s('z')]));
  m.println(cp(idx(sa, i32(1), T.string))).println(cp(idx(sb, i32(1), T.string)));
  const A2 = arrayTy(T.i32, 2), M = arrayTy(A2, 2);
  const mat = m.let('mat', M, agg([m.tmp(A2, agg([i32(1), i32(2)], A2)), m.tmp(A2, agg([i32(3), i32(4)], A2))], M));
  const row = m.let('row', T.i64, use(i64(1)));
  m.println(cp(idx(idx(mat, cp(row), A2), i32(0), T.i32)));
  const big = arrayTy(T.i64, 1000);
  const z = m.let('z', big, rep(i64(3), 1000, big));
  m.println(cp(idx(z, i32(999), T.i64)));
  const empty = arrayTy(T.string, 0);
  m.let('none', empty, rep(m.tmp(T.string, bi('string.from', [s('dropped at once')], T.string)), 0, empty));
  m.drop(sa).drop(sb);
  m.ret();
  cases.push({ name: 'arrays copy by value', mod: module([modify, m]), sanitize: 'asan', stdout: lines(1, 9, 100, 2, 0.5, 'xy', 'x', 'x', 'xz', 3, 3) });
}

// ---- globals, init, main's exit status
{
  const AT = gen('atomic', T.i64);
  const globals = [globalDef('LIMIT', T.i64), globalDef('NAME', T.string), globalDef('COUNTER', AT)];
  const init = new Fn('$init');
  init.assign(glob('LIMIT', T.i64), use(i64(100)));
  init.assign(glob('NAME', T.string), bi('string.from', [s('zeta')], T.string));
  init.assign(glob('COUNTER', AT), bi('atomic.new', [i64(5)], AT));
  init.ret();
  const m = new Fn('main', T.i32);
  m.show(bin('+', cp(glob('LIMIT', T.i64)), i64(1)), T.i64);
  m.println(cp(glob('NAME', T.string)));
  m.show(bi('atomic.fetch_add', [m.refOf(glob('COUNTER', AT)), i64(2), i32(5)], T.i64), T.i64);
  m.show(bi('atomic.load', [m.refOf(glob('COUNTER', AT)), i32(2)], T.i64), T.i64);
  m.show(bi('atomic.compare_exchange', [m.refOf(glob('COUNTER', AT)), i64(7), i64(10), i32(5)], T.bool), T.bool);
  m.show(bi('atomic.compare_exchange', [m.refOf(glob('COUNTER', AT)), i64(7), i64(11), i32(0)], T.bool), T.bool);
  m.show(bi('atomic.swap', [m.refOf(glob('COUNTER', AT)), i64(1), i32(4)], T.i64), T.i64);
  m.eval(bi('atomic.store', [m.refOf(glob('COUNTER', AT)), i64(-3), i32(3)]));
  m.show(bi('atomic.fetch_sub', [m.refOf(glob('COUNTER', AT)), i64(1), i32(0)], T.i64), T.i64);
  m.show(bi('atomic.load', [m.refOf(glob('COUNTER', AT)), i32(5)], T.i64), T.i64);
  m.ret(i32(3));
  cases.push({ name: 'globals, init and main -> i32', mod: module([init, m], { globals, init: '$init' }), stdout: lines(101, 'zeta', 5, 7, true, false, 10, -3, -4), code: 3 });
}

// ---- function values: FnRef, closures, CallValue
{
  const F = fnTy([T.i32], T.i32);
  const apply = new Fn('apply', T.i32);
  const f = apply.param('f', F), v = apply.param('v', T.i32);
  apply.ret(apply.tmp(T.i32, callv(cp(f), [cp(v)], T.i32)));
  const dbl = new Fn('double', T.i32);
  const x = dbl.param('x', T.i32);
  dbl.ret(dbl.tmp(T.i32, bin('*', cp(x), i32(2))));
  const add = new Fn('add_env', T.i32);
  const env = add.param('env', ptr(T.i32, true)), k = add.param('n', T.i32);
  add.assign(deref(cp(env), T.i32), bin('+', cp(deref(cp(env), T.i32)), cp(k)));
  add.ret(cp(deref(cp(env), T.i32)));
  const hello = new Fn('hello');
  hello.println(s('hello from a fn value')).ret();
  const m = new Fn('main');
  m.show(call('apply', [fnRef('double', F), i32(21)], T.i32), T.i32);
  const total = m.let('total', T.i32, use(i32(0)));
  const cl = m.let('add', F, closure('add_env', m.tmp(ptr(T.i32, true), ref(total, true)), F));
  m.show(call('apply', [cp(cl), i32(5)], T.i32), T.i32);
  m.show(call('apply', [cp(cl), i32(6)], T.i32), T.i32);
  m.println(cp(total));
  const h = m.let('h', fnTy([], T.void), use(fnRef('hello', fnTy([], T.void))));
  m.eval(callv(cp(h), [], T.void));
  m.show(call('llabs', [i64(-12)], T.i64), T.i64);
  m.ret();
  cases.push({
    name: 'fn values: FnRef, closures, CallValue, extern', mod: module([apply, dbl, add, hello, m], { externs: [externDef('llabs', [T.i64], T.i64)] }),
    stdout: lines(42, 5, 11, 11, 'hello from a fn value', 12),
  });
}
{
  // The emitter names a function where it is first referenced (a sweep emits main before
  // the functions it calls): a call, a fn value and a closure before their definitions,
  // and two Zeta names with the same C name (`a.b`, `a__b`).
  const F = fnTy([T.i32], T.i32);
  const m = new Fn('main');
  m.show(call('a__b', [i32(1)], T.i32), T.i32);
  m.show(call('apply', [fnRef('a.b', F), i32(20)], T.i32), T.i32);
  const total = m.let('total', T.i32, use(i32(5)));
  m.show(call('apply', [m.tmp(F, closure('add_env', m.tmp(ptr(T.i32, true), ref(total, true)), F)), i32(3)], T.i32), T.i32);
  m.ret();
  const ab = new Fn('a.b', T.i32);
  const x = ab.param('x', T.i32);
  ab.ret(ab.tmp(T.i32, bin('*', cp(x), i32(2))));
  const a2 = new Fn('a__b', T.i32);
  const y = a2.param('y', T.i32);
  a2.ret(a2.tmp(T.i32, bin('+', cp(y), i32(100))));
  const add = new Fn('add_env', T.i32);
  const env = add.param('env', ptr(T.i32, true)), k = add.param('n', T.i32);
  add.ret(add.tmp(T.i32, bin('+', cp(deref(cp(env), T.i32)), cp(k))));
  const apply = new Fn('apply', T.i32);
  const f = apply.param('f', F), v = apply.param('v', T.i32);
  apply.ret(apply.tmp(T.i32, callv(cp(f), [cp(v)], T.i32)));
  cases.push({ name: 'functions used before their definitions', mod: module([m, ab, a2, add, apply]), stdout: lines(101, 40, 8), sanitize: 'asan' });
}

// ---- regions
{
  const PR = classTy('Pair');
  const classes = [classDef('Pair', [['a', T.i64], ['b', T.i64]])];
  const m = new Fn('main');
  const r = m.let('r', T.region, bi('region.new', [i64(64)], T.region));
  const made = m.let('made', T.i64, use(i64(0)));
  const OP = gen('option', ptr(PR, true));
  const first = m.let('first', OP, none(OP));
  m.loop((exit) => {
    const o = m.let('o', OP, bi('region.alloc', [cp(r), m.tmp(PR, agg([cp(made), i64(2)], PR))], OP));
    m.if(m.tmp(T.bool, isSome(cp(o))), () => {
      m.assign(made, bin('+', cp(made), i64(1)));
      m.if(m.tmp(T.bool, un('!', m.tmp(T.bool, isSome(cp(first))))), () => { m.assign(first, use(cp(o))); });
    }, () => { m.goto(exit); });
  });
  m.println(cp(made));
  m.assign(field(deref(cp(payload(first, ptr(PR, true))), PR), 'b', T.i64), use(i64(99)));
  m.println(cp(field(deref(cp(payload(first, ptr(PR, true))), PR), 'b', T.i64)));
  m.eval(bi('region.free', [cp(r)]));
  // alignment: a byte, then i64s at 8-byte boundaries
  const r2 = m.let('r2', T.region, bi('region.new', [i64(24)], T.region));
  const count = m.let('count', T.i32, use(i32(0)));
  const O8 = gen('option', ptr(T.u8, true)), O64 = gen('option', ptr(T.i64, true));
  m.if(m.tmp(T.bool, isSome(m.tmp(O8, bi('region.alloc', [cp(r2), u8(1)], O8)))), () => { m.assign(count, bin('+', cp(count), i32(1))); });
  m.for('k', T.i32, i32(0), i32(3), () => {
    const q = m.let('q', O64, bi('region.alloc', [cp(r2), i64(7)], O64));
    m.if(m.tmp(T.bool, isSome(cp(q))), () => {
      m.assign(count, bin('+', cp(count), i32(1)));
      m.show(bin('%', m.tmp(T.u64, cast(cp(payload(q, ptr(T.i64, true))), T.u64)), c('8', T.u64)), T.u64);
    });
  });
  m.println(cp(count));
  m.eval(bi('region.free', [cp(r2)]));
  m.ret();
  cases.push({ name: 'regions: aligned bump allocation until full', mod: module([m], { classes }), sanitize: 'asan', stdout: lines(4, 99, 0, 0, 3) });
}

// ---- drop glue order
{
  const NZ = classTy('Noisy'), H = classTy('Holder');
  const classes = [
    classDef('Noisy', [['name', T.str]], 'Noisy.drop'),
    classDef('Holder', [['a', NZ], ['label', T.string], ['b', NZ]], 'Holder.drop'),
  ];
  const nd = new Fn('Noisy.drop');
  const self = nd.param('this', ptr(NZ, true));
  nd.print(s('drop ')).println(cp(field(deref(cp(self), NZ), 'name', T.str))).ret();
  const hd = new Fn('Holder.drop');
  const hs = hd.param('this', ptr(H, true));
  hd.print(s('holder ')).println(cp(field(deref(cp(hs), H), 'label', T.string))).ret();
  const make = new Fn('make', NZ);
  const nm = make.param('name', T.str);
  make.ret(make.tmp(NZ, agg([cp(nm)], NZ)));
  const m = new Fn('main');
  const noisy = (name: string) => m.tmp(NZ, agg([s(name)], NZ));
  const h = m.let('h', H, agg([noisy('a'), m.tmp(T.string, bi('string.from', [s('L')], T.string)), noisy('b')], H));
  m.drop(h);
  const VN = gen('vec', NZ);
  const v = m.let('v', VN, bi('vec.new', [], VN));
  m.eval(bi('vec.push', [m.refOf(v, true), noisy('v1')]));
  m.eval(bi('vec.push', [m.refOf(v, true), noisy('v2')]));
  m.drop(v);
  const bx = m.let('bx', gen('box', NZ), bi('box.new', [noisy('boxed')], gen('box', NZ)));
  m.drop(bx);
  const ON = gen('option', NZ);
  const on = m.let('on', ON, some(noisy('opt'), ON));
  m.drop(on);
  const nn = m.let('nn', ON, none(ON));
  m.drop(nn);
  const AN = arrayTy(NZ, 2);
  const arr = m.let('arr', AN, agg([noisy('x0'), noisy('x1')], AN));
  m.drop(arr);
  m.eval(call('make', [s('discarded')], NZ));
  const v2 = m.let('v2', VN, bi('vec.new', [], VN));
  m.eval(bi('vec.push', [m.refOf(v2, true), noisy('c1')]));
  m.eval(bi('vec.push', [m.refOf(v2, true), noisy('c2')]));
  m.eval(bi('vec.pop', [m.refOf(v2, true)], ON));
  m.eval(bi('vec.clear', [m.refOf(v2, true)]));
  m.println(s('cleared'));
  m.drop(v2);
  m.drop(m.let('i', T.i32, use(i32(1))));
  m.println(s('end'));
  m.ret();
  cases.push({
    name: 'drop glue: dropFn first, then fields in order; containers drop elements', mod: module([nd, hd, make, m], { classes }), sanitize: 'asan',
    stdout: lines('holder L', 'drop a', 'drop b', 'drop v1', 'drop v2', 'drop boxed', 'drop opt', 'drop x0', 'drop x1', 'drop discarded', 'drop c2', 'drop c1', 'cleared', 'end'),
  });
}

// ---- threads, channels, mutexes, atomics (spec §8)
{
  const AT = gen('atomic', T.i64);
  const work = new Fn('work');
  const cenv = work.param('env', ptr(AT));
  work.for('k', T.i32, i32(0), i32(1000), () => { work.eval(bi('atomic.fetch_add', [cp(cenv), i64(1), i32(0)], T.i64)); });
  work.ret();
  const twice = new Fn('twice', T.i64);
  const tenv = twice.param('env', ptr(T.i64));
  twice.ret(twice.tmp(T.i64, bin('*', cp(deref(cp(tenv), T.i64)), i64(2))));
  const greet = new Fn('greet', T.string);
  greet.param('env', ptr(T.i64));
  greet.ret(greet.tmp(T.string, bi('string.from', [s('from a thread')], T.string)));
  const CH = gen('channel', T.i64);
  const produce = new Fn('produce');
  const penv = produce.param('env', ptr(CH));
  produce.for('i', T.i64, i64(1), i64(1001), (i) => { produce.eval(bi('channel.send', [cp(penv), cp(i)], T.bool)); });
  produce.eval(bi('channel.close', [cp(penv)])).ret();
  const ST = classTy('Stats');
  const MX = gen('mutex', ST), GD = gen('guard', ST);
  const bump = new Fn('bump');
  const menv = bump.param('env', ptr(MX));
  bump.for('i', T.i32, i32(0), i32(500), () => {
    const g = bump.let('g', GD, bi('mutex.lock', [cp(menv)], GD));
    const val = bump.let('val', ptr(ST, true), bi('guard.value', [bump.refOf(g)], ptr(ST, true)));
    const cnt = field(deref(cp(val), ST), 'count', T.i64);
    bump.assign(cnt, bin('+', cp(cnt), i64(1)));
    bump.drop(g);
  });
  bump.ret();

  const m = new Fn('main');
  const CF = fnTy([], T.void, true);
  const counter = m.let('counter', AT, bi('atomic.new', [i64(0)], AT));
  const TV = gen('thread', T.void), VT = gen('vec', TV);
  const ts = m.let('ts', VT, bi('vec.new', [], VT));
  m.for('i', T.i32, i32(0), i32(4), () => {
    const f = m.tmp(CF, closure('work', m.tmp(ptr(AT), ref(counter)), CF));
    m.eval(bi('vec.push', [m.refOf(ts, true), m.tmp(TV, bi('spawn', [f], TV))]));
  });
  m.for('i', T.i32, i32(0), i32(4), (i) => { m.eval(bi('thread.join', [m.refOf(idx(ts, cp(i), TV), true)])); });
  m.show(bi('atomic.load', [m.refOf(counter), i32(5)], T.i64), T.i64);
  m.drop(ts);
  const x = m.let('x', T.i64, use(i64(21)));
  const TI = gen('thread', T.i64);
  const t = m.let('t', TI, bi('spawn', [m.tmp(fnTy([], T.i64, true), closure('twice', m.tmp(ptr(T.i64), ref(x)), fnTy([], T.i64, true)))], TI));
  m.show(bi('thread.join', [m.refOf(t, true)], T.i64), T.i64);
  m.show(bi('thread.join', [m.refOf(t, true)], T.i64), T.i64);
  m.drop(t);
  const TS = gen('thread', T.string);
  const t2 = m.let('t2', TS, bi('spawn', [m.tmp(fnTy([], T.string, true), closure('greet', m.tmp(ptr(T.i64), ref(x)), fnTy([], T.string, true)))], TS));
  m.println(m.tmp(T.string, bi('thread.join', [m.refOf(t2, true)], T.string)));
  m.println(m.tmp(T.string, bi('thread.join', [m.refOf(t2, true)], T.string)));
  const t3 = m.let('t3', TS, use(cp(t2)));
  m.drop(t2);
  m.println(m.tmp(T.string, bi('thread.join', [m.refOf(t3, true)], T.string)));
  m.drop(t3);
  // channel: a producer thread, the consumer here
  const ch = m.let('ch', CH, bi('channel.new', [i64(8)], CH));
  const pt = m.let('pt', TV, bi('spawn', [m.tmp(CF, closure('produce', m.tmp(ptr(CH), ref(ch)), CF))], TV));
  const total = m.let('total', T.i64, use(i64(0)));
  const OI = gen('option', T.i64);
  m.loop((exit) => {
    const got = m.let('got', OI, bi('channel.recv', [m.refOf(ch)], OI));
    m.if(m.tmp(T.bool, isSome(cp(got))), () => { m.assign(total, bin('+', cp(total), cp(payload(got, T.i64)))); }, () => { m.goto(exit); });
  });
  m.println(cp(total));
  m.show(bi('channel.send', [m.refOf(ch), i64(1)], T.bool), T.bool);
  m.drop(pt).drop(ch);
  // a channel of Strings dropped with a message still queued
  const CS = gen('channel', T.string);
  const cs = m.let('cs', CS, bi('channel.new', [i64(2)], CS));
  m.eval(bi('channel.send', [m.refOf(cs), m.tmp(T.string, bi('string.from', [s('one')], T.string))], T.bool));
  m.eval(bi('channel.send', [m.refOf(cs), m.tmp(T.string, bi('string.from', [s('two')], T.string))], T.bool));
  const OS = gen('option', T.string);
  const first = m.let('first', OS, bi('channel.recv', [m.refOf(cs)], OS));
  m.println(cp(payload(first, T.string)));
  m.eval(bi('channel.close', [m.refOf(cs)]));
  m.show(bi('channel.send', [m.refOf(cs), m.tmp(T.string, bi('string.from', [s('late')], T.string))], T.bool), T.bool);
  m.drop(first).drop(cs);
  // mutex: two threads bump a counter under the lock
  const mx = m.let('mx', MX, bi('mutex.new', [m.tmp(ST, agg([i64(0)], ST))], MX));
  const b1 = m.let('b1', TV, bi('spawn', [m.tmp(CF, closure('bump', m.tmp(ptr(MX), ref(mx)), CF))], TV));
  const b2 = m.let('b2', TV, bi('spawn', [m.tmp(CF, closure('bump', m.tmp(ptr(MX), ref(mx)), CF))], TV));
  m.drop(b1).drop(b2);
  const g = m.let('g', GD, bi('mutex.lock', [m.refOf(mx)], GD));
  const gv = m.let('gv', ptr(ST, true), bi('guard.value', [m.refOf(g)], ptr(ST, true)));
  m.println(cp(field(deref(cp(gv), ST), 'count', T.i64)));
  m.drop(g).drop(mx);
  m.ret();
  cases.push({
    name: 'threads, atomics, channels, mutexes', mod: module([work, twice, greet, produce, bump, m], { classes: [classDef('Stats', [['count', T.i64]])] }),
    sanitize: 'both', stdout: lines(4000, 42, 42, 'from a thread', 'from a thread', 'from a thread', 500500, false, 'one', false, 1000),
  });
}

// ---- program arguments, parse_i64, exit
{
  const m = new Fn('main');
  const n = m.let('n', T.i64, bi('arg_count', [], T.i64));
  m.println(cp(n));
  const total = m.let('total', T.i64, use(i64(0)));
  const OI = gen('option', T.i64);
  m.for('i', T.i64, i64(0), cp(n), (i) => {
    const a = m.let('a', T.string, bi('arg', [cp(i)], T.string));
    const o = m.let('o', OI, bi('string.parse_i64', [m.refOf(a)], OI));
    m.if(m.tmp(T.bool, isSome(cp(o))), () => { m.assign(total, bin('+', cp(total), cp(payload(o, T.i64)))); },
      () => { m.print(s('skip ')).print(cp(a)).println(s('|')); });
    m.drop(a);
  });
  m.println(cp(total));
  m.print(s('bye'));
  m.eval(bi('exit', [i32(7)])).unreachable();
  cases.push({
    name: 'args, parse_i64 and exit', mod: module([m]), sanitize: 'asan',
    args: ['12', 'abc', '-30', '9223372036854775807', '9223372036854775808', '+5', '', '-9223372036854775808', '-', '1 '],
    stdout: lines(10, 'skip abc|', 'skip 9223372036854775808|', 'skip |', 'skip -|', 'skip 1 |', '-14') + 'bye', code: 7,
  });
}

// ---- names that are C keywords or libc functions are mangled
{
  const FILE = classTy('FILE');
  const classes = [classDef('FILE', [['errno', T.i32], ['stdout', T.i32], ['int', T.i32]])];
  const abs = new Fn('abs', T.i32);
  const x = abs.param('int', T.i32);
  abs.ret(abs.tmp(T.i32, bin('+', cp(x), i32(1000))));
  const free = new Fn('free', T.i32);
  const fp = free.param('errno', ptr(FILE));
  free.ret(cp(field(deref(cp(fp), FILE), 'errno', T.i32)));
  const printf = new Fn('printf');
  printf.println(s('not libc printf')).ret();
  const m = new Fn('main');
  const f = m.let('stdout', FILE, agg([i32(1), i32(2), i32(3)], FILE));
  const r = m.let('return', T.i32, call('abs', [i32(-5)], T.i32));
  m.println(cp(r));
  m.show(call('free', [m.refOf(f)], T.i32), T.i32);
  m.eval(call('printf', [], T.void));
  const mainRec = m.let('main', T.i32, use(cp(field(f, 'int', T.i32))));
  m.println(cp(mainRec));
  m.ret();
  cases.push({ name: 'Zeta names never clash with C names', mod: module([abs, free, printf, m], { classes }), stdout: lines(995, 1, 'not libc printf', 3) });
}

// ---- use after region free is caught by AddressSanitizer (the block is poisoned)
const staleRegion = (() => {
  const m = new Fn('main');
  const r = m.let('r', T.region, bi('region.new', [i64(128)], T.region));
  const O = gen('option', ptr(T.i64, true));
  const o = m.let('o', O, bi('region.alloc', [cp(r), i64(5)], O));
  const p = m.let('p', ptr(T.i64, true), use(cp(payload(o, ptr(T.i64, true)))));
  m.println(cp(deref(cp(p), T.i64)));
  m.eval(bi('region.free', [cp(r)]));
  m.println(cp(deref(cp(p), T.i64)));
  m.ret();
  return module([m]);
})();

// ---- float printing (spec §10) against JavaScript's String(x)
const f64Values: number[] = [
  0.1, 3, 0.1 + 0.2, 1e21, 1e-7, 1.5e-7, 1e-6, 123456789012345680000, -2.5, 1 / 3, 2 / 3, 100, 1e100, 5e-324, 1.7976931348623157e308,
  2.2250738585072014e-308, 0.000001234, 123.456, -0, Infinity, -Infinity, NaN, 9007199254740993, 4.35, 0.3, 1e15, 1e16, 1e20, 1.2e21,
  Math.PI, Math.E, -1e-10, 2 ** 60, 2 ** -20, 299792458, 6.02214076e23, 1.1, 1e-5, 0.5, 25e-8,
];
{
  // a deterministic spread of bit patterns, plus powers of two (lopsided rounding intervals)
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let i = 0; i < 80; i++) f64Values.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 60 - 30));
  for (let e = -1074; e <= 1023; e += 37) f64Values.push(2 ** e);
}
const f32Values: number[] = [0.1, 3, 1e21, 1e-7, 16777216, 3.4028234663852886e38, 1.401298464324817e-45, -0.3, 1 / 3, 7.1, 1e10, 0.2 + 0.1, 100.5, -0];

/** The shortest decimal that reads back as the same f32, laid out as String(x) lays out a number. */
function jsF32(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  for (let p = 1; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return fmtJs(t);
  }
  return fmtJs(x);
}
/** String(x) with spec §10's differences: no '+' in exponents, -0, inf, -inf. */
function fmtJs(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return String(x).replace('e+', 'e');
}

{
  const m = new Fn('main');
  for (const v of f64Values) m.println(f64(v));
  for (const v of f32Values) m.println(f32(v));
  const S = T.string;
  const str = m.let('s', S, bi('string.from', [s('')], S));
  m.eval(bi('string.append', [m.refOf(str, true), f64(1e21)]));
  m.eval(bi('string.append', [m.refOf(str, true), s(' ')]));
  m.eval(bi('string.append', [m.refOf(str, true), f32(0.1)]));
  m.println(cp(str));
  m.drop(str);
  for (const [x, d] of [[3.14159265, 2], [-2.345678, 3], [2 / 3, 9], [0.5, 0], [1e21, 1], [NaN, 2], [-Infinity, 2], [7, -1]] as const) {
    m.eval(bi('print_fixed', [f64(x), i32(d)])).println(s(''));
  }
  m.ret();
  const fixed = ['3.14', '-2.346', '0.666666667', '0', '1000000000000000000000.0', 'NaN', '-inf', '7'];
  cases.push({
    name: 'float printing matches String(x) (f64 and f32), print_fixed', mod: module([m]),
    stdout: lines(...f64Values.map(fmtJs), ...f32Values.map((v) => jsF32(Math.fround(v))), '1e21 0.1', ...fixed),
  });
}

// ================================================================ running

type Built = { plain: RunResult & { c: string }; asan?: RunResult; tsan?: RunResult };
const results = new Map<string, Built>();
let staleResult: RunResult;

beforeAll(async () => {
  const jobs: (() => Promise<void>)[] = [];
  for (const k of cases) {
    const src = emitC(k.mod);
    const entry = {} as Built;
    results.set(k.name, entry);
    jobs.push(async () => { entry.plain = { ...(await run(await buildC(src), k.args)), c: src }; });
    if (k.sanitize === 'asan' || k.sanitize === 'both') {
      jobs.push(async () => { entry.asan = await run(await buildC(src, { sanitize: ['address', 'undefined'], optLevel: 0 }), k.args); });
    }
    if (k.sanitize === 'tsan' || k.sanitize === 'both') {
      jobs.push(async () => { entry.tsan = await run(await buildC(src, { sanitize: ['thread'], optLevel: 0 }), k.args); });
    }
  }
  jobs.push(async () => { staleResult = await run(await buildC(emitC(staleRegion), { sanitize: ['address'], optLevel: 1 })); });
  await pool(jobs, Math.max(2, availableParallelism()));
}, 180_000);

describe('C backend: programs run as specified', () => {
  for (const k of cases) {
    it(k.name, () => {
      const r = results.get(k.name)!.plain;
      expect(r.stdout).toBe(k.stdout);
      expect(r.code).toBe(k.code ?? 0);
      if (k.stderr instanceof RegExp) expect(r.stderr).toMatch(k.stderr);
      else expect(r.stderr).toBe(k.stderr ?? '');
    });
  }
});

describe('C backend: clean under sanitizers', () => {
  for (const k of cases.filter((x) => x.sanitize)) {
    it(`${k.name} (${k.sanitize})`, () => {
      const b = results.get(k.name)!;
      for (const r of [b.asan, b.tsan]) {
        if (!r) continue;
        expect(r.stderr).toBe(k.stderr instanceof RegExp ? r.stderr : k.stderr ?? '');
        expect(r.stdout).toBe(k.stdout);
        expect(r.code).toBe(k.code ?? 0);
      }
    });
  }
  it('a pointer used after its region is freed is reported by AddressSanitizer', () => {
    expect(staleResult.stderr).toMatch(/AddressSanitizer: (heap-use-after-free|use-after-poison)/);
    expect(staleResult.code).not.toBe(0);
  });
});

describe('C backend: generated C', () => {
  const fibC = () => results.get('fib and loops')!.plain.c;
  it('is readable: one function per FnDef, locals at the top, labelled blocks', () => {
    const c = fibC();
    expect(c).toContain('static int32_t z_fib(int32_t l1_n) {');
    expect(c).toMatch(/^bb\d+:$/m);
    expect(c).toMatch(/goto bb\d+;/);
    expect(c).toContain('int main(int argc, char** argv) {');
    expect(c).toContain('  z_main();');
  });
  it('mangles Zeta names away from C and libc names', () => {
    const c = results.get('Zeta names never clash with C names')!.plain.c;
    expect(c).toContain('static int32_t z_abs(int32_t l1_int)');
    expect(c).toContain('z_free(');
    expect(c).toContain('f_errno;');
    expect(c).not.toMatch(/\bint32_t abs\(/);
  });
  it('defines recursive classes through forward declarations', async () => {
    const TR = classTy('Tree');
    const classes = [classDef('Tree', [['left', gen('option', gen('box', TR))], ['v', T.i32], ['kids', gen('vec', TR)]])];
    const m = new Fn('main');
    const leaf = m.tmp(TR, agg([m.tmp(gen('option', gen('box', TR)), none(gen('option', gen('box', TR)))), i32(1), m.tmp(gen('vec', TR), bi('vec.new', [], gen('vec', TR)))], TR));
    const boxed = m.tmp(gen('box', TR), bi('box.new', [leaf], gen('box', TR)));
    const root = m.let('root', TR, agg([m.tmp(gen('option', gen('box', TR)), some(boxed, gen('option', gen('box', TR)))), i32(2), m.tmp(gen('vec', TR), bi('vec.new', [], gen('vec', TR)))], TR));
    const copy = m.let('copy', TR, use(cp(root)));
    m.println(cp(field(deref(cp(payload(field(copy, 'left', gen('option', gen('box', TR))), gen('box', TR))), TR), 'v', T.i32)));
    m.drop(root).drop(copy).ret();
    const src = emitC(module([m], { classes }));
    expect(src).toContain('typedef struct zs_Tree zs_Tree;');
    const r = await run(await buildC(src, { sanitize: ['address', 'undefined'], optLevel: 1 }));
    expect(r).toEqual({ stdout: '1\n', stderr: '', code: 0 });
  });
  it('emits large modules quickly (linear emission)', () => {
    const fns: Fn[] = [];
    for (let k = 0; k < 2000; k++) {
      const f = new Fn(`f${k}`, T.i64);
      const x = f.param('x', T.i64);
      let acc = f.let('acc', T.i64, use(cp(x)));
      for (let j = 0; j < 25; j++) {
        f.if(f.tmp(T.bool, bin('<', cp(acc), i64(j))), () => { f.assign(acc, bin('+', cp(acc), i64(j))); }, () => { f.assign(acc, bin('*', cp(acc), i64(3))); });
      }
      f.ret(cp(acc));
      fns.push(f);
    }
    const main = new Fn('main');
    main.ret();
    const mod = module([...fns, main]);
    const t0 = performance.now();
    const src = emitC(mod);
    const ms = performance.now() - t0;
    expect(src.split('\n').length).toBeGreaterThan(150_000);
    expect(ms).toBeLessThan(3000);
  });
  it('builds through the Backend interface (blocking), writing the executable atomically', async () => {
    const m = new Fn('main', T.i32);
    m.println(s('via backend')).ret(i32(4));
    const mod = module([m]);
    const backend = makeCBackend();
    expect(backend.emitText(mod as never, { optLevel: 2, sanitize: [] })).toContain('static int32_t z_main(void)');
    const exe = join(workDir, 'via-backend');
    backend.build(mod as never, { optLevel: 0, sanitize: [], out: exe });
    expect(await run(exe)).toEqual({ stdout: 'via backend\n', stderr: '', code: 4 });
    expect(readdirSync(workDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
  it('names functions where they are first referenced', () => {
    const c = results.get('functions used before their definitions')!.plain.c;
    expect(c).toContain('/* a__b */\nstatic int32_t z_a__b(int32_t l1_y) {');
    expect(c).toContain('/* a.b */\nstatic int32_t z_a__b_2(int32_t l1_x) {');
    expect(c).toContain('static int32_t zfnref_a__b_2(void* env, int32_t a0) {');
  });
  it('reports a call of a function no FnDef defines as an internal error', () => {
    const m = new Fn('main');
    m.eval(call('nowhere', [], T.void)).ret();
    expect(() => emitC(module([m]))).toThrow(/unknown function nowhere/);
  });
  it('is the pass the C backend adds to the pipeline; its backend takes the pass\'s output or an Lcfg module', () => {
    const backend = makeCBackend();
    expect(backend.passes).toEqual([emitCPass]);
    expect(isFunctionPass(emitCPass) && emitCPass.from === Lcfg && emitCPass.to === Lcsource).toBe(true);
    expect(backend.emitText({ kind: 'CSource', span, code: 'int x;' } as never, { optLevel: 2, sanitize: [] })).toBe('int x;');
    expect(backend.emitText({ kind: 'CSource', span, code: Buffer.from('int y;') } as never, { optLevel: 2, sanitize: [] })).toBe('int y;');
  });
  it('hands over ASCII C as bytes, and C with other characters as text', () => {
    const ascii = new TextBuffer(16, 4);
    ascii.put('int x;');
    ascii.prepend('/**/');
    expect(ascii.asciiBytes()?.toString('latin1')).toBe('/**/int x;');
    for (const other of ['/* é */', '/* λ */']) {
      const b = new TextBuffer(16, 4);
      b.put('int x;', other);
      expect(b.asciiBytes()).toBeNull();
      expect(b.text()).toBe(`int x;${other}`);
      const into = new TextBuffer();
      into.putBuffer(b);
      expect(into.asciiBytes()).toBeNull();
    }
  });
  it('gives the same C streaming (in the sweep, function by function) as emitC over the whole module', () => {
    // the examples, conformance and spec programs without errors
    const files = [join(ROOT, 'examples'), CONFORMANCE, join(ROOT, 'tests', 'spec')].flatMap(zetaFiles);
    let compared = 0;
    for (const path of files) {
      const src = { path, text: readFileSync(path, 'utf8') };
      const whole = runPipeline(src);
      if (!whole.ir) continue;
      const streamed = runPipeline(src, { passes: [...PIPELINE, emitCPass], verifyEach: true });
      expect(streamed.diagnostics).toEqual([]);
      expect(streamed.ir?.kind, path).toBe('CSource');
      expect(cText(streamed.ir as unknown as CSource), path).toBe(emitC(whole.ir as unknown as Module));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    // the emitter ran in the back half's sweep: every pass from explicate-control on is a function pass
    expect(PIPELINE.slice(PIPELINE.findIndex((p) => p.name === 'explicate-control')).every(isFunctionPass)).toBe(true);
  });
  it('reports a C compiler failure as an internal error with its stderr', async () => {
    await expect(buildC('int main(void) { return undefined_name; }')).rejects.toThrow(/undefined_name/);
  });
});

describe('C backend: emitter building blocks', () => {
  it('TextBuffer keeps pieces in order, grows, and prepends into the room in front', () => {
    const b = new TextBuffer(8, 4);
    b.put('ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'mn', 'op', 'q');
    b.num(0); b.num(7); b.num(1205);
    const long = 'x'.repeat(100);
    b.put(long);
    b.prepend('<>');
    expect(b.text()).toBe(`<>abcdefghijklmnopq071205${long}`);
    b.prepend('too long for the room left');
    expect(b.text()).toBe(`too long for the room left<>abcdefghijklmnopq071205${long}`);
    const other = new TextBuffer(4);
    other.put('(', 'é', ')'); // Latin-1 fits in a byte
    b.putBuffer(other);
    b.putBuffer(other);
    expect(b.text().endsWith('(é)(é)')).toBe(true);
    other.clear();
    expect(other.text()).toBe('');
  });
  it('TextBuffer keeps characters that do not fit in a byte', () => {
    const b = new TextBuffer(16, 8);
    b.put('a', 'λ→', 'b');
    b.put('c');
    b.prepend('<');
    expect(b.text()).toBe('<aλ→bc');
    const x = new TextBuffer();
    x.put('✓', '1');
    b.putBuffer(x);
    b.prepend('ü');
    expect(b.text()).toBe('ü<aλ→bc✓1');
  });
  it('TextBuffer moves the text after a mark to another buffer (also past wide characters)', () => {
    const b = new TextBuffer(8, 2);
    b.put('  x = ');
    const m = b.mark();
    b.put('f(', 'y'.repeat(80), ')');
    const x = new TextBuffer();
    x.put('old');
    b.moveTail(m, x);
    expect([b.text(), x.text()]).toEqual(['  x = ', `oldf(${'y'.repeat(80)})`]);
    b.put('g();');
    expect(b.text()).toBe('  x = g();');
    const w = new TextBuffer(16);
    w.put('a', 'λ', 'b');
    const at = w.mark();
    expect(at).toBe(3);
    w.put('c→d', 'e');
    const y = new TextBuffer();
    w.moveTail(at, y);
    expect([w.text(), y.text()]).toEqual(['aλb', 'c→de']);
    w.put('!');
    expect(w.text()).toBe('aλb!');
  });
  it('LocalNames maps ids to names, forgets them on reset, and handles collisions', () => {
    const t = new LocalNames();
    t.reset(3);
    t.set(1, 'l1_a'); t.set(1_001_168, 'l1001168'); t.set(65, 'l65_c');
    expect([t.get(1), t.get(1_001_168), t.get(65), t.get(2)]).toEqual(['l1_a', 'l1001168', 'l65_c', undefined]);
    // many ids in a table grown for them: every one found again (colliding slots probe on)
    t.reset(1000);
    const ids = Array.from({ length: 1000 }, (_, i) => i * 64 + 1);
    for (const id of ids) t.set(id, `n${id}`);
    expect(ids.every((id) => t.get(id) === `n${id}`)).toBe(true);
    expect(t.get(1_001_168)).toBeUndefined();
    t.reset(2);
    expect(t.get(1)).toBeUndefined();
  });
});
