// The C backend: Lcfg Module -> one readable C11 translation unit, compiled with the
// runtime in runtime-c/ by toolchain.ts.
//
// Each FnDef becomes one C function: locals declared at the top (`l<id>_<name>`), then
// the basic blocks as labels (`bb3:`) joined by gotos. Values are plain C scalars and
// structs (layout in ctypes.ts), per-type drop/clone glue and built-in helpers come from
// glue.ts. Safe programs have no undefined behaviour in the C: integer + - * and unary
// minus go through unsigned arithmetic, shift amounts are masked, / and % are checked,
// float->int casts saturate, and every index is bounds-checked.
//
// Evaluation order is made explicit so both backends agree: within a statement, bounds
// checks run left to right as separate C statements before the value is computed, and a
// value whose computation may have effects (a call, a built-in, a division) is computed
// into a temporary before the place it is stored into is checked and written
// (as in Rust: the right-hand side first).

import type { Lcfg, Node } from '../../ir/languages.js';
import { operandTy, rvalueTy } from '../../ir/languages.js';
import { intBits, isSigned, type Generic, type Ty, type TyOf } from '../../ir/types.js';
import { ORDERING } from '../../ir/builtins.js';
import { InternalError } from '../../passes/pass.js';
import { CTypes, fieldName, isNullableOption } from './ctypes.js';
import { Glue } from './glue.js';
import { CNames, cFloatLiteral, cIdent, cIntLiteral, cIntType, cStringLiteral } from './names.js';

type Module = Node<typeof Lcfg, 'Module'>;
type FnDef = Node<typeof Lcfg, 'FnDef'>;
type ExternDef = Node<typeof Lcfg, 'ExternDef'>;
type BasicBlock = Node<typeof Lcfg, 'BasicBlock'>;
type Stmt = Node<typeof Lcfg, 'Assign'> | Node<typeof Lcfg, 'Eval'> | Node<typeof Lcfg, 'Drop'> | Node<typeof Lcfg, 'Delete'>;
type Place = Node<typeof Lcfg, 'LocalPlace'> | Node<typeof Lcfg, 'GlobalPlace'> | Node<typeof Lcfg, 'DerefPlace'>
  | Node<typeof Lcfg, 'FieldPlace'> | Node<typeof Lcfg, 'IndexPlace'> | Node<typeof Lcfg, 'PayloadPlace'>;
type Operand = Node<typeof Lcfg, 'Const'> | Node<typeof Lcfg, 'Copy'> | Node<typeof Lcfg, 'Move'> | Node<typeof Lcfg, 'FnRef'>;
type Rvalue = Node<typeof Lcfg, 'Use'> | Node<typeof Lcfg, 'BinOp'> | Node<typeof Lcfg, 'UnOp'> | Node<typeof Lcfg, 'CastOp'>
  | Node<typeof Lcfg, 'Ref'> | Node<typeof Lcfg, 'CallFn'> | Node<typeof Lcfg, 'CallValue'> | Node<typeof Lcfg, 'Closure'>
  | Node<typeof Lcfg, 'Aggregate'> | Node<typeof Lcfg, 'Repeat'> | Node<typeof Lcfg, 'MakeSome'> | Node<typeof Lcfg, 'MakeNone'>
  | Node<typeof Lcfg, 'IsSome'> | Node<typeof Lcfg, 'Builtin'>;
type Term = BasicBlock['term'];

export interface EmitCOptions {
  /** the runtime header to #include (default "zeta_rt.h", found through -I) */
  runtimeHeader?: string;
}

const isVoidTy = (t: Ty) => t.k === 'void' || t.k === 'never';

/** The C translation unit for an Lcfg module. */
export function emitC(mod: Module, options: EmitCOptions = {}): string {
  return new ModuleEmitter(mod).emit(options.runtimeHeader ?? 'zeta_rt.h');
}

/** A user or extern function as C sees it. */
interface CallTarget { cname: string; params: readonly Ty[]; ret: Ty; firstParamC?: string }

class ModuleEmitter {
  readonly names = new CNames();
  readonly types: CTypes;
  readonly glue: Glue;
  readonly fns = new Map<string, CallTarget>();
  readonly globals = new Map<string, string>();
  private readonly sigTypedefs: string[] = [];
  private readonly sigNames = new Map<string, string>();
  private readonly trampolines = new Map<string, string>();
  readonly trampolineDefs: string[] = [];
  readonly trampolineProtos: string[] = [];

  constructor(private readonly mod: Module) {
    for (const e of mod.externs) this.names.reserve(e.name);
    this.types = new CTypes(new Map(mod.classes.map((c) => [c.name, c])), this.names);
    for (const c of mod.classes) this.types.className(c.name);
    for (const e of mod.externs) this.fns.set(e.name, { cname: e.name, params: e.params, ret: e.ret });
    for (const f of mod.fns) {
      const params = f.params.map((id) => {
        const t = f.locals.find((l) => l.id === id)?.ty; // parameters come first among the locals
        if (!t) throw new InternalError(`C backend: parameter ${id} of ${f.name} is not among its locals`);
        return t;
      });
      this.fns.set(f.name, { cname: this.names.unique(`z_${cIdent(f.name.replace(/\./g, '__'))}`), params, ret: f.ret });
    }
    for (const g of mod.globals) this.globals.set(g.name, this.names.unique(`zg_${cIdent(g.name)}`));
    this.glue = new Glue(this.types, this.names, (n) => this.target(n).cname);
  }

