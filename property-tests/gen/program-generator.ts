// A type-directed generator of random VALID Zeta programs (spec: ../shared/spec/zeta.md),
// for property tests, differential tests (C vs LLVM backend) and fuzzing.
//
// Every program it writes obeys every rule of the spec, so a correct compiler accepts it,
// and it runs deterministically to exit status 0: no panics (indexing is guarded, divisors
// are non-zero literals, regions never fill up), loops are bounded by counters or by
// sizes the generator tracks, nothing is read uninitialized, and every run prints the same
// trace, ending with `end` (only scope-end drops of `main`'s locals may print after it).
//
// It works on source text only. While it writes a function it keeps a typed environment
// (name, type, mutability, deleted?, which pointers point at what) and only emits a
// statement whose rules it can prove from that environment:
//  - a variable that may be deleted (on any path) is never used again, except to assign
//    it a new value; a `delete` only targets variables declared in the innermost loop body
//    (so no later iteration sees it deleted);
//  - a pointer is only stored in a variable declared after its target (or, for region
//    memory, inside the region block), so it never outlives it (E0023, E0025);
//  - resizing, reassigning or deleting a variable marks the pointers into it dead
//    (E0024); inside a loop that is refused when such a pointer was declared outside the
//    loop, since the next iteration could still use it;
//  - values of a `Drop` class are never copied (E0050): they are built from temporaries
//    and read through fields, methods and pointers;
//  - every loop's trip count has a static bound, and a cost model (statements executed,
//    multiplied through loops and calls) keeps every run small.
// Branches are handled with an undo log: each arm starts from the state before the `if`,
// and afterwards a flag (deleted / dead) is set if it is set on any arm.

import fc from 'fast-check';
import { Rng } from './rng.js';

export interface GenOptions {
  /** generated functions besides main and the fixed helpers (default 4) */
  functions?: number;
  /** most statements in one block; main's top level gets twice as many (default 6) */
  stmts?: number;
  /** deepest statement nesting (blocks inside blocks) in a function body (default 3) */
  depth?: number;
  /** deepest expression nesting (default 3) */
  exprDepth?: number;
  /** most iterations of a counted loop (default 4) */
  loopIters?: number;
  /** upper bound on statements executed by main, calls included (default 20000) */
  budget?: number;
  /** Drop classes, Box, Vec, String and classes holding them (default true) */
  drops?: boolean;
  /** pointers `*x`, `*mut x`, pointers into heap content and pointer parameters (default true) */
  pointers?: boolean;
  /** `region` blocks with allocations and pointers between region objects (default true) */
  regions?: boolean;
  /** `unsafe { delete x; }`, conditional and unconditional (default true; needs drops) */
  deletes?: boolean;
  /** `return` from nested scopes, `break`, `continue`, `?? return` (default true) */
  earlyExits?: boolean;
  /** non-capturing and capturing lambdas, called and passed down (default false) */
  lambdas?: boolean;
  /** every integer width (i8 to u64) and f32/f64: arithmetic, comparisons, casts, math
   *  built-ins, float printing and `print_fixed` (default false) */
  numerics?: boolean;
  /** capturing lambdas also capture one String, Vec, Box, class, Option or array (by
   *  reference), read it and change it (`push`, `append`, mut methods); needs lambdas (default false) */
  heapCaptures?: boolean;
  /** values that need drop passed by value and returned (moves at a last use, also of Drop
   *  values, sometimes on one branch only), a class with Drop fields, Option<String>,
   *  Option<Res> and Vec<String>; needs drops (default false) */
  ownership?: boolean;
  /** `spawn` of a block of random statements (its own locals; outer scalars read by copy,
   *  an Atomic shared), joined at once so the output stays ordered (default false) */
  threads?: boolean;
  /** a class with pointer fields (`View(p: *Pt, q: Option<*mut Pt>)`), functions taking and
   *  returning pointers (also into a caller's region), `Option<*Pt>` (default false; needs pointers) */
  pointerClasses?: boolean;
}

type Resolved = Required<GenOptions>;

export const DEFAULT_OPTIONS: Resolved = {
  functions: 4, stmts: 6, depth: 3, exprDepth: 3, loopIters: 4, budget: 20000,
  drops: true, pointers: true, regions: true, deletes: true, earlyExits: true, lambdas: false,
  numerics: false, heapCaptures: false, ownership: false, threads: false, pointerClasses: false,
};

export interface GeneratedProgram { source: string; features: string[] }

/** Every feature tag the generator can report, with the option that enables it. */
export const FEATURES: Readonly<Record<string, keyof GenOptions | null>> = {
  'function': null, 'option-function': null, 'void-function': null, 'mut-param': null,
  'if-else': null, 'else-if': null, 'if-expr': null, 'block-expr': null, 'nested-block': null,
  'while': null, 'loop': null, 'for': null, 'for-inclusive': null, 'compound-assign': null,
  'div-mod': null, 'shift': null, 'cast': null, 'i32': null, 'u8': null, 'bool': null, 'str': null,
  'array': null, 'plain-class': null, 'method': null, 'mut-method': null, 'static-method': null,
  'option': null, 'if-let': null, 'coalesce': null, 'min-max': null, 'item-order': null,
  'break': 'earlyExits', 'continue': 'earlyExits', 'early-return-main': 'earlyExits',
  'early-return-fn': 'earlyExits', 'question-return': 'earlyExits', 'question-break': 'earlyExits',
  'drop-class': 'drops', 'reassign-drop': 'drops', 'drop-vec': 'drops', 'box': 'drops',
  'box-class': 'drops', 'vec': 'drops', 'vec-index': 'drops', 'while-let-pop': 'drops',
  'for-len': 'drops', 'string': 'drops', 'string-append': 'drops', 'holder': 'drops',
  'reassign-heap': 'drops', 'deep-copy': 'drops', 'heap-param': 'drops',
  'pointer': 'pointers', 'mut-pointer': 'pointers', 'pointer-reassign': 'pointers',
  'option-pointer': 'pointers', 'heap-pointer': 'pointers', 'vec-elem-pointer': 'pointers',
  'class-pointer': 'pointers', 'pointer-param': 'pointers',
  'region': 'regions', 'region-link': 'regions', 'region-fn': 'regions', 'region-int': 'regions',
  'delete': 'deletes', 'cond-delete': 'deletes', 'revive': 'deletes',
  'lambda': 'lambdas', 'capturing-lambda': 'lambdas', 'lambda-arg': 'lambdas',
  'wide-int': 'numerics', 'unsigned': 'numerics', 'float': 'numerics', 'f32': 'numerics', 'float-cast': 'numerics',
  'float-math': 'numerics', 'float-compare': 'numerics', 'print-fixed': 'numerics', 'float-append': 'numerics',
  'heap-capture': 'heapCaptures', 'mutating-capture': 'heapCaptures', 'resizing-capture': 'heapCaptures',
  'move-arg': 'ownership', 'cond-move': 'ownership', 'return-heap': 'ownership', 'drop-fields': 'ownership',
  'field-reassign': 'ownership', 'option-string': 'ownership', 'option-res': 'ownership', 'vec-string': 'ownership',
  'move-out-option': 'ownership',
  'spawn': 'threads', 'spawn-var': 'threads', 'thread-result': 'threads', 'thread-atomic': 'threads', 'thread-capture': 'threads',
  'pointer-field': 'pointerClasses', 'pointer-return': 'pointerClasses', 'field-pointer': 'pointerClasses',
  'option-class-pointer': 'pointerClasses', 'region-return': 'pointerClasses',
};

/** The feature tags that can appear under these options. */
export function possibleFeatures(opts: GenOptions = {}): string[] {
  const o = { ...DEFAULT_OPTIONS, ...opts };
  return Object.keys(FEATURES).filter((f) => {
    const need = FEATURES[f];
    if (need === null) return true;
    if (need === 'deletes') return o.deletes && o.drops;
    if (['drop-class', 'reassign-drop', 'drop-vec', 'box', 'box-class', 'vec', 'vec-index', 'while-let-pop',
      'for-len', 'string', 'string-append', 'holder', 'reassign-heap', 'deep-copy', 'heap-param'].includes(f)) return o.drops;
    if (f === 'heap-pointer' || f === 'vec-elem-pointer') return o.pointers && o.drops;
    if (f === 'float-append') return o.numerics && o.drops;
    if (need === 'heapCaptures') return o.heapCaptures && o.lambdas;
    if (need === 'ownership') return o.ownership && o.drops;
    if (f === 'region-return') return o.pointerClasses && o.pointers && o.regions;
    if (need === 'pointerClasses') return o.pointerClasses && o.pointers;
    if (f === 'question-return') return o.earlyExits;
    return Boolean(o[need]);
  });
}

// ---------------------------------------------------------------------------------
// Types and the environment

type IntTy = 'i64' | 'i32' | 'u8' | 'i8' | 'i16' | 'u16' | 'u32' | 'u64';
type FloatTy = 'f64' | 'f32';
type Kind =
  | IntTy | FloatTy | 'bool' | 'str' | 'String' | 'Vec' | 'Box' | 'Opt' | 'Pt' | 'BoxPt' | 'Holder' | 'Res' | 'VecRes' | 'Arr'
  | 'PI' | 'PMI' | 'PPt' | 'PMPt' | 'PRes' | 'PMLink' | 'OptLink' | 'OptPI' | 'Fn'
  | 'Pair' | 'OptStr' | 'OptRes' | 'VecStr';

const TYPE_TEXT: Record<Kind, string> = {
  i64: 'i64', i32: 'i32', u8: 'u8', i8: 'i8', i16: 'i16', u16: 'u16', u32: 'u32', u64: 'u64', f64: 'f64', f32: 'f32',
  bool: 'bool', str: 'str', String: 'String', Vec: 'Vec<i64>', Box: 'Box<i64>',
  Opt: 'Option<i64>', Pt: 'Pt', BoxPt: 'Box<Pt>', Holder: 'Holder', Res: 'Res', VecRes: 'Vec<Res>', Arr: '[i64; N]',
  PI: '*i64', PMI: '*mut i64', PPt: '*Pt', PMPt: '*mut Pt', PRes: '*Res', PMLink: '*mut Link',
  OptLink: 'Option<*Link>', OptPI: 'Option<*i64>', Fn: 'fn(i64) -> i64',
  Pair: 'Pair', OptStr: 'Option<String>', OptRes: 'Option<Res>', VecStr: 'Vec<String>',
};

const NAME_PREFIX: Record<Kind, string> = {
  // (no prefix may be `i`, `u` or `f`: `i32`, `u8`, `f64` are type names)
  i64: 'n', i32: 'm', u8: 'c', i8: 'ha', i16: 'hb', u16: 'wa', u32: 'wb', u64: 'wc', f64: 'dd', f32: 'ds', bool: 'ok', str: 't', String: 's', Vec: 'v', Box: 'bx', Opt: 'o', Pt: 'pt',
  BoxPt: 'bp', Holder: 'h', Res: 'r', VecRes: 'rs', Arr: 'a', PI: 'p', PMI: 'pm', PPt: 'pp', PMPt: 'ppm',
  PRes: 'pr', PMLink: 'l', OptLink: 'head', OptPI: 'op', Fn: 'lam',
  Pair: 'pa', OptStr: 'os', OptRes: 'orr', VecStr: 'vs',
};

const SCALAR_NAME = /\b[a-z]+\d+\b/;

/** Types that need drop: deletable, and what the `drops` switch turns off. */
const DELETABLE = new Set<Kind>(['String', 'Vec', 'Box', 'BoxPt', 'Holder', 'Res', 'VecRes', 'Pair', 'OptStr', 'OptRes', 'VecStr']);
/** Kinds holding a Drop value: never copied (E0050), only moved at a last use. */
const NO_COPY = new Set<Kind>(['Res', 'VecRes', 'Pair', 'OptRes']);
/** What a capturing lambda may capture besides scalars (heapCaptures): never a pointer. */
const HEAP_CAPTURE = new Set<Kind>(['String', 'Vec', 'Box', 'BoxPt', 'Pt', 'Holder', 'Res', 'VecRes', 'Opt', 'Arr']);
const SCALAR = new Set<Kind>(['i64', 'i32', 'u8', 'i8', 'i16', 'u16', 'u32', 'u64', 'f64', 'f32', 'bool']);
/** The integer types of the default programs, and all of them (the `numerics` switch). */
const BASE_INTS: readonly IntTy[] = ['i64', 'i32', 'u8'];
const ALL_INTS: readonly IntTy[] = ['i64', 'i32', 'u8', 'i8', 'i16', 'u16', 'u32', 'u64'];
const unsigned = (ty: IntTy): boolean => ty[0] === 'u';
/** Largest small literal of each type, and its edge-value literals. */
const LIT_MAX: Record<IntTy, number> = { i64: 1000, i32: 1000, u8: 255, i8: 127, i16: 1000, u16: 1000, u32: 1000, u64: 1000 };
const LIT_EDGE: Record<IntTy, string[]> = {
  i64: ['9223372036854775807', '4611686018427387904', '3000000000', '4294967295', '2147483648'],
  i32: ['2147483647', '65536', '1000000', '1073741824'],
  u8: ['255', '128', '200'],
  i8: ['127', '100', '64'],
  i16: ['32767', '16384', '20000'],
  u16: ['65535', '32768', '40000'],
  u32: ['4294967295', '2147483648', '3000000000'],
  u64: ['18446744073709551615', '9223372036854775808', '12345678901234567890'],
};
/** Float literals (no `f32` one overflows); divisors are never zero. */
const F64_POOL = ['0.1', '0.2', '0.5', '1.5', '2.0', '3.0', '10.0', '100.0', '0.3', '1e9', '2.5e-3', '1e21', '1e-7', '123.456',
  '6.02e23', '0.0', '1e15', '3.14159', '7.0', '1e300', '4.8e+00', '0.000001', '65536.0', '1e16', '16777217.0', '9007199254740993.0'];
const F32_POOL = F64_POOL.filter((x) => x !== '1e300');
const F_DIVISORS = ['2.0', '3.0', '0.5', '7.0', '10.0', '0.1', '1e3'];

interface Var {
  name: string;
  kind: Kind;
  mut: boolean;
  /** declaration order inside the function: a smaller id outlives a larger visible one */
  id: number;
  /** index of the declaring scope; 0 = parameters */
  scope: number;
  /** loop nesting at the declaration */
  loop: number;
  /** cost multiplier at the declaration (to bound a Vec's length) */
  declMult: number;
  /** may be deleted on some path: never read again (may be assigned, which revives it) */
  deleted: boolean;
  /** a pointer (or pointer-holding value) that must not be used any more */
  dead: boolean;
  /** its scope has ended */
  gone: boolean;
  /** read-only for random statements: loop counters, pattern bindings */
  reserved: boolean;
  /** >0 while iterated or drained: no resizing, reassigning or deleting */
  frozen: number;
  arrLen: number;
  /** upper bound on the length of a Vec / Vec<Res> */
  maxLen: number;
  /** pointer variables that point at this variable or into its heap content */
  pointers: Var[];
  /** for pointer-holding values: the variable pointed to (undefined: region memory or nothing) */
  target?: Var;
  /** the pointer points into target's heap content (Box value, Vec element) */
  heap: boolean;
  /** for pointer-holding values: deepest scope index whose block the pointees must outlive */
  life: number;
  /** a lambda whose calls push to or append to its captured `target` */
  resizes?: boolean;
  /** for a list head: the outermost region block whose allocations it was stored into */
  sink?: number;
}

