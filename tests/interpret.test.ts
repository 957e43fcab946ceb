import { describe, expect, it } from 'vitest';
import { T, classTy, gen, ptr, type Ty } from '../ir/types.js';
import { formatFloat, interpret, InterpreterError } from '../ir/interpret.js';
import type { BasicBlock, FnDef, Module, Operand, Place, Rvalue, Stmt, Term } from '../ir/cfg.js';
import { runPipeline } from '../tools/driver.js';

const sp = { start: 0, end: 0 };
const L = (id: number, ty: Ty): Place => ({ kind: 'LocalPlace', span: sp, id, ty });
const c = (value: string | number | boolean, ty: Ty): Operand => ({ kind: 'Const', span: sp, value, ty });
const cp = (p: Place): Operand => ({ kind: 'Copy', span: sp, place: p });
const mv = (p: Place): Operand => ({ kind: 'Move', span: sp, place: p });
const set = (place: Place, value: Rvalue): Stmt => ({ kind: 'Assign', span: sp, place, value });
const ev = (value: Rvalue): Stmt => ({ kind: 'Eval', span: sp, value });
const bi = (op: string, args: Operand[], ty: Ty = T.void): Rvalue => ({ kind: 'Builtin', span: sp, op, args, ty });
const bin = (op: string, left: Operand, right: Operand, ty: Ty): Rvalue => ({ kind: 'BinOp', span: sp, op, left, right, ty });
const ret: Term = { kind: 'Return', span: sp, value: null };
const bb = (id: number, stmts: Stmt[], term: Term = ret): BasicBlock => ({ kind: 'BasicBlock', span: sp, id, stmts, term });
const fn = (name: string, locals: [number, Ty][], params: number[], blocks: BasicBlock[]): FnDef => ({
  kind: 'FnDef', span: sp, name, params, ret: T.void, unsafe: false, blocks,
  locals: locals.map(([id, ty]) => ({ kind: 'LocalDef', span: sp, id, name: `v${id}`, ty, mut: true })),
});
const mod = (fns: FnDef[], classes: Module['classes'] = []): Module => ({ kind: 'Module', span: sp, classes, globals: [], externs: [], fns, main: 'main', init: null });

/** Runs the statements of main; prints come out as text. */
const runMain = (locals: [number, Ty][], stmts: Stmt[], classes: Module['classes'] = [], more: FnDef[] = []) =>
  interpret(mod([fn('main', locals, [], [bb(0, stmts)]), ...more], classes));

