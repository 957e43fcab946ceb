// A reference interpreter of Lcfg: runs a module as the backends would, so a lowering
// can be tested without a C compiler and the backends can be tested against it
// (differential testing). It follows the Lcfg contract (ir/languages.ts, the Lcfg brief):
// wrapping integer arithmetic, checked division and indexing, deep Copy, Move as a
// transfer, drop glue calling user drop functions, regions with C-like sizes.
//
// Values: integers are bigints, floats numbers (f32 rounded with Math.fround), `str` a
// JS string. Every value that can be pointed into (locals, fields, elements, a Box's or
// an Option's content) sits in a slot `o[k]` of a JS object or array, and a pointer is
// that pair. Not modelled: externs, pointer/integer casts, real threads (`spawn` runs the
// thread to completion at once, channels are unbounded; a receive that would block forever
// is reported as a deadlock).

import { operandTy, type Lcfg, type Node } from './languages.js';
import type { Cat } from './lang.js';
import { intRange, isSigned, type Ty, type TyOf } from './types.js';

type D = typeof Lcfg.decl;
type Module = Node<typeof Lcfg, 'Module'>;
type FnDef = Node<typeof Lcfg, 'FnDef'>;
type Place = Cat<D, 'Place'>;
type Operand = Cat<D, 'Operand'>;
type Rvalue = Cat<D, 'Rvalue'>;

export interface RunOptions {
  /** program arguments after the program name */
  args?: readonly string[];
  /** stop with an error after this many executed blocks (guards tests against endless loops) */
  maxBlocks?: number;
}

export interface RunResult { stdout: string; stderr: string; status: number }

/** The interpreter met something it does not model, or the program broke the Lcfg contract. */
export class InterpreterError extends Error {}

class Panic { constructor(readonly message: string) {} }
class Exit { constructor(readonly status: number) {} }

type Slot = Record<string | number, Value>;
interface Ptr { t: 'ptr'; o: Slot; k: string | number }
type Value =
  | bigint | number | boolean | string | undefined
  | { t: 'agg'; f: Value[] }
  | { t: 'opt'; some: boolean; v: Value }
  | { t: 'box'; v: Value }
  | { t: 'vec'; items: Value[] }
  | { t: 'string'; s: string }
  | Ptr
  | { t: 'fn'; name: string; env: Value | null }
  | { t: 'region'; cap: number; used: number }
  | { t: 'atomic'; v: Value }
  | { t: 'mutex'; v: Value }
  | { t: 'guard'; m: { v: Value } }
  | { t: 'chan'; q: Value[]; closed: boolean }
  | { t: 'thread'; result: Value };
type Obj = Exclude<Value, bigint | number | boolean | string | undefined>;

const obj = (v: Value): Obj => {
  if (typeof v !== 'object' || v === null) throw new InterpreterError(`expected a heap value, got ${String(v)}`);
  return v;
};

/** Deep copy (the language's copy): heap contents are duplicated, pointers and handles are not. */
function deepCopy(v: Value): Value {
  if (typeof v !== 'object' || v === null) return v;
  switch (v.t) {
    case 'agg': return { t: 'agg', f: v.f.map(deepCopy) };
    case 'opt': return v.some ? { t: 'opt', some: true, v: deepCopy(v.v) } : { t: 'opt', some: false, v: undefined };
    case 'box': return { t: 'box', v: deepCopy(v.v) };
    case 'vec': return { t: 'vec', items: v.items.map(deepCopy) };
    case 'string': return { t: 'string', s: v.s };
    default: return v;
  }
}

const utf8Len = (s: string) => Buffer.byteLength(s, 'utf8');

/** Floats as spec §10 prints them: shortest round-trip digits, JS layout, no `+` in exponents. */
export function formatFloat(x: number, name: 'f32' | 'f64'): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const y = name === 'f32' ? shortestF32(x) : x;
  return String(y).replace('e+', 'e');
}

/** |v| = m * 2^e exactly (v finite). */
function decompose(v: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  return [biased === 0 ? frac : frac | (1n << 52n), (biased === 0 ? 1 : biased) - 1075];
}