  target(name: string): CallTarget {
    const t = this.fns.get(name);
    if (!t) throw new InternalError(`C backend: unknown function ${name}`);
    return t;
  }

  emit(header: string): string {
    const globalDecls = this.mod.globals.map((g) => `static ${this.types.c(g.ty)} ${this.globals.get(g.name)}; /* ${g.mut ? 'static mut' : 'static'} ${g.name} */`);
    const externDecls = this.mod.externs.map((e) => this.externDecl(e));
    const protos: string[] = [];
    // each function is joined into one string as soon as it is emitted: long-lived arrays of
    // many young strings make V8's garbage collection slow down as the output grows
    const bodies: string[] = [];
    for (const f of this.mod.fns) {
      const fe = new FnEmitter(this, f);
      protos.push(`${fe.signature()};`);
      bodies.push(fe.emit());
    }
    const mainFn = this.mod.fns.find((f) => f.name === this.mod.main);
    if (!mainFn) throw new InternalError(`C backend: main function ${this.mod.main} not found`);
    const mainC = this.target(this.mod.main).cname;
    const wrapper = [
      'int main(int argc, char** argv) {',
      '  zrt_init(argc, argv);',
      ...(this.mod.init ? [`  ${this.target(this.mod.init).cname}();`] : []),
      mainFn.ret.k === 'int' ? `  int32_t status = ${mainC}();` : `  ${mainC}();\n  int32_t status = 0;`,
      '  zrt_flush();',
      '  return status;',
      '}',
    ];
    this.types.finish();
    const head = [
      '/* Generated by zeta-nano (C backend). */',
      `#include "${header}"`,
      '',
      '/* ---- types */',
      ...this.types.forwards,
      ...this.types.defs,
      ...this.sigTypedefs,
      '',
      '/* ---- globals, externs, prototypes */',
      ...globalDecls,
      ...externDecls,
      ...protos,
      ...this.glue.protos,
      ...this.trampolineProtos,
      '',
      '/* ---- functions */',
    ];
    const tail = [
      '/* ---- glue */',
      this.glue.defs.join('\n\n'),
      '',
      this.trampolineDefs.join('\n\n'),
      '',
      wrapper.join('\n'),
      '',
    ];
    return `${head.join('\n')}\n${bodies.join('\n')}\n${tail.join('\n')}`;
  }

  private externDecl(e: ExternDef): string {
    const params = e.params.length ? e.params.map((p) => this.types.c(p)).join(', ') : 'void';
    return `${this.types.c(e.ret)} ${e.name}(${params}); /* extern "C" */`;
  }

  /** The function-pointer type of fn values of type t: `R (*)(void* env, P...)`. */
  signatureType(t: TyOf<'fn'>): string {
    const params = ['void*', ...t.params.map((p) => this.types.c(p))].join(', ');
    const key = `${this.types.c(t.ret)}(${params})`;
    let name = this.sigNames.get(key);
    if (name === undefined) {
      name = this.names.unique(`zsig${this.sigNames.size}`);
      this.sigNames.set(key, name);
      this.sigTypedefs.push(`typedef ${this.types.c(t.ret)} (*${name})(${params});`);
    }
    return name;
  }

  /**
   * The code pointer of a fn value: a wrapper taking the env as its first argument.
   * For FnRef it ignores the env; for a closure it passes the env on as fn's first parameter.
   */
  trampoline(fnName: string, closure: boolean): string {
    const key = `${closure ? 'closure' : 'ref'} ${fnName}`;
    let name = this.trampolines.get(key);
    if (name !== undefined) return name;
    const t = this.target(fnName);
    name = this.names.unique(`${closure ? 'zclosure' : 'zfnref'}_${t.cname.replace(/^z_/, '')}`);
    this.trampolines.set(key, name);
    const given = closure ? t.params.slice(1) : t.params;
    const params = ['void* env', ...given.map((p, i) => `${this.types.c(p)} a${i}`)].join(', ');
    const args = given.map((_, i) => `a${i}`);
    if (closure) {
      if (t.params.length === 0) throw new InternalError(`C backend: closure function ${fnName} has no env parameter`);
      const envC = this.types.c(t.params[0]);
      if (!envC.endsWith('*')) throw new InternalError(`C backend: closure env of ${fnName} is not a pointer (${envC})`);
      args.unshift(`(${envC})env`);
    }
    const ret = this.types.c(t.ret);
    const call = `${t.cname}(${args.join(', ')})`;
    const sig = `static ${ret} ${name}(${params})`;
    this.trampolineProtos.push(`${sig};`);
    this.trampolineDefs.push(`${sig} {\n${closure ? '' : '  (void)env;\n'}  ${isVoidTy(t.ret) ? '' : 'return '}${call};\n}`);
    return name;
  }
}

/**
 * The C name of a local: `l<id>_<name>`, or `l<id>` for unnamed temporaries (the id keeps
 * names unique, and the prefix keeps them clear of C keywords and libc names).
 */
function localName(id: number, name: string): string {
  if (name === '') return `l${id}`;
  const c0 = name.charCodeAt(0);
  // compiler temporaries (checked without building `_t${id}` for every local)
  if ((c0 === 116 /* t */ || c0 === 95 /* _ */) && (name === `_t${id}` || name === `t${id}`)) return `l${id}`;
  let base = localBases.get(name);
  if (base === undefined) {
    base = /^[A-Za-z0-9]\w*$/.test(name) ? name : cIdent(name).replace(/^_+|_+$/g, '');
    localBases.set(name, base);
  }
  return base ? `l${id}_${base}` : `l${id}`;
}
/** name -> the part of its C name after the id (the same few names recur in every function) */
const localBases = new Map<string, string>();