interface FnInfo { name: string; params: number; ret: 'i64' | 'opt' | 'void'; cost: number }
interface RegionInfo { name: string; scope: number; mult: number; allocs: number }
/** A generated expression: its text, whether its type is fixed without context, its precedence. */
interface E { t: string; typed: boolean; p: number }

const PREC = { atom: 100, unary: 90, mul: 70, add: 60, shift: 50, band: 40, bxor: 35, bor: 30, cmp: 20, and: 15, or: 10, none: 0 };
const BIN_PREC: Record<string, number> = {
  '*': PREC.mul, '/': PREC.mul, '%': PREC.mul, '+': PREC.add, '-': PREC.add, '<<': PREC.shift, '>>': PREC.shift,
  '&': PREC.band, '^': PREC.bxor, '|': PREC.bor,
};
/** Most allocations in one region block: with 4 KiB and objects of at most 40 bytes it never fills. */
const REGION_ALLOC_CAP = 32;
/** Longest a Vec may grow (bounds `while let` and `for ... v.len()` trip counts). */
const VEC_LEN_CAP = 24;
/** Highest cost multiplier (product of enclosing trip counts) for a loop body. */
const MULT_CAP = 256;

const STR_POOL = ['a', 'bc', 'zeta', 'x y', 'tab\\there', 'q\\"uote', 'back\\\\slash', '', 'line\\nbreak', 'end?'];

type Exit = 'exit' | 'fall';

// ---------------------------------------------------------------------------------

class ProgramGen {
  private readonly rng: Rng;
  private readonly o: Resolved;
  private readonly feats = new Set<string>();
  private readonly items: string[][] = [];
  private lines: string[] = [];
  private ind = 0;
  private readonly fns: FnInfo[] = [];
  private readonly ptFields: number;
  private resIds = 0;
  private uniq = 0;

  // per-function state
  private scopes: Var[][] = [];
  private depth = 0;
  private loopDepth = 0;
  private mult = 1;
  private fnRet: 'i64' | 'opt' | 'void' | 'main' = 'main';
  private cost = 0;
  private budget = 0;
  private nextVarId = 0;
  private readonly log: { v: Var; f: 'deleted' | 'dead'; old: boolean }[] = [];
  private regions: RegionInfo[] = [];
  /** inside a lambda body: only variables from this id on are visible (or scalars, when capturing) */
  private lambdaFloor: number | null = null;
  private lambdaCaptures = false;
  /** the one non-scalar variable the lambda being written may capture (heapCaptures) */
  private lambdaHeap: Var | null = null;
  /** writing the body of a spawned lambda */
  private inThread = false;
  /** >0: no block may end in an exit (keeps code after an `if` reachable, see ifStmt) */
  private noExit = 0;

  constructor(seed: number, opts: GenOptions) {
    this.rng = new Rng(seed);
    this.o = { ...DEFAULT_OPTIONS, ...opts };
    if (!this.o.drops) this.o.deletes = false;
    this.ptFields = this.rng.int(2, 4);
  }

  // ---- output ---------------------------------------------------------------------

  private emit(line: string): void {
    this.lines.push('    '.repeat(this.ind) + line);
  }

  private feat(name: string): void {
    this.feats.add(name);
  }

  private fresh(prefix: string): string {
    return `${prefix}${this.uniq++}`;
  }

  // ---- environment ----------------------------------------------------------------

  private declare(kind: Kind, mut: boolean, extra: Partial<Var> = {}): Var {
    const v: Var = {
      name: this.fresh(NAME_PREFIX[kind]), kind, mut, id: this.nextVarId++, scope: this.scopes.length - 1,
      loop: this.loopDepth, declMult: this.mult, deleted: false, dead: false, gone: false, reserved: false,
      frozen: 0, arrLen: 0, maxLen: 0, pointers: [], heap: false, life: 0, ...extra,
    };
    this.scopes[this.scopes.length - 1].push(v);
    return v;
  }

  private pointTo(p: Var, target: Var | undefined, heap: boolean): void {
    p.target = target;
    p.heap = heap;
    if (target) target.pointers.push(p);
  }

  private usable(v: Var): boolean {
    if (v.gone || v.deleted || v.dead) return false;
    if (v.target && v.target.deleted) return false;
    if (this.lambdaFloor !== null && v.id < this.lambdaFloor) return this.lambdaCaptures && (SCALAR.has(v.kind) || v === this.lambdaHeap);
    return true;
  }

  private vars(pred: (v: Var) => boolean): Var[] {
    const out: Var[] = [];
    for (const scope of this.scopes) for (const v of scope) if (this.usable(v) && pred(v)) out.push(v);
    return out;
  }

  private pickVar(pred: (v: Var) => boolean): Var | undefined {
    const vs = this.vars(pred);
    return vs.length ? this.rng.pick(vs) : undefined;
  }

  private of(...kinds: Kind[]): (v: Var) => boolean {
    return (v) => kinds.includes(v.kind);
  }

  private writable(v: Var): boolean {
    // a thread's copies of outer variables are read-only (E0040)
    if (this.inThread && this.lambdaFloor !== null && v.id < this.lambdaFloor) return false;
    return v.mut && !v.reserved;
  }

  private setFlag(v: Var, f: 'deleted' | 'dead', value: boolean): void {
    if (v[f] === value) return;
    this.log.push({ v, f, old: v[f] });
    v[f] = value;
  }

  /** Pointers into (heap) or at (all) `v` that a change to `v` would invalidate. */
  private livePointers(v: Var, heapOnly: boolean): Var[] {
    return v.pointers.filter((p) => !p.gone && !p.dead && (!heapOnly || p.heap) && p.target === v);
  }

  /** Can `v` be resized / reassigned / deleted here? Not if a pointer from outside this loop may still be used. */
  private canChange(v: Var, heapOnly: boolean): boolean {
    return this.livePointers(v, heapOnly).every((p) => p.loop >= this.loopDepth);
  }

  private invalidate(v: Var, heapOnly: boolean): void {
    for (const p of this.livePointers(v, heapOnly)) this.setFlag(p, 'dead', true);
  }

  /** Runs one arm of a branch and undoes its flag changes, returning their final values. */
  private arm(body: () => void): Map<Var, { deleted: boolean; dead: boolean }> {
    const mark = this.log.length;
    body();
    const finals = new Map<Var, { deleted: boolean; dead: boolean }>();
    for (let i = mark; i < this.log.length; i++) finals.set(this.log[i].v, { deleted: false, dead: false });
    for (const [v, f] of finals) { f.deleted = v.deleted; f.dead = v.dead; }
    for (let i = this.log.length - 1; i >= mark; i--) {
      const e = this.log[i];
      e.v[e.f] = e.old;
    }
    this.log.length = mark;
    return finals;
  }

  /** After the arms: a flag is set when it is set on any arm (or before, when control may skip every arm). */
  private merge(arms: Map<Var, { deleted: boolean; dead: boolean }>[], mayFallThrough: boolean): void {
    const touched = new Set<Var>();
    for (const a of arms) for (const v of a.keys()) touched.add(v);
    for (const v of touched) {
      let deleted = mayFallThrough && v.deleted;
      let dead = mayFallThrough && v.dead;
      for (const a of arms) {
        const f = a.get(v) ?? { deleted: v.deleted, dead: v.dead };
        deleted ||= f.deleted;
        dead ||= f.dead;
      }
      this.setFlag(v, 'deleted', deleted);
      this.setFlag(v, 'dead', dead);
    }
  }

  private openScope(): void {
    this.scopes.push([]);
    this.depth++;
    this.ind++;
  }

  private closeScope(): void {
    for (const v of this.scopes.pop()!) v.gone = true;
    this.depth--;
    this.ind--;
  }

  /** `header {` body `}` with a new scope; returns whether the body ended with an exit. */
  private block(header: string, body: () => Exit): Exit {
    this.emit(header ? `${header} {` : '{');
    this.openScope();
    const r = body();
    this.closeScope();
    this.emit('}');
    return r;
  }

  private canNest(): boolean {
    return this.depth < this.o.depth;
  }

  private affordable(extra: number): boolean {
    return this.cost + extra <= this.budget;
  }

  // ---- expressions ----------------------------------------------------------------

  private wrap(e: E, min: number): string {
    return e.p >= min ? e.t : `(${e.t})`;
  }

  /** An integer literal; without `anchored` (a context that fixes the type) it gets a suffix. */
  private lit(ty: IntTy, anchored: boolean, small = false): E {
    const r = this.rng.float();
    let text: string;
    let value = 0;
    if (small || r < 0.7) value = this.rng.int(0, 20);
    else if (r < 0.9) value = this.rng.int(0, LIT_MAX[ty]);
    if (!small && r >= 0.9) {
      text = this.rng.pick(LIT_EDGE[ty]);
    } else {
      const f = this.rng.float();
      if (f < 0.08) text = `0x${value.toString(16)}`;
      else if (f < 0.12) text = `0b${value.toString(2)}`;
      else if (f < 0.16 && value >= 100) text = `${Math.floor(value / 100)}_${String(value % 100).padStart(2, '0')}`;
      else text = String(value);
    }
    if (!anchored) text += ty;
    if (!small && !unsigned(ty) && this.rng.chance(0.15) && text !== '0') return { t: `-${text}`, typed: !anchored, p: PREC.unary };
    return { t: text, typed: !anchored, p: PREC.atom };
  }

  private int(ty: IntTy, d: number, anchored: boolean): E {
    if (d <= 0 || this.rng.chance(0.3)) return this.intAtom(ty, anchored, d);
    const k = this.rng.weighted<string>([[6, 'bin'], [1, 'unary'], [1, 'shift'], [1, 'divmod'], [0.7, 'if'], [0.5, 'minmax'], [0.6, 'cast']]);
    switch (k) {
      case 'bin': {
        const op = this.rng.pick(['+', '-', '*', '+', '-', '*', '&', '|', '^']);
        const prec = BIN_PREC[op];
        const l = this.int(ty, d - 1, anchored);
        const r = this.int(ty, d - 1, anchored || l.typed);
        return { t: `${this.wrap(l, prec)} ${op} ${this.wrap(r, prec + 1)}`, typed: l.typed || r.typed, p: prec };
      }
      case 'unary': {
        const op = unsigned(ty) || this.rng.chance(0.4) ? '~' : '-';
        const e = this.int(ty, d - 1, anchored);
        const inner = e.p >= PREC.unary && !e.t.startsWith('-') && !e.t.startsWith('~') ? e.t : `(${e.t})`;
        return { t: `${op}${inner}`, typed: e.typed, p: PREC.unary };
      }
      case 'shift': {
        this.feat('shift');
        const op = this.rng.pick(['<<', '>>']);
        const l = this.int(ty, d - 1, anchored);
        // the amount may be any integer type; it is taken modulo the bit width
        const amount = this.rng.chance(0.6) ? this.lit(this.rng.pick(this.intTys()), this.rng.chance(0.5), true)
          : this.int(this.rng.pick(this.intTys()), d - 1, false);
        return { t: `${this.wrap(l, PREC.shift)} ${op} ${this.wrap(amount, PREC.shift + 1)}`, typed: l.typed, p: PREC.shift };
      }
      case 'divmod': {
        this.feat('div-mod');
        const op = this.rng.pick(['/', '%']);
        const l = this.int(ty, d - 1, anchored);
        const divisor = `${this.rng.int(1, 9)}${l.typed || anchored ? '' : ty}`;
        return { t: `${this.wrap(l, PREC.mul)} ${op} ${divisor}`, typed: l.typed, p: PREC.mul };
      }
      case 'if': {
        this.feat('if-expr');
        const c = this.bool(d - 1);
        const a = this.int(ty, d - 1, anchored);
        const b = this.int(ty, d - 1, anchored);
        return { t: `(if ${c.t} { ${a.t} } else { ${b.t} })`, typed: a.typed && b.typed, p: PREC.atom };
      }
      case 'minmax': {
        this.feat('min-max');
        const a = this.int(ty, d - 1, false);
        const b = this.int(ty, d - 1, false);
        return { t: `${this.rng.pick(['min', 'max'])}(${a.t}, ${b.t})`, typed: true, p: PREC.atom };
      }
      default: {
        // a cast from another integer type or from bool
        this.feat('cast');
        if (this.o.numerics && this.rng.chance(0.2)) {
          // float to int saturates (NaN gives 0)
          this.feat('float-cast');
          const f = this.flt(this.rng.pick<FloatTy>(['f64', 'f32']), d - 1, false);
          return { t: `(${this.wrap(f, PREC.unary)} as ${ty})`, typed: true, p: PREC.atom };
        }
        if (this.rng.chance(0.25)) return { t: `(${this.wrap(this.bool(d - 1), PREC.unary)} as ${ty})`, typed: true, p: PREC.atom };
        const from = this.rng.pick(this.intTys());
        const e = this.int(from, d - 1, false);
        return { t: `(${this.wrap(e, PREC.unary)} as ${ty})`, typed: true, p: PREC.atom };
      }
    }
  }

