// Lcfg Module -> LLVM module, built in-process with llvm-bindings (LLVM 14, typed pointers).
//
// Every local lives in an alloca of the entry block (opt's mem2reg/SROA turn them into
// registers), every Lcfg block becomes one LLVM block, and values are kept in their storage
// types (layout.ts). Runtime checks (division, bounds, unwrap) branch to blocks that call the
// runtime's `_Noreturn` panic functions, so messages are byte-for-byte those of the C
// backend. Copy and drop glue for types that own memory are generated per type, once, as
// internal functions (`zcopy.T`, `zdrop.T`) and called where needed.
//
// llvm-bindings 0.4.2 has no builder for atomic instructions and no function attributes;
// atomics.ts supplies the atomic operations as small always-inline functions parsed from
// textual IR and linked in, and index.ts adds `sanitize_address` and the recursion copies'
// `alwaysinline` (recursionCopies) to the printed IR.

import type * as LLVM from 'llvm-bindings';
import type { Llvm, Target } from './bindings.js';
import { Layout, optionIsNullablePtr, type ClassInfo } from './layout.js';
import { Runtime, MUTEX_VALUE_OFFSET, type RuntimeFn } from './runtime.js';
import { AtomicHelpers, type AtomicOp } from './atomics.js';
import { TBAA_MARK } from './tbaa.js';
import { analyzeRanges, noWrapMark, type RangeFacts } from './ranges.js';
import type { AnyNode, Cat } from '../../ir/lang.js';
import { operandTy, type Lcfg, type Node } from '../../ir/languages.js';
import { isSigned, showTy, T as ZT, type Ty, type TyOf } from '../../ir/types.js';
import { ORDERING } from '../../ir/builtins.js';
import { InternalError } from '../../passes/pass.js';

type D = typeof Lcfg.decl;
type N<K extends string> = Node<typeof Lcfg, K>;
type Place = Cat<D, 'Place'>;
type Operand = Cat<D, 'Operand'>;
type Rvalue = Cat<D, 'Rvalue'>;
type Stmt = Cat<D, 'Stmt'>;
type Term = Cat<D, 'Term'>;
type FnDef = N<'FnDef'>;

export interface EmitOptions {
  /** unpoison region allocations for AddressSanitizer (the runtime poisons region blocks) */
  sanitizeAddress: boolean;
  /** unroll small self-recursive functions (see recursionCopies; for optimised builds) */
  unrollRecursion?: boolean;
  /** mark the addresses whose loads and stores get TBAA tags (tbaa.ts; for optimised builds) */
  tbaa?: boolean;
  /**
   * use the range analysis (ranges.ts; for optimised builds): leave out the bounds checks it
   * proves and mark the adds, subs and muls it proves cannot wrap (`nsw`/`nuw` in the text)
   */
  ranges?: boolean;
}

export interface EmittedModule {
  ctx: LLVM.LLVMContext;
  module: LLVM.Module;
  /** every function defined, by a readable name (to say which one fails verification) */
  functions: { name: string; fn: LLVM.Function }[];
  /** LLVM names of the functions to mark `alwaysinline` (the recursion copies) */
  alwaysInline: string[];
  /** some addresses are named TBAA_MARK: their accesses get TBAA tags in the textual IR */
  tbaaMarks: boolean;
  /** some arithmetic is named with noWrapMark: it gets `nsw`/`nuw` in the textual IR (ranges.ts) */
  noWrapMarks: boolean;
}

/** A place's address and its Zeta type. */
interface Addr { ptr: LLVM.Value; ty: Ty }

/** T of Option<T>, Vec<T>, Box<T>, ... */
const elementOf = (t: Ty): Ty => ('of' in t ? t.of : fail(`${showTy(t)} has no element type`));

const fail = (msg: string, node?: AnyNode): never => { throw new InternalError(`LLVM backend: ${msg}`, undefined, node); };

/**
 * Self-recursion unrolling. LLVM's inliner never inlines a function into itself, while
 * gcc -O2 inlines small self-recursive functions into themselves a few levels deep (and the
 * C backend gets that). So a small function f that calls itself directly is emitted as a
 * chain of copies of the same body, f -> f.rec1 -> ... -> f.rec{n-1} -> f, each copy's
 * self-calls going to the next; the copies are internal and `alwaysinline` (index.ts adds
 * the attribute), so opt folds the chain back into f: one call of f does n levels of the
 * recursion, with the calls between them gone and the levels optimised together.
 * The unrolled f is kept under a budget of Lcfg statements, like gcc's
 * max-inline-insns-recursive-auto: a function with c self-call sites and s statements gets
 * the most levels n <= RECURSION_LEVELS with s * (1 + c + ... + c^(n-1)) <= RECURSION_BUDGET.
 * A function whose locals take more than RECURSION_FRAME bytes is left alone, so that
 * unrolling cannot make deep recursion need much more stack.
 */
const RECURSION_LEVELS = 3;
const RECURSION_BUDGET = 200;
const RECURSION_FRAME = 256;

const recursionCopyName = (f: FnDef, i: number) => `z.${f.name}.rec${i}`;

/** How many copies of f's body make up its unrolled recursion (1: f is left alone). */
export function recursionCopies(f: FnDef, sizeOf: (t: Ty) => number): number {
  let size = 0;
  let selfCalls = 0;
  for (const bb of f.blocks) {
    size += bb.stmts.length + 1;
    for (const s of bb.stmts) {
      if ((s.kind === 'Assign' || s.kind === 'Eval') && s.value.kind === 'CallFn' && s.value.fn === f.name) selfCalls++;
    }
  }
  if (selfCalls === 0) return 1;
  if (f.locals.reduce((bytes, l) => bytes + sizeOf(l.ty), 0) > RECURSION_FRAME) return 1;
  let copies = 1;
  let total = size;
  let level = size;
  while (copies < RECURSION_LEVELS) {
    level *= selfCalls;
    if (total + level > RECURSION_BUDGET) break;
    total += level;
    copies++;
  }
  return copies;
}

/** Builds one LLVM function body: its builders, locals and shared panic blocks. */
class FnCx {
  readonly b: LLVM.IRBuilder;
  /** inserts before the entry block's terminator: where every alloca goes */
  readonly allocas: LLVM.IRBuilder;
  readonly locals = new Map<number, Addr>();
  /** drops of values a statement only borrowed from a Move (run once the statement is done) */
  readonly post: (() => void)[] = [];
  private readonly panicBlocks = new Map<string, LLVM.BasicBlock>();
  private counter = 0;
  /** the entry block's jump to block 0, once sealed */
  entryBr: LLVM.BranchInst | null = null;

  /**
   * @param self where the body's direct calls of itself go (the next copy of an unrolled
   *   recursion; `fn` itself otherwise)
   * @param ranges what the range analysis proved about the body (ranges.ts), if it ran
   */
  constructor(readonly em: ModuleEmitter, readonly fn: LLVM.Function, readonly name: string,
              readonly self: LLVM.Function = fn, readonly ranges: RangeFacts | null = null) {
    const llvm = em.llvm;
    this.allocas = new llvm.IRBuilder(em.ctx);
    this.b = new llvm.IRBuilder(em.ctx);
    this.b.SetInsertPoint(llvm.BasicBlock.Create(em.ctx, 'entry', fn));
  }

  /** Ends the entry block with a jump to `first`; allocas are inserted before that jump. */
  sealEntry(first: LLVM.BasicBlock): void {
    this.entryBr = this.b.CreateBr(first);
    this.allocas.SetInsertPoint(this.entryBr);
  }

  flushPost(): void {
    for (const f of this.post.splice(0)) f();
  }

  block(name: string): LLVM.BasicBlock {
    return this.em.llvm.BasicBlock.Create(this.em.ctx, `${name}${this.counter++}`, this.fn);
  }

  alloca(t: LLVM.Type, name = 'tmp'): LLVM.Value {
    if (!this.entryBr) fail(`alloca before the entry block of ${this.name} was sealed`);
    return this.allocas.CreateAlloca(t, null, name);
  }

  /** A block that calls a runtime panic without arguments; one per function and kind. */
  panicBlock(kind: 'zrt_panic_div_zero' | 'zrt_panic_overflow'): LLVM.BasicBlock {
    let bb = this.panicBlocks.get(kind);
    if (!bb) {
      bb = this.block(kind.replace('zrt_', ''));
      const saved = this.b.GetInsertBlock();
      this.b.SetInsertPoint(bb);
      this.b.CreateCall(this.em.rt.fn(kind), []);
      this.b.CreateUnreachable();
      if (saved) this.b.SetInsertPoint(saved);
      this.panicBlocks.set(kind, bb);
    }
    return bb;
  }

  /** Continues in a new block when `failed` holds, after `onFail` emitted the (diverging) failure path. */
  check(failed: LLVM.Value, onFail: (b: LLVM.IRBuilder) => void, name = 'check'): void {
    const bad = this.block(`${name}.fail`);
    const ok = this.block(`${name}.ok`);
    this.b.CreateCondBr(failed, bad, ok);
    this.b.SetInsertPoint(bad);
    onFail(this.b);
    this.b.CreateUnreachable();
    this.b.SetInsertPoint(ok);
  }

  /** Emits `for (i = 0; i < n; i++) body(i)` (n an i64). */
  loop(n: LLVM.Value, body: (i: LLVM.Value) => void, name = 'loop'): void {
    const L = this.em.L;
    const counter = this.alloca(L.i64, `${name}.i`);
    const b = this.b;
    b.CreateStore(this.em.i64(0), counter);
    const head = this.block(`${name}.head`);
    const bodyBB = this.block(`${name}.body`);
    const done = this.block(`${name}.done`);
    b.CreateBr(head);
    b.SetInsertPoint(head);
    const i = b.CreateLoad(L.i64, counter);
    b.CreateCondBr(b.CreateICmpSLT(i, n), bodyBB, done);
    b.SetInsertPoint(bodyBB);
    body(i);
    b.CreateStore(b.CreateAdd(i, this.em.i64(1)), counter);
    b.CreateBr(head);
    b.SetInsertPoint(done);
  }
}

export class ModuleEmitter {
  readonly ctx: LLVM.LLVMContext;
  readonly mod: LLVM.Module;
  readonly L: Layout;
  readonly rt: Runtime;
  private readonly atomics: AtomicHelpers;
  /** user functions; `copies` are fn's recursion copies (recursionCopies), fn first */
  private readonly fns = new Map<string, { def: FnDef; fn: LLVM.Function; paramTys: Ty[]; copies: LLVM.Function[] }>();
  private readonly externs = new Map<string, { def: N<'ExternDef'>; fn: LLVM.Function }>();
  private readonly globals = new Map<string, Addr>();
  private readonly strings = new Map<string, LLVM.Constant>();
  private readonly copyGlue = new Map<string, LLVM.Function>();
  private readonly dropGlue = new Map<string, LLVM.Function>();
  private readonly dropGlueVoid = new Map<string, LLVM.Function>();
  private readonly thunks = new Map<string, LLVM.Function>();
  private readonly fnRefWrappers = new Map<string, LLVM.Function>();
  private mainFn: LLVM.Function | null = null;
  /** glue whose body is still to be built (bodies are built after the user functions) */
  private readonly pendingGlue: (() => void)[] = [];