/** Per statement: checks to run first, and drops of consumed values to run after. */
interface StmtCtx { pre: string[]; post: string[] }

const ARITH = new Set(['+', '-', '*']);
const BITWISE = new Set(['&', '|', '^']);
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

class FnEmitter {
  private readonly types: CTypes;
  private readonly glue: Glue;
  private readonly localNames = new Map<number, string>();
  private readonly localTys = new Map<number, Ty>();
  private tempCount = 0;

  private readonly out: string[] = [];

  constructor(private readonly m: ModuleEmitter, private readonly f: FnDef) {
    this.types = m.types;
    this.glue = m.glue;
    for (const l of f.locals) {
      this.localNames.set(l.id, localName(l.id, l.name));
      this.localTys.set(l.id, l.ty);
    }
  }

  signature(): string {
    const t = this.m.target(this.f.name);
    const params = this.f.params.map((id) => `${this.types.c(this.localTys.get(id)!)} ${this.localNames.get(id)}`);
    return `static ${this.types.c(this.f.ret)} ${t.cname}(${params.length ? params.join(', ') : 'void'})`;
  }

  /** The function's C definition. */
  emit(): string {
    const f = this.f;
    const out = this.out;
    out.push(`/* ${f.name} */`, `${this.signature()} {`);
    const paramSet = new Set(f.params);
    for (const l of f.locals) {
      if (paramSet.has(l.id)) continue;
      if (isVoidTy(l.ty)) throw new InternalError(`C backend: local ${l.name} of ${f.name} has type ${l.ty.k}`);
      const c = this.types.c(l.ty);
      out.push(`  ${c} ${this.localNames.get(l.id)}${this.zeroInit(l.ty, c)};`);
    }
    // only reachable blocks are emitted; only jump targets get labels
    const reachable = new Array<boolean>(f.blocks.length).fill(false);
    const targeted = new Array<boolean>(f.blocks.length).fill(false);
    const work = [0];
    if (f.blocks.length) reachable[0] = true;
    f.blocks.forEach((b, i) => {
      if (b.id !== i) throw new InternalError(`C backend: block ${i} of ${f.name} has id ${b.id}`);
    });
    while (work.length) {
      const b = f.blocks[work.pop()!];
      for (const s of successors(b.term)) {
        if (s < 0 || s >= f.blocks.length) throw new InternalError(`C backend: ${f.name} jumps to missing block ${s}`);
        targeted[s] = true;
        if (!reachable[s]) { reachable[s] = true; work.push(s); }
      }
    }
    const order = f.blocks.filter((b) => reachable[b.id]);
    order.forEach((b, i) => {
      if (targeted[b.id]) this.out.push(`bb${b.id}:`);
      for (const s of b.stmts) this.stmt(s as Stmt);
      this.term(b.term, order[i + 1]?.id ?? -1, b.stmts[b.stmts.length - 1] as Stmt | undefined);
    });
    out.push('}', '');
    return out.join('\n');
  }

  /** Locals start zeroed (cheap, and a drop of a never-assigned local is then harmless), except big arrays. */
  private zeroInit(t: Ty, c: string): string {
    switch (t.k) {
      case 'int': case 'float': case 'bool': return ' = 0';
      case 'array': if (t.n > 64 && !this.glue.needsDrop(t)) return ''; break;
    }
    return c.endsWith('*') ? ' = NULL' : ' = { 0 }';
  }

  private line(s: string): void { this.out.push(`  ${s}`); }

  private temp(): string { return `zt${this.tempCount++}`; }

  // ---------------------------------------------------------------- statements

  private stmt(s: Stmt): void {
    const ctx: StmtCtx = { pre: [], post: [] };
    switch (s.kind) {
      case 'Assign': {
        const value = this.rvalue(s.value as Rvalue, ctx);
        const dstCtx: StmtCtx = { pre: [], post: [] };
        const dst = this.place(s.place as Place, dstCtx);
        ctx.pre.forEach((l) => this.line(l));
        if ((dstCtx.pre.length > 0 || !isDirectPlace(s.place as Place)) && mayHaveEffects(s.value as Rvalue)) {
          const tmp = this.temp();
          this.line(`{ ${this.types.c(s.place.ty)} ${tmp} = ${value};`);
          dstCtx.pre.forEach((l) => this.line(`  ${l}`));
          this.line(`  ${dst} = ${tmp}; }`);
        } else {
          dstCtx.pre.forEach((l) => this.line(l));
          this.line(`${dst} = ${value};`);
        }
        break;
      }
      case 'Eval': {
        const rv = s.value as Rvalue;
        const value = this.rvalue(rv, ctx);
        const t = rvalueTy(rv);
        ctx.pre.forEach((l) => this.line(l));
        if (this.glue.needsDrop(t)) {
          // a discarded value that owns memory is dropped at once
          const tmp = this.temp();
          this.line(`{ ${this.types.c(t)} ${tmp} = ${value}; ${this.glue.drop(t)}(&${tmp}); }`);
        } else if (isVoidTy(t) || rv.kind === 'CallFn' || rv.kind === 'CallValue' || rv.kind === 'Builtin') {
          this.line(`${value};`);
        } else {
          this.line(`(void)(${value});`);
        }
        break;
      }
      case 'Drop': case 'Delete': {
        const p = s.place as Place;
        if (!this.glue.needsDrop(p.ty)) { this.line(`/* drop of ${p.ty.k}: nothing to do */`); break; }
        const where = this.place(p, ctx);
        ctx.pre.forEach((l) => this.line(l));
        this.line(`${this.glue.drop(p.ty)}(&${where});`);
        break;
      }
      default: throw new InternalError(`C backend: unknown statement ${(s as { kind: string }).kind}`);
    }
    ctx.post.forEach((l) => this.line(l));
  }