  private intAtom(ty: IntTy, anchored: boolean, d: number): E {
    const choices: [number, () => E | null][] = [[3, () => this.lit(ty, anchored)]];
    const v = (name: string): E => ({ t: name, typed: true, p: PREC.atom });
    const sameTy = this.vars(this.of(ty));
    if (sameTy.length) choices.push([6, () => v(this.rng.pick(sameTy).name)]);
    if (ty !== 'i64') {
      choices.push([2, () => {
        this.feat('cast');
        return { t: `(${this.wrap(this.intAtom('i64', false, d - 1), PREC.unary)} as ${ty})`, typed: true, p: PREC.atom };
      }]);
      return this.rng.weighted(choices)() ?? this.lit(ty, anchored);
    }
    const others = this.vars(this.o.numerics ? (x) => SCALAR.has(x.kind) && x.kind !== 'i64' : this.of('i32', 'u8', 'bool'));
    if (others.length) choices.push([1.5, () => { this.feat('cast'); return v(`(${this.rng.pick(others).name} as i64)`); }]);
    const ptrs = this.vars(this.of('PI', 'PMI'));
    if (ptrs.length) choices.push([2, () => ({ t: `*${this.rng.pick(ptrs).name}`, typed: true, p: PREC.unary })]);
    const boxes = this.vars(this.of('Box'));
    if (boxes.length) choices.push([1.5, () => ({ t: `*${this.rng.pick(boxes).name}`, typed: true, p: PREC.unary })]);
    const pts = this.vars(this.of('Pt', 'BoxPt', 'PPt', 'PMPt'));
    if (pts.length) choices.push([2, () => {
      const p = this.rng.pick(pts);
      if (this.rng.chance(0.3)) { this.feat('method'); return v(`${p.name}.sum()`); }
      if (p.kind === 'BoxPt' && this.rng.chance(0.3)) return v(`(*${p.name}).f${this.rng.int(0, this.ptFields - 1)}`);
      return v(`${p.name}.f${this.rng.int(0, this.ptFields - 1)}`);
    }]);
    const res = this.vars(this.of('Res', 'PRes'));
    if (res.length) choices.push([1.5, () => {
      const r = this.rng.pick(res);
      if (r.kind === 'Res' && this.o.pointers && this.rng.chance(0.2)) {
        this.feat('pointer-param');
        return v(`res_id(*${r.name})`);
      }
      if (this.rng.chance(0.3)) { this.feat('method'); return v(`${r.name}.get()`); }
      return v(`${r.name}.id`);
    }]);
    const holders = this.vars(this.of('Holder'));
    if (holders.length) choices.push([1, () => {
      const h = this.rng.pick(holders).name;
      return this.rng.pick<E>([v(`${h}.total()`), v(`${h}.items.len()`), v(`${h}.name.len()`), { t: `*${h}.boxed`, typed: true, p: PREC.unary }]);
    }]);
    const pairs = this.vars(this.of('Pair'));
    if (pairs.length) choices.push([1, () => {
      const p = this.rng.pick(pairs).name;
      return this.rng.pick<E>([v(`${p}.total()`), v(`${p}.a.id`), v(`${p}.s.len()`), v(`${p}.v.len()`)]);
    }]);
    const lens = this.vars(this.of('Vec', 'VecRes', 'String', 'VecStr'));
    if (lens.length) choices.push([1.5, () => v(`${this.rng.pick(lens).name}.len()`)]);
    const opts = this.vars(this.of('Opt'));
    if (opts.length && d > 0) choices.push([1.5, () => {
      this.feat('coalesce');
      return v(`(${this.rng.pick(opts).name} ?? ${this.int('i64', d - 1, true).t})`);
    }]);
    const arrs = this.vars(this.of('Arr'));
    if (arrs.length && d > 0) choices.push([1.5, () => {
      const a = this.rng.pick(arrs);
      const ix = this.int('i64', d - 1, false);
      return v(`${a.name}[${this.wrap(ix, PREC.band + 1)} & ${a.arrLen - 1}]`);
    }]);
    const links = this.vars(this.of('PMLink'));
    if (links.length) choices.push([1, () => v(`${this.rng.pick(links).name}.v`)]);
    const lams = this.vars((x) => x.kind === 'Fn' && this.canCallLambda(x));
    if (lams.length && d > 0 && this.lambdaFloor === null) choices.push([2, () => {
      const f = this.rng.pick(lams);
      this.noteLambdaCall(f);
      if (this.rng.chance(0.4)) { this.feat('lambda-arg'); return v(`apply(${f.name}, ${this.int('i64', d - 1, true).t})`); }
      return v(`${f.name}(${this.int('i64', d - 1, true).t})`);
    }]);
    if (this.o.lambdas && d > 0 && this.lambdaFloor === null) choices.push([0.7, () => this.inlineLambdaArg(d)]);
    if (this.lambdaFloor === null && d > 0) {
      const callable = this.fns.filter((f) => f.ret !== 'void' && this.affordable(this.mult * f.cost));
      if (callable.length) choices.push([3, () => this.callFn(this.rng.pick(callable), d)]);
      if (this.o.drops && this.affordable(this.mult * (VEC_LEN_CAP + 2))) {
        const vecs = this.vars(this.of('Vec'));
        if (vecs.length) choices.push([0.7, () => { this.feat('heap-param'); return v(`vsum(${this.rng.pick(vecs).name})`); }]);
      }
    }
    return this.rng.weighted(choices)() ?? this.lit(ty, anchored);
  }

  /** The integer types in use. */
  private intTys(): readonly IntTy[] {
    return this.o.numerics ? ALL_INTS : BASE_INTS;
  }

  /** Weights of the scalar types for a new value: mostly i64 (`main` weight), floats only with `numerics`. */
  private intWeights(main: number): [number, IntTy | FloatTy][] {
    const w: [number, IntTy | FloatTy][] = [[main, 'i64'], [1, 'i32'], [1, 'u8']];
    if (this.o.numerics) w.push([1, 'i8'], [1, 'i16'], [1, 'u16'], [1, 'u32'], [1, 'u64'], [2, 'f64'], [1, 'f32']);
    return w;
  }

  private fltLit(ty: FloatTy, anchored: boolean): E {
    const text = this.rng.pick(ty === 'f64' ? F64_POOL : F32_POOL) + (anchored ? '' : ty);
    if (this.rng.chance(0.15)) return { t: `-${text}`, typed: !anchored, p: PREC.unary };
    return { t: text, typed: !anchored, p: PREC.atom };
  }

  /** A float expression (numerics): IEEE arithmetic, so NaN and infinities may appear. */
  private flt(ty: FloatTy, d: number, anchored: boolean): E {
    this.feat('float');
    if (ty === 'f32') this.feat('f32');
    if (d <= 0 || this.rng.chance(0.3)) return this.fltAtom(ty, anchored);
    const k = this.rng.weighted<string>([[6, 'bin'], [1, 'neg'], [1.5, 'div'], [1.5, 'math'], [0.7, 'if'], [1.5, 'cast']]);
    switch (k) {
      case 'bin': {
        const op = this.rng.pick(['+', '-', '*']);
        const prec = BIN_PREC[op];
        const l = this.flt(ty, d - 1, anchored);
        const r = this.flt(ty, d - 1, anchored || l.typed);
        return { t: `${this.wrap(l, prec)} ${op} ${this.wrap(r, prec + 1)}`, typed: l.typed || r.typed, p: prec };
      }
      case 'neg': {
        const e = this.flt(ty, d - 1, anchored);
        return { t: `-${e.p >= PREC.unary && !e.t.startsWith('-') ? e.t : `(${e.t})`}`, typed: e.typed, p: PREC.unary };
      }
      case 'div': {
        const l = this.flt(ty, d - 1, anchored);
        const divisor = `${this.rng.pick(F_DIVISORS)}${l.typed || anchored ? '' : ty}`;
        return { t: `${this.wrap(l, PREC.mul)} / ${divisor}`, typed: l.typed, p: PREC.mul };
      }
      case 'math': {
        this.feat('float-math');
        const e = this.flt(ty, d - 1, false);
        return { t: `${this.rng.pick(['sqrt', 'floor', 'ceil', 'abs'])}(${e.t})`, typed: true, p: PREC.atom };
      }
      case 'if': {
        const c = this.bool(d - 1);
        const a = this.flt(ty, d - 1, anchored);
        const b = this.flt(ty, d - 1, anchored);
        return { t: `(if ${c.t} { ${a.t} } else { ${b.t} })`, typed: a.typed && b.typed, p: PREC.atom };
      }
      default: {
        this.feat('float-cast');
        const e = this.rng.chance(0.7) ? this.int(this.rng.pick(ALL_INTS), d - 1, false)
          : this.flt(ty === 'f64' ? 'f32' : 'f64', d - 1, false);
        return { t: `(${this.wrap(e, PREC.unary)} as ${ty})`, typed: true, p: PREC.atom };
      }
    }
  }

  private fltAtom(ty: FloatTy, anchored: boolean): E {
    const choices: [number, () => E][] = [[3, () => this.fltLit(ty, anchored)]];
    const same = this.vars(this.of(ty));
    if (same.length) choices.push([5, () => ({ t: this.rng.pick(same).name, typed: true, p: PREC.atom })]);
    const other = this.vars((v) => SCALAR.has(v.kind) && v.kind !== ty && v.kind !== 'bool');
    if (other.length) choices.push([2, () => {
      this.feat('float-cast');
      return { t: `(${this.rng.pick(other).name} as ${ty})`, typed: true, p: PREC.atom };
    }]);
    return this.rng.weighted(choices)();
  }

  /** `x: f64 := e;` (numerics) */
  private letFloat(ty: FloatTy, mut: boolean): boolean {
    this.feat('float');
    const annotate = ty === 'f32' || this.rng.chance(0.4);
    const init = this.flt(ty, this.ex(), annotate).t;
    const v = this.declare(ty, mut);
    this.emit(`${mut ? 'mut ' : ''}${v.name}${annotate ? ': ' + ty : ''} := ${init};`);
    return true;
  }

  /** A call to a generated function; an Option result is unwrapped with `??`. */
  private callFn(f: FnInfo, d: number): E {
    this.cost += this.mult * f.cost;
    const args: string[] = [];
    for (let i = 0; i < f.params; i++) args.push(this.int('i64', d - 1, true).t);
    const call = `${f.name}(${args.join(', ')})`;
    if (f.ret === 'opt') {
      this.feat('coalesce');
      return { t: `(${call} ?? ${this.int('i64', d - 1, true).t})`, typed: true, p: PREC.atom };
    }
    return { t: call, typed: true, p: PREC.atom };
  }

  private bool(d: number): E {
    const atom = d <= 0 || this.rng.chance(0.3);
    const k = atom
      ? this.rng.weighted<string>([[1, 'lit'], [3, 'var'], [3, 'cmp'], [1, 'opt'], [0.7, 'streq']])
      : this.rng.weighted<string>([[4, 'cmp'], [2, 'and'], [1, 'not'], [1, 'var']]);
    switch (k) {
      case 'var': {
        const b = this.pickVar(this.of('bool'));
        if (b) return { t: b.name, typed: true, p: PREC.atom };
        break;
      }
      case 'opt': {
        const o = this.pickVar(this.of('Opt'));
        if (o) return { t: `${o.name}.${this.rng.pick(['is_some', 'is_none'])}()`, typed: true, p: PREC.atom };
        break;
      }
      case 'streq': {
        const ss = this.vars(this.of('String'));
        if (ss.length) {
          const a = this.rng.pick(ss).name;
          const b = this.rng.chance(0.5) ? this.rng.pick(ss).name : `String::from("${this.rng.pick(STR_POOL)}")`;
          return { t: `${a} ${this.rng.pick(['==', '!='])} ${b}`, typed: true, p: PREC.cmp };
        }
        break;
      }
      case 'and': {
        const op = this.rng.pick(['&&', '||']);
        const prec = op === '&&' ? PREC.and : PREC.or;
        const l = this.bool(d - 1);
        const r = this.bool(d - 1);
        return { t: `${this.wrap(l, prec)} ${op} ${this.wrap(r, prec + 1)}`, typed: true, p: prec };
      }
      case 'not': {
        const e = this.bool(d - 1);
        return { t: `!${e.p >= PREC.unary ? e.t : `(${e.t})`}`, typed: true, p: PREC.unary };
      }
      case 'lit':
        return { t: this.rng.pick(['true', 'false']), typed: true, p: PREC.atom };
      default:
        break;
    }
    const ty = this.rng.weighted<IntTy | FloatTy>(this.intWeights(6));
    if (ty === 'f64' || ty === 'f32') {
      // NaN compares unequal to everything, itself included
      this.feat('float-compare');
      const l = this.flt(ty, Math.max(0, d - 1), false);
      const r = this.flt(ty, Math.max(0, d - 1), true);
      const op = this.rng.pick(['<', '<=', '>', '>=', '==', '!=']);
      return { t: `${this.wrap(l, PREC.cmp + 1)} ${op} ${this.wrap(r, PREC.cmp + 1)}`, typed: true, p: PREC.cmp };
    }
    const l = this.int(ty, Math.max(0, d - 1), false);
    const r = this.int(ty, Math.max(0, d - 1), true);
    const op = this.rng.pick(['<', '<=', '>', '>=', '==', '!=']);
    return { t: `${this.wrap(l, PREC.cmp + 1)} ${op} ${this.wrap(r, PREC.cmp + 1)}`, typed: true, p: PREC.cmp };
  }

  private ex(): number {
    return this.rng.int(1, this.o.exprDepth);
  }

  /** The value of an i64 `return`: a lambda's result type comes from it, so there no bare literal. */
  private retValue(): string {
    return this.inThread ? this.int('i64', this.ex(), false).t : this.i64();
  }

  /** An i64 expression for a context that expects i64 (bare literals allowed). */
  private i64(anchored = true): string {
    return this.int('i64', this.ex(), anchored).t;
  }

  private strLit(): string {
    return `"${this.rng.pick(STR_POOL)}"`;
  }

  private ptLit(): string {
    const fields = Array.from({ length: this.ptFields }, (_, i) => `f${i}: ${this.i64()}`);
    this.rng.shuffle(fields);
    return `Pt { ${fields.join(', ')}${this.rng.chance(0.2) ? ',' : ''} }`;
  }

  private resLit(): string {
    const id = ++this.resIds;
    if (this.rng.chance(0.5)) return `Res { id: ${id} }`;
    this.feat('static-method');
    return `Res::make(${id})`;
  }

  private holderLit(): string {
    if (this.rng.chance(0.5)) { this.feat('static-method'); return `Holder::make(${this.strLit()}, ${this.i64()})`; }
    return `Holder { name: String::from(${this.strLit()}), items: Vec<i64>::new(), boxed: Box::new(${this.i64(false)}) }`;
  }