  constructor(readonly llvm: Llvm, target: Target, moduleName: string, private readonly opts: EmitOptions) {
    this.ctx = new llvm.LLVMContext();
    this.mod = new llvm.Module(moduleName, this.ctx);
    this.mod.setTargetTriple(target.triple);
    this.mod.setDataLayout(target.dataLayout);
    this.L = new Layout(llvm, this.ctx, target.dataLayout);
    this.rt = new Runtime(llvm, this.mod, this.L);
    this.atomics = new AtomicHelpers(llvm, this.mod, this.L, target);
  }

  // ------------------------------------------------------------ constants
  i64(v: number): LLVM.Value { return this.llvm.ConstantInt.get(this.L.i64, v, true); }
  i32(v: number): LLVM.Value { return this.llvm.ConstantInt.get(this.L.i32, v, true); }
  i8(v: number): LLVM.Value { return this.llvm.ConstantInt.get(this.L.i8, v, false); }

  /** An integer constant of any width from its decimal text (exact beyond 2^53). */
  intConst(ty: TyOf<'int'>, text: string, b: LLVM.IRBuilder): LLVM.Value {
    const bits = BigInt(Number(ty.name.slice(1)));
    const big = BigInt.asUintN(Number(bits), BigInt(text));
    const llTy = this.L.of(ty) as LLVM.IntegerType;
    if (big < 2n ** 52n) return this.llvm.ConstantInt.get(llTy, Number(big), false);
    // wider than a double's mantissa: assemble two exact 32-bit halves (the builder folds it)
    const hi = this.llvm.ConstantInt.get(llTy, Number(big >> 32n), false);
    const lo = this.llvm.ConstantInt.get(llTy, Number(big & 0xffffffffn), false);
    return b.CreateOr(b.CreateShl(hi, this.llvm.ConstantInt.get(llTy, 32, false)), lo);
  }

  /** A `str` constant {ptr, len} over private UTF-8 bytes (shared between equal literals). */
  strConst(text: string): LLVM.Constant {
    let c = this.strings.get(text);
    if (!c) {
      const llvm = this.llvm;
      const len = Buffer.byteLength(text, 'utf8');
      const data = llvm.ConstantDataArray.getString(this.ctx, text, false);
      const gv = new llvm.GlobalVariable(this.mod, llvm.ArrayType.get(this.L.i8, len), true,
        llvm.GlobalValue.LinkageTypes.PrivateLinkage, data, `str.${this.strings.size}`);
      const ptr = llvm.ConstantExpr.getBitCast(gv, this.L.i8p);
      c = llvm.ConstantStruct.get(this.L.str, [ptr, llvm.ConstantInt.get(this.L.i64, len, false)]);
      this.strings.set(text, c);
    }
    return c;
  }

  // ------------------------------------------------------------ module
  emit(m: N<'Module'>): void {
    const llvm = this.llvm;
    this.L.declareClasses(m.classes.map((c) => ({ name: c.name, fields: c.fields.map((f) => ({ name: f.name, ty: f.ty })), dropFn: c.dropFn })));
    for (const g of m.globals) {
      const t = this.L.of(g.ty);
      const gv = new llvm.GlobalVariable(this.mod, t, false, llvm.GlobalValue.LinkageTypes.InternalLinkage,
        llvm.Constant.getNullValue(t), `g.${g.name}`);
      this.globals.set(g.name, { ptr: gv, ty: g.ty });
    }
    for (const e of m.externs) {
      const ft = llvm.FunctionType.get(this.retType(e.ret), e.params.map((p) => this.L.of(p)), false);
      const existing = this.mod.getFunction(e.name);
      const fn = existing ?? llvm.Function.Create(ft, llvm.Function.LinkageTypes.ExternalLinkage, e.name, this.mod);
      this.externs.set(e.name, { def: e, fn });
    }
    for (const f of m.fns) {
      const localTys = new Map(f.locals.map((l) => [l.id, l.ty]));
      const paramTys = f.params.map((id) => localTys.get(id) ?? fail(`function ${f.name}: parameter ${id} is not among its locals`, f));
      const ft = llvm.FunctionType.get(this.retType(f.ret), paramTys.map((t) => this.L.of(t)), false);
      const fn = llvm.Function.Create(ft, llvm.Function.LinkageTypes.InternalLinkage, `z.${f.name}`, this.mod);
      const copies = [fn];
      const n = this.opts.unrollRecursion ? recursionCopies(f, (t) => this.L.sizeOf(t)) : 1;
      for (let i = 1; i < n; i++) {
        copies.push(llvm.Function.Create(ft, llvm.Function.LinkageTypes.InternalLinkage, recursionCopyName(f, i), this.mod));
      }
      this.fns.set(f.name, { def: f, fn, paramTys, copies });
    }
    for (const f of m.fns) {
      const { copies } = this.fns.get(f.name)!;
      copies.forEach((fn, i) => this.emitFn(f, fn, copies[(i + 1) % copies.length]));
    }
    this.emitMain(m);
    // building glue may ask for more glue (a Vec<String> drop needs the String drop): a work list
    for (let i = 0; i < this.pendingGlue.length; i++) this.pendingGlue[i]();
    this.atomics.link();
  }

  /** Every function with a body, named as in the IR. */
  definedFunctions(): { name: string; fn: LLVM.Function }[] {
    const out = [...this.fns.values()].flatMap((f) => f.copies.map((fn, i) => ({ name: i ? `${f.def.name} (recursion copy ${i})` : f.def.name, fn })));
    for (const [prefix, m] of [['zw', this.fnRefWrappers], ['zcopy', this.copyGlue], ['zdrop', this.dropGlue],
      ['zdropv', this.dropGlueVoid], ['zthunk', this.thunks]] as const) {
      for (const [key, fn] of m) out.push({ name: `${prefix}.${key}`, fn });
    }
    if (this.mainFn) out.push({ name: 'main (the C entry point)', fn: this.mainFn });
    return out;
  }

  private retType(t: Ty): LLVM.Type { return this.L.of(t.k === 'never' ? ZT.void : t); }

  /** C `main`: records the arguments, runs the static initializers, then the user's main. */
  private emitMain(m: N<'Module'>): void {
    const llvm = this.llvm;
    const L = this.L;
    const user = this.fns.get(m.main);
    if (!user) fail(`the main function \`${m.main}\` is not defined`);
    const ft = llvm.FunctionType.get(L.i32, [L.i32, L.ptr(L.i8p)], false);
    const fn = llvm.Function.Create(ft, llvm.Function.LinkageTypes.ExternalLinkage, 'main', this.mod);
    this.mainFn = fn;
    const b = new llvm.IRBuilder(this.ctx);
    b.SetInsertPoint(llvm.BasicBlock.Create(this.ctx, 'entry', fn));
    b.CreateCall(this.rt.fn('zrt_init'), [fn.getArg(0), fn.getArg(1)]);
    if (m.init) {
      const init = this.fns.get(m.init);
      if (!init) fail(`the initializer \`${m.init}\` is not defined`);
      b.CreateCall(init!.fn, []);
    }
    const status = b.CreateCall(user!.fn, []);
    b.CreateCall(this.rt.fn('zrt_flush'), []);
    const ret = user!.def.ret;
    b.CreateRet(ret.k === 'int' ? b.CreateIntCast(status, L.i32, isSigned(ret)) : this.i32(0));
  }

  // ------------------------------------------------------------ functions
  /** The names of the recursion copies (recursionCopies), which are to be inlined. */
  recursionCopyNames(): string[] {
    return [...this.fns.values()].flatMap((f) => f.copies.slice(1).map((_, i) => recursionCopyName(f.def, i + 1)));
  }

  private readonly ranges = new Map<FnDef, RangeFacts>();
  /** some arithmetic was named with noWrapMark */
  noWrapMarks = false;

  /** The range analysis of f (once for f and its recursion copies), when enabled. */
  private rangesOf(f: FnDef): RangeFacts | null {
    if (!this.opts.ranges) return null;
    let r = this.ranges.get(f);
    if (!r) { r = analyzeRanges(f); this.ranges.set(f, r); }
    return r;
  }

  /** Emits f's body into fn (f's function or one of its recursion copies); self-calls go to `self`. */
  private emitFn(f: FnDef, fn: LLVM.Function, self: LLVM.Function): void {
    const cx = new FnCx(this, fn, f.name, self, this.rangesOf(f));
    const blocks = f.blocks.map((bb, i) => {
      if (bb.id !== i) fail(`function ${f.name}: block ${i} has id ${bb.id}`, bb);
      return this.llvm.BasicBlock.Create(this.ctx, `bb${i}`, fn);
    });
    if (blocks.length === 0) fail(`function ${f.name} has no blocks`, f);
    cx.sealEntry(blocks[0]);
    for (const l of f.locals) {
      if (l.ty.k === 'void' || l.ty.k === 'never') fail(`function ${f.name}: local ${l.name} has type ${showTy(l.ty)}`, l);
      if (cx.locals.has(l.id)) fail(`function ${f.name}: local id ${l.id} declared twice`, l);
      cx.locals.set(l.id, { ptr: cx.alloca(this.L.of(l.ty), `${l.name}.${l.id}`), ty: l.ty });
    }
    cx.b.SetInsertPoint(cx.entryBr!);
    // locals start zeroed, as in the C backend (a drop of a never-assigned local is then
    // harmless); opt deletes the stores that are overwritten. Big plain arrays are left alone.
    for (const l of f.locals) {
      if (l.ty.k === 'array' && l.ty.n > 64 && !this.L.needsDrop(l.ty)) continue;
      const slot = cx.locals.get(l.id)!.ptr;
      const size = this.L.sizeOf(l.ty);
      // big aggregates are cleared with memset (a zeroinitializer store is expanded field by field)
      if ((l.ty.k === 'array' || l.ty.k === 'class') && size > 64) this.memset0(cx.b, slot, size);
      else cx.b.CreateStore(this.llvm.Constant.getNullValue(this.L.of(l.ty)), slot);
    }
    // parameters arrive in registers and are stored into their locals before block 0
    f.params.forEach((id, i) => cx.b.CreateStore(fn.getArg(i), cx.locals.get(id)!.ptr));
    f.blocks.forEach((bb, i) => {
      cx.b.SetInsertPoint(blocks[i]);
      for (const s of bb.stmts) { this.stmt(cx, s); cx.flushPost(); }
      this.term(cx, bb.term, blocks, f, bb.stmts[bb.stmts.length - 1]);
    });
  }