  private term(t: Term, next: number, last: Stmt | undefined): void {
    switch (t.kind) {
      case 'Goto':
        if (t.target !== next) this.line(`goto bb${t.target};`);
        break;
      case 'Branch': {
        const ctx: StmtCtx = { pre: [], post: [] };
        const cond = this.operand(t.cond as Operand, 'borrow', ctx);
        ctx.pre.forEach((l) => this.line(l));
        if (t.else === next) this.line(`if (${cond}) goto bb${t.then};`);
        else if (t.then === next) this.line(`if (!${paren(cond)}) goto bb${t.else};`);
        else this.line(`if (${cond}) goto bb${t.then}; else goto bb${t.else};`);
        break;
      }
      case 'Return': {
        if (!t.value) { this.line('return;'); break; }
        const ctx: StmtCtx = { pre: [], post: [] };
        const v = this.operand(t.value as Operand, 'own', ctx);
        ctx.pre.forEach((l) => this.line(l));
        this.line(isVoidTy(this.f.ret) ? `return;` : `return ${v};`);
        break;
      }
      case 'Unreachable':
        this.line(last && last.kind === 'Eval' && divergesBuiltin(last.value as Rvalue) ? '__builtin_unreachable();' : 'zrt_unreachable();');
        break;
      default: throw new InternalError(`C backend: unknown terminator ${(t as { kind: string }).kind}`);
    }
  }

  // ---------------------------------------------------------------- places

  /** A C lvalue for the place; its bounds checks go to ctx.pre, innermost first. */
  private place(p: Place, ctx: StmtCtx): string {
    switch (p.kind) {
      case 'LocalPlace': {
        const n = this.localNames.get(p.id);
        if (n === undefined) throw new InternalError(`C backend: local ${p.id} of ${this.f.name} is not declared`);
        return n;
      }
      case 'GlobalPlace': {
        const n = this.m.globals.get(p.name);
        if (n === undefined) throw new InternalError(`C backend: unknown global ${p.name}`);
        return n;
      }
      case 'DerefPlace': return `(*${paren(this.operand(p.ptr as Operand, 'borrow', ctx))})`;
      case 'FieldPlace': return this.member(p.base as Place, fieldName(p.field), ctx);
      case 'PayloadPlace': {
        const base = p.base as Place;
        return isNullableOption(base.ty) ? this.place(base, ctx) : this.member(base, 'val', ctx);
      }
      case 'IndexPlace': {
        const base = p.base as Place;
        const idxOp = p.index as Operand;
        const idxTy = operandTy(idxOp);
        const idx = this.operand(idxOp, 'borrow', ctx);
        if (base.ty.k === 'array') {
          const arr = this.member(base, 'a', ctx);
          const known = idxOp.kind === 'Const' ? Number(idxOp.value) : NaN;
          if (!(known >= 0 && known < base.ty.n)) ctx.pre.push(this.indexCheck(idx, idxTy, String(base.ty.n)));
          return `${arr}[${idx}]`;
        }
        if (base.ty.k === 'vec') {
          const ptr = this.member(base, 'ptr', ctx);
          ctx.pre.push(this.indexCheck(idx, idxTy, `${ptr.slice(0, -3)}len`));
          return `${ptr}[${idx}]`;
        }
        throw new InternalError(`C backend: indexing a ${base.ty.k}`);
      }
      default: throw new InternalError(`C backend: unknown place ${(p as { kind: string }).kind}`);
    }
  }

  /** `base.name`, written `ptr->name` when base is a dereference. */
  private member(base: Place, name: string, ctx: StmtCtx): string {
    if (base.kind === 'DerefPlace') return `${paren(this.operand(base.ptr as Operand, 'borrow', ctx))}->${name}`;
    return `${this.place(base, ctx)}.${name}`;
  }

  private indexCheck(idx: string, idxTy: Ty, len: string): string {
    return idxTy.k === 'int' && idxTy.name === 'u64' ? `zrt_check_index_u(${idx}, ${len});` : `zrt_check_index(${idx}, ${len});`;
  }

  // ---------------------------------------------------------------- operands

  /**
   * An operand as a C expression. 'own': the value is consumed (a Copy deep-copies).
   * 'borrow': the value is only read during the statement (a Copy reads the place as it
   * is; a Move's value is dropped after the statement, since nobody else will).
   */
  private operand(op: Operand, mode: 'own' | 'borrow', ctx: StmtCtx): string {
    switch (op.kind) {
      case 'Const': return this.constant(op);
      case 'Copy': {
        const place = op.place as Place;
        const p = this.place(place, ctx);
        return mode === 'own' && this.glue.needsClone(place.ty) ? `${this.glue.clone(place.ty)}(&${p})` : p;
      }
      case 'Move': {
        const place = op.place as Place;
        const p = this.place(place, ctx);
        if (mode === 'borrow' && this.glue.needsDrop(place.ty)) ctx.post.push(`${this.glue.drop(place.ty)}(&${p});`);
        return p;
      }
      case 'FnRef': return `(zrt_fn){ (void (*)(void))${this.m.trampoline(op.name, false)}, NULL }`;
      default: throw new InternalError(`C backend: unknown operand ${(op as { kind: string }).kind}`);
    }
  }