  /** An expression building a fresh value of kind `k` (for lets and reassignments), with its maxLen. */
  private valueOf(k: Kind, source?: Var): { t: string; maxLen: number } {
    const copy = (): { t: string; maxLen: number } | null => {
      const from = NO_COPY.has(k) ? undefined : this.pickVar((v) => v.kind === k && v !== source);
      if (!from || !this.rng.chance(0.3)) return null;
      if (DELETABLE.has(k)) this.feat('deep-copy');
      return { t: from.name, maxLen: from.maxLen };
    };
    switch (k) {
      case 'String': {
        const c = copy();
        if (c) return c;
        const t = this.pickVar(this.of('str'));
        return { t: `String::from(${t && this.rng.chance(0.3) ? t.name : this.strLit()})`, maxLen: 0 };
      }
      case 'Vec': {
        const c = copy();
        if (c) return c;
        const r = this.rng.int(0, 2);
        if (r === 0) return { t: 'Vec<i64>::new()', maxLen: 0 };
        if (r === 1) return { t: `Vec<i64>::with_capacity(${this.rng.int(0, 8)})`, maxLen: 0 };
        const n = this.rng.int(0, 5);
        return { t: `Vec::filled(${n}, ${this.int('i64', this.ex(), false).t})`, maxLen: n };
      }
      case 'Box': return copy() ?? { t: `Box::new(${this.int('i64', this.ex(), false).t})`, maxLen: 0 };
      case 'BoxPt': return copy() ?? { t: `Box::new(${this.rng.chance(0.5) ? this.ptLit() : 'Pt::make(' + this.i64() + ')'})`, maxLen: 0 };
      case 'Holder': return copy() ?? { t: this.holderLit(), maxLen: 0 };
      case 'Pt': {
        const c = copy();
        if (c) return c;
        if (this.rng.chance(0.3)) { this.feat('static-method'); return { t: `Pt::make(${this.i64()})`, maxLen: 0 }; }
        return { t: this.ptLit(), maxLen: 0 };
      }
      case 'Pair': {
        if (this.rng.chance(0.5)) { this.feat('return-heap'); return { t: `make_pair(${++this.resIds})`, maxLen: 0 }; }
        const fields = [`a: ${this.resLit()}`, `s: String::from(${this.strLit()})`, `v: Vec<i64>::new()`];
        return { t: `Pair { ${this.rng.shuffle(fields).join(', ')} }`, maxLen: 0 };
      }
      case 'OptStr': {
        const c = copy();
        if (c) return c;
        const r = this.rng.int(0, 2);
        if (r === 0) return { t: 'None', maxLen: 0 };
        if (r === 1) { this.feat('return-heap'); return { t: `Some(make_str(${this.i64()}))`, maxLen: 0 }; }
        return { t: `Some(String::from(${this.strLit()}))`, maxLen: 0 };
      }
      case 'OptRes': {
        const r = this.rng.int(0, 2);
        if (r === 0) return { t: 'None', maxLen: 0 };
        if (r === 1) { this.feat('return-heap'); return { t: `Some(make_res(${++this.resIds}))`, maxLen: 0 }; }
        return { t: `Some(${this.resLit()})`, maxLen: 0 };
      }
      case 'VecStr': return copy() ?? { t: 'Vec<String>::new()', maxLen: 0 };
      default: throw new Error(`valueOf: ${k}`);
    }
  }

  // ---- statements -----------------------------------------------------------------

  /** Statements until the block's budget runs out; returns 'exit' when it ends in return/break/continue. */
  private stmts(max: number, min = 1): Exit {
    const n = this.rng.int(Math.min(min, max), Math.max(1, max));
    for (let i = 0; i < n; i++) {
      if (!this.affordable(this.mult)) break;
      if (this.stmt() === 'exit') return 'exit';
    }
    return 'fall';
  }

  private stmt(): Exit {
    this.cost += this.mult;
    const o = this.o;
    const nest = this.canNest();
    const table: [number, () => Exit | boolean][] = [
      [5, () => this.letScalar()],
      [4, () => this.assignScalar()],
      [4, () => this.printStmt()],
      [nest ? 3 : 0, () => this.ifStmt()],
      [nest ? 3 : 0, () => this.loopStmt()],
      [nest ? 0.7 : 0, () => this.nestedBlock()],
      [o.earlyExits && this.depth > 0 && this.noExit === 0 ? 0.8 : 0, () => this.exitStmt()],
      [o.earlyExits && nest && this.noExit === 0 ? 1 : 0, () => this.exitIf()],
      [2, () => this.optionStmt()],
      [1.5, () => this.classStmt()],
      [0.7, () => this.arrayStmt()],
      [o.drops ? 4 : 0, () => this.heapLet()],
      [o.drops ? 4 : 0, () => this.heapStmt()],
      [o.drops ? 2 : 0, () => this.resStmt()],
      [o.ownership && o.drops ? 3 : 0, () => this.ownershipStmt()],
      [o.pointers ? 3 : 0, () => this.pointerStmt()],
      [o.regions && nest ? 1 : 0, () => this.regionBlock()],
      [this.regions.length ? 4 : 0, () => this.regionStmt()],
      [o.deletes ? 2.5 : 0, () => this.deleteStmt()],
      [1, () => this.callStmt()],
      [o.lambdas ? 1.5 : 0, () => this.lambdaLet()],
      [o.threads && nest && this.lambdaFloor === null ? 1 : 0, () => this.threadStmt()],
      [o.pointerClasses && o.pointers ? 2 : 0, () => this.pointerClassStmt()],
    ];
    for (let attempt = 0; attempt < 12; attempt++) {
      const r = this.rng.weighted(table)();
      if (r === 'exit') return 'exit';
      if (r === true || r === 'fall') return 'fall';
    }
    this.emit(`println(${this.int('i64', 1, false).t});`);
    return 'fall';
  }

  private letScalar(): boolean {
    const r = this.rng.float();
    const mut = this.rng.chance(0.5);
    const m = mut ? 'mut ' : '';
    if (r < 0.62) {
      const ty = this.rng.weighted<IntTy | FloatTy>(this.intWeights(8));
      if (ty === 'f64' || ty === 'f32') return this.letFloat(ty, mut);
      if (ty === 'i32' || ty === 'u8') this.feat(ty);
      else if (ty !== 'i64') this.feat(unsigned(ty) ? 'unsigned' : 'wide-int');
      const annotate = ty !== 'i64' || this.rng.chance(0.4);
      const init = this.intInit(ty, annotate);
      if (init === null) return false;
      const v = this.declare(ty, mut);
      this.emit(`${m}${v.name}${annotate ? ': ' + ty : ''} := ${init};`);
      return true;
    }
    if (r < 0.85) {
      this.feat('bool');
      const init = this.bool(this.ex()).t;
      const v = this.declare('bool', mut);
      this.emit(`${m}${v.name}${this.rng.chance(0.3) ? ': bool' : ''} := ${init};`);
      return true;
    }
    this.feat('str');
    const v = this.declare('str', false);
    this.emit(`${v.name}${this.rng.chance(0.3) ? ': str' : ''} := ${this.strLit()};`);
    return true;
  }

  /** The initializer of an integer `let`: an expression, an if-expression, a block or a `??`. */
  private intInit(ty: IntTy, anchored: boolean): string | null {
    const r = this.rng.float();
    if (ty === 'i64' && r < 0.12) {
      this.feat('if-expr');
      const c = this.bool(this.ex()).t;
      const a = this.int(ty, this.ex(), anchored).t;
      if (this.rng.chance(0.3)) {
        this.feat('else-if');
        return `if ${c} { ${a} } else if ${this.bool(1).t} { ${this.int(ty, 1, anchored).t} } else { ${this.int(ty, 1, anchored).t} }`;
      }
      return `if ${c} { ${a} } else { ${this.int(ty, this.ex(), anchored).t} }`;
    }
    if (ty === 'i64' && r < 0.2) {
      // a block expression with its own local
      this.feat('block-expr');
      const inner = this.int('i64', this.ex(), false).t;
      this.scopes.push([]);
      const t = this.declare('i64', false);
      const tail = this.int('i64', this.ex(), anchored).t;
      for (const v of this.scopes.pop()!) v.gone = true;
      return `{ ${t.name} := ${inner}; ${t.name} + ${tail} }`;
    }
    if (ty === 'i64' && r < 0.32) {
      // `??` with a default, or a diverging right operand
      const fOpt = this.fns.filter((f) => f.ret === 'opt' && this.affordable(this.mult * f.cost));
      const optVars = this.vars(this.of('Opt'));
      let left: string | null = null;
      if (fOpt.length && this.rng.chance(0.6)) {
        const f = this.rng.pick(fOpt);
        this.cost += this.mult * f.cost;
        left = `${f.name}(${Array.from({ length: f.params }, () => this.i64()).join(', ')})`;
      } else if (optVars.length) left = this.rng.pick(optVars).name;
      else if (this.o.drops) {
        const v = this.pickVar((x) => x.kind === 'Vec' && this.writable(x) && !x.frozen && this.canChange(x, true));
        if (v) { this.invalidate(v, true); left = `${v.name}.pop()`; }
      }
      if (left === null) return null;
      this.feat('coalesce');
      return `${left} ?? ${this.coalesceRight(anchored)}`;
    }
    return this.int(ty, this.ex(), anchored).t;
  }

  /** The right operand of `??` in a let: a default, or (sometimes) return / break / continue. */
  private coalesceRight(anchored: boolean): string {
    if (this.o.earlyExits && this.rng.chance(0.35)) {
      if (this.loopDepth > 0 && this.rng.chance(0.5)) {
        this.feat('question-break');
        return this.rng.pick(['break', 'continue']);
      }
      if (this.fnRet !== 'main') {
        this.feat('question-return');
        return this.fnRet === 'opt' ? 'return None' : this.fnRet === 'void' ? 'return' : `return ${this.retValue()}`;
      }
    }
    return this.int('i64', this.ex(), true).t;
  }

  private assignScalar(): boolean {
    const v = this.pickVar((x) => SCALAR.has(x.kind) && this.writable(x));
    if (!v) return false;
    if (v.kind === 'bool') {
      this.emit(`${v.name} = ${this.bool(this.ex()).t};`);
      return true;
    }
    if (v.kind === 'f64' || v.kind === 'f32') {
      const op = this.rng.pick(['=', '=', '+=', '-=', '*=', '/=']);
      if (op === '/=') this.emit(`${v.name} /= ${this.rng.pick(F_DIVISORS)};`);
      else this.emit(`${v.name} ${op} ${this.flt(v.kind, this.ex(), true).t};`);
      return true;
    }
    const ty = v.kind as IntTy;
    if (this.rng.chance(0.4)) {
      this.feat('compound-assign');
      const op = this.rng.pick(['+=', '-=', '*=', '&=', '|=', '^=', '<<=', '>>=', '/=', '%=']);
      if (op === '/=' || op === '%=') { this.feat('div-mod'); this.emit(`${v.name} ${op} ${this.rng.int(1, 9)};`); return true; }
      if (op === '<<=' || op === '>>=') { this.feat('shift'); this.emit(`${v.name} ${op} ${this.rng.int(0, 70)};`); return true; }
      this.emit(`${v.name} ${op} ${this.int(ty, this.ex(), true).t};`);
      return true;
    }
    this.emit(`${v.name} = ${this.int(ty, this.ex(), true).t};`);
    return true;
  }

  private printStmt(): boolean {
    const fn = this.rng.chance(0.8) ? 'println' : 'print';
    const r = this.rng.float();
    let arg: string;
    if (r < 0.5) {
      const ty = this.rng.weighted<IntTy | FloatTy>(this.intWeights(6));
      if (ty === 'f64' || ty === 'f32') {
        this.feat('float');
        const e = this.flt(ty, this.ex(), false).t;
        if (ty === 'f64' && this.rng.chance(0.3)) {
          this.feat('print-fixed');
          this.emit(`print_fixed(${e}, ${this.rng.int(0, 9)});`);
          this.emit('println("");');
          return true;
        }
        arg = e;
      } else arg = this.int(ty, this.ex(), false).t;
    }
    else if (r < 0.7) arg = this.bool(this.ex()).t;
    else if (r < 0.8) arg = this.strLit();
    else {
      const s = this.pickVar(this.of('String', 'str', 'Holder'));
      if (!s) return false;
      arg = s.kind === 'Holder' ? `${s.name}.name` : s.name;
    }
    this.emit(`${fn}(${arg});`);
    if (fn === 'print') this.emit('println("");');
    return true;
  }

  private ifStmt(): Exit {
    const arms: Map<Var, { deleted: boolean; dead: boolean }>[] = [];
    let allExit = true;
    this.emit(`if ${this.bool(this.ex()).t} {`);
    const body = (): void => {
      this.openScope();
      if (this.stmts(this.o.stmts) !== 'exit') allExit = false;
      this.closeScope();
    };
    arms.push(this.arm(body));
    let hasElse = false;
    while (this.rng.chance(0.25)) {
      this.feat('else-if');
      this.emit(`} else if ${this.bool(this.ex()).t} {`);
      arms.push(this.arm(body));
    }
    if (this.rng.chance(0.5)) {
      this.feat('if-else');
      hasElse = true;
      this.emit('} else {');
      // if every other arm exits, this one must not: the code after the `if` stays reachable,
      // so no function depends on the compiler seeing that an if/else diverges
      arms.push(this.arm(() => (allExit ? this.withoutExits(body) : body())));
    }
    this.emit('}');
    this.merge(arms, !hasElse);
    return 'fall';
  }

  private nestedBlock(): Exit {
    this.feat('nested-block');
    // at a function's top level a block that ends in `return` would leave the rest unreachable
    if (this.depth === 0) return this.withoutExits(() => this.block('', () => this.stmts(this.o.stmts)));
    return this.block('', () => this.stmts(this.o.stmts));
  }

  /** Runs `body` where no statement may end its block with return/break/continue. */
  private withoutExits<T>(body: () => T): T {
    this.noExit++;
    try {
      return body();
    } finally {
      this.noExit--;
    }
  }

  /** A loop body at multiplier mult*trips; flag changes inside may or may not happen. */
  private loopBody(trips: number, setup: () => void, body: () => void = () => { this.stmts(this.o.stmts); }): void {
    const saved = this.mult;
    this.loopDepth++;
    this.mult = saved * Math.max(1, trips);
    const changes = this.arm(() => {
      this.openScope();
      setup();
      body();
      this.closeScope();
    });
    this.merge([changes], true);
    this.mult = saved;
    this.loopDepth--;
  }