  private stmt(cx: FnCx, s: Stmt): void {
    switch (s.kind) {
      case 'Assign': this.assign(cx, s.place, s.value); return;
      case 'Eval': {
        const v = this.rvalue(cx, s.value);
        // a discarded value that owns memory is dropped at once
        const t = s.value.kind === 'Use' ? operandTy(s.value.op) : (s.value as { ty: Ty }).ty;
        if (v && this.L.needsDrop(t)) this.dropValue(cx, t, v);
        return;
      }
      // the user's `delete x` runs the same drop glue (spec §5.4)
      case 'Drop': case 'Delete': {
        const a = this.place(cx, s.place);
        this.dropAt(cx.b, a.ty, a.ptr);
        return;
      }
    }
    fail(`unknown statement ${(s as AnyNode).kind}`, s);
  }

  private term(cx: FnCx, t: Term, blocks: LLVM.BasicBlock[], f: FnDef, last: Stmt | undefined): void {
    const b = cx.b;
    const target = (i: number) => blocks[i] ?? fail(`function ${f.name}: jump to missing block ${i}`, t);
    switch (t.kind) {
      case 'Goto': b.CreateBr(target(t.target)); return;
      case 'Branch': {
        const c = this.truthy(b, this.peek(cx, t.cond));
        cx.flushPost();
        b.CreateCondBr(c, target(t.then), target(t.else));
        return;
      }
      case 'Return': {
        const v = t.value && f.ret.k !== 'void' && f.ret.k !== 'never' ? this.value(cx, t.value) : null;
        cx.flushPost();
        if (v) b.CreateRet(v); else b.CreateRetVoid();
        return;
      }
      case 'Unreachable': {
        // after panic/exit the runtime never returns; anywhere else reaching here is a compiler bug
        const diverged = last?.kind === 'Eval' && last.value.kind === 'Builtin' && (last.value.op === 'panic' || last.value.op === 'exit');
        if (!diverged) b.CreateCall(this.rt.fn('zrt_unreachable'), []);
        b.CreateUnreachable();
        return;
      }
    }
    fail(`unknown terminator ${(t as AnyNode).kind}`, t);
  }

  /** An i8 bool as the i1 a branch wants. */
  private truthy(b: LLVM.IRBuilder, v: LLVM.Value): LLVM.Value { return b.CreateICmpNE(v, this.i8(0)); }
  /** An i1 as a stored bool (i8 0/1). */
  private boolOf(b: LLVM.IRBuilder, c: LLVM.Value): LLVM.Value { return b.CreateZExt(c, this.L.i8); }

  // ------------------------------------------------------------ places
  private place(cx: FnCx, p: Place): Addr {
    const b = cx.b;
    const L = this.L;
    switch (p.kind) {
      case 'LocalPlace': return cx.locals.get(p.id) ?? fail(`function ${cx.name}: unknown local ${p.id}`, p);
      case 'GlobalPlace': return this.globals.get(p.name) ?? fail(`unknown global ${p.name}`, p);
      case 'DerefPlace': return { ptr: this.peek(cx, p.ptr), ty: p.ty };
      case 'FieldPlace': {
        const base = this.place(cx, p.base);
        if (base.ty.k !== 'class') fail(`field ${p.field} of a ${showTy(base.ty)}`, p);
        const c = L.classInfo((base.ty as TyOf<'class'>).name);
        const idx = c.fieldIndex.get(p.field) ?? fail(`class ${c.name} has no field ${p.field}`, p);
        const ty = c.fields[idx].ty;
        return { ptr: b.CreateInBoundsGEP(c.llType, base.ptr, [this.i32(0), this.i32(idx)], this.typedName(ty)), ty };
      }
      case 'IndexPlace': {
        const base = this.place(cx, p.base);
        const ity = operandTy(p.index);
        if (ity.k !== 'int') fail(`index of type ${showTy(ity)}`, p);
        const idx = b.CreateIntCast(this.peek(cx, p.index), L.i64, isSigned(ity as TyOf<'int'>));
        const unsignedIdx = !isSigned(ity as TyOf<'int'>);
        // the range analysis may have proven the index in bounds (ranges.ts)
        const checked = !cx.ranges?.inBounds.has(p);
        if (base.ty.k === 'array') {
          if (checked) this.boundsCheck(cx, idx, this.i64(base.ty.n), unsignedIdx);
          return { ptr: b.CreateInBoundsGEP(L.of(base.ty), base.ptr, [this.i64(0), idx], this.typedName(base.ty.elem)), ty: base.ty.elem };
        }
        if (base.ty.k === 'vec') {
          const vt = L.of(base.ty);
          const elem = L.of(base.ty.of);
          const data = b.CreateLoad(L.ptr(elem), this.header(b, vt, base.ptr, 0));
          if (checked) this.boundsCheck(cx, idx, b.CreateLoad(L.i64, this.header(b, vt, base.ptr, 1)), unsignedIdx);
          return { ptr: b.CreateInBoundsGEP(elem, data, [idx], this.typedName(base.ty.of)), ty: base.ty.of };
        }
        return fail(`indexing a ${showTy(base.ty)}`, p);
      }
      case 'PayloadPlace': {
        const base = this.place(cx, p.base);
        if (base.ty.k !== 'option') fail(`payload of a ${showTy(base.ty)}`, p);
        const of = elementOf(base.ty);
        if (optionIsNullablePtr(of)) return { ptr: base.ptr, ty: of };
        return { ptr: b.CreateInBoundsGEP(L.of(base.ty), base.ptr, [this.i32(0), this.i32(1)]), ty: of };
      }
    }
    return fail(`unknown place ${(p as AnyNode).kind}`, p);
  }

  /**
   * The place an assignment stores into. It is only addressed, never read as a value, so a
   * Move inside it (there should be none) leaves no drop behind, as in the C backend.
   */
  private destination(cx: FnCx, p: Place): Addr {
    const before = cx.post.length;
    const a = this.place(cx, p);
    cx.post.length = before;
    return a;
  }

  /** Panics "index out of bounds" unless 0 <= idx < len (idx and len are i64; one unsigned compare). */
  private boundsCheck(cx: FnCx, idx: LLVM.Value, len: LLVM.Value, unsignedIdx: boolean): void {
    cx.check(cx.b.CreateICmpUGE(idx, len), (b) => {
      b.CreateCall(this.rt.fn(unsignedIdx ? 'zrt_panic_index_u' : 'zrt_panic_index'), [idx, len]);
    }, 'bounds');
  }

  // ------------------------------------------------------------ operands
  /** The operand's value, owned: a Copy of a place that owns memory is a deep copy (spec §5.1). */
  private value(cx: FnCx, op: Operand): LLVM.Value {
    if (op.kind === 'Copy' || op.kind === 'Move') {
      const a = this.place(cx, op.place);
      if (op.kind === 'Move' || !this.L.needsDeepCopy(a.ty)) return cx.b.CreateLoad(this.L.of(a.ty), a.ptr);
      return this.copyOut(cx, a.ty, a.ptr);
    }
    return this.peek(cx, op);
  }

  /**
   * The operand's bits, for consumers that only look during the statement (tests,
   * comparisons, printing, addresses). A Copy reads the place as it is; a Move's value is
   * dropped once the statement is done, since nobody else owns it any more.
   */
  private peek(cx: FnCx, op: Operand): LLVM.Value {
    const b = cx.b;
    switch (op.kind) {
      case 'Copy': case 'Move': {
        const a = this.borrowPlace(cx, op);
        return b.CreateLoad(this.L.of(a.ty), a.ptr);
      }
      case 'FnRef': return this.fnRefValue(b, op.name);
      case 'Const': return this.constant(b, op);
    }
    return fail(`unknown operand ${(op as AnyNode).kind}`, op);
  }

  /** The place of a Copy/Move operand that is only borrowed (see `peek`). */
  private borrowPlace(cx: FnCx, op: N<'Copy'> | N<'Move'>): Addr {
    const a = this.place(cx, op.place);
    if (op.kind === 'Move' && this.L.needsDrop(a.ty)) cx.post.push(() => this.dropAt(cx.b, a.ty, a.ptr));
    return a;
  }

  /** The address of the operand's value, for runtime functions that take it by pointer (only reading it). */
  private addrOf(cx: FnCx, op: Operand): LLVM.Value {
    if (op.kind === 'Copy' || op.kind === 'Move') return this.borrowPlace(cx, op).ptr;
    const v = this.peek(cx, op);
    const tmp = cx.alloca(this.L.of(operandTy(op)), 'arg');
    cx.b.CreateStore(v, tmp);
    return tmp;
  }

  private constant(b: LLVM.IRBuilder, c: N<'Const'>): LLVM.Value {
    const llvm = this.llvm;
    const t = c.ty;
    switch (t.k) {
      case 'int': return this.intConst(t, String(c.value), b);
      case 'float': return llvm.ConstantFP.get(this.L.of(t), Number(c.value));
      case 'bool': return this.i8(c.value ? 1 : 0);
      case 'str': return this.strConst(String(c.value));
      default: return fail(`constant of type ${showTy(t)}`, c);
    }
  }

  /** A plain function as a value: {wrapper, null}; the wrapper drops the env argument. */
  private fnRefValue(b: LLVM.IRBuilder, name: string): LLVM.Value {
    const llvm = this.llvm;
    const L = this.L;
    let w = this.fnRefWrappers.get(name);
    if (!w) {
      const target = this.fns.get(name) ?? fail(`function value of unknown function ${name}`);
      const paramTys = target!.paramTys.map((t) => L.of(t));
      const retTy = this.retType(target!.def.ret);
      const ft = llvm.FunctionType.get(retTy, [L.i8p, ...paramTys], false);
      w = llvm.Function.Create(ft, llvm.Function.LinkageTypes.InternalLinkage, `zw.${name}`, this.mod);
      const wb = new llvm.IRBuilder(this.ctx);
      wb.SetInsertPoint(llvm.BasicBlock.Create(this.ctx, 'entry', w));
      const r = wb.CreateCall(target!.fn, paramTys.map((_, i) => w!.getArg(i + 1)));
      if (retTy.isVoidTy()) wb.CreateRetVoid(); else wb.CreateRet(r);
      this.fnRefWrappers.set(name, w);
    }
    return this.fnValue(b, w, llvm.Constant.getNullValue(L.i8p));
  }

  private fnValue(b: LLVM.IRBuilder, code: LLVM.Function, env: LLVM.Value): LLVM.Value {
    const L = this.L;
    const codeTy = L.ptr(this.llvm.FunctionType.get(L.void, false));
    const agg = b.CreateInsertValue(this.llvm.UndefValue.get(L.fnValue), b.CreateBitCast(code, codeTy), [0]);
    return b.CreateInsertValue(agg, b.CreateBitCast(env, L.i8p), [1]);
  }