  private constant(op: Node<typeof Lcfg, 'Const'>): string {
    const t = op.ty;
    const v = op.value;
    switch (t.k) {
      case 'int': return cIntLiteral(typeof v === 'bigint' ? v.toString() : String(v), t.name);
      case 'float': return cFloatLiteral(Number(v), t.name === 'f32');
      case 'bool': return v ? 'true' : 'false';
      case 'str': return `ZRT_STR(${cStringLiteral(String(v)).lit})`;
      default: throw new InternalError(`C backend: constant of type ${t.k}`);
    }
  }

  /** A str operand as the pair (pointer, length) the runtime takes. */
  private strArgs(op: Operand, ctx: StmtCtx): string {
    if (op.kind === 'Const') {
      const { lit, len } = cStringLiteral(String(op.value));
      return `(const uint8_t*)${lit}, ${len}`;
    }
    const s = this.operand(op, 'borrow', ctx);
    return `${s}.ptr, ${s}.len`;
  }

  // ---------------------------------------------------------------- rvalues

  private rvalue(rv: Rvalue, ctx: StmtCtx): string {
    switch (rv.kind) {
      case 'Use': return this.operand(rv.op as Operand, 'own', ctx);
      case 'BinOp': return this.binop(rv, ctx);
      case 'UnOp': return this.unop(rv, ctx);
      case 'CastOp': return this.cast(rv, ctx);
      case 'Ref': return `&${this.place(rv.place as Place, ctx)}`;
      case 'CallFn': {
        const t = this.m.target(rv.fn);
        const args = (rv.args as Operand[]).map((a) => this.operand(a, 'own', ctx));
        return `${t.cname}(${args.join(', ')})`;
      }
      case 'CallValue': {
        const callee = rv.callee as Operand;
        const ft = operandTy(callee);
        if (ft.k !== 'fn') throw new InternalError(`C backend: calling a ${ft.k}`);
        const f = this.operand(callee, 'borrow', ctx);
        const args = (rv.args as Operand[]).map((a) => this.operand(a, 'own', ctx));
        return `((${this.m.signatureType(ft)})${f}.code)(${[`${f}.env`, ...args].join(', ')})`;
      }
      case 'Closure':
        return `(zrt_fn){ (void (*)(void))${this.m.trampoline(rv.fn, true)}, (void*)${this.operand(rv.env as Operand, 'own', ctx)} }`;
      case 'Aggregate': {
        const ops = (rv.ops as Operand[]).map((o) => this.operand(o, 'own', ctx));
        const c = this.types.c(rv.ty);
        if (rv.ty.k === 'array') return `(${c}){ { ${ops.length ? ops.join(', ') : '0'} } }`;
        if (rv.ty.k === 'class') return `(${c}){ ${ops.length ? ops.join(', ') : '0'} }`;
        throw new InternalError(`C backend: aggregate of type ${rv.ty.k}`);
      }
      case 'Repeat': {
        if (rv.ty.k !== 'array') throw new InternalError(`C backend: repeat of type ${rv.ty.k}`);
        return `${this.glue.repeat(rv.ty)}(${this.operand(rv.op as Operand, 'own', ctx)})`;
      }
      case 'MakeSome': {
        const v = this.operand(rv.op as Operand, 'own', ctx);
        return isNullableOption(rv.ty) ? v : `(${this.types.c(rv.ty)}){ true, ${v} }`;
      }
      case 'MakeNone': return isNullableOption(rv.ty) ? 'NULL' : `(${this.types.c(rv.ty)}){ false }`;
      case 'IsSome': {
        const op = rv.op as Operand;
        const v = this.operand(op, 'borrow', ctx);
        return isNullableOption(operandTy(op)) ? `(${v} != NULL)` : `${v}.some`;
      }
      case 'Builtin': return this.builtin(rv, ctx);
      default: throw new InternalError(`C backend: unknown rvalue ${(rv as { kind: string }).kind}`);
    }
  }