  private loopStmt(): boolean {
    const trips = this.rng.int(0, this.o.loopIters);
    if (this.mult * Math.max(1, trips) > MULT_CAP || !this.affordable(this.mult * Math.max(1, trips) * 2)) return false;
    const kind = this.rng.weighted<string>([[3, 'while'], [1.5, 'loop'], [4, 'for'], [2.5, 'forlen'], [3, 'whilelet']]);
    if (kind === 'while' || kind === 'loop') {
      const w = this.declare('i64', true, { reserved: true });
      this.emit(`mut ${w.name}${this.rng.chance(0.5) ? ': i64 := 0' : ' := 0i64'};`);
      if (kind === 'while') {
        this.feat('while');
        this.emit(`while ${w.name} < ${trips} {`);
        this.loopBody(trips, () => this.emit(`${w.name} += 1;`));
      } else {
        this.feat('loop');
        this.emit('loop {');
        this.loopBody(trips, () => {
          this.emit(`${w.name} += 1;`);
          this.emit(`if ${w.name} > ${trips} { break; }`);
        });
      }
      this.emit('}');
      return true;
    }
    if (kind === 'for') {
      this.feat('for');
      const inclusive = this.rng.chance(0.3);
      if (inclusive) this.feat('for-inclusive');
      const base = this.pickVar((v) => v.kind === 'i64' && !v.mut);
      const n = inclusive ? Math.max(0, trips - 1) : trips;
      // (an inclusive range never starts at a variable: `x..=x + 0` with x = i64 max is a trap for no gain)
      const range = base && !inclusive && this.rng.chance(0.4) ? `${base.name}..${base.name} + ${n}`
        : this.rng.chance(0.5) ? `0..${inclusive ? '=' : ''}${n}i64` : `0i64..${inclusive ? '=' : ''}${n}`;
      const i = this.fresh('j');
      this.emit(`for ${i} in ${range} {`);
      this.loopBody(trips, () => this.declareNamed(i, 'i64'));
      this.emit('}');
      return true;
    }
    if (!this.o.drops) return false;
    if (kind === 'forlen') {
      const v = this.pickVar((x) => (x.kind === 'Vec' || x.kind === 'VecRes') && x.maxLen <= VEC_LEN_CAP);
      if (!v || !this.loopFits(v.maxLen)) return false;
      this.feat('for-len');
      const i = this.fresh('j');
      this.emit(`for ${i} in 0..${v.name}.len() {`);
      v.frozen++;
      this.loopBody(v.maxLen, () => {
        this.declareNamed(i, 'i64');
        this.feat('vec-index');
        if (v.kind === 'Vec') {
          if (this.writable(v) && this.rng.chance(0.4)) this.emit(`${v.name}[${i}] = ${v.name}[${i}] + ${this.i64()};`);
          else this.emit(`println(${v.name}[${i}]);`);
        } else this.emit(`println(${v.name}[${i}].${this.rng.pick(['id', 'get()'])});`);
      });
      v.frozen--;
      this.emit('}');
      return true;
    }
    // while let over a popping Vec: terminates because the body never grows it
    const v = this.pickVar((x) => (x.kind === 'Vec' || x.kind === 'VecRes') && this.writable(x) && !x.frozen
      && x.maxLen <= VEC_LEN_CAP && this.canChange(x, true));
    if (!v || !this.loopFits(v.maxLen)) return false;
    this.feat('while-let-pop');
    if (v.kind === 'VecRes') this.feat('drop-vec');
    this.invalidate(v, true);
    const x = this.fresh('x');
    this.emit(`while let Some(${x}) = ${v.name}.pop() {`);
    v.frozen++;
    this.loopBody(v.maxLen, () => {
      const b = this.declareNamed(x, v.kind === 'Vec' ? 'i64' : 'Res');
      b.reserved = true;
      this.emit(`println(${v.kind === 'Vec' ? x : x + '.id'});`);
    });
    v.frozen--;
    this.emit('}');
    return true;
  }

  private loopFits(trips: number): boolean {
    return this.mult * Math.max(1, trips) <= MULT_CAP && this.affordable(this.mult * Math.max(1, trips) * 2);
  }

  private declareNamed(name: string, kind: Kind): Var {
    const v = this.declare(kind, false, { reserved: true });
    v.name = name;
    return v;
  }

  private exitStmt(): Exit {
    if (this.loopDepth > 0 && this.rng.chance(0.6)) {
      const k = this.rng.pick(['break', 'continue']);
      this.feat(k);
      this.emit(`${k};`);
      return 'exit';
    }
    this.emitReturn();
    return 'exit';
  }

  private emitReturn(): void {
    switch (this.fnRet) {
      case 'main':
        this.feat('early-return-main');
        this.emit('println("end");');
        this.emit('return;');
        return;
      case 'void':
        this.feat('early-return-fn');
        this.emit('return;');
        return;
      case 'i64':
        this.feat('early-return-fn');
        this.emit(`return ${this.retValue()};`);
        return;
      case 'opt':
        this.feat('early-return-fn');
        this.emit(this.rng.chance(0.5) ? 'return None;' : `return Some(${this.i64()});`);
    }
  }

  /** `if c { ...; return/break/continue }` */
  private exitIf(): boolean {
    this.emit(`if ${this.bool(this.ex()).t} {`);
    const changes = this.arm(() => {
      this.openScope();
      if (this.noExit > 0 || !this.rng.chance(0.5) || this.stmts(2) !== 'exit') {
        if (this.noExit === 0) this.exitStmt();
        else this.emit(`println(${this.strLit()});`);
      }
      this.closeScope();
    });
    this.emit('}');
    this.merge([changes], true);
    return true;
  }

  private optionStmt(): boolean {
    const r = this.rng.float();
    const opts = this.vars(this.of('Opt'));
    if (r < 0.3 || opts.length === 0) {
      this.feat('option');
      const fOpt = this.fns.filter((f) => f.ret === 'opt' && this.affordable(this.mult * f.cost));
      let init: string;
      let annotate = this.rng.chance(0.5);
      const q = this.rng.float();
      if (q < 0.35 && fOpt.length) {
        const f = this.rng.pick(fOpt);
        this.cost += this.mult * f.cost;
        init = `${f.name}(${Array.from({ length: f.params }, () => this.i64()).join(', ')})`;
      } else if (q < 0.55) {
        init = 'None';
        annotate = true;
      } else init = `Some(${this.int('i64', this.ex(), annotate).t})`;
      const v = this.declare('Opt', this.rng.chance(0.6));
      this.emit(`${v.mut ? 'mut ' : ''}${v.name}${annotate ? ': Option<i64>' : ''} := ${init};`);
      return true;
    }
    const o = this.rng.pick(opts);
    if (r < 0.4 && this.loopDepth > 0 && this.o.earlyExits) {
      // leave the iteration or the loop when the Option is empty
      this.feat('question-break');
      const k = this.rng.pick(['break', 'continue']);
      const x = this.declare('i64', false);
      this.emit(`${x.name} := ${o.name} ?? ${k};`);
      return true;
    }
    if (r < 0.55 && this.canNest()) {
      this.feat('if-let');
      const x = this.fresh('x');
      this.emit(`if let Some(${x}) = ${o.name} {`);
      const arms = [this.arm(() => {
        this.openScope();
        this.declareNamed(x, 'i64');
        this.emit(`println(${x});`);
        this.stmts(this.o.stmts - 1);
        this.closeScope();
      })];
      let hasElse = false;
      if (this.rng.chance(0.5)) {
        hasElse = true;
        this.emit('} else {');
        arms.push(this.arm(() => { this.openScope(); this.stmts(this.o.stmts); this.closeScope(); }));
      }
      this.emit('}');
      this.merge(arms, !hasElse);
      return true;
    }
    if (r < 0.75 && this.writable(o)) {
      this.emit(`${o.name} = ${this.rng.chance(0.3) ? 'None' : `Some(${this.i64()})`};`);
      return true;
    }
    if (r < 0.85) {
      this.emit(`if ${o.name}.is_some() { println(${o.name}.unwrap()); }`);
      return true;
    }
    this.feat('coalesce');
    this.emit(`println(${o.name} ?? ${this.i64()});`);
    return true;
  }

  private classStmt(): boolean {
    this.feat('plain-class');
    const pts = this.vars(this.of('Pt', 'BoxPt', 'PMPt'));
    const r = this.rng.float();
    if (r < 0.35 || pts.length === 0) {
      const kind: Kind = this.o.drops && this.rng.chance(0.3) ? 'BoxPt' : 'Pt';
      if (kind === 'BoxPt') this.feat('box-class');
      const init = this.valueOf(kind).t;
      const v = this.declare(kind, this.rng.chance(0.6));
      this.emit(`${v.mut ? 'mut ' : ''}${v.name}${this.rng.chance(0.3) ? ': ' + TYPE_TEXT[kind] : ''} := ${init};`);
      return true;
    }
    const p = this.rng.pick(pts);
    const canWrite = p.kind === 'PMPt' || this.writable(p);
    const f = `f${this.rng.int(0, this.ptFields - 1)}`;
    if (r < 0.55 && canWrite) {
      this.emit(`${p.name}.${f} ${this.rng.chance(0.3) ? '+=' : '='} ${this.i64()};`);
      return true;
    }
    if (r < 0.7 && canWrite) {
      this.feat('mut-method');
      this.emit(`${p.name}.shift(${this.i64()});`);
      return true;
    }
    if (r < 0.8 && p.kind !== 'PMPt' && this.writable(p)) {
      if (p.kind === 'BoxPt') {
        if (this.rng.chance(0.5)) { this.emit(`*${p.name} = ${this.ptLit()};`); return true; }
        if (!this.canChange(p, true)) return false;
        this.invalidate(p, true);
        this.feat('reassign-heap');
      }
      this.emit(`${p.name} = ${this.valueOf(p.kind, p).t};`);
      return true;
    }
    this.feat('method');
    this.emit(`println(${p.name}.sum());`);
    return true;
  }

  private arrayStmt(): boolean {
    this.feat('array');
    const arrs = this.vars(this.of('Arr'));
    if (arrs.length === 0 || this.rng.chance(0.3)) {
      const n = this.rng.pick([2, 4, 8]);
      // without an annotation every element carries its own type
      const annotate = this.rng.chance(0.3);
      const init = this.rng.chance(0.5)
        ? `[${this.int('i64', this.ex(), annotate).t}; ${n}]`
        : `[${Array.from({ length: n }, () => this.int('i64', 1, annotate).t).join(', ')}]`;
      const v = this.declare('Arr', this.rng.chance(0.7), { arrLen: n });
      this.emit(`${v.mut ? 'mut ' : ''}${v.name}${annotate ? `: [i64; ${n}]` : ''} := ${init};`);
      return true;
    }
    const a = this.rng.pick(arrs);
    const ix = this.int('i64', this.ex(), false);
    const at = `${a.name}[${this.wrap(ix, PREC.band + 1)} & ${a.arrLen - 1}]`;
    if (this.writable(a) && this.rng.chance(0.5)) this.emit(`${at} = ${this.i64()};`);
    else if (this.rng.chance(0.3)) {
      const copy = this.declare('Arr', false, { arrLen: a.arrLen });
      this.emit(`${copy.name} := ${a.name};`);
    } else this.emit(`println(${at});`);
    return true;
  }

  private heapLet(): boolean {
    const kinds: [number, Kind][] = [[3, 'String'], [3, 'Vec'], [2, 'Box'], [1.5, 'Holder'], [2, 'Res'], [1, 'VecRes']];
    if (this.o.ownership) kinds.push([1.5, 'Pair'], [1.5, 'OptStr'], [1.5, 'OptRes'], [1, 'VecStr']);
    const kind = this.rng.weighted<Kind>(kinds);
    const mut = this.rng.chance(0.65);
    const m = mut ? 'mut ' : '';
    switch (kind) {
      case 'Res': {
        this.feat('drop-class');
        const v = this.declare('Res', mut || this.rng.chance(0.3));
        this.emit(`${v.mut ? 'mut ' : ''}${v.name}${this.rng.chance(0.3) ? ': Res' : ''} := ${this.resLit()};`);
        return true;
      }
      case 'Pair': case 'OptStr': case 'OptRes': case 'VecStr': {
        this.feat(kind === 'Pair' ? 'drop-fields' : kind === 'OptStr' ? 'option-string' : kind === 'OptRes' ? 'option-res' : 'vec-string');
        const { t } = this.valueOf(kind);
        const v = this.declare(kind, mut || kind === 'VecStr');
        this.emit(`${v.mut ? 'mut ' : ''}${v.name}: ${TYPE_TEXT[kind]} := ${t};`);
        return true;
      }
      case 'VecRes': {
        this.feat('drop-vec');
        const v = this.declare('VecRes', true);
        this.emit(`mut ${v.name} := Vec<Res>::new();`);
        const n = this.rng.int(0, 3);
        for (let i = 0; i < n; i++) this.emit(`${v.name}.push(${this.resLit()});`);
        v.maxLen = n;
        return true;
      }
      default: {
        this.feat(kind === 'String' ? 'string' : kind === 'Vec' ? 'vec' : kind === 'Box' ? 'box' : 'holder');
        const { t, maxLen } = this.valueOf(kind);
        const v = this.declare(kind, mut, { maxLen });
        this.emit(`${m}${v.name}${this.rng.chance(0.3) ? ': ' + TYPE_TEXT[kind] : ''} := ${t};`);
        return true;
      }
    }
  }

  private heapStmt(): boolean {
    const v = this.pickVar(this.of('String', 'Vec', 'Box', 'Holder'));
    // a variable deleted on some path is alive again once assigned (a drop flag decides whether
    // the assignment drops an old value)
    const revivable: Var[] = [];
    for (const scope of this.scopes) for (const x of scope) if (x.deleted && !x.gone && this.writable(x)) revivable.push(x);
    if (revivable.length && this.rng.chance(0.3)) {
      const x = this.rng.pick(revivable);
      this.feat('revive');
      const val = x.kind === 'Res' ? { t: this.resLit(), maxLen: 0 } : x.kind === 'VecRes' ? { t: 'Vec<Res>::new()', maxLen: 0 }
        : this.valueOf(x.kind, x);
      x.maxLen = Math.max(x.maxLen, val.maxLen);
      this.emit(`${x.name} = ${val.t};`);
      this.setFlag(x, 'deleted', false);
      return true;
    }
    if (!v) return false;
    const r = this.rng.float();
    const w = this.writable(v);
    if (r < 0.15 && w && !v.frozen && this.canChange(v, true)) {
      this.feat('reassign-heap');
      this.invalidate(v, true);
      const val = this.valueOf(v.kind, v);
      v.maxLen = Math.max(v.maxLen, val.maxLen);
      this.emit(`${v.name} = ${val.t};`);
      return true;
    }
    switch (v.kind) {
      case 'String': {
        if (w && r < 0.7) {
          this.feat('string-append');
          const q = this.rng.float();
          const other = this.pickVar(this.of('String', 'str'));
          const arg = this.o.numerics && q < 0.1 ? (this.feat('float-append'), this.flt(this.rng.pick<FloatTy>(['f64', 'f32']), this.ex(), false).t)
            : q < 0.4 ? this.int('i64', this.ex(), false).t : q < 0.55 ? this.bool(1).t
            : q < 0.8 || !other ? this.strLit() : other.name;
          this.emit(`${v.name}.append(${arg});`);
          return true;
        }
        this.emit(this.rng.chance(0.5) ? `println(${v.name});` : `println(${v.name}.len());`);
        return true;
      }
      case 'Box': {
        if (w && r < 0.6) {
          this.emit(`*${v.name} ${this.rng.chance(0.3) ? '+=' : '='} ${this.i64()};`);
          return true;
        }
        this.emit(`println(*${v.name});`);
        return true;
      }
      case 'Holder': {
        if (w && r < 0.45) { this.feat('mut-method'); this.emit(`${v.name}.add(${this.i64()});`); return true; }
        if (w && r < 0.55) { this.emit(`${v.name}.items.push(${this.i64()});`); return true; }
        if (w && r < 0.65) { this.emit(`${v.name}.name.append(${this.strLit()});`); return true; }
        if (w && r < 0.75) { this.emit(`*${v.name}.boxed = ${this.i64()};`); return true; }
        this.feat('method');
        this.emit(this.rng.chance(0.5) ? `println(${v.name}.total());` : `println(${v.name}.name);`);
        return true;
      }
      default: return this.vecStmt(v, r);
    }
  }