  // ------------------------------------------------------------ assignment
  private assign(cx: FnCx, dst: Place, rv: Rvalue): void {
    const b = cx.b;
    const L = this.L;
    // the right side is evaluated before the place it is stored into
    switch (rv.kind) {
      case 'Use': {
        const op = rv.op;
        if ((op.kind === 'Copy' || op.kind === 'Move')) {
          const src = this.place(cx, op.place);
          if (src.ty.k === 'array' || src.ty.k === 'class') {
            // aggregates move through memory, never as huge SSA values
            let from = src.ptr;
            if (op.kind === 'Copy' && L.needsDeepCopy(src.ty)) {
              from = cx.alloca(L.of(src.ty), 'copy');
              this.copyAt(b, src.ty, from, src.ptr);
            }
            const to = this.destination(cx, dst);
            this.memmove(b, to.ptr, from, L.sizeOf(src.ty));
            return;
          }
        }
        const v = this.value(cx, op);
        b.CreateStore(v, this.destination(cx, dst).ptr);
        return;
      }
      case 'Aggregate': {
        const vals = rv.ops.map((o) => this.value(cx, o));
        const to = this.destination(cx, dst);
        const t = L.of(rv.ty);
        vals.forEach((v, i) => b.CreateStore(v, b.CreateInBoundsGEP(t, to.ptr, [this.i32(0), rv.ty.k === 'array' ? this.i64(i) : this.i32(i)])));
        return;
      }
      case 'Repeat': {
        const v = this.value(cx, rv.op);
        const to = this.destination(cx, dst);
        this.fillRepeat(cx, rv.ty, to.ptr, v, rv.count);
        return;
      }
      default: {
        const v = this.rvalue(cx, rv);
        if (!v) fail(`assigning the void result of ${rv.kind}`, rv);
        b.CreateStore(v!, this.destination(cx, dst).ptr);
      }
    }
  }

  /** `[v; n]` into memory: element 0 takes v, the others are copies of it. */
  private fillRepeat(cx: FnCx, ty: Ty, ptr: LLVM.Value, v: LLVM.Value, count: number): void {
    if (ty.k !== 'array') fail(`repeat of type ${showTy(ty)}`);
    const at = ty as TyOf<'array'>;
    const b = cx.b;
    const arr = this.L.of(at);
    if (count === 0) { this.dropValue(cx, at.elem, v); return; }
    const first = b.CreateInBoundsGEP(arr, ptr, [this.i64(0), this.i64(0)]);
    b.CreateStore(v, first);
    if (count === 1) return;
    const deep = this.L.needsDeepCopy(at.elem);
    cx.loop(this.i64(count - 1), (i) => {
      const dst = b.CreateInBoundsGEP(arr, ptr, [this.i64(0), b.CreateAdd(i, this.i64(1))]);
      if (deep) this.copyAt(b, at.elem, dst, first);
      else b.CreateStore(v, dst);
    }, 'repeat');
  }

  private memset0(b: LLVM.IRBuilder, dst: LLVM.Value, size: number): void {
    const L = this.L;
    const f = this.llvm.Intrinsic.getDeclaration(this.mod, this.llvm.Intrinsic.memset, [L.i8p, L.i64]);
    b.CreateCall(f, [b.CreateBitCast(dst, L.i8p), this.i8(0), this.i64(size), this.llvm.ConstantInt.getFalse(this.ctx)]);
  }

  private memmove(b: LLVM.IRBuilder, dst: LLVM.Value, src: LLVM.Value, size: number): void {
    if (size === 0) return;
    const L = this.L;
    const f = this.llvm.Intrinsic.getDeclaration(this.mod, this.llvm.Intrinsic.memmove, [L.i8p, L.i8p, L.i64]);
    b.CreateCall(f, [b.CreateBitCast(dst, L.i8p), b.CreateBitCast(src, L.i8p), this.i64(size), this.llvm.ConstantInt.getFalse(this.ctx)]);
  }

  // ------------------------------------------------------------ rvalues
  /** An rvalue's value (null for void results). */
  private rvalue(cx: FnCx, rv: Rvalue): LLVM.Value | null {
    const b = cx.b;
    const L = this.L;
    const llvm = this.llvm;
    switch (rv.kind) {
      case 'Use': return this.value(cx, rv.op);
      case 'BinOp': return this.binop(cx, rv);
      case 'UnOp': return this.unop(cx, rv);
      case 'CastOp': return this.cast(cx, rv);
      case 'Ref': return this.place(cx, rv.place).ptr;
      case 'CallFn': {
        const args = rv.args.map((a) => this.value(cx, a));
        const callee = rv.fn === cx.name ? cx.self
          : this.fns.get(rv.fn)?.fn ?? this.externs.get(rv.fn)?.fn ?? fail(`call of unknown function ${rv.fn}`, rv);
        const r = b.CreateCall(callee!, args);
        return rv.ty.k === 'void' || rv.ty.k === 'never' ? null : r;
      }
      case 'CallValue': {
        const fty = operandTy(rv.callee);
        if (fty.k !== 'fn') fail(`call of a ${showTy(fty)}`, rv);
        const f = this.peek(cx, rv.callee);
        const args = rv.args.map((a) => this.value(cx, a));
        return this.callFnValue(b, fty as TyOf<'fn'>, f, args);
      }
      case 'Closure': {
        const target = this.fns.get(rv.fn) ?? fail(`closure over unknown function ${rv.fn}`, rv);
        return this.fnValue(b, target!.fn, this.value(cx, rv.env));
      }
      case 'Aggregate': case 'Repeat': {
        const tmp = cx.alloca(L.of(rv.ty), 'agg');
        this.assignTo(cx, tmp, rv);
        return b.CreateLoad(L.of(rv.ty), tmp);
      }
      case 'MakeSome': {
        const of = elementOf(rv.ty);
        const v = this.value(cx, rv.op);
        if (optionIsNullablePtr(of)) return v;
        const agg = b.CreateInsertValue(llvm.Constant.getNullValue(L.of(rv.ty)), this.i8(1), [0]);
        return b.CreateInsertValue(agg, v, [1]);
      }
      case 'MakeNone': return llvm.Constant.getNullValue(L.of(rv.ty));
      case 'IsSome': return this.boolOf(b, this.isSome(cx, rv.op));
      case 'Builtin': return this.builtin(cx, rv);
    }
    return fail(`unknown rvalue ${(rv as AnyNode).kind}`, rv);
  }

  /** Assigns an Aggregate/Repeat rvalue into memory at ptr. */
  private assignTo(cx: FnCx, ptr: LLVM.Value, rv: N<'Aggregate'> | N<'Repeat'>): void {
    const b = cx.b;
    if (rv.kind === 'Repeat') { this.fillRepeat(cx, rv.ty, ptr, this.value(cx, rv.op), rv.count); return; }
    const t = this.L.of(rv.ty);
    const vals = rv.ops.map((o) => this.value(cx, o));
    vals.forEach((v, i) => b.CreateStore(v, b.CreateInBoundsGEP(t, ptr, [this.i32(0), rv.ty.k === 'array' ? this.i64(i) : this.i32(i)])));
  }

  private callFnValue(b: LLVM.IRBuilder, fty: TyOf<'fn'>, f: LLVM.Value, args: LLVM.Value[]): LLVM.Value | null {
    const codeTy = this.L.closureCodeType(fty);
    const code = b.CreateBitCast(b.CreateExtractValue(f, [0]), this.L.ptr(codeTy));
    const env = b.CreateExtractValue(f, [1]);
    const r = b.CreateCall(codeTy, code, [env, ...args]);
    return fty.ret.k === 'void' || fty.ret.k === 'never' ? null : r;
  }

  /** i1: the Option operand holds a value. Reads only the tag of a place. */
  private isSome(cx: FnCx, op: Operand): LLVM.Value {
    const b = cx.b;
    const t = operandTy(op);
    if (t.k !== 'option') fail(`IsSome of a ${showTy(t)}`, op);
    const of = elementOf(t);
    if (op.kind === 'Copy' || op.kind === 'Move') {
      const a = this.borrowPlace(cx, op);
      if (optionIsNullablePtr(of)) return b.CreateIsNotNull(b.CreateLoad(this.L.of(t), a.ptr));
      return this.truthy(b, b.CreateLoad(this.L.i8, b.CreateInBoundsGEP(this.L.of(t), a.ptr, [this.i32(0), this.i32(0)])));
    }
    const v = this.peek(cx, op);
    return optionIsNullablePtr(of) ? b.CreateIsNotNull(v) : this.truthy(b, b.CreateExtractValue(v, [0]));
  }