  private binop(rv: Node<typeof Lcfg, 'BinOp'>, ctx: StmtCtx): string {
    const lop = rv.left as Operand, rop = rv.right as Operand;
    const lt = operandTy(lop);
    const op = rv.op;
    if (lt.k === 'str' && (op === '==' || op === '!=')) {
      // each operand is rendered exactly once (rendering records its checks and drops)
      const eq = `zrt_str_eq(${this.strArgs(lop, ctx)}, ${this.strArgs(rop, ctx)})`;
      return op === '==' ? eq : `!${eq}`;
    }
    const a = this.operand(lop, 'borrow', ctx);
    const b = this.operand(rop, 'borrow', ctx);
    if (COMPARE.has(op)) {
      if (lt.k === 'string') {
        const eq = `zrt_string_eq(&${a}, &${b})`;
        if (op === '==') return eq;
        if (op === '!=') return `!${eq}`;
      } else if (lt.k === 'int' || lt.k === 'float' || lt.k === 'bool' || lt.k === 'ptr' || isNullableOption(lt)) {
        return `(${a} ${op} ${b})`;
      }
      throw new InternalError(`C backend: ${op} on ${lt.k}`);
    }
    if (lt.k === 'ptr' && (op === '+' || op === '-')) return `(${a} ${op} ${b})`;
    if (lt.k === 'float') {
      if (op === '%') return `__builtin_fmod${lt.name === 'f32' ? 'f' : ''}(${a}, ${b})`;
      if (ARITH.has(op) || op === '/') return `(${a} ${op} ${b})`;
      throw new InternalError(`C backend: ${op} on floats`);
    }
    if (lt.k === 'bool' && BITWISE.has(op)) return `(bool)(${a} ${op} ${b})`;
    if (lt.k !== 'int') throw new InternalError(`C backend: ${op} on ${lt.k}`);
    const T = cIntType(lt.name);
    const bits = intBits(lt);
    const U = bits === 64 ? 'uint64_t' : 'uint32_t';
    if (ARITH.has(op)) {
      // unsigned arithmetic wraps without undefined behaviour; narrow types are widened first
      if (!isSigned(lt) && bits >= 32) return `(${a} ${op} ${b})`;
      if (rop.kind === 'Const' && op !== '*') {
        // `x + 1`, `x - 1` (and `x + -1` as `x - 1`) read better with a plain unsigned constant
        const v = BigInt(String(rop.value));
        const [o, mag] = v < 0n ? [op === '+' ? '-' : '+', -v] : [op, v];
        if (mag < 2n ** 31n) return `(${T})((${U})${a} ${o} ${mag}u)`;
      }
      return `(${T})((${U})${a} ${op} (${U})${b})`;
    }
    if (op === '/' || op === '%') {
      const divisor = rop.kind === 'Const' ? BigInt(String(rop.value)) : null;
      const safe = divisor !== null && divisor !== 0n && divisor !== -1n;
      if (safe) return bits >= 32 ? `(${a} ${op} ${b})` : `(${T})(${a} ${op} ${b})`;
      return `zrt_${op === '/' ? 'div' : 'rem'}_${lt.name}(${a}, ${b})`;
    }
    if (BITWISE.has(op)) return bits >= 32 ? `(${a} ${op} ${b})` : `(${T})(${a} ${op} ${b})`;
    if (op === '<<' || op === '>>') {
      const mask = bits - 1;
      const amount = rop.kind === 'Const'
        ? String(Number(BigInt.asUintN(64, BigInt(String(rop.value))) & BigInt(mask)))
        : `((uint32_t)${b} & ${mask}u)`;
      if (op === '<<') return `(${T})((${U})${a} << ${amount})`;
      return bits >= 32 ? `(${a} >> ${amount})` : `(${T})(${a} >> ${amount})`;
    }
    throw new InternalError(`C backend: unknown binary operator ${op}`);
  }

  private unop(rv: Node<typeof Lcfg, 'UnOp'>, ctx: StmtCtx): string {
    const op = rv.operand as Operand;
    const t = operandTy(op);
    const a = this.operand(op, 'borrow', ctx);
    switch (rv.op) {
      case '!': return `!${paren(a)}`;
      case '~':
        if (t.k !== 'int') throw new InternalError(`C backend: ~ on ${t.k}`);
        return `(${cIntType(t.name)})~${paren(a)}`;
      case '-':
        if (t.k === 'float') return `(-${paren(a)})`;
        if (t.k === 'int') {
          const U = intBits(t) === 64 ? 'uint64_t' : 'uint32_t';
          return `(${cIntType(t.name)})((${U})0 - (${U})${a})`;
        }
        throw new InternalError(`C backend: unary - on ${t.k}`);
      default: throw new InternalError(`C backend: unknown unary operator ${rv.op}`);
    }
  }

  private cast(rv: Node<typeof Lcfg, 'CastOp'>, ctx: StmtCtx): string {
    const op = rv.op as Operand;
    const from = operandTy(op);
    const to = rv.ty;
    const a = this.operand(op, 'borrow', ctx);
    const C = this.types.c(to);
    const isPtr = (t: Ty) => t.k === 'ptr' || t.k === 'box' || isNullableOption(t);
    if (from.k === 'float' && to.k === 'int') return `zrt_f2i_${to.name}(${a})`;
    if ((from.k === 'int' || from.k === 'float' || from.k === 'bool') && (to.k === 'int' || to.k === 'float')) return `(${C})${paren(a)}`;
    if (isPtr(from) && to.k === 'int') return `(${C})(uintptr_t)${paren(a)}`;
    if (from.k === 'int' && isPtr(to)) return `(${C})(uintptr_t)${paren(a)}`;
    if (isPtr(from) && isPtr(to)) return `(${C})${paren(a)}`;
    if (from.k === to.k && this.types.c(from) === C) return a;
    throw new InternalError(`C backend: cast from ${from.k} to ${to.k}`);
  }

  // ---------------------------------------------------------------- built-ins