/**
 * The f32 `x` (finite, non-zero) as the double holding its shortest round-trip decimal:
 * the fewest digits that read back (rounding to nearest f32, ties to even) to `x`, and among
 * those the closest to `x`, ties to an even last digit, as the runtime's printf-based search
 * finds it. Exact arithmetic: values are integers in units of 2^-151 (f32 values are
 * multiples of 2^-149, their midpoints of 2^-150).
 */
function shortestF32(x: number): number {
  const a = Math.abs(x);
  const units = (v: number): bigint => {
    const [m, e] = decompose(v);
    return e + 151 >= 0 ? m << BigInt(e + 151) : m >> BigInt(-(e + 151));
  };
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = a;
  const bits = u[0];
  u[0] = bits + 1;
  const succ = f[0];
  u[0] = bits - 1;
  const pred = f[0];
  const A = units(a), P = units(pred);
  // the interval of values that round to `a` (above the largest f32: as wide as below it)
  const lo = (P + A) / 2n;
  const hi = succ === Infinity ? A + (A - P) / 2n : (A + units(succ)) / 2n;
  const inclusive = (bits & 1) === 0;
  /** sign of s * 10^k - n * 2^-151 */
  const cmp = (s: bigint, k: number, n: bigint): number => {
    const d = k >= 0 ? s * 10n ** BigInt(k) * (1n << 151n) - n : s * (1n << 151n) - n * 10n ** BigInt(-k);
    return d > 0n ? 1 : d < 0n ? -1 : 0;
  };
  const inside = (s: bigint, k: number): boolean => {
    const l = cmp(s, k, lo), h = cmp(s, k, hi);
    return inclusive ? l >= 0 && h <= 0 : l > 0 && h < 0;
  };
  let e10 = Math.floor(Math.log10(a));
  while (cmp(1n, e10, A) > 0) e10--;
  while (cmp(1n, e10 + 1, A) <= 0) e10++;
  for (let p = 1; p <= 9; p++) {
    const k = e10 - p + 1;
    const down = k >= 0 ? A / (10n ** BigInt(k) << 151n) : (A * 10n ** BigInt(-k)) >> 151n;
    const up = down + 1n;
    const okDown = inside(down, k), okUp = inside(up, k);
    if (!okDown && !okUp) continue;
    let s: bigint;
    if (okDown && okUp) {
      // the closer one; on a tie the even one
      const mid = cmp(2n * down + 1n, k, 2n * A);
      s = mid > 0 ? down : mid < 0 ? up : (down % 2n === 0n ? down : up);
    } else s = okDown ? down : up;
    const y = Number(`${s}e${k}`);
    return x < 0 ? -y : y;
  }
  return x;
}

/**
 * `print_fixed(x, digits)` as the runtime prints it (C's `%.*f`): the exact binary value
 * rounded half to even to `digits` decimals, the sign kept on values that round to zero,
 * `NaN`/`inf`/`-inf` for non-finite values, negative `digits` as 0. (Number#toFixed differs:
 * it rounds ties up, switches to exponent form from 1e21 and throws past 100 digits.)
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity || x === -Infinity) return x < 0 ? '-inf' : 'inf';
  const d = Math.max(0, digits);
  const neg = x < 0 || Object.is(x, -0);
  // |x| = mant * 2^exp exactly
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const exp = (biased === 0 ? 1 : biased) - 1075;
  let q: bigint;
  const scaled = mant * 10n ** BigInt(d);
  if (exp >= 0) q = scaled << BigInt(exp);
  else {
    const den = 1n << BigInt(-exp);
    q = scaled / den;
    const r2 = (scaled % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  }
  const s = q.toString().padStart(d + 1, '0');
  return (neg ? '-' : '') + (d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`);
}

const RANGES = new Map<string, [bigint, bigint]>();

function wrap(v: bigint, t: TyOf<'int'>): bigint {
  let r = RANGES.get(t.name);
  if (r === undefined) { r = intRange(t.name); RANGES.set(t.name, r); }
  if (v >= r[0] && v <= r[1]) return v;
  const bits = Number(t.name.slice(1));
  return isSigned(t) ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** C-like size and alignment, for region allocation (spec §6: bump with correct alignment). */