  private binop(cx: FnCx, rv: N<'BinOp'>): LLVM.Value {
    const b = cx.b;
    const L = this.L;
    const lt = operandTy(rv.left);
    const op = rv.op;
    if (lt.k === 'string' || lt.k === 'str') {
      if (op !== '==' && op !== '!=') fail(`operator ${op} on ${showTy(lt)}`, rv);
      let eq: LLVM.Value;
      if (lt.k === 'str') {
        const l = this.peek(cx, rv.left);
        const r = this.peek(cx, rv.right);
        eq = b.CreateCall(this.rt.fn('zrt_str_eq'), [b.CreateExtractValue(l, [0]), b.CreateExtractValue(l, [1]), b.CreateExtractValue(r, [0]), b.CreateExtractValue(r, [1])]);
      } else {
        eq = b.CreateCall(this.rt.fn('zrt_string_eq'), [this.addrOf(cx, rv.left), this.addrOf(cx, rv.right)]);
      }
      const c = this.truthy(b, eq);
      return this.boolOf(b, op === '==' ? c : b.CreateNot(c));
    }
    const l = this.peek(cx, rv.left);
    const r = this.peek(cx, rv.right);
    if (lt.k === 'ptr' && (op === '+' || op === '-') && operandTy(rv.right).k === 'int') {
      const rt = operandTy(rv.right) as TyOf<'int'>;
      let n = b.CreateIntCast(r, L.i64, isSigned(rt));
      if (op === '-') n = b.CreateNeg(n);
      return b.CreateGEP(L.of(lt.to.k === 'void' ? ZT.u8 : lt.to), l, [n]);
    }
    if (lt.k === 'float') {
      switch (op) {
        case '+': return b.CreateFAdd(l, r);
        case '-': return b.CreateFSub(l, r);
        case '*': return b.CreateFMul(l, r);
        case '/': return b.CreateFDiv(l, r);
        case '%': return b.CreateFRem(l, r);
        case '==': return this.boolOf(b, b.CreateFCmpOEQ(l, r));
        case '!=': return this.boolOf(b, b.CreateFCmpUNE(l, r));
        case '<': return this.boolOf(b, b.CreateFCmpOLT(l, r));
        case '<=': return this.boolOf(b, b.CreateFCmpOLE(l, r));
        case '>': return this.boolOf(b, b.CreateFCmpOGT(l, r));
        case '>=': return this.boolOf(b, b.CreateFCmpOGE(l, r));
      }
      return fail(`operator ${op} on ${showTy(lt)}`, rv);
    }
    if (lt.k === 'int' || lt.k === 'bool') {
      const signed = lt.k === 'int' && isSigned(lt);
      // the range analysis' no-wrap proofs, as names the text pass turns into flags (ranges.ts)
      const flags = cx.ranges?.noWrap.get(rv);
      const name = flags ? noWrapMark(flags) : '';
      if (name) this.noWrapMarks = true;
      switch (op) {
        case '+': return b.CreateAdd(l, r, name);
        case '-': return b.CreateSub(l, r, name);
        case '*': return b.CreateMul(l, r, name);
        case '/': case '%': return this.divrem(cx, lt as TyOf<'int'>, op, l, r);
        case '&': return b.CreateAnd(l, r);
        case '|': return b.CreateOr(l, r);
        case '^': return b.CreateXor(l, r);
        case '<<': case '>>': {
          const rt = operandTy(rv.right);
          if (lt.k !== 'int' || rt.k !== 'int') fail(`shift of ${showTy(lt)} by ${showTy(rt)}`, rv);
          const bits = Number((lt as TyOf<'int'>).name.slice(1));
          const lty = L.of(lt);
          // the amount is taken modulo the width (a power of two: the low bits of either extension agree)
          const amount = b.CreateAnd(b.CreateIntCast(r, lty, false), this.llvm.ConstantInt.get(lty as LLVM.IntegerType, bits - 1, false));
          return op === '<<' ? b.CreateShl(l, amount) : signed ? b.CreateAShr(l, amount) : b.CreateLShr(l, amount);
        }
        case '==': return this.boolOf(b, b.CreateICmpEQ(l, r));
        case '!=': return this.boolOf(b, b.CreateICmpNE(l, r));
        case '<': return this.boolOf(b, signed ? b.CreateICmpSLT(l, r) : b.CreateICmpULT(l, r));
        case '<=': return this.boolOf(b, signed ? b.CreateICmpSLE(l, r) : b.CreateICmpULE(l, r));
        case '>': return this.boolOf(b, signed ? b.CreateICmpSGT(l, r) : b.CreateICmpUGT(l, r));
        case '>=': return this.boolOf(b, signed ? b.CreateICmpSGE(l, r) : b.CreateICmpUGE(l, r));
      }
      return fail(`operator ${op} on ${showTy(lt)}`, rv);
    }
    if (lt.k === 'ptr' || lt.k === 'box' || lt.k === 'region' || (lt.k === 'option' && optionIsNullablePtr(lt.of))) {
      if (op === '==') return this.boolOf(b, b.CreateICmpEQ(l, r));
      if (op === '!=') return this.boolOf(b, b.CreateICmpNE(l, r));
    }
    return fail(`operator ${op} on ${showTy(lt)}`, rv);
  }

  /** `/` and `%` with the spec's panics: zero divisor, and MIN / -1 for signed types. */
  private divrem(cx: FnCx, t: TyOf<'int'>, op: '/' | '%', l: LLVM.Value, r: LLVM.Value): LLVM.Value {
    const b = cx.b;
    const lty = this.L.of(t) as LLVM.IntegerType;
    const zero = this.llvm.ConstantInt.get(lty, 0, false);
    const divZero = cx.panicBlock('zrt_panic_div_zero');
    let ok = cx.block('div.ok');
    b.CreateCondBr(b.CreateICmpEQ(r, zero), divZero, ok);
    b.SetInsertPoint(ok);
    if (!isSigned(t)) return op === '/' ? b.CreateUDiv(l, r) : b.CreateURem(l, r);
    const bits = Number(t.name.slice(1));
    const min = this.intConst(t, (-(2n ** BigInt(bits - 1))).toString(), b);
    const minusOne = this.llvm.Constant.getAllOnesValue(lty);
    const overflow = b.CreateAnd(b.CreateICmpEQ(l, min), b.CreateICmpEQ(r, minusOne));
    ok = cx.block('div.ok');
    b.CreateCondBr(overflow, cx.panicBlock('zrt_panic_overflow'), ok);
    b.SetInsertPoint(ok);
    return op === '/' ? b.CreateSDiv(l, r) : b.CreateSRem(l, r);
  }

  private unop(cx: FnCx, rv: N<'UnOp'>): LLVM.Value {
    const b = cx.b;
    const t = operandTy(rv.operand);
    const v = this.peek(cx, rv.operand);
    switch (rv.op) {
      case '-': return t.k === 'float' ? b.CreateFNeg(v) : b.CreateNeg(v);
      case '!': return b.CreateXor(v, this.i8(1));
      case '~': return b.CreateNot(v);
    }
    return fail(`unary operator ${rv.op}`, rv);
  }

  private cast(cx: FnCx, rv: N<'CastOp'>): LLVM.Value {
    const b = cx.b;
    const L = this.L;
    const from = operandTy(rv.op);
    const to = rv.ty;
    const v = this.peek(cx, rv.op);
    const toTy = L.of(to);
    const isPtr = (t: Ty) => t.k === 'ptr' || t.k === 'box' || (t.k === 'option' && optionIsNullablePtr(t.of));
    if (from.k === 'int' && to.k === 'int') return b.CreateIntCast(v, toTy, isSigned(from));
    if (from.k === 'bool' && to.k === 'int') return b.CreateIntCast(v, toTy, false);
    if (from.k === 'bool' && to.k === 'float') return b.CreateUIToFP(v, toTy);
    if (from.k === 'bool' && to.k === 'bool') return v;
    if (from.k === 'int' && to.k === 'float') return isSigned(from) ? b.CreateSIToFP(v, toTy) : b.CreateUIToFP(v, toTy);
    if (from.k === 'float' && to.k === 'float') return b.CreateFPCast(v, toTy);
    if (from.k === 'float' && to.k === 'int') {
      // saturating, NaN -> 0: exactly the semantics of the llvm.fpto[su]i.sat intrinsics
      const id = isSigned(to) ? this.llvm.Intrinsic.fptosi_sat : this.llvm.Intrinsic.fptoui_sat;
      return b.CreateCall(this.llvm.Intrinsic.getDeclaration(this.mod, id, [toTy, L.of(from)]), [v]);
    }
    if (isPtr(from) && to.k === 'int') return b.CreatePtrToInt(v, toTy);
    if (from.k === 'int' && isPtr(to)) return b.CreateIntToPtr(b.CreateIntCast(v, L.i64, isSigned(from)), toTy);
    if (isPtr(from) && isPtr(to)) return b.CreatePointerCast(v, toTy);
    return fail(`cast from ${showTy(from)} to ${showTy(to)}`, rv);
  }

  // ------------------------------------------------------------ glue: copy and drop
  /** Deep-copies the T at src into dst (uninitialized memory). */
  copyAt(b: LLVM.IRBuilder, t: Ty, dst: LLVM.Value, src: LLVM.Value): void {
    if (!this.L.needsDeepCopy(t)) {
      b.CreateStore(b.CreateLoad(this.L.of(t), src), dst);
      return;
    }
    b.CreateCall(this.copyGlueFn(t), [dst, src]);
  }

  /** Runs the drop glue of the T at ptr (nothing for types without). */
  dropAt(b: LLVM.IRBuilder, t: Ty, ptr: LLVM.Value): void {
    if (this.L.needsDrop(t)) b.CreateCall(this.dropGlueFn(t), [ptr]);
  }

  /** Drops a value held in a register (stores it to a temporary first). */
  private dropValue(cx: FnCx, t: Ty, v: LLVM.Value): void {
    if (!this.L.needsDrop(t)) return;
    const tmp = cx.alloca(this.L.of(t), 'dead');
    cx.b.CreateStore(v, tmp);
    this.dropAt(cx.b, t, tmp);
  }

  /** Creates a glue function now; its body is built later by `body` (so glue may recurse). */
  private glueFn(map: Map<string, LLVM.Function>, prefix: string, t: Ty, params: LLVM.Type[],
                 body: (cx: FnCx, args: LLVM.Value[]) => void): LLVM.Function {
    const key = showTy(t);
    let f = map.get(key);
    if (!f) {
      const llvm = this.llvm;
      const ft = llvm.FunctionType.get(this.L.void, params, false);
      const fn = llvm.Function.Create(ft, llvm.Function.LinkageTypes.InternalLinkage, `${prefix}.${key}`, this.mod);
      map.set(key, fn);
      f = fn;
      this.pendingGlue.push(() => {
        const cx = new FnCx(this, fn, `${prefix}.${key}`);
        const start = llvm.BasicBlock.Create(this.ctx, 'body', fn);
        cx.sealEntry(start);
        cx.b.SetInsertPoint(start);
        body(cx, params.map((_, i) => fn.getArg(i)));
        cx.b.CreateRetVoid();
      });
    }
    return f;
  }

  private copyGlueFn(t: Ty): LLVM.Function {
    const p = this.L.ptr(this.L.of(t));
    return this.glueFn(this.copyGlue, 'zcopy', t, [p, p], (cx, [dst, src]) => this.buildCopy(cx, t, dst, src));
  }

  private dropGlueFn(t: Ty): LLVM.Function {
    return this.glueFn(this.dropGlue, 'zdrop', t, [this.L.ptr(this.L.of(t))], (cx, [p]) => this.buildDrop(cx, t, p));
  }

  /** `void (void*)` drop glue for the runtime (thread results, queued channel elements); null when T needs none. */
  private dropGlueForRuntime(t: Ty): LLVM.Constant {
    const L = this.L;
    const fnPtrTy = L.ptr(this.rt.dropFnType());
    if (!L.needsDrop(t)) return this.llvm.ConstantPointerNull.get(fnPtrTy);
    return this.glueFn(this.dropGlueVoid, 'zdropv', t, [L.i8p], (cx, [p]) => {
      this.dropAt(cx.b, t, cx.b.CreateBitCast(p, L.ptr(L.of(t))));
    });
  }

  private field(b: LLVM.IRBuilder, aggTy: LLVM.Type, p: LLVM.Value, i: number): LLVM.Value {
    return b.CreateInBoundsGEP(aggTy, p, [this.i32(0), this.i32(i)]);
  }

  /** Field i of a Vec or String header {ptr, len, cap}, its accesses tagged for TBAA. */
  private header(b: LLVM.IRBuilder, aggTy: LLVM.Type, p: LLVM.Value, i: number): LLVM.Value {
    return b.CreateInBoundsGEP(aggTy, p, [this.i32(0), this.i32(i)], this.mark());
  }

  /** whether some address was named TBAA_MARK */
  tbaaMarks = false;
  private mark(): string {
    if (!this.opts.tbaa) return '';
    this.tbaaMarks = true;
    return TBAA_MARK;
  }