  private builtin(rv: Node<typeof Lcfg, 'Builtin'>, ctx: StmtCtx): string {
    const args = rv.args as Operand[];
    const ty = rv.ty;
    const own = (i: number) => this.operand(args[i], 'own', ctx);
    const borrow = (i: number) => this.operand(args[i], 'borrow', ctx);
    const argTy = (i: number) => operandTy(args[i]);
    /** the T of a receiver argument `*X<T>` */
    const recvOf = (i: number): Ty => {
      const p = argTy(i);
      if (p.k !== 'ptr') throw new InternalError(`C backend: ${rv.op} receiver is a ${p.k}, not a pointer`);
      return p.to;
    };
    const elemOf = (t: Ty): Ty => {
      if (!('of' in t)) throw new InternalError(`C backend: ${rv.op} on a ${t.k}`);
      return t.of;
    };
    switch (rv.op) {
      case 'print': case 'println': return this.print(rv.op === 'println', args[0], ctx);
      case 'print_fixed': return `zrt_print_fixed(${borrow(0)}, ${borrow(1)})`;
      case 'panic': return `zrt_panic(${this.strArgs(args[0], ctx)})`;
      case 'exit': return `zrt_exit(${borrow(0)})`;
      case 'arg_count': return 'zrt_arg_count()';
      case 'arg': return `zrt_arg_string(${borrow(0)})`;
      case 'sqrt': case 'floor': case 'ceil': {
        const t = argTy(0);
        return `__builtin_${rv.op}${t.k === 'float' && t.name === 'f32' ? 'f' : ''}(${borrow(0)})`;
      }
      case 'abs': {
        const t = argTy(0);
        const a = borrow(0);
        if (t.k === 'float') return `__builtin_fabs${t.name === 'f32' ? 'f' : ''}(${a})`;
        if (t.k !== 'int') throw new InternalError(`C backend: abs of ${t.k}`);
        if (!isSigned(t)) return a;
        const U = intBits(t) === 64 ? 'uint64_t' : 'uint32_t';
        return `(${a} < 0 ? (${cIntType(t.name)})((${U})0 - (${U})${a}) : ${a})`;
      }
      case 'min': case 'max': {
        const t = argTy(0);
        const a = borrow(0), b = borrow(1);
        if (t.k === 'float') return `__builtin_f${rv.op}${t.name === 'f32' ? 'f' : ''}(${a}, ${b})`;
        return `(${a} ${rv.op === 'min' ? '<' : '>'} ${b} ? ${a} : ${b})`;
      }
      case 'option.unwrap': {
        const o = recvOf(0);
        if (o.k !== 'option') throw new InternalError('C backend: unwrap of a non-Option');
        return `${this.glue.unwrap(o)}(${borrow(0)})`;
      }
      case 'box.new': {
        if (ty.k !== 'box') throw new InternalError('C backend: box.new must produce a Box');
        return `${this.glue.boxNew(ty)}(${own(0)})`;
      }
      case 'vec.new': return `(${this.types.c(ty)}){ NULL, 0, 0 }`;
      case 'vec.with_capacity': return `${this.glue.vecWithCapacity(asVec(ty))}(${borrow(0)})`;
      case 'vec.filled': return `${this.glue.vecFilled(asVec(ty))}(${borrow(0)}, ${own(1)})`;
      case 'vec.push': return `${this.glue.vecPush(asVec(recvOf(0)))}(${borrow(0)}, ${own(1)})`;
      case 'vec.pop': return `${this.glue.vecPop(asVec(recvOf(0)), ty)}(${borrow(0)})`;
      case 'vec.len': case 'string.len': return `${paren(borrow(0))}->len`;
      case 'vec.clear': return `${this.glue.vecClear(asVec(recvOf(0)))}(${borrow(0)})`;
      case 'string.from': return `zrt_string_new(${this.strArgs(args[0], ctx)})`;
      case 'string.append': return this.append(borrow(0), args[1], ctx);
      case 'string.parse_i64': return `${this.glue.parseI64(ty)}(${borrow(0)})`;
      case 'str.len':
        return args[0].kind === 'Const' ? `INT64_C(${cStringLiteral(String(args[0].value)).len})` : `${borrow(0)}.len`;
      case 'region.new': return `zrt_region_new(${borrow(0)})`;
      case 'region.free': return `zrt_region_free(${borrow(0)})`;
      case 'region.alloc': {
        if (ty.k !== 'option' || ty.of.k !== 'ptr') throw new InternalError('C backend: region.alloc must produce Option<*mut T>');
        return `${this.glue.regionAlloc(ty.of.to)}(${borrow(0)}, ${own(1)})`;
      }
      case 'spawn': return `${this.glue.spawn(elemOf(ty))}(${own(0)})`;
      case 'thread.join': {
        const r = elemOf(recvOf(0));
        return isVoidTy(r) ? `(void)zrt_thread_join(*${paren(borrow(0))})` : `${this.glue.join(r)}(${borrow(0)})`;
      }
      case 'channel.new': {
        const e = elemOf(ty);
        return `zrt_channel_new(${borrow(0)}, ${isVoidTy(e) ? '0' : `sizeof(${this.types.c(e)})`}, ${this.glue.dropCallback(e)})`;
      }
      case 'channel.send': return `${this.glue.channelSend(elemOf(recvOf(0)))}(*${paren(borrow(0))}, ${own(1)})`;
      case 'channel.recv': return `${this.glue.channelRecv(elemOf(recvOf(0)), ty)}(*${paren(borrow(0))})`;
      case 'channel.close': return `zrt_channel_close(*${paren(borrow(0))})`;
      case 'mutex.new': return `${this.glue.mutexNew(argTy(0))}(${own(0)})`;
      case 'mutex.lock': return `zrt_mutex_lock(*${paren(borrow(0))})`;
      case 'guard.value': {
        if (ty.k !== 'ptr') throw new InternalError('C backend: guard.value must produce a pointer');
        return `((${this.types.c(ty)})zrt_mutex_value(*${paren(borrow(0))}))`;
      }
      case 'atomic.new': return `(${this.types.c(ty)}){ ${own(0)} }`;
      case 'atomic.load':
        return `atomic_load_explicit(&${paren(borrow(0))}->v, ${this.order(args[1], 'load', ctx)})`;
      case 'atomic.store':
        return `atomic_store_explicit(&${paren(borrow(0))}->v, ${borrow(1)}, ${this.order(args[2], 'store', ctx)})`;
      case 'atomic.fetch_add': case 'atomic.fetch_sub': case 'atomic.swap': {
        const fn = rv.op === 'atomic.swap' ? 'atomic_exchange_explicit' : `atomic_${rv.op.slice(7)}_explicit`;
        return `${fn}(&${paren(borrow(0))}->v, ${borrow(1)}, ${this.order(args[2], 'rmw', ctx)})`;
      }
      case 'atomic.compare_exchange': {
        const a = recvOf(0);
        if (a.k !== 'atomic') throw new InternalError('C backend: compare_exchange on a non-Atomic');
        const ord = args[3] ? borrow(3) : String(ORDERING.SeqCst);
        return `${this.glue.compareExchange(a)}(${borrow(0)}, ${borrow(1)}, ${borrow(2)}, ${ord})`;
      }
      default: throw new InternalError(`C backend: unknown built-in ${rv.op}`);
    }
  }