function sizeAlign(t: Ty, classes: Map<string, readonly Ty[]>): [number, number] {
  switch (t.k) {
    case 'int': { const n = Number(t.name.slice(1)) / 8; return [n, n]; }
    case 'float': return t.name === 'f32' ? [4, 4] : [8, 8];
    case 'bool': return [1, 1];
    case 'str': case 'fn': return [16, 8];
    case 'string': case 'vec': return [24, 8];
    case 'array': { const [s, a] = sizeAlign(t.elem, classes); return [s * t.n, a]; }
    case 'option': {
      if (t.of.k === 'ptr' || t.of.k === 'box') return [8, 8];
      const [s, a] = sizeAlign(t.of, classes);
      const off = Math.ceil(1 / a) * a;
      return [Math.ceil((off + s) / a) * a, a];
    }
    case 'class': {
      let off = 0, align = 1;
      for (const f of classes.get(t.name) ?? []) {
        const [s, a] = sizeAlign(f, classes);
        off = Math.ceil(off / a) * a + s;
        align = Math.max(align, a);
      }
      return [Math.ceil(off / align) * align, align];
    }
    default: return [8, 8];
  }
}

interface FnInfo { fn: FnDef; pos: Map<number, number> }
/** One activation: the function and its locals' slots. */
interface Frame { info: FnInfo; vals: Value[] }

const none = (): Value => ({ t: 'opt', some: false, v: undefined });
const some = (v: Value): Value => ({ t: 'opt', some: true, v });

/** Runs `m` (its `init`, then `main`) and returns what it printed and its exit status. */
export function interpret(m: Module, opts: RunOptions = {}): RunResult {
  const it = new Interpreter(m, opts);
  try {
    if (m.init !== null) it.call(m.init, []);
    const status = it.call(m.main, []);
    return { stdout: it.out.join(''), stderr: '', status: typeof status === 'bigint' ? Number(BigInt.asIntN(32, status)) : 0 };
  } catch (e) {
    if (e instanceof Panic) return { stdout: it.out.join(''), stderr: `panic: ${e.message}\n`, status: 101 };
    if (e instanceof Exit) return { stdout: it.out.join(''), stderr: '', status: e.status };
    throw e;
  }
}

class Interpreter {
  readonly out: string[] = [];
  private budget: number;
  private readonly args: readonly string[];
  private readonly fns = new Map<string, FnInfo>();
  private readonly classFields: Map<string, string[]>;
  private readonly classTys: Map<string, Ty[]>;
  private readonly dropFns: Map<string, string | null>;
  private readonly globals: Slot = {};

  constructor(m: Module, opts: RunOptions) {
    this.args = opts.args ?? [];
    this.budget = opts.maxBlocks ?? 50_000_000;
    for (const f of m.fns) this.fns.set(f.name, { fn: f, pos: new Map(f.locals.map((l, i) => [l.id, i])) });
    this.classFields = new Map(m.classes.map((c) => [c.name, c.fields.map((f) => f.name)]));
    this.classTys = new Map(m.classes.map((c) => [c.name, c.fields.map((f) => f.ty)]));
    this.dropFns = new Map(m.classes.map((c) => [c.name, c.dropFn]));
  }

  call(name: string, argv: Value[]): Value {
    const info = this.fns.get(name);
    if (!info) throw new InterpreterError(`no function ${name} (externs are not interpreted)`);
    const fn = info.fn;
    const f: Frame = { info, vals: new Array(fn.locals.length) };
    for (let i = 0; i < fn.params.length; i++) f.vals[info.pos.get(fn.params[i])!] = argv[i];
    let b = 0;
    for (;;) {
      if (--this.budget < 0) throw new InterpreterError('block budget exhausted (endless loop?)');
      const block = fn.blocks[b];
      for (const s of block.stmts) {
        if (s.kind === 'Assign') {
          const v = this.rvalue(f, s.value);
          if (s.place.kind === 'LocalPlace') f.vals[this.local(f, s.place.id)] = v;
          else { const p = this.loc(f, s.place); p.o[p.k] = v; }
        }
        else if (s.kind === 'Eval') this.rvalue(f, s.value);
        else this.dropPlace(this.loc(f, s.place), s.place.ty);
      }
      const t = block.term;
      switch (t.kind) {
        case 'Goto': b = t.target; break;
        case 'Branch': b = this.operand(f, t.cond) ? t.then : t.else; break;
        case 'Return': return t.value === null ? undefined : this.operand(f, t.value);
        case 'Unreachable': throw new InterpreterError(`${fn.name}: reached an Unreachable terminator in bb${b}`);
      }
    }
  }