  /**
   * The name of the address of a class field or a Vec/array element of type t: TBAA_MARK
   * (its loads and stores get a TBAA tag, tbaa.ts) when t is a plain scalar, whose memory
   * holds nothing else (an Option of a Box or pointer is a nullable pointer); none otherwise
   * (atomics, other options, handles and aggregates).
   */
  private typedName(t: Ty): string {
    switch (t.k) {
      case 'int': case 'float': case 'bool': case 'ptr': case 'box': return this.mark();
      case 'option': return t.of.k === 'ptr' || t.of.k === 'box' ? this.mark() : '';
      default: return '';
    }
  }

  private buildCopy(cx: FnCx, t: Ty, dst: LLVM.Value, src: LLVM.Value): void {
    const b = cx.b;
    const L = this.L;
    const lt = L.of(t);
    switch (t.k) {
      case 'string': b.CreateCall(this.rt.fn('zrt_string_clone'), [dst, src]); return;
      case 'box': {
        const inner = L.of(t.of);
        const mem = b.CreateCall(this.rt.fn('zrt_alloc'), [this.i64(L.sizeOf(t.of)), this.i64(L.alignOf(t.of))]);
        const to = b.CreateBitCast(mem, L.ptr(inner));
        this.copyAt(b, t.of, to, b.CreateLoad(L.ptr(inner), src));
        b.CreateStore(to, dst);
        return;
      }
      case 'vec': {
        const elem = L.of(t.of);
        const len = b.CreateLoad(L.i64, this.header(b, lt, src, 1));
        const from = b.CreateLoad(L.ptr(elem), this.header(b, lt, src, 0));
        const mem = b.CreateCall(this.rt.fn('zrt_alloc_array'), [len, this.i64(L.sizeOf(t.of))]);
        const to = b.CreateBitCast(mem, L.ptr(elem));
        cx.loop(len, (i) => this.copyAt(b, t.of, b.CreateInBoundsGEP(elem, to, [i]), b.CreateInBoundsGEP(elem, from, [i])), 'vcopy');
        b.CreateStore(to, this.header(b, lt, dst, 0));
        b.CreateStore(len, this.header(b, lt, dst, 1));
        b.CreateStore(len, this.header(b, lt, dst, 2));
        return;
      }
      case 'option': {
        // Option<Box<T>>: a nullable pointer; otherwise {tag, payload}
        if (optionIsNullablePtr(t.of)) {
          const v = b.CreateLoad(lt, src);
          const some = cx.block('some');
          const none = cx.block('none');
          const done = cx.block('done');
          b.CreateCondBr(b.CreateIsNotNull(v), some, none);
          b.SetInsertPoint(none); b.CreateStore(v, dst); b.CreateBr(done);
          b.SetInsertPoint(some); this.copyAt(b, t.of, dst, src); b.CreateBr(done);
          b.SetInsertPoint(done);
          return;
        }
        const tag = b.CreateLoad(L.i8, this.field(b, lt, src, 0));
        b.CreateStore(this.llvm.Constant.getNullValue(lt), dst);
        b.CreateStore(tag, this.field(b, lt, dst, 0));
        const some = cx.block('some');
        const done = cx.block('done');
        b.CreateCondBr(this.truthy(b, tag), some, done);
        b.SetInsertPoint(some);
        this.copyAt(b, t.of, this.field(b, lt, dst, 1), this.field(b, lt, src, 1));
        b.CreateBr(done);
        b.SetInsertPoint(done);
        return;
      }
      case 'array':
        cx.loop(this.i64(t.n), (i) => this.copyAt(b, t.elem,
          b.CreateInBoundsGEP(lt, dst, [this.i64(0), i]), b.CreateInBoundsGEP(lt, src, [this.i64(0), i])), 'acopy');
        return;
      case 'class': {
        const c = L.classInfo(t.name);
        c.fields.forEach((f, i) => this.copyAt(b, f.ty, this.field(b, lt, dst, i), this.field(b, lt, src, i)));
        return;
      }
      case 'thread': case 'channel': {
        const h = b.CreateLoad(lt, src);
        b.CreateCall(this.rt.fn(t.k === 'thread' ? 'zrt_thread_retain' : 'zrt_channel_retain'), [h]);
        b.CreateStore(h, dst);
        return;
      }
      case 'mutex': {
        // a copy of a Mutex is a new mutex protecting a copy of the value, taken under the lock
        const m = b.CreateCall(this.rt.fn('zrt_mutex_new'), [this.i64(L.sizeOf(t.of)), this.i64(L.alignOf(t.of))]);
        const from = b.CreateLoad(lt, src);
        b.CreateCall(this.rt.fn('zrt_mutex_lock'), [from]);
        this.copyAt(b, t.of, this.mutexValue(b, t.of, m), this.mutexValue(b, t.of, from));
        b.CreateCall(this.rt.fn('zrt_mutex_unlock'), [from]);
        b.CreateStore(m, dst);
        return;
      }
      case 'atomic': {
        const helper = this.atomics.helper('load', lt as LLVM.IntegerType, L.sizeOf(t.of) * 8, ORDERING.SeqCst);
        b.CreateStore(b.CreateCall(helper, [src]), dst);
        return;
      }
      case 'guard': fail('a Guard cannot be copied'); return;
    }
    fail(`copy glue for ${showTy(t)}`);
  }

  private buildDrop(cx: FnCx, t: Ty, p: LLVM.Value): void {
    const b = cx.b;
    const L = this.L;
    const lt = L.of(t);
    switch (t.k) {
      case 'string': b.CreateCall(this.rt.fn('zrt_string_free'), [p]); return;
      case 'box': {
        const inner = b.CreateLoad(lt, p);
        this.dropAt(b, t.of, inner);
        b.CreateCall(this.rt.fn('zrt_free'), [b.CreateBitCast(inner, L.i8p)]);
        return;
      }
      case 'vec': {
        if (L.needsDrop(t.of)) {
          const elem = L.of(t.of);
          const len = b.CreateLoad(L.i64, this.header(b, lt, p, 1));
          const data = b.CreateLoad(L.ptr(elem), this.header(b, lt, p, 0));
          cx.loop(len, (i) => this.dropAt(b, t.of, b.CreateInBoundsGEP(elem, data, [i])), 'vdrop');
        }
        b.CreateCall(this.rt.fn('zrt_vec_free'), [b.CreateBitCast(p, L.i8p)]);
        return;
      }
      case 'option': {
        const some = cx.block('some');
        const done = cx.block('done');
        const present = optionIsNullablePtr(t.of)
          ? b.CreateIsNotNull(b.CreateLoad(lt, p))
          : this.truthy(b, b.CreateLoad(L.i8, this.field(b, lt, p, 0)));
        b.CreateCondBr(present, some, done);
        b.SetInsertPoint(some);
        this.dropAt(b, t.of, optionIsNullablePtr(t.of) ? p : this.field(b, lt, p, 1));
        b.CreateBr(done);
        b.SetInsertPoint(done);
        return;
      }
      case 'array':
        cx.loop(this.i64(t.n), (i) => this.dropAt(b, t.elem, b.CreateInBoundsGEP(lt, p, [this.i64(0), i])), 'adrop');
        return;
      case 'class': {
        const c: ClassInfo = L.classInfo(t.name);
        if (c.dropFn) {
          const user = this.fns.get(c.dropFn) ?? fail(`drop function ${c.dropFn} of class ${c.name} is not defined`);
          b.CreateCall(user!.fn, [p]);
        }
        c.fields.forEach((f, i) => this.dropAt(b, f.ty, this.field(b, lt, p, i)));
        return;
      }
      case 'thread': b.CreateCall(this.rt.fn('zrt_thread_release'), [b.CreateLoad(lt, p)]); return;
      case 'channel': b.CreateCall(this.rt.fn('zrt_channel_release'), [b.CreateLoad(lt, p)]); return;
      case 'guard': b.CreateCall(this.rt.fn('zrt_mutex_unlock'), [b.CreateLoad(lt, p)]); return;
      case 'mutex': {
        const m = b.CreateLoad(lt, p);
        this.dropAt(b, t.of, this.mutexValue(b, t.of, m));
        b.CreateCall(this.rt.fn('zrt_mutex_free'), [m]);
        return;
      }
    }
    fail(`drop glue for ${showTy(t)}`);
  }

  /** The address of a mutex's value (ZRT_MUTEX_VALUE_OFFSET bytes into the object). */
  private mutexValue(b: LLVM.IRBuilder, of: Ty, m: LLVM.Value): LLVM.Value {
    const L = this.L;
    const raw = b.CreateInBoundsGEP(L.i8, b.CreateBitCast(m, L.i8p), [this.i64(MUTEX_VALUE_OFFSET)]);
    return b.CreateBitCast(raw, L.ptr(L.of(of)));
  }

  // ------------------------------------------------------------ builtins
  private call(b: LLVM.IRBuilder, name: RuntimeFn, args: LLVM.Value[]): LLVM.Value {
    return b.CreateCall(this.rt.fn(name), args);
  }

  /** A C bool argument: 0/1 in a full i32. */
  private cBool(b: LLVM.IRBuilder, v: LLVM.Value): LLVM.Value { return b.CreateZExt(v, this.L.i32); }