  /** A memory_order for an Ordering argument (a constant, normally; SeqCst when absent). */
  private order(op: Operand | undefined, use: 'load' | 'store' | 'rmw', ctx: StmtCtx): string {
    if (!op) return 'memory_order_seq_cst';
    if (op.kind !== 'Const') {
      const v = this.operand(op, 'borrow', ctx);
      return use === 'load' ? `zrt_load_order(${v})` : use === 'store' ? `zrt_store_order(${v})` : `zrt_order(${v})`;
    }
    const o = Number(op.value);
    if (o === ORDERING.Relaxed) return 'memory_order_relaxed';
    if (o === ORDERING.Acquire) return use === 'store' ? 'memory_order_seq_cst' : 'memory_order_acquire';
    if (o === ORDERING.Release) return use === 'load' ? 'memory_order_seq_cst' : 'memory_order_release';
    if (o === ORDERING.AcqRel) return use === 'rmw' ? 'memory_order_acq_rel' : 'memory_order_seq_cst';
    return 'memory_order_seq_cst';
  }

  private print(newline: boolean, op: Operand, ctx: StmtCtx): string {
    const fn = newline ? 'zrt_println' : 'zrt_print';
    const t = operandTy(op);
    switch (t.k) {
      case 'int': return `${fn}_${isSigned(t) ? 'i64' : 'u64'}(${this.operand(op, 'borrow', ctx)})`;
      case 'float': return `${fn}_${t.name}(${this.operand(op, 'borrow', ctx)})`;
      case 'bool': return `${fn}_bool(${this.operand(op, 'borrow', ctx)})`;
      case 'str': return `${fn}_str(${this.strArgs(op, ctx)})`;
      case 'string': return `${fn}_string(&${this.operand(op, 'borrow', ctx)})`;
      default: throw new InternalError(`C backend: cannot print a ${t.k}`);
    }
  }

  private append(recv: string, op: Operand, ctx: StmtCtx): string {
    const t = operandTy(op);
    switch (t.k) {
      case 'str': return `zrt_string_append_str(${recv}, ${this.strArgs(op, ctx)})`;
      case 'string': return `zrt_string_append_string(${recv}, &${this.operand(op, 'borrow', ctx)})`;
      case 'int': return `zrt_string_append_${isSigned(t) ? 'i64' : 'u64'}(${recv}, ${this.operand(op, 'borrow', ctx)})`;
      case 'float': return `zrt_string_append_${t.name}(${recv}, ${this.operand(op, 'borrow', ctx)})`;
      case 'bool': return `zrt_string_append_bool(${recv}, ${this.operand(op, 'borrow', ctx)})`;
      default: throw new InternalError(`C backend: cannot append a ${t.k} to a String`);
    }
  }
}

function asVec(t: Ty): TyOf<Generic> {
  if (t.k !== 'vec') throw new InternalError(`C backend: expected a Vec, got ${t.k}`);
  return t;
}

function successors(t: Term): number[] {
  switch (t.kind) {
    case 'Goto': return [t.target];
    case 'Branch': return [t.then, t.else];
    default: return [];
  }
}

/** Wraps an expression in parentheses unless it is a name or already bracketed. */
function paren(e: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(e) || (e.startsWith('(') && balancedOuter(e)) ? e : `(${e})`;
}

function balancedOuter(e: string): boolean {
  let depth = 0;
  for (let i = 0; i < e.length; i++) {
    if (e[i] === '(') depth++;
    else if (e[i] === ')') { depth--; if (depth === 0 && i < e.length - 1) return false; }
  }
  return depth === 0 && e.endsWith(')');
}

/** A place written without going through a pointer or an index (its address cannot change during the statement). */
function isDirectPlace(p: Place): boolean {
  switch (p.kind) {
    case 'LocalPlace': case 'GlobalPlace': return true;
    case 'FieldPlace': case 'PayloadPlace': return isDirectPlace(p.base as Place);
    default: return false;
  }
}

/** Whether computing the value can run code, panic or change memory (so it must happen before the store's checks). */
function mayHaveEffects(rv: Rvalue): boolean {
  switch (rv.kind) {
    case 'CallFn': case 'CallValue': case 'Builtin': return true;
    case 'BinOp': return rv.op === '/' || rv.op === '%';
    default: return false;
  }
}

function divergesBuiltin(rv: Rvalue): boolean {
  return rv.kind === 'Builtin' && (rv.op === 'panic' || rv.op === 'exit');
}