  private vecStmt(v: Var, r: number): boolean {
    const w = this.writable(v) && !v.frozen;
    const grow = Math.max(1, this.mult / v.declMult);
    if (w && r < 0.45 && v.maxLen + grow <= VEC_LEN_CAP && this.canChange(v, true)) {
      this.invalidate(v, true);
      v.maxLen += grow;
      this.emit(`${v.name}.push(${this.i64()});`);
      return true;
    }
    if (w && r < 0.55 && this.canChange(v, true)) {
      this.invalidate(v, true);
      this.emit(this.rng.chance(0.2) ? `${v.name}.clear();` : `${v.name}.pop();`);
      return true;
    }
    if (r < 0.8 && this.canNest()) {
      // indexing only where provably in bounds
      this.feat('vec-index');
      const ixInit = this.int('i64', this.ex(), false).t;
      const ix = this.declare('i64', false);
      this.emit(`${ix.name} := ${ixInit};`);
      this.emit(`if ${ix.name} >= 0 && ${ix.name} < ${v.name}.len() {`);
      const changes = this.arm(() => {
        this.openScope();
        if (this.writable(v) && this.rng.chance(0.4)) this.emit(`${v.name}[${ix.name}] = ${this.i64()};`);
        else this.emit(`println(${v.name}[${ix.name}]);`);
        if (this.o.pointers && this.rng.chance(0.4)) this.vecElemPointer(v, ix.name);
        if (this.rng.chance(0.5)) this.stmts(this.o.stmts - 1);
        this.closeScope();
      });
      this.emit('}');
      this.merge([changes], true);
      return true;
    }
    this.emit(`println(${v.name}.len());`);
    return true;
  }

  private vecElemPointer(v: Var, ix: string): void {
    this.feat('vec-elem-pointer');
    this.feat('heap-pointer');
    const mut = this.writable(v) && this.rng.chance(0.5);
    const p = this.declare(mut ? 'PMI' : 'PI', false);
    this.pointTo(p, v, true);
    this.emit(`${p.name} := ${mut ? '*mut ' : '*'}${v.name}[${ix}];`);
    if (mut) this.emit(`*${p.name} = *${p.name} + ${this.i64()};`);
    this.emit(`println(*${p.name});`);
  }

  private resStmt(): boolean {
    const rs = this.vars((x) => x.kind === 'Res' || x.kind === 'VecRes');
    if (rs.length === 0) return false;
    const v = this.rng.pick(rs);
    const r = this.rng.float();
    if (v.kind === 'Res') {
      if (r < 0.5 && this.writable(v) && this.canChange(v, false)) {
        // the old value is dropped after the new one is built
        this.feat('reassign-drop');
        this.invalidate(v, false);
        this.emit(`${v.name} = ${this.resLit()};`);
        return true;
      }
      this.emit(`println(${v.name}.${r < 0.7 ? 'id' : 'get()'});`);
      return true;
    }
    this.feat('drop-vec');
    const w = this.writable(v) && !v.frozen;
    const grow = Math.max(1, this.mult / v.declMult);
    if (w && r < 0.4 && v.maxLen + grow <= VEC_LEN_CAP && this.canChange(v, true)) {
      v.maxLen += grow;
      this.invalidate(v, true);
      this.emit(`${v.name}.push(${this.resLit()});`);
      return true;
    }
    if (w && r < 0.6 && this.canNest() && this.canChange(v, true)) {
      this.invalidate(v, true);
      const x = this.fresh('x');
      this.emit(`if let Some(${x}) = ${v.name}.pop() {`);
      const changes = this.arm(() => {
        this.openScope();
        this.declareNamed(x, 'Res');
        this.emit(`println(${x}.id);`);
        if (this.rng.chance(0.4)) this.stmts(2);
        this.closeScope();
      });
      this.emit('}');
      this.merge([changes], true);
      return true;
    }
    if (r < 0.8) {
      const ixInit = this.int('i64', this.ex(), false).t;
      const ix = this.declare('i64', false);
      this.feat('vec-index');
      this.emit(`${ix.name} := ${ixInit};`);
      this.emit(`if ${ix.name} >= 0 && ${ix.name} < ${v.name}.len() { println(${v.name}[${ix.name}].id); }`);
      return true;
    }
    this.emit(`println(${v.name}.len());`);
    return true;
  }

  private pointerStmt(): boolean {
    const r = this.rng.float();
    // use an existing pointer
    const ptrs = this.vars(this.of('PI', 'PMI', 'PPt', 'PMPt', 'PRes', 'OptPI'));
    const repointable = this.scopes.flat().filter((p) => p.kind === 'PI' && p.mut && !p.gone
      && (this.lambdaFloor === null || p.id >= this.lambdaFloor));
    if (repointable.length && r < 0.15) {
      // re-point a `mut` pointer (even a dead one) at a variable declared before it: it cannot outlive it
      const p = this.rng.pick(repointable);
      const older = this.pickVar((x) => x.kind === 'i64' && x.id < p.id);
      if (older) {
        this.feat('pointer-reassign');
        this.emit(`${p.name} = *${older.name};`);
        this.pointTo(p, older, false);
        this.setFlag(p, 'dead', false);
        return true;
      }
    }
    if (ptrs.length && r < 0.35) {
      const p = this.rng.pick(ptrs);
      switch (p.kind) {
        case 'PMI': this.emit(`*${p.name} ${this.rng.chance(0.3) ? '+=' : '='} ${this.i64()};`); return true;
        case 'PI': {
          // re-point a `mut` pointer at an older variable
          const older = this.pickVar((x) => x.kind === 'i64' && x.id < p.id);
          if (p.mut && older && this.rng.chance(0.5)) {
            this.feat('pointer-reassign');
            this.emit(`${p.name} = *${older.name};`);
            this.pointTo(p, older, false);
            this.setFlag(p, 'dead', false);
            return true;
          }
          this.emit(`println(*${p.name});`);
          return true;
        }
        case 'PMPt': this.emit(`${p.name}.f${this.rng.int(0, this.ptFields - 1)} = ${this.i64()};`); return true;
        case 'PPt': this.emit(`println(${p.name}.sum());`); return true;
        case 'PRes': this.emit(`println(${p.name}.id);`); return true;
        default: {
          // Option<*i64>
          const older = this.pickVar((x) => x.kind === 'i64' && x.id < p.id);
          if (p.mut && older && this.rng.chance(0.4)) {
            this.emit(`${p.name} = Some(*${older.name});`);
            return true;
          }
          if (!this.canNest()) return false;
          const q = this.fresh('q');
          this.emit(`if let Some(${q}) = ${p.name} {`);
          const ch = this.arm(() => {
            this.openScope();
            this.declareNamed(q, 'PI');
            this.emit(`println(*${q});`);
            this.closeScope();
          });
          this.emit('}');
          this.merge([ch], true);
          return true;
        }
      }
    }
    const k = this.rng.weighted<string>([[3, 'int'], [2, 'mutint'], [1.5, 'pt'], [1, 'res'], [1.5, 'box'], [1, 'opt'], [1, 'param'], [0.7, 'arr']]);
    switch (k) {
      case 'int': case 'mutint': {
        const mut = k === 'mutint';
        const x = this.pickVar((v) => v.kind === 'i64' && (!mut || this.writable(v)));
        if (!x) return false;
        this.feat(mut ? 'mut-pointer' : 'pointer');
        const reassignable = !mut && this.rng.chance(0.45);
        const p = this.declare(mut ? 'PMI' : 'PI', reassignable);
        this.pointTo(p, x, false);
        const annot = mut ? (this.rng.chance(0.5) ? ': *mut i64' : '') : reassignable || this.rng.chance(0.3) ? ': *i64' : '';
        this.emit(`${reassignable ? 'mut ' : ''}${p.name}${annot} := ${mut ? '*mut ' : '*'}${x.name};`);
        if (mut) this.emit(`*${p.name} = *${p.name} ${this.rng.pick(['+', '-', '*', '^'])} ${this.i64()};`);
        else this.emit(`println(*${p.name});`);
        const older = reassignable ? this.pickVar((v) => v.kind === 'i64' && v.id < p.id && v !== x) : undefined;
        if (older && this.rng.chance(0.6)) {
          this.feat('pointer-reassign');
          this.emit(`${p.name} = *${older.name};`);
          this.pointTo(p, older, false);
          this.emit(`println(*${p.name});`);
        }
        return true;
      }
      case 'pt': {
        const x = this.pickVar((v) => v.kind === 'Pt');
        if (!x) return false;
        this.feat('class-pointer');
        const mut = this.writable(x) && this.rng.chance(0.6);
        const p = this.declare(mut ? 'PMPt' : 'PPt', false);
        this.pointTo(p, x, false);
        this.emit(`${p.name} := ${mut ? '*mut ' : '*'}${x.name};`);
        if (mut) {
          this.feat('mut-method');
          this.emit(this.rng.chance(0.5) ? `${p.name}.shift(${this.i64()});` : `${p.name}.f0 = ${this.i64()};`);
        }
        this.emit(`println(${p.name}.sum());`);
        return true;
      }
      case 'res': {
        const x = this.pickVar((v) => v.kind === 'Res');
        if (!x) return false;
        this.feat('class-pointer');
        const p = this.declare('PRes', false);
        this.pointTo(p, x, false);
        this.emit(`${p.name} := *${x.name};`);
        this.emit(this.rng.chance(0.5) ? `println(${p.name}.id);` : (this.feat('pointer-param'), `println(res_id(${p.name}));`));
        return true;
      }
      case 'box': {
        const x = this.pickVar((v) => v.kind === 'Box' || v.kind === 'BoxPt');
        if (!x) return false;
        this.feat('heap-pointer');
        const mut = this.writable(x) && this.rng.chance(0.5);
        const kind: Kind = x.kind === 'Box' ? (mut ? 'PMI' : 'PI') : (mut ? 'PMPt' : 'PPt');
        const p = this.declare(kind, false);
        this.pointTo(p, x, true);
        this.emit(`${p.name} := ${mut ? '*mut *' : '*(*'}${x.name}${mut ? '' : ')'};`);
        if (x.kind === 'Box') this.emit(mut ? `*${p.name} = *${p.name} + ${this.i64()};` : `println(*${p.name});`);
        else this.emit(mut ? `${p.name}.shift(${this.i64()});` : `println(${p.name}.sum());`);
        return true;
      }
      case 'opt': {
        const x = this.pickVar((v) => v.kind === 'i64');
        if (!x) return false;
        this.feat('option-pointer');
        const p = this.declare('OptPI', this.rng.chance(0.5));
        this.pointTo(p, x, false);
        this.emit(`${p.mut ? 'mut ' : ''}${p.name}: Option<*i64> := Some(*${x.name});`);
        return true;
      }
      case 'param': {
        const x = this.pickVar((v) => v.kind === 'i64' && this.writable(v));
        if (!x) return false;
        this.feat('pointer-param');
        this.emit(`bump(*mut ${x.name}, ${this.i64()});`);
        return true;
      }
      default: {
        const a = this.pickVar((v) => v.kind === 'Arr' && this.writable(v));
        if (!a) return false;
        this.feat('mut-pointer');
        const p = this.declare('PMI', false);
        this.pointTo(p, a, false);
        this.emit(`${p.name} := *mut ${a.name}[${this.rng.int(0, 20)} & ${a.arrLen - 1}];`);
        this.emit(`*${p.name} += ${this.i64()};`);
        return true;
      }
    }
  }

  private regionBlock(): boolean {
    if (!this.affordable(this.mult * 4)) return false;
    this.feat('region');
    const name = this.fresh('rg');
    const cap = this.rng.pick(['4096', '4 * 1024', '1 << 12', '64 * 1024', '8192']);
    this.emit(`region ${name}(${cap}) {`);
    const ch = this.arm(() => {
      this.openScope();
      this.regions.push({ name, scope: this.scopes.length - 1, mult: this.mult, allocs: 0 });
      this.regionStmt();
      this.stmts(this.o.stmts);
      this.regions.pop();
      this.closeScope();
    });
    this.emit('}');
    this.merge([ch], false);
    return true;
  }

  private regionStmt(): boolean {
    if (this.regions.length === 0) return false;
    const rg = this.rng.chance(0.7) ? this.regions[this.regions.length - 1] : this.rng.pick(this.regions);
    const alloc = (n: number): boolean => {
      const inc = n * Math.max(1, this.mult / rg.mult);
      if (rg.allocs + inc > REGION_ALLOC_CAP) return false;
      rg.allocs += inc;
      return true;
    };
    const r = this.rng.float();
    const heads = this.vars((v) => v.kind === 'OptLink');
    if (r < 0.25) {
      if (!alloc(1)) return false;
      const init = this.ptLit();
      const p = this.declare('PMPt', false, { life: rg.scope });
      this.emit(`${p.name} := ${rg.name}.alloc(${init}) ?? panic("region full");`);
      this.emit(`${p.name}.f0 = ${p.name}.f0 + ${this.i64()};`);
      return true;
    }
    if (r < 0.35) {
      if (!alloc(1)) return false;
      this.feat('region-int');
      const init = this.int('i64', this.ex(), false).t;
      const p = this.declare('PMI', false, { life: rg.scope });
      this.emit(`${p.name} := ${rg.name}.alloc(${init}) ?? panic("region full");`);
      this.emit(`*${p.name} = *${p.name} * 2;`);
      return true;
    }
    if (r < 0.45) {
      if (!alloc(1)) return false;
      const x = this.fresh('x');
      this.emit(`if let Some(${x}) = ${rg.name}.alloc(${this.ptLit()}) { println(${x}.sum()); }`);
      return true;
    }
    if (r < 0.55) {
      const n = this.rng.int(0, 5);
      if (!alloc(n) || !this.affordable(this.mult * n * 3)) return false;
      this.cost += this.mult * n * 3;
      this.feat('region-fn');
      this.emit(`println(chain(${rg.name}, ${n}));`);
      return true;
    }
    if (r < 0.65 || heads.length === 0) {
      // a list head living inside this region's block
      this.feat('region-link');
      const h = this.declare('OptLink', true, { life: 0 });
      this.emit(`mut ${h.name}: Option<*Link> := None;`);
      return true;
    }
    const h = this.rng.pick(heads);
    if (r < 0.85) {
      // a new link pointing at the list (region objects pointing to each other)
      if (h.life > rg.scope || !alloc(1)) return false;
      this.feat('region-link');
      const value = this.i64();
      const l = this.declare('PMLink', false, { life: rg.scope });
      this.emit(`${l.name} := ${rg.name}.alloc(Link { v: ${value}, next: ${h.name} }) ?? panic("region full");`);
      h.sink = Math.min(h.sink ?? Infinity, rg.scope);
      // the checks give a variable one lifetime, whatever it holds at the time: once the
      // head was stored into a region's allocation, it never holds data of a shorter-lived one
      if (this.writable(h) && rg.scope <= h.scope && rg.scope <= h.sink) {
        this.emit(`${h.name} = Some(${l.name});`);
        h.life = Math.max(h.life, rg.scope);
      }
      return true;
    }
    // walk the list: it is acyclic, every link points at an older one
    if (!this.loopFits(REGION_ALLOC_CAP)) return false;
    this.cost += this.mult * REGION_ALLOC_CAP * 2;
    this.feat('region-link');
    const cur = this.fresh('cur');
    const sum = this.fresh('sum');
    const c = this.fresh('c');
    this.emit(`mut ${cur} := ${h.name};`);
    this.emit(`mut ${sum}: i64 := 0;`);
    this.emit(`while let Some(${c}) = ${cur} {`);
    this.emit(`    ${sum} += ${c}.v;`);
    this.emit(`    ${cur} = ${c}.next;`);
    this.emit('}');
    this.emit(`println(${sum});`);
    return true;
  }