  private builtin(cx: FnCx, rv: N<'Builtin'>): LLVM.Value | null {
    const b = cx.b;
    const L = this.L;
    const llvm = this.llvm;
    const args = rv.args;
    const argTy = (i: number) => operandTy(args[i] ?? fail(`${rv.op}: missing argument ${i}`, rv));
    /** the pointee type of a receiver argument (`*T` / `*mut T`) */
    const recvOf = (i: number): Ty => {
      const t = argTy(i);
      return t.k === 'ptr' ? t.to : fail(`${rv.op}: receiver of type ${showTy(t)}`, rv);
    };
    const genericOf = (t: Ty): Ty => ('of' in t ? t.of : fail(`${rv.op}: ${showTy(t)} has no element type`, rv));
    switch (rv.op) {
      case 'print': case 'println': {
        const nl = rv.op === 'println';
        const t = argTy(0);
        const pick = (base: string) => `zrt_${nl ? 'println' : 'print'}_${base}` as RuntimeFn;
        switch (t.k) {
          case 'int': {
            const signed = isSigned(t);
            this.call(b, pick(signed ? 'i64' : 'u64'), [b.CreateIntCast(this.peek(cx, args[0]), L.i64, signed)]);
            return null;
          }
          case 'float': this.call(b, pick(t.name), [this.peek(cx, args[0])]); return null;
          case 'bool': this.call(b, pick('bool'), [this.cBool(b, this.peek(cx, args[0]))]); return null;
          case 'str': {
            const s = this.peek(cx, args[0]);
            this.call(b, pick('str'), [b.CreateExtractValue(s, [0]), b.CreateExtractValue(s, [1])]);
            return null;
          }
          case 'string': this.call(b, pick('string'), [this.addrOf(cx, args[0])]); return null;
        }
        return fail(`${rv.op} of a ${showTy(t)}`, rv);
      }
      case 'print_fixed': this.call(b, 'zrt_print_fixed', [this.peek(cx, args[0]), this.peek(cx, args[1])]); return null;
      case 'panic': {
        const s = this.peek(cx, args[0]);
        this.call(b, 'zrt_panic', [b.CreateExtractValue(s, [0]), b.CreateExtractValue(s, [1])]);
        return null;
      }
      case 'exit': this.call(b, 'zrt_exit', [this.peek(cx, args[0])]); return null;
      case 'arg_count': return this.call(b, 'zrt_arg_count', []);
      case 'arg': return this.viaOut(cx, L.string, (out) => this.call(b, 'zrt_arg', [out, this.peek(cx, args[0])]));
      case 'sqrt': case 'floor': case 'ceil': {
        const t = L.of(argTy(0));
        const id = llvm.Intrinsic[rv.op];
        return b.CreateCall(llvm.Intrinsic.getDeclaration(this.mod, id, [t]), [this.peek(cx, args[0])]);
      }
      case 'abs': {
        const t = argTy(0);
        const v = this.peek(cx, args[0]);
        if (t.k === 'float') return b.CreateCall(llvm.Intrinsic.getDeclaration(this.mod, llvm.Intrinsic.fabs, [L.of(t)]), [v]);
        if (t.k !== 'int') fail(`abs of a ${showTy(t)}`, rv);
        if (!isSigned(t as TyOf<'int'>)) return v;
        // wrapping: abs(MIN) = MIN
        return b.CreateSelect(b.CreateICmpSLT(v, llvm.Constant.getNullValue(L.of(t))), b.CreateNeg(v), v);
      }
      case 'min': case 'max': {
        const t = argTy(0);
        const x = this.peek(cx, args[0]);
        const y = this.peek(cx, args[1]);
        if (t.k === 'float') {
          // fmin/fmax semantics (a NaN operand loses), as the C backend's __builtin_fmin/fmax
          const id = rv.op === 'min' ? llvm.Intrinsic.minnum : llvm.Intrinsic.maxnum;
          return b.CreateCall(llvm.Intrinsic.getDeclaration(this.mod, id, [L.of(t)]), [x, y]);
        }
        const signed = t.k === 'int' && isSigned(t);
        const less = signed ? b.CreateICmpSLT(x, y) : b.CreateICmpULT(x, y);
        const greater = signed ? b.CreateICmpSGT(x, y) : b.CreateICmpUGT(x, y);
        // a < b ? a : b (and a > b ? a : b), as the C backend computes them
        return rv.op === 'min' ? b.CreateSelect(less, x, y) : b.CreateSelect(greater, x, y);
      }
      case 'option.unwrap': {
        const ot = recvOf(0);
        if (ot.k !== 'option') fail(`unwrap of a ${showTy(ot)}`, rv);
        const of = elementOf(ot);
        const p = this.peek(cx, args[0]);
        const present = optionIsNullablePtr(of)
          ? b.CreateIsNotNull(b.CreateLoad(L.of(ot), p))
          : this.truthy(b, b.CreateLoad(L.i8, this.field(b, L.of(ot), p, 0)));
        cx.check(b.CreateNot(present), (fb) => this.panicMessage(fb, 'unwrap of None'), 'unwrap');
        const payload = optionIsNullablePtr(of) ? p : this.field(b, L.of(ot), p, 1);
        return this.copyOut(cx, of, payload);
      }
      case 'box.new': {
        const t = argTy(0);
        const v = this.value(cx, args[0]);
        const mem = this.call(b, 'zrt_alloc', [this.i64(L.sizeOf(t)), this.i64(L.alignOf(t))]);
        const p = b.CreateBitCast(mem, L.ptr(L.of(t)));
        b.CreateStore(v, p);
        return p;
      }
      case 'vec.new': return llvm.Constant.getNullValue(L.of(rv.ty));
      case 'vec.with_capacity': {
        const et = genericOf(rv.ty);
        return this.viaOut(cx, L.of(rv.ty), (out) => this.call(b, 'zrt_vec_with_capacity',
          [b.CreateBitCast(out, L.i8p), this.peek(cx, args[0]), this.i64(L.sizeOf(et))]));
      }
      case 'vec.filled': {
        const et = genericOf(rv.ty);
        const vt = L.of(rv.ty);
        const n = this.peek(cx, args[0]);
        const v = this.value(cx, args[1]);
        const out = cx.alloca(vt, 'vec');
        this.call(b, 'zrt_vec_with_capacity', [b.CreateBitCast(out, L.i8p), n, this.i64(L.sizeOf(et))]);
        const elem = L.of(et);
        // element 0's address, so named like the other elements' for TBAA
        const data = b.CreateLoad(L.ptr(elem), this.header(b, vt, out, 0), this.typedName(et));
        const empty = cx.block('filled.empty');
        const fill = cx.block('filled.fill');
        const done = cx.block('filled.done');
        b.CreateCondBr(b.CreateICmpSGT(n, this.i64(0)), fill, empty);
        b.SetInsertPoint(empty);
        this.dropValue(cx, et, v);
        b.CreateBr(done);
        b.SetInsertPoint(fill);
        // element 0 takes the value, the others are copies of it
        b.CreateStore(v, data);
        cx.loop(b.CreateSub(n, this.i64(1)), (i) => {
          const dst = b.CreateInBoundsGEP(elem, data, [b.CreateAdd(i, this.i64(1))], this.typedName(et));
          this.copyAt(b, et, dst, data);
        }, 'filled');
        b.CreateStore(n, this.header(b, vt, out, 1));
        b.CreateBr(done);
        b.SetInsertPoint(done);
        return b.CreateLoad(vt, out);
      }
      case 'vec.push': {
        const vty = recvOf(0);
        const et = genericOf(vty);
        const v = this.value(cx, args[1]);
        const p = this.peek(cx, args[0]);
        const vt = L.of(vty);
        const elem = L.of(et);
        const len = b.CreateLoad(L.i64, this.header(b, vt, p, 1));
        const cap = b.CreateLoad(L.i64, this.header(b, vt, p, 2));
        const grow = cx.block('push.grow');
        const store = cx.block('push.store');
        b.CreateCondBr(b.CreateICmpEQ(len, cap), grow, store);
        b.SetInsertPoint(grow);
        this.call(b, 'zrt_vec_grow', [b.CreateBitCast(p, L.i8p), this.i64(L.sizeOf(et))]);
        b.CreateBr(store);
        b.SetInsertPoint(store);
        const data = b.CreateLoad(L.ptr(elem), this.header(b, vt, p, 0));
        b.CreateStore(v, b.CreateInBoundsGEP(elem, data, [len], this.typedName(et)));
        b.CreateStore(b.CreateAdd(len, this.i64(1)), this.header(b, vt, p, 1));
        return null;
      }
      case 'vec.pop': {
        const vty = recvOf(0);
        const et = genericOf(vty);
        const p = this.peek(cx, args[0]);
        const vt = L.of(vty);
        const elem = L.of(et);
        const ot = L.of(rv.ty);
        const out = cx.alloca(ot, 'popped');
        b.CreateStore(llvm.Constant.getNullValue(ot), out);
        const len = b.CreateLoad(L.i64, this.header(b, vt, p, 1));
        const take = cx.block('pop.take');
        const done = cx.block('pop.done');
        b.CreateCondBr(b.CreateICmpSGT(len, this.i64(0)), take, done);
        b.SetInsertPoint(take);
        const last = b.CreateSub(len, this.i64(1));
        const data = b.CreateLoad(L.ptr(elem), this.header(b, vt, p, 0));
        const v = b.CreateLoad(elem, b.CreateInBoundsGEP(elem, data, [last], this.typedName(et)));
        b.CreateStore(last, this.header(b, vt, p, 1));
        this.storeSome(b, et, rv.ty, out, v);
        b.CreateBr(done);
        b.SetInsertPoint(done);
        return b.CreateLoad(ot, out);
      }
      case 'vec.len': return b.CreateLoad(L.i64, this.header(b, L.of(recvOf(0)), this.peek(cx, args[0]), 1));
      case 'vec.clear': {
        const vty = recvOf(0);
        const et = genericOf(vty);
        const p = this.peek(cx, args[0]);
        const vt = L.of(vty);
        if (L.needsDrop(et)) {
          const elem = L.of(et);
          const len = b.CreateLoad(L.i64, this.header(b, vt, p, 1));
          const data = b.CreateLoad(L.ptr(elem), this.header(b, vt, p, 0));
          cx.loop(len, (i) => this.dropAt(b, et, b.CreateInBoundsGEP(elem, data, [i])), 'clear');
        }
        b.CreateStore(this.i64(0), this.header(b, vt, p, 1));
        return null;
      }
      case 'string.from': {
        const s = this.peek(cx, args[0]);
        return this.viaOut(cx, L.string, (out) => this.call(b, 'zrt_string_from', [out, b.CreateExtractValue(s, [0]), b.CreateExtractValue(s, [1])]));
      }
      case 'string.append': {
        const p = this.peek(cx, args[0]);
        const t = argTy(1);
        switch (t.k) {
          case 'str': {
            const s = this.peek(cx, args[1]);
            this.call(b, 'zrt_string_append_str', [p, b.CreateExtractValue(s, [0]), b.CreateExtractValue(s, [1])]);
            return null;
          }
          case 'string': this.call(b, 'zrt_string_append_string', [p, this.addrOf(cx, args[1])]); return null;
          case 'int': {
            const signed = isSigned(t);
            this.call(b, signed ? 'zrt_string_append_i64' : 'zrt_string_append_u64', [p, b.CreateIntCast(this.peek(cx, args[1]), L.i64, signed)]);
            return null;
          }
          case 'float': this.call(b, t.name === 'f32' ? 'zrt_string_append_f32' : 'zrt_string_append_f64', [p, this.peek(cx, args[1])]); return null;
          case 'bool': this.call(b, 'zrt_string_append_bool', [p, this.cBool(b, this.peek(cx, args[1]))]); return null;
        }
        return fail(`append of a ${showTy(t)}`, rv);
      }
      case 'string.len': return b.CreateLoad(L.i64, this.header(b, L.string, this.peek(cx, args[0]), 1));
      case 'string.parse_i64': {
        const out = cx.alloca(L.i64, 'parsed');
        const ok = this.truthy(b, this.call(b, 'zrt_string_parse_i64', [this.peek(cx, args[0]), out]));
        const ot = L.of(rv.ty);
        const agg = b.CreateInsertValue(llvm.Constant.getNullValue(ot), b.CreateZExt(ok, L.i8), [0]);
        return b.CreateInsertValue(agg, b.CreateLoad(L.i64, out), [1]);
      }
      case 'str.len': return b.CreateExtractValue(this.peek(cx, args[0]), [1]);
      case 'region.new': return this.call(b, 'zrt_region_new', [this.peek(cx, args[0])]);
      case 'region.free': this.call(b, 'zrt_region_free', [this.peek(cx, args[0])]); return null;
      case 'region.alloc': return this.regionAlloc(cx, rv);
      case 'spawn': {
        const ft = argTy(0);
        if (ft.k !== 'fn') fail(`spawn of a ${showTy(ft)}`, rv);
        const ret = (ft as TyOf<'fn'>).ret;
        const fnv = this.addrOf(cx, args[0]);
        const size = ret.k === 'void' || ret.k === 'never' ? 0 : L.sizeOf(ret);
        return this.call(b, 'zrt_spawn', [this.thunk(ft as TyOf<'fn'>), fnv, this.i64(size), this.dropGlueForRuntime(ret)]);
      }
      case 'thread.join': {
        const tt = recvOf(0);
        const ret = genericOf(tt);
        const result = this.call(b, 'zrt_thread_join', [b.CreateLoad(L.of(tt), this.peek(cx, args[0]))]);
        if (ret.k === 'void' || ret.k === 'never') return null;
        // the result stays with the thread (a later join returns it again): the caller gets a copy
        return this.copyOut(cx, ret, b.CreateBitCast(result, L.ptr(L.of(ret))));
      }
      case 'channel.new': {
        const et = genericOf(rv.ty);
        return this.call(b, 'zrt_channel_new', [this.peek(cx, args[0]), this.i64(L.sizeOf(et)), this.dropGlueForRuntime(et)]);
      }
      case 'channel.send': {
        const ct = recvOf(0);
        const et = genericOf(ct);
        const v = this.value(cx, args[1]);
        const tmp = cx.alloca(L.of(et), 'msg');
        b.CreateStore(v, tmp);
        const sent = this.truthy(b, this.call(b, 'zrt_channel_send', [b.CreateLoad(L.of(ct), this.peek(cx, args[0])), b.CreateBitCast(tmp, L.i8p)]));
        if (L.needsDrop(et)) {
          // a closed channel did not take the message: it is dropped here
          const drop = cx.block('send.closed');
          const done = cx.block('send.done');
          b.CreateCondBr(sent, done, drop);
          b.SetInsertPoint(drop);
          this.dropAt(b, et, tmp);
          b.CreateBr(done);
          b.SetInsertPoint(done);
        }
        return this.boolOf(b, sent);
      }
      case 'channel.recv': {
        const ct = recvOf(0);
        const et = genericOf(ct);
        const ot = L.of(rv.ty);
        const tmp = cx.alloca(L.of(et), 'received');
        const got = this.truthy(b, this.call(b, 'zrt_channel_recv', [b.CreateLoad(L.of(ct), this.peek(cx, args[0])), b.CreateBitCast(tmp, L.i8p)]));
        const out = cx.alloca(ot, 'recv');
        b.CreateStore(llvm.Constant.getNullValue(ot), out);
        const some = cx.block('recv.some');
        const done = cx.block('recv.done');
        b.CreateCondBr(got, some, done);
        b.SetInsertPoint(some);
        this.storeSome(b, et, rv.ty, out, b.CreateLoad(L.of(et), tmp));
        b.CreateBr(done);
        b.SetInsertPoint(done);
        return b.CreateLoad(ot, out);
      }
      case 'channel.close': {
        const ct = recvOf(0);
        this.call(b, 'zrt_channel_close', [b.CreateLoad(L.of(ct), this.peek(cx, args[0]))]);
        return null;
      }
      case 'mutex.new': {
        const t = argTy(0);
        const v = this.value(cx, args[0]);
        const m = this.call(b, 'zrt_mutex_new', [this.i64(L.sizeOf(t)), this.i64(L.alignOf(t))]);
        b.CreateStore(v, this.mutexValue(b, t, m));
        return m;
      }
      case 'mutex.lock': return this.call(b, 'zrt_mutex_lock', [b.CreateLoad(L.of(recvOf(0)), this.peek(cx, args[0]))]);
      case 'guard.value': {
        const gt = recvOf(0);
        return this.mutexValue(b, genericOf(gt), b.CreateLoad(L.of(gt), this.peek(cx, args[0])));
      }
      case 'atomic.new': return this.value(cx, args[0]);
      case 'atomic.load': case 'atomic.store': case 'atomic.fetch_add': case 'atomic.fetch_sub':
      case 'atomic.swap': case 'atomic.compare_exchange': {
        const at = recvOf(0);
        const vt = genericOf(at);
        const ptr = this.peek(cx, args[0]);
        const op = rv.op.slice('atomic.'.length) as AtomicOp;
        const nVals = op === 'load' ? 0 : op === 'compare_exchange' ? 2 : 1;
        const vals = args.slice(1, 1 + nVals).map((a) => this.value(cx, a));
        const order = this.orderingOf(args[1 + nVals], rv);
        const helper = this.atomics.helper(op, L.of(vt) as LLVM.IntegerType, Number(L.sizeOf(vt)) * 8, order);
        const r = b.CreateCall(helper, [ptr, ...vals]);
        return op === 'store' ? null : r;
      }
    }
    return fail(`builtin ${rv.op} is not supported`, rv);
  }

