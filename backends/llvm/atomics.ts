// Atomic operations for Atomic<T> (spec §8). llvm-bindings 0.4.2 has no builder for
// `load atomic`, `store atomic`, `atomicrmw` or `cmpxchg`, so each operation the program uses
// is written once as a tiny always-inline function in textual IR, parsed into the same
// context and linked into the module (opt inlines it at -O0 too). The orderings follow
// runtime-c's zrt_order / zrt_load_order / zrt_store_order / zrt_cas_fail_order exactly,
// so both backends strengthen the orderings C11 forbids the same way.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as LLVM from 'llvm-bindings';
import type { Llvm, Target } from './bindings.js';
import type { Layout } from './layout.js';
import { InternalError } from '../../passes/pass.js';

export type AtomicOp = 'load' | 'store' | 'fetch_add' | 'fetch_sub' | 'swap' | 'compare_exchange';

/** ir/builtins.ts ORDERING -> LLVM ordering, per kind of access (as zeta_rt.h maps them to C11). */
const RMW_ORDER: Record<number, string> = { 0: 'monotonic', 2: 'acquire', 3: 'release', 4: 'acq_rel', 5: 'seq_cst' };
const loadOrder = (o: number) => (o === 0 ? 'monotonic' : o === 2 ? 'acquire' : 'seq_cst');
const storeOrder = (o: number) => (o === 0 ? 'monotonic' : o === 3 ? 'release' : 'seq_cst');
const casFailOrder = (o: number) => (o === 0 || o === 3 ? 'monotonic' : o === 2 || o === 4 ? 'acquire' : 'seq_cst');

export class AtomicHelpers {
  /** helper name -> its textual definition */
  private readonly needed = new Map<string, string>();
  private readonly declared = new Map<string, LLVM.Function>();

  constructor(private readonly llvm: Llvm, private readonly mod: LLVM.Module, private readonly L: Layout,
              private readonly target: Target) {}

  /** The helper for one (operation, width, ordering); declared now, defined by `link`. */
  helper(op: AtomicOp, intTy: LLVM.IntegerType, bits: number, ordering: number): LLVM.Function {
    const rmwOrder = RMW_ORDER[ordering] ?? 'seq_cst';
    const name = `zeta.atomic.${op}.i${bits}.${rmwOrder}`;
    let f = this.declared.get(name);
    if (f) return f;
    const T = `i${bits}`;
    const align = bits / 8;
    const llvm = this.llvm;
    const p = this.L.ptr(intTy);
    let sig: LLVM.FunctionType;
    let body: string;
    switch (op) {
      case 'load':
        sig = llvm.FunctionType.get(intTy, [p], false);
        body = `(${T}* %p) {\n  %v = load atomic ${T}, ${T}* %p ${loadOrder(ordering)}, align ${align}\n  ret ${T} %v\n}`;
        break;
      case 'store':
        sig = llvm.FunctionType.get(this.L.void, [p, intTy], false);
        body = `(${T}* %p, ${T} %v) {\n  store atomic ${T} %v, ${T}* %p ${storeOrder(ordering)}, align ${align}\n  ret void\n}`;
        break;
      case 'fetch_add': case 'fetch_sub': case 'swap': {
        const rmw = op === 'fetch_add' ? 'add' : op === 'fetch_sub' ? 'sub' : 'xchg';
        sig = llvm.FunctionType.get(intTy, [p, intTy], false);
        body = `(${T}* %p, ${T} %v) {\n  %old = atomicrmw ${rmw} ${T}* %p, ${T} %v ${rmwOrder}\n  ret ${T} %old\n}`;
        break;
      }
      case 'compare_exchange':
        // returns the stored bool (i8 0/1) saying whether the exchange happened
        sig = llvm.FunctionType.get(this.L.i8, [p, intTy, intTy], false);
        body = `(${T}* %p, ${T} %old, ${T} %new) {\n  %r = cmpxchg ${T}* %p, ${T} %old, ${T} %new ${rmwOrder} ${casFailOrder(ordering)}\n` +
          `  %ok = extractvalue { ${T}, i1 } %r, 1\n  %b = zext i1 %ok to i8\n  ret i8 %b\n}`;
        break;
    }
    const ret = op === 'load' || op === 'fetch_add' || op === 'fetch_sub' || op === 'swap' ? T : op === 'store' ? 'void' : 'i8';
    this.needed.set(name, `define linkonce_odr ${ret} @"${name}"${body.replace(') {', ') alwaysinline {')}`);
    f = llvm.Function.Create(sig, llvm.Function.LinkageTypes.ExternalLinkage, name, this.mod);
    this.declared.set(name, f);
    return f;
  }

  /** Parses the helpers used and links their definitions into the module. */
  link(): void {
    if (this.needed.size === 0) return;
    const text = [`target datalayout = "${this.target.dataLayout}"`, `target triple = "${this.target.triple}"`, '',
      ...this.needed.values()].join('\n') + '\n';
    const dir = mkdtempSync(join(tmpdir(), 'zeta-llvm-atomics-'));
    try {
      const file = join(dir, 'atomics.ll');
      writeFileSync(file, text);
      const helpers = this.llvm.parseIRFile(file, new this.llvm.SMDiagnostic(), this.L.ctx);
      if (!helpers) throw new InternalError('LLVM backend: the atomic helpers do not parse');
      if (this.llvm.Linker.linkModules(this.mod, helpers)) throw new InternalError('LLVM backend: linking the atomic helpers failed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