  private local(f: Frame, id: number): number {
    const i = f.info.pos.get(id);
    if (i === undefined) throw new InterpreterError(`${f.info.fn.name}: local ${id} is not declared`);
    return i;
  }

  /** Where a place is: the slot `o[k]` holding its value. */
  private loc(f: Frame, p: Place): Ptr {
    switch (p.kind) {
      case 'LocalPlace': return { t: 'ptr', o: f.vals as unknown as Slot, k: this.local(f, p.id) };
      case 'GlobalPlace': return { t: 'ptr', o: this.globals, k: p.name };
      case 'FieldPlace': {
        const base = obj(get(this.loc(f, p.base)));
        if (base.t !== 'agg' || p.base.ty.k !== 'class') throw new InterpreterError('field of a non-class');
        return { t: 'ptr', o: base.f as unknown as Slot, k: this.classFields.get(p.base.ty.name)!.indexOf(p.field) };
      }
      case 'IndexPlace': {
        const base = obj(get(this.loc(f, p.base)));
        const arr = base.t === 'agg' ? base.f : base.t === 'vec' ? base.items : null;
        if (arr === null) throw new InterpreterError('index of a non-array');
        const i = this.operand(f, p.index) as bigint;
        if (i < 0n || i >= BigInt(arr.length)) throw new Panic('index out of bounds');
        return { t: 'ptr', o: arr as unknown as Slot, k: Number(i) };
      }
      case 'DerefPlace': {
        // the pointer is read for its address only: a Box is not copied to reach its content
        const op = p.ptr;
        const v = obj(op.kind === 'Copy' || op.kind === 'Move' ? get(this.loc(f, op.place)) : this.operand(f, op));
        if (v.t === 'ptr') return v;
        if (v.t === 'box') return { t: 'ptr', o: v as unknown as Slot, k: 'v' };
        throw new InterpreterError(`dereferencing a ${v.t}`);
      }
      case 'PayloadPlace': return { t: 'ptr', o: obj(get(this.loc(f, p.base))) as unknown as Slot, k: 'v' };
    }
  }

  private operand(f: Frame, op: Operand): Value {
    switch (op.kind) {
      case 'Const': {
        const t = op.ty;
        if (t.k === 'int') return BigInt(op.value as string);
        if (t.k === 'float') return t.name === 'f32' ? Math.fround(op.value as number) : op.value as number;
        return op.value as Value;
      }
      // (a local is read straight from the frame: the common case, without a Ptr)
      case 'Copy': return deepCopy(op.place.kind === 'LocalPlace' ? f.vals[this.local(f, op.place.id)] : get(this.loc(f, op.place)));
      case 'Move': return op.place.kind === 'LocalPlace' ? f.vals[this.local(f, op.place.id)] : get(this.loc(f, op.place));
      case 'FnRef': return { t: 'fn', name: op.name, env: null };
    }
  }

  private rvalue(f: Frame, rv: Rvalue): Value {
    switch (rv.kind) {
      case 'Use': return this.operand(f, rv.op);
      case 'BinOp': return binop(rv.op, this.operand(f, rv.left), this.operand(f, rv.right), operandTy(rv.left), rv.ty);
      case 'UnOp': {
        const v = this.operand(f, rv.operand);
        const t = rv.ty;
        if (rv.op === '!') return !v;
        if (t.k === 'int') return wrap(rv.op === '-' ? -(v as bigint) : ~(v as bigint), t);
        return t.k === 'float' && t.name === 'f32' ? Math.fround(-(v as number)) : -(v as number);
      }
      case 'CastOp': return cast(this.operand(f, rv.op), operandTy(rv.op), rv.ty);
      case 'Ref': return this.loc(f, rv.place);
      case 'CallFn': return this.call(rv.fn, rv.args.map((a) => this.operand(f, a)));
      case 'CallValue': {
        const fv = obj(this.operand(f, rv.callee));
        if (fv.t !== 'fn') throw new InterpreterError('calling a non-function');
        const argv = rv.args.map((a) => this.operand(f, a));
        return this.call(fv.name, fv.env === null ? argv : [fv.env, ...argv]);
      }
      case 'Closure': return { t: 'fn', name: rv.fn, env: this.operand(f, rv.env) };
      case 'Aggregate': return { t: 'agg', f: rv.ops.map((a) => this.operand(f, a)) };
      case 'Repeat': {
        const v = this.operand(f, rv.op);
        return { t: 'agg', f: Array.from({ length: rv.count }, (_, i) => (i === 0 ? v : deepCopy(v))) };
      }
      case 'MakeSome': return some(this.operand(f, rv.op));
      case 'MakeNone': return none();
      case 'IsSome': return (obj(this.operand(f, rv.op)) as { some: boolean }).some;
      case 'Builtin': return this.builtin(f, rv.op, rv.args, rv.ty);
    }
  }

