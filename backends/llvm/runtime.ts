// The runtime-c functions (runtime-c/zeta_rt.h) the LLVM backend calls, with their C
// signatures spelled in LLVM types, declared in the module on first use. The C backend
// calls the very same functions, so both backends link one runtime.
//
// C `bool` parameters are passed as i32 holding 0 or 1 (a register fully extended, whatever
// the C compiler assumes about the upper bits); C `bool` results are read as i8 and tested
// against zero.

import type * as LLVM from 'llvm-bindings';
import type { Llvm } from './bindings.js';
import type { Layout } from './layout.js';

type Sig = readonly [ret: string, params: readonly string[]];

/** name -> [result, parameters] in the small type vocabulary below. */
const SIGNATURES: Record<string, Sig> = {
  zrt_init: ['void', ['i32', 'i8**']],
  zrt_flush: ['void', []],
  zrt_panic: ['void', ['u8*', 'i64']],
  zrt_panic_cstr: ['void', ['u8*']],
  zrt_panic_index: ['void', ['i64', 'i64']],
  zrt_panic_index_u: ['void', ['i64', 'i64']],
  zrt_panic_div_zero: ['void', []],
  zrt_panic_overflow: ['void', []],
  zrt_exit: ['void', ['i32']],
  zrt_unreachable: ['void', []],
  zrt_arg_count: ['i64', []],
  zrt_arg: ['void', ['string*', 'i64']],
  zrt_print_i64: ['void', ['i64']],
  zrt_print_u64: ['void', ['i64']],
  zrt_print_f64: ['void', ['f64']],
  zrt_print_f32: ['void', ['f32']],
  zrt_print_bool: ['void', ['bool']],
  zrt_print_str: ['void', ['u8*', 'i64']],
  zrt_print_string: ['void', ['string*']],
  zrt_println_i64: ['void', ['i64']],
  zrt_println_u64: ['void', ['i64']],
  zrt_println_f64: ['void', ['f64']],
  zrt_println_f32: ['void', ['f32']],
  zrt_println_bool: ['void', ['bool']],
  zrt_println_str: ['void', ['u8*', 'i64']],
  zrt_println_string: ['void', ['string*']],
  zrt_print_fixed: ['void', ['f64', 'i32']],
  zrt_alloc: ['u8*', ['i64', 'i64']],
  zrt_alloc_array: ['u8*', ['i64', 'i64']],
  zrt_free: ['void', ['u8*']],
  zrt_vec_with_capacity: ['void', ['u8*', 'i64', 'i64']],
  zrt_vec_grow: ['void', ['u8*', 'i64']],
  zrt_vec_clear: ['void', ['u8*']],
  zrt_vec_free: ['void', ['u8*']],
  zrt_string_from: ['void', ['string*', 'u8*', 'i64']],
  zrt_string_append_str: ['void', ['string*', 'u8*', 'i64']],
  zrt_string_append_string: ['void', ['string*', 'string*']],
  zrt_string_append_i64: ['void', ['string*', 'i64']],
  zrt_string_append_u64: ['void', ['string*', 'i64']],
  zrt_string_append_f64: ['void', ['string*', 'f64']],
  zrt_string_append_f32: ['void', ['string*', 'f32']],
  zrt_string_append_bool: ['void', ['string*', 'bool']],
  zrt_string_len: ['i64', ['string*']],
  zrt_string_parse_i64: ['bool', ['string*', 'i64*']],
  zrt_string_eq: ['bool', ['string*', 'string*']],
  zrt_str_eq: ['bool', ['u8*', 'i64', 'u8*', 'i64']],
  zrt_string_clone: ['void', ['string*', 'string*']],
  zrt_string_free: ['void', ['string*']],
  zrt_region_new: ['region*', ['i64']],
  zrt_region_free: ['void', ['region*']],
  zrt_spawn: ['thread*', ['thunk', 'fn*', 'i64', 'dropfn']],
  zrt_thread_join: ['u8*', ['thread*']],
  zrt_thread_retain: ['void', ['thread*']],
  zrt_thread_release: ['void', ['thread*']],
  zrt_channel_new: ['channel*', ['i64', 'i64', 'dropfn']],
  zrt_channel_send: ['bool', ['channel*', 'u8*']],
  zrt_channel_recv: ['bool', ['channel*', 'u8*']],
  zrt_channel_close: ['void', ['channel*']],
  zrt_channel_retain: ['void', ['channel*']],
  zrt_channel_release: ['void', ['channel*']],
  zrt_mutex_new: ['mutex*', ['i64', 'i64']],
  zrt_mutex_lock: ['mutex*', ['mutex*']],
  zrt_mutex_unlock: ['void', ['mutex*']],
  zrt_mutex_free: ['void', ['mutex*']],
  // AddressSanitizer's interface (sanitizer/asan_interface.h), for the inline region fast path
  __asan_unpoison_memory_region: ['void', ['u8*', 'i64']],
};

export type RuntimeFn = keyof typeof SIGNATURES;

/** Byte offset of a Mutex's value inside the mutex object (ZRT_MUTEX_VALUE_OFFSET). */
export const MUTEX_VALUE_OFFSET = 64;

export class Runtime {
  private readonly declared = new Map<string, LLVM.Function>();

  constructor(private readonly llvm: Llvm, private readonly mod: LLVM.Module, private readonly L: Layout) {}

  /** The thunk zrt_spawn runs: void (zrt_fn* fn, void* result). */
  thunkType(): LLVM.FunctionType {
    return this.llvm.FunctionType.get(this.L.void, [this.L.ptr(this.L.fnValue), this.L.i8p], false);
  }

  /** A drop function handed to the runtime: void (void*). */
  dropFnType(): LLVM.FunctionType {
    return this.llvm.FunctionType.get(this.L.void, [this.L.i8p], false);
  }

  private ty(name: string): LLVM.Type {
    const L = this.L;
    switch (name) {
      case 'void': return L.void;
      case 'i32': case 'bool': return L.i32;
      case 'i64': return L.i64;
      case 'f64': return this.llvm.Type.getDoubleTy(L.ctx);
      case 'f32': return this.llvm.Type.getFloatTy(L.ctx);
      case 'u8*': return L.i8p;
      case 'i8**': return L.ptr(L.i8p);
      case 'i64*': return L.ptr(L.i64);
      case 'string*': return L.ptr(L.string);
      case 'fn*': return L.ptr(L.fnValue);
      case 'region*': return L.ptr(L.region);
      case 'thread*': return L.ptr(L.thread);
      case 'channel*': return L.ptr(L.channel);
      case 'mutex*': return L.ptr(L.mutex);
      case 'thunk': return L.ptr(this.thunkType());
      case 'dropfn': return L.ptr(this.dropFnType());
    }
    throw new Error(`runtime signature type ${name}`);
  }

  /** The declaration of a runtime function (declared once per module). */
  fn(name: RuntimeFn): LLVM.Function {
    let f = this.declared.get(name);
    if (!f) {
      const [ret, params] = SIGNATURES[name];
      // C bool results come back in the low byte only
      const retTy = ret === 'bool' ? this.L.i8 : this.ty(ret);
      const ft = this.llvm.FunctionType.get(retTy, params.map((p) => this.ty(p)), false);
      f = this.llvm.Function.Create(ft, this.llvm.Function.LinkageTypes.ExternalLinkage, name, this.mod);
      this.declared.set(name, f);
    }
    return f;
  }

  /** Whether the runtime function's C result is a bool (to be tested against zero). */
  returnsBool(name: RuntimeFn): boolean { return SIGNATURES[name][0] === 'bool'; }
}