describe('interpret: values', () => {
  it('prints floats as spec §10 says', () => {
    expect(formatFloat(0.1, 'f64')).toBe('0.1');
    expect(formatFloat(3, 'f64')).toBe('3');
    expect(formatFloat(0.1 + 0.2, 'f64')).toBe('0.30000000000000004');
    expect(formatFloat(1e21, 'f64')).toBe('1e21');
    expect(formatFloat(1e-7, 'f64')).toBe('1e-7');
    expect(formatFloat(1e20, 'f64')).toBe('100000000000000000000');
    expect(formatFloat(-0, 'f64')).toBe('-0');
    expect(formatFloat(Infinity, 'f64')).toBe('inf');
    expect(formatFloat(-Infinity, 'f32')).toBe('-inf');
    expect(formatFloat(NaN, 'f64')).toBe('NaN');
    expect(formatFloat(Math.fround(0.1), 'f32')).toBe('0.1');
  });

  it('wraps integer arithmetic, shifts modulo the width, and panics on bad division', () => {
    const i8 = T.i8;
    const r = runMain([[1, i8], [2, T.u8], [3, T.i32]], [
      set(L(1, i8), bin('+', c('127', i8), c('1', i8), i8)),
      ev(bi('println', [cp(L(1, i8))])),
      set(L(2, T.u8), bin('-', c('0', T.u8), c('1', T.u8), T.u8)),
      ev(bi('println', [cp(L(2, T.u8))])),
      set(L(3, T.i32), bin('<<', c('1', T.i32), c('33', T.i64), T.i32)),
      ev(bi('println', [cp(L(3, T.i32))])),
      set(L(3, T.i32), bin('>>', c('-8', T.i32), c('1', T.i32), T.i32)),
      ev(bi('println', [cp(L(3, T.i32))])),
      set(L(1, i8), bin('/', c('-128', i8), c('-1', i8), i8)),
    ]);
    expect(r).toEqual({ stdout: '-128\n255\n2\n-4\n', stderr: 'panic: overflow\n', status: 101 });
  });

  it('copies deeply and moves by transfer', () => {
    const s = T.string;
    const p = (id: number): Operand => ({ kind: 'Move', span: sp, place: L(id, ptr(s, true)) });
    const r = runMain([[1, s], [2, s], [3, s], [4, ptr(s, true)], [5, ptr(s, true)]], [
      set(L(1, s), bi('string.from', [c('a', T.str)], s)),
      set(L(2, s), { kind: 'Use', span: sp, op: cp(L(1, s)) }),
      set(L(4, ptr(s, true)), { kind: 'Ref', span: sp, place: L(1, s), mut: true, ty: ptr(s, true) }),
      ev(bi('string.append', [p(4), c('b', T.str)])),
      set(L(3, s), { kind: 'Use', span: sp, op: mv(L(1, s)) }),
      set(L(5, ptr(s, true)), { kind: 'Ref', span: sp, place: L(3, s), mut: true, ty: ptr(s, true) }),
      ev(bi('string.append', [p(5), c('c', T.str)])),
      ev(bi('println', [cp(L(2, s))])),
      ev(bi('println', [cp(L(3, s))])),
    ]);
    expect(r.stdout).toBe('a\nabc\n');
  });

  it('runs drop glue: the class drop function, then fields in order, through Box and Option', () => {
    const K = classTy('K');
    const opt = gen('option', gen('box', K));
    const dropK = fn('K.drop', [[0, ptr(K, true)], [1, T.i32]], [0], [bb(0, [
      set(L(1, T.i32), { kind: 'Use', span: sp, op: cp({ kind: 'FieldPlace', span: sp, base: { kind: 'DerefPlace', span: sp, ptr: cp(L(0, ptr(K, true))), ty: K }, field: 'n', ty: T.i32 }) }),
      ev(bi('println', [cp(L(1, T.i32))])),
    ])]);
    const withDrop = interpret(mod([
      fn('main', [[1, opt], [2, gen('box', K)], [3, K]], [], [bb(0, [
        set(L(3, K), { kind: 'Aggregate', span: sp, ops: [c('7', T.i32)], ty: K }),
        set(L(2, gen('box', K)), bi('box.new', [mv(L(3, K))], gen('box', K))),
        set(L(1, opt), { kind: 'MakeSome', span: sp, op: mv(L(2, gen('box', K))), ty: opt }),
        { kind: 'Drop', span: sp, place: L(1, opt) },
      ])]),
      dropK,
    ], [{ kind: 'ClassDef', span: sp, name: 'K', fields: [{ kind: 'LocalField', span: sp, name: 'n', ty: T.i32 }], traits: ['Drop'], dropFn: 'K.drop' }]));
    expect(withDrop.stdout).toBe('7\n');
  });

  it('reports what it cannot run instead of guessing', () => {
    const m = mod([fn('main', [], [], [bb(0, [], { kind: 'Unreachable', span: sp })])]);
    expect(() => interpret(m)).toThrow(InterpreterError);
    const loop = mod([fn('main', [], [], [bb(0, [], { kind: 'Goto', span: sp, target: 0 })])]);
    expect(() => interpret(loop, { maxBlocks: 1000 })).toThrow(/budget/);
  });
});

describe('interpret: programs from source', () => {
  const run = (text: string, args: string[] = []) => {
    const r = runPipeline({ path: 't.zeta', text }, { stopAfter: 'explicate-control' });
    expect(r.diagnostics).toEqual([]);
    return interpret(r.ir as unknown as Module, { args });
  };

  it('allocates in regions with C sizes and alignment until full', () => {
    const r = run(`
      class B(a: u8, b: i64) {}
      main() {
        region r(40) {
          mut n := 0;
          loop { if let Some(p) = r.alloc(B { a: 1u8, b: 2 }) { n += 1; } else { break; } }
          println(n);
        }
      }`);
    expect(r.stdout).toBe('2\n'); // B is 16 bytes
  });

  it('casts: float to int saturates, NaN is 0, ints truncate', () => {
    const r = run(`
      main() {
        big := 1e20;
        println(big as i32);
        nan := 0.0 / 0.0;
        println(nan as i64);
        println(300 as u8);
        println(-1 as u32);
        println(true as i32);
      }`);
    expect(r.stdout).toBe('2147483647\n0\n44\n4294967295\n1\n');
  });

  it('Vec, String and Option builtins', () => {
    const r = run(`
      main() {
        mut v := Vec<i64>::new();
        v.push(4); v.push(5);
        println(v.len());
        println(v.pop().unwrap());
        mut s := String::from("n=");
        s.append(v[0]);
        s.append(true);
        println(s);
        println(s.len());
        o: Option<i64> := arg(0).parse_i64();
        println(o.unwrap() + 1);
      }`, ['41']);
    expect(r.stdout).toBe('2\n5\nn=4true\n7\n42\n');
  });
});

describe('interpreter: vec.clear', () => {
  it('drops the cleared elements, like the backends', async () => {
    const { runPipeline } = await import('../tools/driver.js');
    const { interpret } = await import('../ir/interpret.js');
    const src = { path: 'c.zeta', text: 'class R(id: i64) : Drop { drop() { print("drop "); println(id); } }\nmain() { mut v := Vec<R>::new(); v.push(R { id: 1 }); v.clear(); println("end"); }\n' };
    const r = runPipeline(src);
    expect(r.diagnostics).toEqual([]);
    expect(interpret(r.ir as never).stdout).toBe('drop 1\nend\n');
  });
});
