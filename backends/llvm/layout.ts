// How Zeta types are laid out in LLVM IR. The layouts the runtime sees (runtime-c/zeta_rt.h)
// are mirrored exactly: `str` {ptr, len}, `String` and every `Vec<T>` {ptr, len, cap},
// function values {code, env}, regions, and the opaque thread/channel/mutex objects behind
// pointers. Everything else follows C's natural layout so the data layout (set on the
// module) gives the same sizes and alignments as the C compiler.
//
// One LLVM type per Zeta type is the *storage* type, used for memory, parameters and
// results alike. `bool` is stored as i8 (0 or 1), as C's `bool`; comparisons produce i1
// and are widened at once, branches narrow again (opt folds the pairs away).
//
// Option<T> is a nullable pointer when T is a pointer, a Box or a runtime handle (none of
// them is ever null), and otherwise {i8 isSome, T payload}, as the C backend lays them out.

import type * as LLVM from 'llvm-bindings';
import type { Llvm } from './bindings.js';
import { showTy, type Ty, type TyOf } from '../../ir/types.js';
import { InternalError } from '../../passes/pass.js';

export interface ClassInfo {
  readonly name: string;
  readonly fields: readonly { name: string; ty: Ty }[];
  readonly fieldIndex: ReadonlyMap<string, number>;
  readonly dropFn: string | null;
  readonly llType: LLVM.StructType;
}

/** True when Option<T> is represented as a nullable T (a pointer that is never null when present). */
export const optionIsNullablePtr = (of: Ty): boolean => {
  switch (of.k) {
    case 'ptr': case 'box': case 'thread': case 'channel': case 'mutex': case 'guard': case 'region': return true;
    default: return false;
  }
};

export class Layout {
  readonly i1: LLVM.IntegerType;
  readonly i8: LLVM.IntegerType;
  readonly i32: LLVM.IntegerType;
  readonly i64: LLVM.IntegerType;
  readonly void: LLVM.Type;
  readonly i8p: LLVM.PointerType;
  readonly str: LLVM.StructType;
  readonly string: LLVM.StructType;
  readonly fnValue: LLVM.StructType;
  readonly region: LLVM.StructType;
  readonly thread: LLVM.StructType;
  readonly channel: LLVM.StructType;
  readonly mutex: LLVM.StructType;
  readonly classes = new Map<string, ClassInfo>();
  private readonly cache = new Map<string, LLVM.Type>();
  private readonly dl: LLVM.DataLayout;

  constructor(private readonly llvm: Llvm, readonly ctx: LLVM.LLVMContext, dataLayout: string) {
    const T = llvm.Type;
    this.i1 = T.getInt1Ty(ctx);
    this.i8 = T.getInt8Ty(ctx);
    this.i32 = T.getInt32Ty(ctx);
    this.i64 = T.getInt64Ty(ctx);
    this.void = T.getVoidTy(ctx);
    this.i8p = this.ptr(this.i8);
    this.str = llvm.StructType.create(ctx, [this.i8p, this.i64], 'zrt_str');
    this.string = llvm.StructType.create(ctx, [this.i8p, this.i64, this.i64], 'zrt_string');
    const code = this.ptr(llvm.FunctionType.get(this.void, false));
    this.fnValue = llvm.StructType.create(ctx, [code, this.i8p], 'zrt_fn');
    this.region = llvm.StructType.create(ctx, [this.i64, this.i64, this.i8p, this.i64], 'zrt_region');
    this.thread = llvm.StructType.create(ctx, 'zrt_thread');
    this.channel = llvm.StructType.create(ctx, 'zrt_channel');
    this.mutex = llvm.StructType.create(ctx, 'zrt_mutex');
    this.dl = new llvm.DataLayout(dataLayout);
  }

  ptr(t: LLVM.Type): LLVM.PointerType { return this.llvm.PointerType.get(t, 0); }

  /** Declares every class first (opaque), then their bodies, so classes may refer to each other. */
  declareClasses(defs: readonly { name: string; fields: readonly { name: string; ty: Ty }[]; dropFn: string | null }[]): void {
    for (const d of defs) {
      const llType = this.llvm.StructType.create(this.ctx, `class.${d.name}`);
      this.classes.set(d.name, {
        name: d.name, fields: d.fields, dropFn: d.dropFn, llType,
        fieldIndex: new Map(d.fields.map((f, i) => [f.name, i])),
      });
    }
    for (const c of this.classes.values()) c.llType.setBody(c.fields.map((f) => this.of(f.ty)));
  }

  classInfo(name: string): ClassInfo {
    const c = this.classes.get(name);
    if (!c) throw new InternalError(`LLVM backend: unknown class ${name}`);
    return c;
  }