  private show(v: Value, t: Ty): string {
    switch (t.k) {
      case 'int': case 'bool': case 'str': return String(v);
      case 'float': return formatFloat(v as number, t.name);
      case 'string': return (v as { s: string }).s;
      default: throw new InterpreterError(`cannot print a ${t.k}`);
    }
  }

  private builtin(f: Frame, op: string, as: readonly Operand[], ty: Ty): Value {
    const a = as.map((x) => this.operand(f, x));
    // receivers are passed as pointers
    const recv = (i: number) => obj(get(obj(a[i]) as Ptr));
    const args = this.args;
    switch (op) {
      case 'print': this.out.push(this.show(a[0], operandTy(as[0]))); return undefined;
      case 'println': this.out.push(this.show(a[0], operandTy(as[0])), '\n'); return undefined;
      case 'print_fixed': this.out.push(formatFixed(a[0] as number, Number(a[1]))); return undefined;
      case 'panic': throw new Panic(a[0] as string);
      case 'exit': throw new Exit(Number(a[0]));
      case 'arg_count': return BigInt(args.length);
      case 'arg': {
        const i = a[0] as bigint;
        if (i < 0n || i >= BigInt(args.length)) throw new Panic('argument index out of range');
        return { t: 'string', s: args[Number(i)] };
      }
      case 'sqrt': case 'floor': case 'ceil': {
        const r = Math[op](a[0] as number);
        return ty.k === 'float' && ty.name === 'f32' ? Math.fround(r) : r;
      }
      case 'abs': return typeof a[0] === 'bigint' ? wrap(a[0] < 0n ? -a[0] : a[0], ty as TyOf<'int'>) : Math.abs(a[0] as number);
      case 'min': return (a[0] as number) <= (a[1] as number) ? a[0] : a[1];
      case 'max': return (a[0] as number) >= (a[1] as number) ? a[0] : a[1];
      case 'option.unwrap': {
        const o = recv(0) as { some: boolean; v: Value };
        if (!o.some) throw new Panic('unwrap of None');
        return deepCopy(o.v);
      }
      case 'box.new': return { t: 'box', v: a[0] };
      case 'vec.new': case 'vec.with_capacity': return { t: 'vec', items: [] };
      case 'vec.filled': return { t: 'vec', items: Array.from({ length: Number(a[0]) }, (_, i) => (i === 0 ? a[1] : deepCopy(a[1]))) };
      case 'vec.push': (recv(0) as { items: Value[] }).items.push(a[1]); return undefined;
      case 'vec.pop': {
        const items = (recv(0) as { items: Value[] }).items;
        return items.length === 0 ? none() : some(items.pop());
      }
      case 'vec.len': return BigInt((recv(0) as { items: Value[] }).items.length);
      case 'vec.clear': {
        // clearing drops every element, as the backends' drop glue does
        const items = (recv(0) as { items: Value[] }).items;
        const vecTy = (operandTy(as[0]) as { to: { of: Ty } }).to;
        items.forEach((_, i) => this.dropPlace({ t: 'ptr', o: items as unknown as Slot, k: i }, vecTy.of));
        items.length = 0;
        return undefined;
      }
      case 'string.from': return { t: 'string', s: a[0] as string };
      case 'string.append': (recv(0) as { s: string }).s += this.show(a[1], operandTy(as[1])); return undefined;
      case 'string.len': return BigInt(utf8Len((recv(0) as { s: string }).s));
      case 'string.parse_i64': {
        const s = (recv(0) as { s: string }).s;
        const [lo, hi] = intRange('i64');
        if (!/^[+-]?[0-9]+$/.test(s)) return none();
        const n = BigInt(s);
        return n < lo || n > hi ? none() : some(n);
      }
      case 'str.len': return BigInt(utf8Len(a[0] as string));
      case 'region.new': return { t: 'region', cap: Number(a[0]), used: 0 };
      case 'region.free': return undefined;
      case 'region.alloc': {
        const r = obj(a[0]) as { cap: number; used: number };
        const [size, align] = sizeAlign(operandTy(as[1]), this.classTys);
        if (size === 0) return some({ t: 'ptr', o: { v: a[1] }, k: 'v' });
        const start = Math.ceil(r.used / align) * align;
        if (start + size > r.cap) return none();
        r.used = start + size;
        return some({ t: 'ptr', o: { v: a[1] }, k: 'v' });
      }
      case 'spawn': {
        const fv = obj(a[0]) as { name: string; env: Value | null };
        return { t: 'thread', result: this.call(fv.name, fv.env === null ? [] : [fv.env]) };
      }
      case 'thread.join': return deepCopy((recv(0) as { result: Value }).result);
      case 'channel.new': return { t: 'chan', q: [], closed: false };
      case 'channel.send': {
        const c = recv(0) as { q: Value[]; closed: boolean };
        if (c.closed) return false;
        c.q.push(a[1]);
        return true;
      }
      case 'channel.recv': {
        const c = recv(0) as { q: Value[]; closed: boolean };
        if (c.q.length > 0) return some(c.q.shift());
        if (c.closed) return none();
        throw new InterpreterError('deadlock: receive on an empty open channel (threads run to completion when spawned)');
      }
      case 'channel.close': (recv(0) as { closed: boolean }).closed = true; return undefined;
      case 'mutex.new': return { t: 'mutex', v: a[0] };
      case 'mutex.lock': return { t: 'guard', m: recv(0) as { v: Value } };
      case 'guard.value': return { t: 'ptr', o: (recv(0) as { m: Slot }).m, k: 'v' };
      case 'atomic.new': return { t: 'atomic', v: a[0] };
      case 'atomic.load': return (recv(0) as { v: Value }).v;
      case 'atomic.store': (recv(0) as { v: Value }).v = a[1]; return undefined;
      case 'atomic.fetch_add': case 'atomic.fetch_sub': case 'atomic.swap': {
        const at = recv(0) as { v: Value };
        const old = at.v;
        const t = operandTy(as[1]);
        if (op === 'atomic.swap') at.v = a[1];
        else if (t.k === 'int') at.v = wrap(op === 'atomic.fetch_add' ? (old as bigint) + (a[1] as bigint) : (old as bigint) - (a[1] as bigint), t);
        return old;
      }
      case 'atomic.compare_exchange': {
        const at = recv(0) as { v: Value };
        if (at.v !== a[1]) return false;
        at.v = a[2];
        return true;
      }
      default: throw new InterpreterError(`builtin ${op} is not interpreted`);
    }
  }