  /** Calls `f` with a fresh out-slot of type t, then returns the slot's value. */
  private viaOut(cx: FnCx, t: LLVM.Type, f: (out: LLVM.Value) => void): LLVM.Value {
    const out = cx.alloca(t, 'out');
    f(out);
    return cx.b.CreateLoad(t, out);
  }

  /** A copy of the T at ptr, owned by the caller. */
  private copyOut(cx: FnCx, t: Ty, ptr: LLVM.Value): LLVM.Value {
    if (!this.L.needsDeepCopy(t)) return cx.b.CreateLoad(this.L.of(t), ptr);
    const tmp = cx.alloca(this.L.of(t), 'copy');
    this.copyAt(cx.b, t, tmp, ptr);
    return cx.b.CreateLoad(this.L.of(t), tmp);
  }

  /** Stores Some(v) into the Option slot at out. */
  private storeSome(b: LLVM.IRBuilder, of: Ty, optTy: Ty, out: LLVM.Value, v: LLVM.Value): void {
    if (optionIsNullablePtr(of)) { b.CreateStore(v, out); return; }
    const ot = this.L.of(optTy);
    b.CreateStore(this.i8(1), this.field(b, ot, out, 0));
    b.CreateStore(v, this.field(b, ot, out, 1));
  }

  private panicMessage(b: LLVM.IRBuilder, msg: string): void {
    const s = this.strConst(msg);
    b.CreateCall(this.rt.fn('zrt_panic'), [b.CreateExtractValue(s, [0]), b.CreateExtractValue(s, [1])]);
  }

  /**
   * The ordering argument of an atomic op: an i32 constant of ir/builtins.ts ORDERING;
   * SeqCst when absent (spec §8's default) or, conservatively, when not a constant.
   */
  private orderingOf(op: Operand | undefined, at: AnyNode): number {
    if (!op || op.kind !== 'Const' || operandTy(op).k !== 'int') return ORDERING.SeqCst;
    const o = Number((op as N<'Const'>).value);
    if (!Object.values(ORDERING).includes(o as never)) fail(`unknown atomic ordering ${o}`, at);
    return o;
  }

  /** `r.alloc(v)`: the runtime's aligned bump fast path, inline (zrt_region_alloc). */
  private regionAlloc(cx: FnCx, rv: N<'Builtin'>): LLVM.Value {
    const b = cx.b;
    const L = this.L;
    const t = operandTy(rv.args[1]);
    const v = this.value(cx, rv.args[1]);
    const r = this.peek(cx, rv.args[0]);
    const size = L.sizeOf(t);
    const mask = L.alignOf(t) - 1;
    const curP = this.field(b, L.region, r, 0);
    const cur = b.CreateLoad(L.i64, curP);
    // zero-sized: no bytes, no padding, always fits (see zrt_region_alloc); nothing to store
    if (size === 0) return b.CreateIntToPtr(b.CreateAnd(cur, this.i64(-mask - 1)), L.ptr(L.of(t)));
    const end = b.CreateLoad(L.i64, this.field(b, L.region, r, 1));
    const p = b.CreateAnd(b.CreateAdd(cur, this.i64(mask)), this.i64(-mask - 1));
    // full when p > end or size > end - p (no overflow either way)
    const full = b.CreateOr(b.CreateICmpUGT(p, end), b.CreateICmpUGT(this.i64(size), b.CreateSub(end, p)));
    const ot = L.of(rv.ty);
    const out = cx.alloca(ot, 'allocated');
    b.CreateStore(this.llvm.Constant.getNullValue(ot), out);
    const fits = cx.block('region.fits');
    const done = cx.block('region.done');
    b.CreateCondBr(full, done, fits);
    b.SetInsertPoint(fits);
    b.CreateStore(b.CreateAdd(p, this.i64(size)), curP);
    const raw = b.CreateIntToPtr(p, L.i8p);
    if (this.opts.sanitizeAddress) this.call(b, '__asan_unpoison_memory_region', [raw, this.i64(size)]);
    const typed = b.CreateBitCast(raw, L.ptr(L.of(t)));
    b.CreateStore(v, typed);
    b.CreateStore(typed, out);
    b.CreateBr(done);
    b.SetInsertPoint(done);
    return b.CreateLoad(ot, out);
  }

  /** The thunk zrt_spawn runs: calls the closure and stores its result for join. */
  private thunk(ft: TyOf<'fn'>): LLVM.Function {
    const key = showTy(ft.ret);
    let f = this.thunks.get(key);
    if (!f) {
      const llvm = this.llvm;
      const L = this.L;
      const fn = llvm.Function.Create(this.rt.thunkType(), llvm.Function.LinkageTypes.InternalLinkage, `zthunk.${key}`, this.mod);
      const b = new llvm.IRBuilder(this.ctx);
      b.SetInsertPoint(llvm.BasicBlock.Create(this.ctx, 'entry', fn));
      const closure = b.CreateLoad(L.fnValue, fn.getArg(0));
      const r = this.callFnValue(b, { k: 'fn', params: [], ret: ft.ret, concurrent: true }, closure, []);
      if (r) b.CreateStore(r, b.CreateBitCast(fn.getArg(1), L.ptr(L.of(ft.ret))));
      b.CreateRetVoid();
      this.thunks.set(key, fn);
      f = fn;
    }
    return f;
  }
}

/** Emits an Lcfg module; the caller verifies and writes it. */
export function emitModule(llvm: Llvm, target: Target, m: AnyNode, moduleName: string, opts: EmitOptions): EmittedModule {
  if (m.kind !== 'Module') fail(`expected an Lcfg Module, got ${m.kind}`, m);
  const em = new ModuleEmitter(llvm, target, moduleName, opts);
  em.emit(m as N<'Module'>);
  return { ctx: em.ctx, module: em.mod, functions: em.definedFunctions(), alwaysInline: em.recursionCopyNames(), tbaaMarks: em.tbaaMarks, noWrapMarks: em.noWrapMarks };
}