  /** ownership: uses of Pair, Option<String>, Option<Res>, Vec<String>, and moves into calls. */
  private ownershipStmt(): boolean {
    const r = this.rng.float();
    if (r < 0.3) return this.moveStmt();
    const v = this.pickVar(this.of('Pair', 'OptStr', 'OptRes', 'VecStr'));
    if (!v) return false;
    const w = this.writable(v) && !v.frozen;
    const q = this.rng.float();
    switch (v.kind) {
      case 'Pair': {
        if (w && q < 0.25) {
          // the old field value is dropped after the new one is built
          this.feat('field-reassign');
          this.emit(`${v.name}.a = ${this.rng.chance(0.5) ? this.resLit() : `make_res(${++this.resIds})`};`);
          return true;
        }
        if (w && q < 0.4) { this.feat('field-reassign'); this.emit(`${v.name}.s = make_str(${this.i64()});`); return true; }
        if (w && q < 0.55) { this.feat('mut-method'); this.emit(`${v.name}.bump(${this.i64()});`); return true; }
        if (w && q < 0.65 && this.canChange(v, false)) {
          this.feat('reassign-drop');
          this.invalidate(v, false);
          this.emit(`${v.name} = ${this.valueOf('Pair').t};`);
          return true;
        }
        this.emit(this.rng.pick([`println(${v.name}.total());`, `println(${v.name}.s);`, `println(${v.name}.a.get());`]));
        return true;
      }
      case 'OptStr': {
        if (w && q < 0.3) { this.emit(`${v.name} = ${this.valueOf('OptStr', v).t};`); return true; }
        if (q < 0.55 && this.canNest()) {
          const x = this.fresh('x');
          this.emit(`if let Some(${x}) = ${v.name} {`);
          const ch = this.arm(() => {
            this.openScope();
            this.declareNamed(x, 'String');
            this.emit(`println(${x});`);
            if (this.rng.chance(0.3)) this.stmts(2);
            this.closeScope();
          });
          this.emit('}');
          this.merge([ch], true);
          return true;
        }
        if (q < 0.75) { this.feat('coalesce'); this.emit(`println(${v.name} ?? String::from(${this.strLit()}));`); return true; }
        this.emit(`println(${v.name}.is_some());`);
        return true;
      }
      case 'OptRes': {
        if (w && q < 0.45 && this.canChange(v, false)) {
          this.feat('reassign-drop');
          this.invalidate(v, false);
          this.emit(`${v.name} = ${this.valueOf('OptRes').t};`);
          return true;
        }
        this.emit(`println(${v.name}.${this.rng.pick(['is_some', 'is_none'])}());`);
        return true;
      }
      default: {
        // Vec<String>
        const grow = Math.max(1, this.mult / v.declMult);
        if (w && q < 0.35 && v.maxLen + grow <= VEC_LEN_CAP && this.canChange(v, true)) {
          this.invalidate(v, true);
          v.maxLen += grow;
          this.emit(`${v.name}.push(${this.rng.chance(0.5) ? `make_str(${this.i64()})` : `String::from(${this.strLit()})`});`);
          return true;
        }
        if (w && q < 0.5 && this.canChange(v, true) && v.maxLen <= VEC_LEN_CAP && this.loopFits(v.maxLen)) {
          this.invalidate(v, true);
          const x = this.fresh('x');
          this.feat('while-let-pop');
          this.emit(`while let Some(${x}) = ${v.name}.pop() { println(${x}); }`);
          return true;
        }
        if (q < 0.75) {
          const init = this.int('i64', this.ex(), false).t;
          const ix = this.declare('i64', false);
          this.emit(`${ix.name} := ${init};`);
          this.emit(`if ${ix.name} >= 0 && ${ix.name} < ${v.name}.len() { println(${v.name}[${ix.name}]); }`);
          return true;
        }
        this.emit(`println(${v.name}.len());`);
        return true;
      }
    }
  }

  /**
   * Passes a variable that needs drop by value at its last use (a move: the callee drops
   * it), or moves the payload out of an Option<Res>; sometimes on one branch only, so the
   * scope-end drop needs a flag. Only variables of the innermost loop body, with no live
   * pointer at them, and never used again (like a deleted one) unless assigned anew.
   */
  private moveStmt(): boolean {
    const cands = this.vars((v) => ['Res', 'String', 'Vec', 'OptRes'].includes(v.kind) && !v.reserved && !v.frozen
      && v.loop === this.loopDepth && this.livePointers(v, false).length === 0);
    if (cands.length === 0) return false;
    const x = this.rng.pick(cands);
    this.feat('move-arg');
    const use = (): void => {
      switch (x.kind) {
        case 'Res': this.emit(`println(take_res(${x.name}));`); break;
        case 'String': this.emit(`println(take_str(${x.name}));`); break;
        case 'Vec': this.emit(`println(take_vec(${x.name}));`); break;
        default: {
          this.feat('move-out-option');
          const y = this.fresh('x');
          this.emit(`if let Some(${y}) = ${x.name} { println(${y}.id); }`);
        }
      }
      this.invalidate(x, false);
      this.setFlag(x, 'deleted', true);
    };
    if (!this.canNest() || this.rng.chance(0.5)) {
      use();
      return true;
    }
    this.feat('cond-move');
    this.ifThenOrRead(x, () => {
      use();
      if (this.rng.chance(0.3)) this.stmts(2);
    });
    return true;
  }

  /**
   * `if c { then } else { println(x) }` (the else only sometimes): `then` runs in its own
   * scope and may end x's life (move, delete); the else reads x, alive there.
   */
  private ifThenOrRead(x: Var, then: () => void): void {
    this.emit(`if ${this.bool(this.ex()).t} {`);
    const arms = [this.arm(() => {
      this.openScope();
      then();
      this.closeScope();
    })];
    let hasElse = false;
    if (this.rng.chance(0.4)) {
      hasElse = true;
      this.emit('} else {');
      arms.push(this.arm(() => {
        this.openScope();
        this.emit(`println(${this.describe(x)});`);
        this.closeScope();
      }));
    }
    this.emit('}');
    this.merge(arms, !hasElse);
  }

  private deleteStmt(): boolean {
    // only variables of the innermost loop body, so that no later iteration sees them deleted
    const cands = this.vars((v) => DELETABLE.has(v.kind) && !v.reserved && !v.frozen && v.loop === this.loopDepth
      && this.canChange(v, false) && this.lambdaFloor === null);
    if (cands.length === 0) return false;
    const x = this.rng.pick(cands);
    const doDelete = (): void => {
      this.invalidate(x, false);
      this.setFlag(x, 'deleted', true);
    };
    if (this.rng.chance(0.35) || !this.canNest()) {
      this.feat('delete');
      const y = cands.find((c) => c !== x);
      if (y && this.rng.chance(0.2)) {
        this.emit(`unsafe { delete ${x.name}; delete ${y.name}; }`);
        doDelete();
        this.invalidate(y, false);
        this.setFlag(y, 'deleted', true);
      } else {
        this.emit(`unsafe { delete ${x.name}; }`);
        doDelete();
      }
      return true;
    }
    // a conditional delete: the scope-end drop must then happen only where it was not deleted
    this.feat('cond-delete');
    this.ifThenOrRead(x, () => {
      if (this.rng.chance(0.3)) this.emit(`println(${this.strLit()});`);
      this.emit('unsafe {');
      this.ind++;
      this.emit(`delete ${x.name};`);
      this.ind--;
      this.emit('}');
      doDelete();
      if (this.rng.chance(0.4)) this.stmts(2);
    });
    return true;
  }

  /** A printable expression reading `x` (used where it is certainly alive). */
  private describe(x: Var): string {
    switch (x.kind) {
      case 'String': return x.name;
      case 'Vec': case 'VecRes': return `${x.name}.len()`;
      case 'Box': return `*${x.name}`;
      case 'BoxPt': return `${x.name}.sum()`;
      case 'Holder': return `${x.name}.total()`;
      case 'Res': return `${x.name}.id`;
      case 'Pair': return `${x.name}.total()`;
      case 'OptStr': case 'OptRes': return `${x.name}.is_some()`;
      case 'VecStr': return `${x.name}.len()`;
      default: return x.name;
    }
  }

  private callStmt(): boolean {
    const voids = this.fns.filter((f) => f.ret === 'void' && this.affordable(this.mult * f.cost));
    if (voids.length === 0 || this.lambdaFloor !== null) return false;
    const f = this.rng.pick(voids);
    this.cost += this.mult * f.cost;
    this.emit(`${f.name}(${Array.from({ length: f.params }, () => this.i64()).join(', ')});`);
    return true;
  }

  // ---- lambdas --------------------------------------------------------------------

  private lambdaLet(): boolean {
    const capturing = this.rng.chance(0.5);
    const lam = this.lambdaText(capturing, this.ex());
    if (lam === null) return false;
    const v = this.declare('Fn', false);
    if (lam.heap) {
      // deleting (or replacing a Drop value in) the captured variable retires the lambda
      this.pointTo(v, lam.heap, false);
      v.resizes = lam.resizes;
    }
    const typed = !capturing && this.rng.chance(0.25);
    if (typed) {
      // parameter types come from the expected fn type
      this.emit(`${v.name}: fn(i64) -> i64 := ${lam.text.replace(/^\((\w+): i64\)/, '($1)')};`);
    } else this.emit(`${v.name} := ${lam.text};`);
    return true;
  }

  /**
   * A call of a lambda that resizes what it captured is a resize there: not while a pointer
   * into it may be used, nor while it is iterated, and within the Vec length bound.
   */
  private canCallLambda(f: Var): boolean {
    const v = f.target;
    if (!f.resizes || !v) return true;
    if (v.frozen || this.livePointers(v, true).length > 0) return false;
    return v.kind !== 'Vec' || v.maxLen + Math.max(1, this.mult / v.declMult) <= VEC_LEN_CAP;
  }

  private noteLambdaCall(f: Var): void {
    const v = f.target;
    if (f.resizes && v && v.kind === 'Vec') v.maxLen += Math.max(1, this.mult / v.declMult);
  }

  /**
   * `(x: i64) -> body`; a capturing one reads (and may assign) outer scalars and, with
   * heapCaptures, one outer heap value or class, which it may also change.
   */
  private lambdaText(capturing: boolean, d: number): { text: string; heap?: Var; resizes: boolean } | null {
    const heapCand = capturing && this.o.heapCaptures && this.rng.chance(0.6) ? this.pickVar((v) => HEAP_CAPTURE.has(v.kind)) : undefined;
    const saved = [this.lambdaFloor, this.lambdaCaptures, this.lambdaHeap] as const;
    this.lambdaFloor = this.nextVarId;
    this.lambdaCaptures = capturing;
    this.lambdaHeap = heapCand ?? null;
    this.scopes.push([]);
    const x = this.declare('i64', false);
    let text: string;
    let captured = false;
    let resizes = false;
    const h = heapCand;
    const acc = capturing ? this.pickVar((v) => v.kind === 'i64' && v.id < x.id && this.writable(v)) : undefined;
    const mutator = h && this.writable(h) && this.rng.chance(0.6) ? this.heapMutation(h, x.name) : null;
    if (mutator) {
      this.feat('mutating-capture');
      if (mutator.resizes) this.feat('resizing-capture');
      text = `(${x.name}: i64) -> { ${mutator.stmt} return ${mutator.result}; }`;
      resizes = mutator.resizes;
      captured = true;
    } else if (acc && this.rng.chance(0.5)) {
      text = `(${x.name}: i64) -> { ${acc.name} += ${x.name}; return ${acc.name} * 2; }`;
      captured = true;
    } else {
      const body = this.int('i64', d, false).t;
      captured = capturing && this.scopes.slice(0, -1).some((s) => s.some((v) => new RegExp(`\\b${v.name}\\b`).test(body)));
      text = `(${x.name}: i64) -> ${body}`;
    }
    for (const v of this.scopes.pop()!) v.gone = true;
    [this.lambdaFloor, this.lambdaCaptures, this.lambdaHeap] = saved;
    this.feat('lambda');
    if (captured) this.feat('capturing-lambda');
    const heap = h && new RegExp(`\\b${h.name}\\b`).test(text) ? h : undefined;
    if (heap) this.feat('heap-capture');
    return { text, heap, resizes: resizes && heap !== undefined };
  }

  /** A change to the captured `h` inside a lambda body, and an i64 that reads it back. */
  private heapMutation(h: Var, x: string): { stmt: string; result: string; resizes: boolean } | null {
    switch (h.kind) {
      case 'Vec': return { stmt: `${h.name}.push(${x});`, result: `${h.name}.len() + ${x}`, resizes: true };
      case 'String': return { stmt: `${h.name}.append(${x});`, result: `${h.name}.len()`, resizes: true };
      case 'Box': return { stmt: `*${h.name} = *${h.name} + ${x};`, result: `*${h.name}`, resizes: false };
      case 'Pt': case 'BoxPt': return { stmt: `${h.name}.shift(${x});`, result: `${h.name}.sum()`, resizes: false };
      case 'Holder': return { stmt: `${h.name}.add(${x});`, result: `${h.name}.total()`, resizes: true };
      case 'Opt': return { stmt: `${h.name} = Some(${x});`, result: `${h.name} ?? 0`, resizes: false };
      case 'Arr': return { stmt: `${h.name}[${x} & ${h.arrLen - 1}] = ${x};`, result: `${h.name}[0]`, resizes: false };
      default: return null;
    }
  }

  private inlineLambdaArg(d: number): E | null {
    const lam = this.lambdaText(this.rng.chance(0.5), d - 1);
    if (lam === null) return null;
    if (lam.heap) {
      // created and called at once: its call is the only use
      const probe = { target: lam.heap, resizes: lam.resizes } as Var;
      if (!this.canCallLambda(probe)) return null;
      this.noteLambdaCall(probe);
    }
    this.feat('lambda-arg');
    return { t: `apply(${lam.text}, ${this.int('i64', d - 1, true).t})`, typed: true, p: PREC.atom };
  }

  // ---- pointer classes -----------------------------------------------------------------