  /** Drop glue (spec §5.3): a class's drop function first, then its fields in order; heap contents. */
  private dropPlace(p: Ptr, t: Ty): void {
    const v = p.o[p.k];
    const slot = (o: unknown, k: string | number): Ptr => ({ t: 'ptr', o: o as Slot, k });
    switch (t.k) {
      case 'class': {
        const dropFn = this.dropFns.get(t.name);
        if (dropFn) this.call(dropFn, [p]);
        const agg = obj(p.o[p.k]) as { f: Value[] };
        (this.classTys.get(t.name) ?? []).forEach((ft, i) => this.dropPlace(slot(agg.f, i), ft));
        return;
      }
      case 'array': { const agg = obj(v) as { f: Value[] }; agg.f.forEach((_, i) => this.dropPlace(slot(agg.f, i), t.elem)); return; }
      case 'box': this.dropPlace(slot(obj(v), 'v'), t.of); return;
      case 'vec': { const items = (obj(v) as { items: Value[] }).items; items.forEach((_, i) => this.dropPlace(slot(items, i), t.of)); return; }
      case 'option': if ((obj(v) as { some: boolean }).some) this.dropPlace(slot(obj(v), 'v'), t.of); return;
      default: return;
    }
  }
}

const get = (p: Ptr): Value => p.o[p.k];