  /** The storage type of a Zeta type. */
  of(t: Ty): LLVM.Type {
    const key = showTy(t);
    let r = this.cache.get(key);
    if (!r) { r = this.build(t); this.cache.set(key, r); }
    return r;
  }

  private build(t: Ty): LLVM.Type {
    const llvm = this.llvm;
    switch (t.k) {
      case 'int': return llvm.Type.getIntNTy(this.ctx, Number(t.name.slice(1)));
      case 'float': return t.name === 'f32' ? llvm.Type.getFloatTy(this.ctx) : llvm.Type.getDoubleTy(this.ctx);
      case 'bool': return this.i8;
      case 'str': return this.str;
      case 'string': return this.string;
      case 'void': case 'never': return this.void;
      case 'region': return this.ptr(this.region);
      case 'ptr': case 'box': return this.ptr(this.pointee(t.k === 'ptr' ? t.to : t.of));
      case 'array': return llvm.ArrayType.get(this.of(t.elem), t.n);
      case 'vec': return llvm.StructType.get(this.ctx, [this.ptr(this.of(t.of)), this.i64, this.i64]);
      case 'option': return optionIsNullablePtr(t.of) ? this.of(t.of) : llvm.StructType.get(this.ctx, [this.i8, this.of(t.of)]);
      case 'fn': return this.fnValue;
      case 'class': return this.classInfo(t.name).llType;
      case 'thread': return this.ptr(this.thread);
      case 'channel': return this.ptr(this.channel);
      case 'mutex': case 'guard': return this.ptr(this.mutex);
      // C11 `_Atomic T` for the integer and bool types Atomic allows has T's size and alignment
      case 'atomic': return this.of(t.of);
      case 'infer': break;
    }
    throw new InternalError(`LLVM backend: type ${showTy(t)} has no layout`);
  }

  /** A pointee type: `*void` does not exist in Zeta, but an opaque pointee still needs a type. */
  private pointee(t: Ty): LLVM.Type {
    return t.k === 'void' || t.k === 'never' ? this.i8 : this.of(t);
  }

  /** The LLVM function type of a Zeta function value's code: the env pointer comes first. */
  closureCodeType(t: TyOf<'fn'>): LLVM.FunctionType {
    return this.llvm.FunctionType.get(this.of(t.ret), [this.i8p, ...t.params.map((p) => this.of(p))], false);
  }

  /** Size in bytes (0 for void, e.g. the result of a thread running a void lambda). */
  sizeOf(t: Ty): number {
    return t.k === 'void' || t.k === 'never' ? 0 : this.dl.getTypeAllocSize(this.of(t));
  }

  /** ABI alignment: the offset of T in {i8, T} (the bindings expose sizes but not alignments). */
  alignOf(t: Ty): number {
    if (t.k === 'void' || t.k === 'never') return 1;
    const padded = this.llvm.StructType.get(this.ctx, [this.i8, this.of(t)]);
    return this.dl.getTypeAllocSize(padded) - this.dl.getTypeAllocSize(this.of(t));
  }

  // ------------------------------------------------------------ what a type's values own
  private readonly dropCache = new Map<string, boolean>();
  private readonly copyCache = new Map<string, boolean>();

  /** Spec §5.3: the type needs drop glue (owns heap memory, a thread, a lock, ...). */
  needsDrop(t: Ty): boolean {
    return this.memo(this.dropCache, t, () => {
      switch (t.k) {
        case 'box': case 'vec': case 'string': case 'thread': case 'guard': case 'channel': case 'mutex': return true;
        case 'option': return this.needsDrop(t.of);
        case 'array': return t.n > 0 && this.needsDrop(t.elem);
        case 'class': {
          const c = this.classInfo(t.name);
          return c.dropFn !== null || c.fields.some((f) => this.needsDrop(f.ty));
        }
        default: return false;
      }
    });
  }

  /**
   * The language's copy is more than copying the bits (spec §5.1): deep for Box/Vec/String
   * and Mutex, a retain for Thread/Channel handles, an atomic load for Atomic.
   */
  needsDeepCopy(t: Ty): boolean {
    return this.memo(this.copyCache, t, () => {
      switch (t.k) {
        case 'box': case 'vec': case 'string': case 'thread': case 'channel': case 'mutex': case 'guard': case 'atomic': return true;
        case 'option': return this.needsDeepCopy(t.of);
        case 'array': return t.n > 0 && this.needsDeepCopy(t.elem);
        case 'class': return this.classInfo(t.name).fields.some((f) => this.needsDeepCopy(f.ty));
        default: return false;
      }
    });
  }

  private memo(cache: Map<string, boolean>, t: Ty, f: () => boolean): boolean {
    const key = showTy(t);
    let r = cache.get(key);
    if (r === undefined) { r = f(); cache.set(key, r); }
    return r;
  }
}