  /**
   * pointerClasses: pointers held in a class and an Option, and passed through functions.
   * They point at `Pt` variables declared before them, which are never deleted, moved or
   * resized, so those pointers stay valid for their whole scope (E0023 holds by declaration
   * order); region pointers come from the innermost region and stay in its block (E0025).
   */
  private pointerClassStmt(): boolean {
    const pts = this.vars((v) => v.kind === 'Pt');
    const mutPts = pts.filter((v) => this.writable(v));
    const r = this.rng.float();
    if (r < 0.3 && pts.length) {
      this.feat('pointer-field');
      const p = this.rng.pick(pts);
      const q = mutPts.length && this.rng.chance(0.6) ? `Some(*mut ${this.rng.pick(mutPts).name})` : 'None';
      const vw = this.fresh('vw');
      const fields = [`p: *${p.name}`, `q: ${q}`];
      this.emit(`${vw} := View { ${this.rng.shuffle(fields).join(', ')} };`);
      this.emit(`println(${vw}.${this.rng.pick(['total()', 'p.sum()', 'p.f0'])});`);
      if (mutPts.length && this.rng.chance(0.4)) {
        // a write through the variable itself, seen through the view's pointer
        const m = this.rng.pick(mutPts);
        this.emit(`${m.name}.f0 = ${this.i64()};`);
        this.emit(`println(${vw}.total());`);
      }
      return true;
    }
    if (r < 0.5 && pts.length >= 1) {
      this.feat('pointer-return');
      const [a, b] = [this.rng.pick(pts), this.rng.pick(pts)];
      const first = this.bool(1).t;
      const pp = this.declare('PPt', false);
      this.pointTo(pp, a, false);
      this.emit(`${pp.name} := pick(*${a.name}, *${b.name}, ${first});`);
      this.emit(`println(${pp.name}.sum());`);
      return true;
    }
    if (r < 0.65 && mutPts.length) {
      this.feat('field-pointer');
      const a = this.rng.pick(mutPts);
      const fx = this.declare('PMI', false);
      this.pointTo(fx, a, false);
      this.emit(`${fx.name} := field_of(*mut ${a.name});`);
      this.emit(`*${fx.name} = *${fx.name} + ${this.i64()};`);
      this.emit(`println(${a.name}.f0);`);
      return true;
    }
    if (r < 0.8 && this.regions.length && this.o.regions) {
      const rg = this.regions[this.regions.length - 1];
      if (rg.allocs + Math.max(1, this.mult / rg.mult) > REGION_ALLOC_CAP) return false;
      rg.allocs += Math.max(1, this.mult / rg.mult);
      this.feat('region-return');
      const n = this.i64();
      const p = this.declare('PMPt', false, { life: rg.scope });
      this.emit(`${p.name} := alloc_pt(${rg.name}, ${n});`);
      this.emit(`println(${p.name}.sum());`);
      return true;
    }
    if (pts.length && this.canNest()) {
      this.feat('option-class-pointer');
      const o = this.fresh('ov');
      const q = this.fresh('q');
      this.emit(`mut ${o}: Option<*Pt> := None;`);
      this.emit(`if ${this.bool(this.ex()).t} { ${o} = Some(*${this.rng.pick(pts).name}); }`);
      this.emit(`if let Some(${q}) = ${o} { println(${q}.sum()); } else { println("none"); }`);
      return true;
    }
    return false;
  }

  // ---- threads ----------------------------------------------------------------------

  /**
   * `t := spawn(() -> { ... });` (or the lambda bound to a variable first, `g: concurrent
   * fn() -> T := () -> { ... }; t := spawn(g);`) then `t.join()` right away, so what the
   * thread prints comes before anything main prints next, on every engine. The body is random statements over
   * its own locals; it reads outer scalars (captured by copy) and may bump a shared Atomic.
   * No outer heap value, pointer, lambda or region is used in it (E0041, E0050), no outer
   * loop is left from it, and it calls no function (like lambda bodies).
   */
  private threadStmt(): boolean {
    if (!this.affordable(this.mult * 4)) return false;
    this.feat('spawn');
    const ret = this.rng.chance(0.5) ? 'i64' : 'void';
    const atomic = this.rng.chance(0.5) ? this.fresh('at') : null;
    if (atomic) {
      this.feat('thread-atomic');
      this.emit(`${atomic} := Atomic::new(${this.rng.int(0, 9)}i64);`);
    }
    const t = this.fresh('th');
    const viaVar = this.rng.chance(0.3) ? this.fresh('g') : null;
    const saved = {
      floor: this.lambdaFloor, captures: this.lambdaCaptures, heap: this.lambdaHeap, fnRet: this.fnRet, loopDepth: this.loopDepth,
      regions: this.regions, noExit: this.noExit, depth: this.depth,
    };
    this.lambdaFloor = this.nextVarId;
    this.lambdaCaptures = true;
    this.lambdaHeap = null;
    this.inThread = true;
    this.fnRet = ret;
    this.loopDepth = 0;
    this.regions = [];
    this.noExit = 0;
    if (viaVar) this.feat('spawn-var');
    this.emit(viaVar ? `${viaVar}: concurrent fn() -> ${ret} := () -> {` : `${t} := spawn(() -> {`);
    const changes = this.arm(() => {
      this.openScope();
      if (atomic) this.emit(`${atomic}.fetch_add(${this.i64()});`);
      const before = this.lines.length;
      const exit = this.stmts(this.o.stmts);
      if (this.lines.slice(before).some((l) => SCALAR_NAME.test(l) && this.capturedScalar(l))) this.feat('thread-capture');
      if (ret === 'i64' && exit !== 'exit') this.emit(`return ${this.retValue()};`);
      this.closeScope();
    });
    this.merge([changes], true);
    this.emit(viaVar ? '};' : '});');
    if (viaVar) this.emit(`${t} := spawn(${viaVar});`);
    Object.assign(this, {
      lambdaFloor: saved.floor, lambdaCaptures: saved.captures, lambdaHeap: saved.heap, fnRet: saved.fnRet, loopDepth: saved.loopDepth,
      regions: saved.regions, noExit: saved.noExit, depth: saved.depth,
    });
    this.inThread = false;
    if (ret === 'i64') {
      this.feat('thread-result');
      this.emit(`println(${t}.join());`);
    } else this.emit(`${t}.join();`);
    if (atomic) this.emit(`println(${atomic}.load());`);
    return true;
  }

  /** Whether a line of a thread body names a variable from outside it. */
  private capturedScalar(line: string): boolean {
    return this.scopes.slice(0, -1).some((sc) => sc.some((v) => v.id < (this.lambdaFloor ?? 0) && new RegExp(`\\b${v.name}\\b`).test(line)));
  }

  // ---- functions and the program ------------------------------------------------------

  private beginFunction(ret: 'i64' | 'opt' | 'void' | 'main', budget: number): void {
    this.scopes = [[]];
    this.depth = 0;
    this.loopDepth = 0;
    this.mult = 1;
    this.fnRet = ret;
    this.cost = 0;
    this.budget = budget;
    this.nextVarId = 0;
    this.log.length = 0;
    this.regions = [];
    this.lines = [];
    this.ind = 1;
  }

  private genFunction(index: number): void {
    const ret = this.rng.weighted<'i64' | 'opt' | 'void'>([[5, 'i64'], [3, 'opt'], [1.5, 'void']]);
    const name = `fun${index}`;
    const fnBudget = Math.max(20, Math.floor(this.o.budget / (2 * (this.o.functions + 1))));
    this.beginFunction(ret, fnBudget);
    const nParams = this.rng.int(1, 3);
    const params: string[] = [];
    for (let i = 0; i < nParams; i++) {
      const mut = this.rng.chance(0.25);
      if (mut) this.feat('mut-param');
      const p = this.declare('i64', mut);
      params.push(`${mut ? 'mut ' : ''}${p.name}: i64`);
    }
    this.feat('function');
    if (ret === 'opt') this.feat('option-function');
    if (ret === 'void') this.feat('void-function');
    if (ret === 'opt' && this.o.earlyExits) {
      // the seed's shape: `x := g(n) ?? return None;`
      const callees = this.fns.filter((f) => f.ret === 'opt' && this.affordable(f.cost));
      if (callees.length && this.rng.chance(0.7)) {
        const g = this.rng.pick(callees);
        this.cost += g.cost;
        const args = Array.from({ length: g.params }, () => this.i64()).join(', ');
        const x = this.declare('i64', false);
        this.feat('question-return');
        this.emit(`${x.name} := ${g.name}(${args}) ?? return None;`);
      } else if (this.rng.chance(0.6)) {
        this.feat('early-return-fn');
        this.emit(`if ${this.bool(1).t} { return None; }`);
      }
    }
    this.stmts(this.o.stmts);
    if (ret === 'i64') this.emit(`return ${this.i64()};`);
    else if (ret === 'opt') this.emit(this.rng.chance(0.2) ? 'return None;' : `return Some(${this.i64()});`);
    const body = this.lines;
    this.fns.push({ name, params: nParams, ret, cost: this.cost + 1 });
    const sig = `${name}(${params.join(', ')})${ret === 'i64' ? ' -> i64' : ret === 'opt' ? ' -> Option<i64>' : ''}`;
    this.items.push([`${sig} {`, ...body, '}']);
  }

  private genMain(): void {
    this.beginFunction('main', this.o.budget);
    this.stmts(this.o.stmts * 2, this.o.stmts);
    this.emit('println("end");');
    this.items.push(['main() {', ...this.lines, '}']);
  }

  private prelude(): string[][] {
    const o = this.o;
    const out: string[][] = [];
    const fields = Array.from({ length: this.ptFields }, (_, i) => `f${i}: i64`).join(', ');
    const sum = Array.from({ length: this.ptFields }, (_, i) => (i === 1 ? 'this.f1' : `f${i}`)).join(' + ');
    const make = Array.from({ length: this.ptFields }, (_, i) => `f${i}: ${i === 0 ? 'a' : i === 1 ? 'a * 2' : String(i + 1)}`).join(', ');
    out.push([
      `class Pt(${fields}) {`,
      `    sum() -> i64 { return ${sum}; }`,
      '    mut shift(d: i64) { f0 = f0 + d; this.f1 -= d; }',
      `    static make(a: i64) -> Pt { return Pt { ${make} }; }`,
      '}',
    ]);
    if (o.drops) {
      out.push([
        'class Res(id: i64) : Drop {',
        '    get() -> i64 { return id; }',
        '    drop() { print("drop "); println(id); }',
        '    static make(n: i64) -> Res { return Res { id: n }; }',
        '}',
      ]);
      out.push([
        'class Holder(name: String, items: Vec<i64>, boxed: Box<i64>) {',
        '    mut add(n: i64) { items.push(n); *boxed = *boxed + n; name.append(n); }',
        '    total() -> i64 { return *boxed + items.len() + name.len(); }',
        '    static make(tag: str, n: i64) -> Holder {',
        '        return Holder { name: String::from(tag), items: Vec<i64>::new(), boxed: Box::new(n) };',
        '    }',
        '}',
      ]);
      out.push([
        'vsum(v: Vec<i64>) -> i64 {',
        '    mut t: i64 := 0;',
        '    for i in 0..v.len() { t += v[i]; }',
        '    return t;',
        '}',
      ]);
    }
    if (o.ownership && o.drops) {
      out.push([
        'class Pair(a: Res, s: String, v: Vec<i64>) {',
        '    total() -> i64 { return a.id + s.len() + v.len(); }',
        '    mut bump(n: i64) { v.push(n); s.append(n); }',
        '}',
      ]);
      out.push(['take_res(r: Res) -> i64 { return r.id * 10; }']);
      out.push(['take_str(s: String) -> i64 { return s.len(); }']);
      out.push(['take_vec(mut v: Vec<i64>) -> i64 { v.push(1); return v.len(); }']);
      out.push(['make_str(n: i64) -> String { mut s := String::from("m"); s.append(n); return s; }']);
      out.push(['make_res(n: i64) -> Res { return Res { id: n }; }']);
      out.push(['make_pair(n: i64) -> Pair { return Pair { a: Res { id: n }, s: make_str(n), v: Vec::filled(2, n) }; }']);
    }
    if (o.pointerClasses && o.pointers) {
      out.push([
        'class View(p: *Pt, q: Option<*mut Pt>) {',
        '    total() -> i64 { mut t := p.sum(); if let Some(m) = q { t += m.f0; } return t; }',
        '}',
      ]);
      out.push(['pick(a: *Pt, b: *Pt, first: bool) -> *Pt { if first { return a; } return b; }']);
      out.push(['field_of(p: *mut Pt) -> *mut i64 { return *mut p.f0; }']);
      if (o.regions) out.push(['alloc_pt(r: Region, n: i64) -> *mut Pt { return r.alloc(Pt::make(n)) ?? panic("region full"); }']);
    }
    if (o.pointers) {
      out.push(['bump(p: *mut i64, n: i64) { *p = *p + n; }']);
      if (o.drops) out.push(['res_id(r: *Res) -> i64 { return r.get(); }']);
    }
    if (o.regions) {
      out.push(['class Link(v: i64, next: Option<*Link>) {}']);
      out.push([
        'chain(r: Region, n: i64) -> i64 {',
        '    mut head: Option<*Link> := None;',
        '    for i in 0..n {',
        '        c := r.alloc(Link { v: i, next: head }) ?? panic("region full");',
        '        head = Some(c);',
        '    }',
        '    mut total: i64 := 0;',
        '    mut cur := head;',
        '    while let Some(c) = cur {',
        '        total += c.v;',
        '        cur = c.next;',
        '    }',
        '    return total;',
        '}',
      ]);
    }
    if (o.lambdas) out.push(['apply(f: fn(i64) -> i64, x: i64) -> i64 { return f(x); }']);
    return out;
  }

  generate(): GeneratedProgram {
    const prelude = this.prelude();
    const nFns = this.rng.int(Math.min(1, this.o.functions), this.o.functions);
    for (let i = 0; i < nFns; i++) this.genFunction(i);
    this.genMain();
    let all = [...prelude, ...this.items];
    if (this.rng.chance(0.25)) {
      // names are visible in the whole file: any item order is valid
      this.feat('item-order');
      all = this.rng.shuffle(all);
    }
    const source = all.map((lines) => lines.join('\n')).join('\n\n') + '\n';
    return { source, features: [...this.feats].sort() };
  }
}

/** Generates one valid Zeta program; the same seed and options always give the same text. */
export function generateProgram(seed: number, opts: GenOptions = {}): GeneratedProgram {
  return new ProgramGen(seed, opts).generate();
}

/** A fast-check arbitrary of generated programs, driven by an integer seed (printed on failure). */
export function programArb(opts: GenOptions = {}): fc.Arbitrary<GeneratedProgram & { seed: number }> {
  return fc.integer().map((seed) => ({ seed, ...generateProgram(seed, opts) }));
}