function cast(v: Value, from: Ty, to: Ty): Value {
  if (to.k === 'int') {
    if (from.k === 'int') return wrap(v as bigint, to);
    if (from.k === 'bool') return v ? 1n : 0n;
    if (from.k === 'float') {
      const x = v as number;
      if (Number.isNaN(x)) return 0n;
      const [lo, hi] = intRange(to.name);
      if (x === Infinity) return hi;
      if (x === -Infinity) return lo;
      const n = BigInt(Math.trunc(x));
      return n < lo ? lo : n > hi ? hi : n;
    }
  }
  if (to.k === 'float') {
    if (from.k === 'int' && to.name === 'f32') return intToF32(v as bigint);
    const x = from.k === 'int' ? Number(v as bigint) : v as number;
    return to.name === 'f32' ? Math.fround(x) : x;
  }
  if (to.k === 'ptr' && from.k === 'ptr') return v;
  throw new InterpreterError(`cast from ${from.k} to ${to.k} is not interpreted`);
}

/**
 * An integer rounded once to the nearest f32 (ties to even), as C's and LLVM's conversions
 * do. Math.fround(Number(v)) would round twice (to f64, then to f32) and can land on the
 * other side of an f32 tie: 2^60 + 2^36 + 1 must give 2^60 + 2^37, not 2^60.
 */
function intToF32(v: bigint): number {
  const neg = v < 0n;
  let m = neg ? -v : v;
  const bits = m.toString(2).length;
  let shift = 0n;
  if (bits > 24) {
    shift = BigInt(bits - 24);
    const rem = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    if (rem > half || (rem === half && (m & 1n) === 1n)) m += 1n;
  }
  // m has at most 25 significant bits: the product is exact in f64 and in f32
  const x = Math.fround(Number(m) * 2 ** Number(shift));
  return neg ? -x : x;
}

function binop(op: string, l: Value, r: Value, lt: Ty, ty: Ty): Value {
  if (lt.k === 'int') {
    const a = l as bigint, b = r as bigint;
    switch (op) {
      case '==': return a === b;
      case '!=': return a !== b;
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
      case '<<': case '>>': {
        const bits = BigInt(Number(lt.name.slice(1)));
        const amount = BigInt.asUintN(64, b) % bits;
        if (op === '<<') return wrap(a << amount, lt);
        return isSigned(lt) ? a >> amount : BigInt.asUintN(Number(bits), a) >> amount;
      }
      case '/': case '%': {
        if (b === 0n) throw new Panic('division by zero');
        if (isSigned(lt) && b === -1n && a === intRange(lt.name)[0]) throw new Panic('overflow');
        return op === '/' ? a / b : a % b;
      }
      case '+': return wrap(a + b, lt);
      case '-': return wrap(a - b, lt);
      case '*': return wrap(a * b, lt);
      case '&': return wrap(a & b, lt);
      case '|': return wrap(a | b, lt);
      case '^': return wrap(a ^ b, lt);
    }
  }
  if (lt.k === 'float') {
    const a = l as number, b = r as number;
    const f = (x: number) => (lt.name === 'f32' ? Math.fround(x) : x);
    switch (op) {
      case '==': return a === b;
      case '!=': return a !== b;
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
      case '+': return f(a + b);
      case '-': return f(a - b);
      case '*': return f(a * b);
      case '/': return f(a / b);
      case '%': return f(a % b);
    }
  }
  if (lt.k === 'bool') {
    switch (op) {
      case '==': return l === r;
      case '!=': return l !== r;
      case '&': return (l as boolean) && (r as boolean);
      case '|': return (l as boolean) || (r as boolean);
      case '^': return l !== r;
    }
  }
  if (lt.k === 'str' || lt.k === 'string') {
    const text = (x: Value) => (typeof x === 'string' ? x : (x as { s: string }).s);
    if (op === '==') return text(l) === text(r);
    if (op === '!=') return text(l) !== text(r);
  }
  if (lt.k === 'ptr') {
    const p = l as Ptr;
    if (op === '==' || op === '!=') { const q = r as Ptr; const same = p.o === q.o && p.k === q.k; return op === '==' ? same : !same; }
    if ((op === '+' || op === '-') && typeof p.k === 'number') {
      const n = Number(r as bigint);
      return { t: 'ptr', o: p.o, k: op === '+' ? p.k + n : p.k - n };
    }
  }
  throw new InterpreterError(`binary ${op} on ${lt.k} (${ty.k}) is not interpreted`);
}
