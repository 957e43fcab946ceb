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
//
// The emitter is a function pass (emitCPass, appended to the pipeline by the C backend):
// in a sweep each function's C is written as soon as the earlier passes finish it, so its
// Lcfg dies young instead of the whole module's surviving until code generation. Hence
// `prepare` sees only the declarations, a function's C name is assigned where it is first
// named (a call may come before the callee's definition), and what needs the callees'
// signatures (prototypes, trampolines, the `main` wrapper) is written by `assemble`, from
// the small CFunction record each function leaves.
//
// The text is written piece by piece into one byte buffer (text.ts) rather than built from
// strings, which allocated ~25 bytes per byte of C. An rvalue goes to a scratch buffer
// first: the checks that rendering it records must be written before it.

import { defineLanguage } from '../../ir/lang.js';
import { Lcfg, operandTy, rvalueTy, type Node } from '../../ir/languages.js';
import { Diagnostics } from '../../ir/diagnostics.js';
import { intBits, isSigned, type Generic, type Ty, type TyOf } from '../../ir/types.js';
import { ORDERING } from '../../ir/builtins.js';
import { defineFunctionPass, InternalError, ShardMismatch, type FunctionPass, type PassContext } from '../../passes/pass.js';
import { CTypes, fieldName, isNullableOption } from './ctypes.js';
import { Glue } from './glue.js';
import { CNames, cFloatLiteral, cIdent, cIntLiteral, cIntType, cStringLiteral, tyMnemonic, type Made } from './names.js';
import { LocalNames, TextBuffer } from './text.js';

/**
 * What the C emitter writes: the translation unit (CSource), and per function, while the
 * unit is being written, the record `assemble` needs of it (CFunction; its C is already in
 * the emitter's buffer).
 */
export const Lcsource = defineLanguage('Lcsource', 'C source text (the C backend\'s output)', {
  // code: the C, as a Buffer when it is all ASCII (written out as it is, never decoded into
  // a string), else a string; backends/c/index.ts `cText` gives it as text
  Unit: { CSource: { code: 'data' } },
  Emitted: { CFunction: { name: 'string', cname: 'string', params: 'type[]', ret: 'type', proto: 'string' } },
});

export type CSource = Node<typeof Lcsource, 'CSource'>;
type CFunction = Node<typeof Lcsource, 'CFunction'>;
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

/** The C emitter as a function pass, from Lcfg to Lcsource, including the runtime header `header`. */
function defineEmitC(header: string): FunctionPass {
  return defineFunctionPass<Module, FnDef, ModuleEmitter, CSource, CFunction>({
    name: 'emit-c',
    description: 'writes the C translation unit, one function at a time (the C backend)',
    from: Lcfg,
    to: Lcsource,
    units: { in: 'fn', out: 'emitted' },
    generatesCode: true,
    functionsOf: (m) => m.fns,
    prepare: (m, ctx) => new ModuleEmitter(m, ctx.src.text.length),
    declare: (m, e) => { for (const c of m.classes) e.types.declareClass(c); },
    runFunction: (fn, e) => e.function(fn),
    assemble: (m, e, fns) => ({ kind: 'CSource', span: m.span, code: e.finish(header, fns) }),
    shard: { save: (e, fns) => e.save(fns), merge: (e, fns, saved) => [...fns, ...e.merge(saved as EmittedShard)] },
  });
}

/** The C emitter pass the C backend appends to the pipeline (backends/c/index.ts). */
export const emitCPass: FunctionPass = defineEmitC('zeta_rt.h');

/** The C of the emitter's output as text. */
export function cText(source: CSource): string {
  const code = source.code as string | Buffer;
  return typeof code === 'string' ? code : code.toString('latin1');
}

/** The C translation unit for an Lcfg module: emitCPass run over the whole module. */
export function emitC(mod: Module, options: EmitCOptions = {}): string {
  const pass = options.runtimeHeader === undefined ? emitCPass : defineEmitC(options.runtimeHeader);
  const ctx: PassContext = {
    src: { path: '', text: '' },
    diag: new Diagnostics(),
    freshId: () => { throw new InternalError('C backend: the emitter introduces no locals'); },
  };
  return cText(pass.run(mod, ctx) as CSource);
}

/** What an emitter wrote of some of a module's functions, for the emitter writing the file to take (ModuleEmitter.merge). */
interface EmittedShard {
  /** what those functions added to the file's state, in order */
  made: readonly Made[];
  /** their C definitions (a Buffer arrives from another thread as a plain Uint8Array) */
  code: Uint8Array | string;
  fns: readonly CFunction[];
}

/** A user function named so far: its C name, and whether its definition has been written. */
interface FnName { cname: string; defined: boolean }

/** A trampoline named at a use: written by `finish`, once the callee's parameter types are known. */
interface Trampoline { name: string; fn: string; closure: boolean }

/** The state shared by the functions of a module: what `prepare` makes and `assemble` finishes. */
class ModuleEmitter {
  readonly names = new CNames();
  /** what the functions written so far added to the file's state, in order (see Made) */
  readonly made: Made[] = [];
  readonly types: CTypes;
  readonly glue: Glue;
  readonly externs = new Map<string, ExternDef>();
  /** user functions by Zeta name, named on first reference (a call, a fn value, the definition) */
  private readonly fnNames = new Map<string, FnName>();
  readonly globals = new Map<string, string>();
  /** local name -> the part of its C name after the id (the same few names recur in every function) */
  readonly localBases = new Map<string, string>();
  private readonly sigTypedefs: string[] = [];
  private readonly sigNames = new Map<string, string>();
  private readonly trampolineNames = new Map<string, string>();
  private readonly trampolines: Trampoline[] = [];
  /** the function definitions, in order; the declarations are put in front by `finish` */
  readonly out: TextBuffer;
  readonly locals = new LocalNames();
  readonly scratch = new Scratch();
  private readonly globalDecls: string[];
  private readonly externDecls: string[];

  /** `mod`'s declarations (its functions are not read: in a sweep there are none yet); `srcBytes` sizes the buffer. */
  constructor(private readonly mod: Module, srcBytes: number) {
    for (const e of mod.externs) {
      this.names.reserve(e.name);
      this.externs.set(e.name, e);
    }
    this.types = new CTypes(new Map(mod.classes.map((c) => [c.name, c])), this.names, this.made);
    for (const c of mod.classes) this.types.className(c.name);
    for (const g of mod.globals) this.globals.set(g.name, this.names.unique(`zg_${cIdent(g.name)}`));
    this.glue = new Glue(this.types, this.names, (n) => this.fnC(n), this.made);
    // (before any function: the types they name come first)
    this.globalDecls = mod.globals.map((g) => `static ${this.types.c(g.ty)} ${this.globals.get(g.name)}; /* ${g.mut ? 'static mut' : 'static'} ${g.name} */`);
    this.externDecls = mod.externs.map((e) => this.externDecl(e));
    // The C is about 5 bytes per source byte: pages of the buffer never written cost
    // nothing, while growing it copies the text so far (and the room in front is for the
    // declarations, prototypes included, known last: when they do not fit, one copy).
    const front = 4096 + 128 * (mod.classes.length + mod.globals.length + mod.externs.length) + (srcBytes >> 2);
    this.out = new TextBuffer(front + 6 * srcBytes + (1 << 16), front);
    this.made.length = 0; // (what the declarations make, every emitter of the module makes)
  }

  /** int type name -> constant value -> its C literal (the same few constants recur) */
  private readonly intLits = new Map<string, Map<unknown, string>>();

  /** The C literal of an integer constant. */
  intLiteral(name: string, v: unknown): string {
    let lits = this.intLits.get(name);
    if (lits === undefined) this.intLits.set(name, lits = new Map());
    let lit = lits.get(v);
    if (lit === undefined) {
      lit = cIntLiteral(typeof v === 'bigint' ? v.toString() : String(v), name);
      lits.set(v, lit);
    }
    return lit;
  }

  /**
   * The C name of a function (`z_<name>`, or an extern's own name), assigned where it is
   * first named, in emission order, so the same module always gets the same names. A name
   * no function turns out to define is reported by `finish`.
   */
  fnC(name: string): string {
    const known = this.fnNames.get(name);
    if (known !== undefined) return known.cname;
    if (this.externs.has(name)) return name;
    const cname = this.names.unique(`z_${cIdent(name.replace(/\./g, '__'))}`);
    this.made.push({ k: 'fn', name, c: cname });
    this.fnNames.set(name, { cname, defined: false });
    return cname;
  }

  /** Writes one function's C definition; returns what `finish` needs of it. */
  function(f: FnDef): CFunction {
    const cname = this.fnC(f.name);
    const entry = this.fnNames.get(f.name);
    if (entry === undefined) throw new InternalError(`C backend: function ${f.name} has the name of an extern`);
    if (entry.defined) throw new InternalError(`C backend: function ${f.name} is defined twice`);
    entry.defined = true;
    const params = f.params.map((id) => {
      const t = f.locals.find((l) => l.id === id)?.ty; // parameters come first among the locals
      if (!t) throw new InternalError(`C backend: parameter ${id} of ${f.name} is not among its locals`);
      return t;
    });
    const fe = new FnEmitter(this, f, this.out, this.locals, this.scratch);
    const sig = fe.signature(cname, params);
    fe.emit(sig);
    return { kind: 'CFunction', span: f.span, name: f.name, cname, params, ret: f.ret, proto: `${sig};` };
  }

  /** What this emitter wrote (the functions `fns`), as data another thread can take (merge). */
  save(fns: readonly CFunction[]): EmittedShard {
    return { made: this.made, code: this.out.asciiBytes() ?? this.out.text(), fns };
  }

  /**
   * Takes the functions another emitter of the same module wrote, to come after this one's
   * in the file: redoes what they added to the file's state, in their order, which must give
   * every addition the C name it had there (else ShardMismatch), and appends their C.
   */
  merge(shard: EmittedShard): readonly CFunction[] {
    for (const m of shard.made) {
      const c = this.redo(m);
      const was = (m as { c?: string }).c;
      if (c !== undefined && c !== was) throw new ShardMismatch(`C name ${was} came out as ${c}`);
    }
    for (const f of shard.fns) {
      const entry = this.fnNames.get(f.name);
      if (entry === undefined || entry.cname !== f.cname) throw new ShardMismatch(`function ${f.name} is not ${f.cname} here`);
      if (entry.defined) throw new InternalError(`C backend: function ${f.name} is defined twice`);
      entry.defined = true;
    }
    const code = shard.code;
    if (typeof code === 'string') this.out.put(code);
    else this.out.putBytesOf(Buffer.isBuffer(code) ? code : Buffer.from(code.buffer, code.byteOffset, code.byteLength));
    return shard.fns;
  }

  /** Adds what `m` records (made by another emitter of the module) to this one; gives the C name it gets here. */
  private redo(m: Made): string | undefined {
    switch (m.k) {
      case 'class': return this.types.className(m.name);
      case 'struct': return this.types.structOf(m.ty, false);
      case 'define': this.types.structOf(m.ty, true); return undefined;
      case 'declare': this.types.declareClass(m.cls); return undefined;
      case 'fn': return this.fnC(m.name);
      case 'sig': return this.signatureType(m.ty);
      case 'trampoline': return this.trampoline(m.fn, m.closure);
      case 'glue': return this.glue.redo(m.kind, m.ty, m.extra);
    }
  }

  /** The whole translation unit: the declarations and glue around the functions written so far (`fns`, in order). */
  finish(header: string, fns: readonly CFunction[]): string | Buffer {
    const mod = this.mod;
    for (const [name, n] of this.fnNames) {
      if (!n.defined) throw new InternalError(`C backend: unknown function ${name}`);
    }
    const byName = new Map<string, CFunction>();
    for (const f of fns) byName.set(f.name, f);
    const trampolineProtos: string[] = [];
    const trampolineDefs: string[] = [];
    for (const t of this.trampolines) {
      const callee = byName.get(t.fn) ?? this.externs.get(t.fn);
      if (callee === undefined) throw new InternalError(`C backend: unknown function ${t.fn}`);
      const [proto, def] = this.trampolineText(t, this.fnC(t.fn), callee.params, callee.ret);
      trampolineProtos.push(proto);
      trampolineDefs.push(def);
    }
    const mainFn = byName.get(mod.main);
    if (!mainFn) throw new InternalError(`C backend: main function ${mod.main} not found`);
    const mainC = mainFn.cname;
    if (mod.init && !byName.has(mod.init)) throw new InternalError(`C backend: unknown function ${mod.init}`);
    const wrapper = [
      'int main(int argc, char** argv) {',
      '  zrt_init(argc, argv);',
      ...(mod.init ? [`  ${this.fnC(mod.init)}();`] : []),
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
      ...this.globalDecls,
      ...this.externDecls,
      ...fns.map((f) => f.proto),
      ...this.glue.protos,
      ...trampolineProtos,
      '',
      '/* ---- functions */',
    ];
    const tail = [
      '/* ---- glue */',
      this.glue.defs.join('\n\n'),
      '',
      trampolineDefs.join('\n\n'),
      '',
      wrapper.join('\n'),
      '',
    ];
    const out = this.out;
    out.prepend(`${head.join('\n')}\n`); // each function ends with a blank line
    out.put(tail.join('\n'));
    return out.asciiBytes() ?? out.text();
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
      // (named after the types, not numbered: see Made)
      name = this.names.unique(`zsig_${[...t.params, t.ret].map(tyMnemonic).join('_')}`);
      this.made.push({ k: 'sig', ty: t, c: name });
      this.sigNames.set(key, name);
      this.sigTypedefs.push(`typedef ${this.types.c(t.ret)} (*${name})(${params});`);
    }
    return name;
  }

  /**
   * The code pointer of a fn value: a wrapper taking the env as its first argument.
   * For FnRef it ignores the env; for a closure it passes the env on as fn's first parameter.
   * Named here (from the callee's C name), written by `finish` (the callee may come later).
   */
  trampoline(fnName: string, closure: boolean): string {
    const key = `${closure ? 'closure' : 'ref'} ${fnName}`;
    let name = this.trampolineNames.get(key);
    if (name !== undefined) return name;
    name = this.names.unique(`${closure ? 'zclosure' : 'zfnref'}_${this.fnC(fnName).replace(/^z_/, '')}`);
    this.made.push({ k: 'trampoline', fn: fnName, closure, c: name });
    this.trampolineNames.set(key, name);
    this.trampolines.push({ name, fn: fnName, closure });
    return name;
  }

  /** A trampoline's prototype and definition, for a callee `cname` taking `params` and returning `ret`. */
  private trampolineText(t: Trampoline, cname: string, params: readonly Ty[], ret: Ty): [string, string] {
    const { name, closure } = t;
    const given = closure ? params.slice(1) : params;
    const ps = ['void* env', ...given.map((p, i) => `${this.types.c(p)} a${i}`)].join(', ');
    const args = given.map((_, i) => `a${i}`);
    if (closure) {
      if (params.length === 0) throw new InternalError(`C backend: closure function ${t.fn} has no env parameter`);
      const envC = this.types.c(params[0]);
      if (!envC.endsWith('*')) throw new InternalError(`C backend: closure env of ${t.fn} is not a pointer (${envC})`);
      args.unshift(`(${envC})env`);
    }
    const call = `${cname}(${args.join(', ')})`;
    const sig = `static ${this.types.c(ret)} ${name}(${ps})`;
    return [`${sig};`, `${sig} {\n${closure ? '' : '  (void)env;\n'}  ${isVoidTy(ret) ? '' : 'return '}${call};\n}`];
  }
}


/**
 * The C name of a local: `l<id>_<name>` (the id keeps names unique, and the prefix keeps
 * them clear of C keywords and libc names), or null for a compiler temporary (tempName).
 */
function localName(id: number, name: string, localBases: Map<string, string>): string | null {
  if (name === '') return null;
  const c0 = name.charCodeAt(0);
  if ((c0 === 116 /* t */ || c0 === 95 /* _ */) && isTempName(name, id)) return null;
  let base = localBases.get(name);
  if (base === undefined) {
    base = /^[A-Za-z0-9]\w*$/.test(name) ? name : cIdent(name).replace(/^_+|_+$/g, '');
    localBases.set(name, base);
  }
  return base ? `l${id}_${base}` : `l${id}`;
}

/**
 * The C name of a function's k-th temporary: `t<k>`, numbered in the function (its id is
 * large, since every pass numbers its temporaries from a base of its own, and a quarter
 * of the C would be those digits). The names are made once for all functions.
 */
function tempName(k: number): string {
  while (TEMP_NAMES.length <= k) TEMP_NAMES.push(`t${TEMP_NAMES.length}`);
  return TEMP_NAMES[k];
}
const TEMP_NAMES: string[] = [];

/** Whether a local's name is `_t<id>` or `t<id>`, a compiler temporary's (read without building those strings). */
function isTempName(name: string, id: number): boolean {
  if (!(id >= 0 && Number.isSafeInteger(id))) return name === `_t${id}` || name === `t${id}`;
  const at = name.charCodeAt(0) === 95 /* _ */ ? 2 : 1;
  if (name.charCodeAt(at - 1) !== 116 /* t */ || at >= name.length) return false;
  if (name.charCodeAt(at) === 48 /* 0 */ && name.length > at + 1) return false; // no leading zeros
  let v = 0;
  for (let i = at; i < name.length; i++) {
    const d = name.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    v = v * 10 + d;
  }
  return v === id;
}

/** Per statement: checks to run first, and drops of consumed values to run after. */
class StmtCtx {
  readonly pre: string[] = [];
  readonly post: string[] = [];
  /** Empties the lists for the next statement (most statements leave them empty). */
  clear(): this {
    if (this.pre.length > 0) this.pre.length = 0;
    if (this.post.length > 0) this.post.length = 0;
    return this;
  }
}

/** State reused by every function of a module: statement contexts and the block walk's lists. */
class Scratch {
  /** the value's (and a terminator's) checks and drops */
  readonly ctx = new StmtCtx();
  /** the checks of the place an Assign writes */
  readonly dstCtx = new StmtCtx();
  /** the C expression of the statement's value (written before the checks it records are) */
  readonly x = new TextBuffer();
  /** per block: 1 = reachable, 2 = a jump target */
  flags = new Uint8Array(64);
  readonly work: number[] = [];
}

const REACHABLE = 1, TARGETED = 2;

const ARITH = new Set(['+', '-', '*']);
const BITWISE = new Set(['&', '|', '^']);
const COMPARE = new Set(['==', '!=', '<', '<=', '>', '>=']);

class FnEmitter {
  private readonly types: CTypes;
  private readonly glue: Glue;
  private tempCount = 0;
  /** where rvalues are written: Scratch.x, or the output itself (rvalueInLine) */
  private x: TextBuffer;

  constructor(
    private readonly m: ModuleEmitter,
    private readonly f: FnDef,
    /** where the function's C goes */
    private readonly w: TextBuffer,
    private readonly localNames: LocalNames,
    private readonly scratch: Scratch,
  ) {
    this.types = m.types;
    this.glue = m.glue;
    this.x = scratch.x;
    localNames.reset(f.locals.length);
    let temps = 0;
    for (const l of f.locals) localNames.set(l.id, localName(l.id, l.name, m.localBases) ?? tempName(temps++));
  }

  /** `static R cname(P l1_p, ...)`, the parameters being of types `params`. */
  signature(cname: string, params: readonly Ty[]): string {
    const ps = this.f.params.map((id, i) => `${this.types.c(params[i])} ${this.localNames.get(id)}`);
    return `static ${this.types.c(this.f.ret)} ${cname}(${ps.length ? ps.join(', ') : 'void'})`;
  }

  /** Writes the function's C definition, followed by a blank line. */
  emit(signature: string): void {
    const f = this.f;
    const w = this.w;
    w.put('/* ', f.name, ' */\n', signature, ' {\n');
    for (const l of f.locals) {
      if (f.params.includes(l.id)) continue; // (a few parameters: no Set for them)
      if (isVoidTy(l.ty)) throw new InternalError(`C backend: local ${l.name} of ${f.name} has type ${l.ty.k}`);
      const c = this.types.c(l.ty);
      w.put('  ', c, ' ', this.localNames.get(l.id)!, this.zeroInit(l.ty, c), ';\n');
    }
    // only reachable blocks are emitted; only jump targets get labels
    const n = f.blocks.length;
    if (this.scratch.flags.length < n) this.scratch.flags = new Uint8Array(2 * n);
    const flags = this.scratch.flags.fill(0, 0, n);
    for (let i = 0; i < n; i++) {
      if (f.blocks[i].id !== i) throw new InternalError(`C backend: block ${i} of ${f.name} has id ${f.blocks[i].id}`);
    }
    const work = this.scratch.work;
    if (n > 0) { flags[0] = REACHABLE; work.push(0); }
    const reach = (s: number) => {
      if (s < 0 || s >= n) throw new InternalError(`C backend: ${f.name} jumps to missing block ${s}`);
      flags[s] |= TARGETED;
      if (!(flags[s] & REACHABLE)) { flags[s] |= REACHABLE; work.push(s); }
    };
    while (work.length > 0) {
      const t = f.blocks[work.pop()!].term;
      if (t.kind === 'Goto') reach(t.target);
      else if (t.kind === 'Branch') { reach(t.then); reach(t.else); }
    }
    for (let i = 0; i < n; i++) {
      if (!(flags[i] & REACHABLE)) continue;
      const b = f.blocks[i];
      if (flags[i] & TARGETED) { w.put('bb'); w.num(i); w.put(':\n'); }
      for (const s of b.stmts) this.stmt(s as Stmt);
      let next = i + 1;
      while (next < n && !(flags[next] & REACHABLE)) next++;
      this.term(b.term, next < n ? next : -1, b.stmts[b.stmts.length - 1] as Stmt | undefined);
    }
    w.put('}\n\n');
  }

  /** Locals start zeroed (cheap, and a drop of a never-assigned local is then harmless), except big arrays. */
  private zeroInit(t: Ty, c: string): string {
    switch (t.k) {
      case 'int': case 'float': case 'bool': return ' = 0';
      case 'array': if (t.n > 64 && !this.glue.needsDrop(t)) return ''; break;
    }
    return c.endsWith('*') ? ' = NULL' : ' = { }';
  }

  /** An indented line. */
  private line(s: string): void { this.w.put('  ', s, '\n'); }

  private lines(ls: readonly string[], indent = '  '): void {
    for (const l of ls) this.w.put(indent, l, '\n');
  }

  private temp(): string { return `zt${this.tempCount++}`; }

  // ---------------------------------------------------------------- statements

  private stmt(s: Stmt): void {
    const w = this.w;
    const ctx = this.scratch.ctx.clear();
    switch (s.kind) {
      case 'Assign': {
        const dstCtx = this.scratch.dstCtx.clear();
        if (s.place.kind === 'LocalPlace') {
          // the common case, `l = value`: the name records no checks, so the line is written at once
          const line = w.mark();
          w.put('  ', this.place(s.place as Place, dstCtx), ' = ');
          this.rvalueInLine(s.value as Rvalue, ctx, line);
          w.put(';\n');
          break;
        }
        this.x.clear();
        this.rvalue(s.value as Rvalue, ctx);
        const dst = this.place(s.place as Place, dstCtx);
        this.lines(ctx.pre);
        if ((dstCtx.pre.length > 0 || !isDirectPlace(s.place as Place)) && mayHaveEffects(s.value as Rvalue)) {
          const tmp = this.temp();
          w.put('  { ', this.types.c(s.place.ty), ' ', tmp, ' = ');
          w.putBuffer(this.x);
          w.put(';\n');
          this.lines(dstCtx.pre, '    ');
          w.put('    ', dst, ' = ', tmp, '; }\n');
        } else {
          this.lines(dstCtx.pre);
          w.put('  ', dst, ' = ');
          w.putBuffer(this.x);
          w.put(';\n');
        }
        break;
      }
      case 'Eval': {
        const rv = s.value as Rvalue;
        const t = rvalueTy(rv);
        if (!this.glue.needsDrop(t)) {
          const line = w.mark();
          const asIs = isVoidTy(t) || rv.kind === 'CallFn' || rv.kind === 'CallValue' || rv.kind === 'Builtin';
          w.put(asIs ? '  ' : '  (void)(');
          this.rvalueInLine(rv, ctx, line);
          w.put(asIs ? ';\n' : ');\n');
          break;
        }
        // a discarded value that owns memory is dropped at once
        this.x.clear();
        this.rvalue(rv, ctx);
        this.lines(ctx.pre);
        const tmp = this.temp();
        w.put('  { ', this.types.c(t), ' ', tmp, ' = ');
        w.putBuffer(this.x);
        w.put('; ', this.glue.drop(t), '(&', tmp, '); }\n');
        break;
      }
      case 'Drop': case 'Delete': {
        const p = s.place as Place;
        if (!this.glue.needsDrop(p.ty)) { w.put('  /* drop of ', p.ty.k, ': nothing to do */\n'); break; }
        const where = this.place(p, ctx);
        this.lines(ctx.pre);
        w.put('  ', this.glue.drop(p.ty), '(&', where, ');\n');
        break;
      }
      default: throw new InternalError(`C backend: unknown statement ${(s as { kind: string }).kind}`);
    }
    this.lines(ctx.post);
  }

  private term(t: Term, next: number, last: Stmt | undefined): void {
    const w = this.w;
    switch (t.kind) {
      case 'Goto':
        if (t.target !== next) { w.put('  goto bb'); w.num(t.target); w.put(';\n'); }
        break;
      case 'Branch': {
        const ctx = this.scratch.ctx.clear();
        const cond = this.operand(t.cond as Operand, 'borrow', ctx);
        this.lines(ctx.pre);
        if (t.else === next) { w.put('  if (', cond, ') goto bb'); w.num(t.then); }
        else if (t.then === next) { w.put('  if (!', paren(cond), ') goto bb'); w.num(t.else); }
        else { w.put('  if (', cond, ') goto bb'); w.num(t.then); w.put('; else goto bb'); w.num(t.else); }
        w.put(';\n');
        break;
      }
      case 'Return': {
        if (!t.value) { this.line('return;'); break; }
        const ctx = this.scratch.ctx.clear();
        const v = this.operand(t.value as Operand, 'own', ctx);
        this.lines(ctx.pre);
        if (isVoidTy(this.f.ret)) this.line('return;');
        else w.put('  return ', v, ';\n');
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
      case 'int': return this.m.intLiteral(t.name, v);
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

  /**
   * Writes the rvalue as a C expression into the output line begun at mark `line`: the
   * checks it records must come before the line, so when there are some (an index), the
   * line is moved behind them.
   */
  private rvalueInLine(rv: Rvalue, ctx: StmtCtx, line: number): void {
    const w = this.w;
    this.x = w;
    this.rvalue(rv, ctx);
    this.x = this.scratch.x;
    if (ctx.pre.length > 0) {
      this.x.clear();
      w.moveTail(line, this.x);
      this.lines(ctx.pre);
      w.putBuffer(this.x);
    }
  }

  /** Writes the rvalue as a C expression at the end of the expression buffer `x`. */
  private rvalue(rv: Rvalue, ctx: StmtCtx): void {
    const x = this.x;
    switch (rv.kind) {
      case 'Use': x.put(this.operand(rv.op as Operand, 'own', ctx)); return;
      case 'BinOp': this.binop(rv, ctx); return;
      case 'UnOp': this.unop(rv, ctx); return;
      case 'CastOp': this.cast(rv, ctx); return;
      case 'Ref': x.put('&', this.place(rv.place as Place, ctx)); return;
      case 'CallFn': {
        const args = rv.args as Operand[];
        x.put(this.m.fnC(rv.fn), '(');
        for (let i = 0; i < args.length; i++) {
          // rendering an operand writes nothing to x (its checks and drops go to ctx)
          const a = this.operand(args[i], 'own', ctx);
          if (i > 0) x.put(', ');
          x.put(a);
        }
        x.put(')');
        return;
      }
      case 'CallValue': {
        const callee = rv.callee as Operand;
        const ft = operandTy(callee);
        if (ft.k !== 'fn') throw new InternalError(`C backend: calling a ${ft.k}`);
        const f = this.operand(callee, 'borrow', ctx);
        const args = this.ownAll(rv.args as Operand[], ctx);
        x.put('((', this.m.signatureType(ft), ')', f, '.code)(', [`${f}.env`, ...args].join(', '), ')');
        return;
      }
      case 'Closure': {
        const code = this.m.trampoline(rv.fn, true);
        x.put('(zrt_fn){ (void (*)(void))', code, ', (void*)', this.operand(rv.env as Operand, 'own', ctx), ' }');
        return;
      }
      case 'Aggregate': {
        const ops = this.ownAll(rv.ops as Operand[], ctx);
        const c = this.types.c(rv.ty);
        const elems = ops.join(', ');
        if (rv.ty.k === 'array') x.put('(', c, '){ { ', elems, ' } }');
        else if (rv.ty.k === 'class') x.put('(', c, '){ ', elems, ' }');
        else throw new InternalError(`C backend: aggregate of type ${rv.ty.k}`);
        return;
      }
      case 'Repeat': {
        if (rv.ty.k !== 'array') throw new InternalError(`C backend: repeat of type ${rv.ty.k}`);
        const fn = this.glue.repeat(rv.ty);
        x.put(fn, '(', this.operand(rv.op as Operand, 'own', ctx), ')');
        return;
      }
      case 'MakeSome': {
        const v = this.operand(rv.op as Operand, 'own', ctx);
        if (isNullableOption(rv.ty)) x.put(v);
        else x.put('(', this.types.c(rv.ty), '){ true, ', v, ' }');
        return;
      }
      case 'MakeNone':
        if (isNullableOption(rv.ty)) x.put('NULL');
        else x.put('(', this.types.c(rv.ty), '){ false }');
        return;
      case 'IsSome': {
        const op = rv.op as Operand;
        const v = this.operand(op, 'borrow', ctx);
        if (isNullableOption(operandTy(op))) x.put('(', v, ' != NULL)');
        else x.put(v, '.some');
        return;
      }
      case 'Builtin': x.put(this.builtin(rv, ctx)); return;
      default: throw new InternalError(`C backend: unknown rvalue ${(rv as { kind: string }).kind}`);
    }
  }

  /**
   * The operands, each consumed. (A loop, not `map` with an arrow: a closure over `ctx`
   * would make every call of the enclosing method allocate its context.)
   */
  private ownAll(ops: readonly Operand[], ctx: StmtCtx): string[] {
    const out: string[] = [];
    for (const o of ops) out.push(this.operand(o, 'own', ctx));
    return out;
  }

  private binop(rv: Node<typeof Lcfg, 'BinOp'>, ctx: StmtCtx): void {
    const x = this.x;
    const lop = rv.left as Operand, rop = rv.right as Operand;
    const lt = operandTy(lop);
    const op = rv.op;
    if (lt.k === 'str' && (op === '==' || op === '!=')) {
      // each operand is rendered exactly once (rendering records its checks and drops)
      const l = this.strArgs(lop, ctx), r = this.strArgs(rop, ctx);
      x.put(op === '==' ? 'zrt_str_eq(' : '!zrt_str_eq(', l, ', ', r, ')');
      return;
    }
    const a = this.operand(lop, 'borrow', ctx);
    const b = this.operand(rop, 'borrow', ctx);
    if (COMPARE.has(op)) {
      if (lt.k === 'string') {
        if (op === '==' || op === '!=') return x.put(op === '==' ? 'zrt_string_eq(&' : '!zrt_string_eq(&', a, ', &', b, ')');
      } else if (lt.k === 'int' || lt.k === 'float' || lt.k === 'bool' || lt.k === 'ptr' || isNullableOption(lt)) {
        return infix(x, '', a, op, b);
      }
      throw new InternalError(`C backend: ${op} on ${lt.k}`);
    }
    if (lt.k === 'ptr' && (op === '+' || op === '-')) return infix(x, '', a, op, b);
    if (lt.k === 'float') {
      if (op === '%') return x.put(lt.name === 'f32' ? '__builtin_fmodf(' : '__builtin_fmod(', a, ', ', b, ')');
      if (ARITH.has(op) || op === '/') return infix(x, '', a, op, b);
      throw new InternalError(`C backend: ${op} on floats`);
    }
    if (lt.k === 'bool' && BITWISE.has(op)) return infix(x, '(bool)', a, op, b);
    if (lt.k !== 'int') throw new InternalError(`C backend: ${op} on ${lt.k}`);
    const T = cIntType(lt.name);
    const bits = intBits(lt);
    const U = bits === 64 ? 'uint64_t' : 'uint32_t';
    if (ARITH.has(op)) {
      // unsigned arithmetic wraps without undefined behaviour; narrow types are widened first
      if (!isSigned(lt) && bits >= 32) return infix(x, '', a, op, b);
      if (rop.kind === 'Const' && op !== '*') {
        // `x + 1`, `x - 1` (and `x + -1` as `x - 1`) read better with a plain unsigned constant
        const v = constBigInt(rop);
        const neg = v < 0n;
        const mag = neg ? -v : v;
        if (mag < TWO_31) return x.put('(', T, ')((', U, ')', a, neg === (op === '+') ? ' - ' : ' + ', mag.toString(), 'u)');
      }
      x.put('(', T, ')((', U, ')', a, ' ', op, ' (');
      return x.put(U, ')', b, ')');
    }
    if (op === '/' || op === '%') {
      const divisor = rop.kind === 'Const' ? constBigInt(rop) : null;
      const safe = divisor !== null && divisor !== 0n && divisor !== -1n;
      if (safe) return infix(x, bits >= 32 ? '' : `(${T})`, a, op, b);
      return x.put(`zrt_${op === '/' ? 'div' : 'rem'}_${lt.name}(`, a, ', ', b, ')');
    }
    if (BITWISE.has(op)) return infix(x, bits >= 32 ? '' : `(${T})`, a, op, b);
    if (op === '<<' || op === '>>') {
      const mask = bits - 1;
      const amount = rop.kind === 'Const'
        ? String(Number(BigInt.asUintN(64, constBigInt(rop)) & BigInt(mask)))
        : `((uint32_t)${b} & ${mask}u)`;
      if (op === '<<') return x.put('(', T, ')((', U, ')', a, ' << ', amount, ')');
      return x.put(bits >= 32 ? '(' : `(${T})(`, a, ' >> ', amount, ')');
    }
    throw new InternalError(`C backend: unknown binary operator ${op}`);
  }

  private unop(rv: Node<typeof Lcfg, 'UnOp'>, ctx: StmtCtx): void {
    const x = this.x;
    const op = rv.operand as Operand;
    const t = operandTy(op);
    const a = this.operand(op, 'borrow', ctx);
    switch (rv.op) {
      case '!': return x.put('!', paren(a));
      case '~':
        if (t.k !== 'int') throw new InternalError(`C backend: ~ on ${t.k}`);
        return x.put('(', cIntType(t.name), ')~', paren(a));
      case '-':
        if (t.k === 'float') return x.put('(-', paren(a), ')');
        if (t.k === 'int') {
          const U = intBits(t) === 64 ? 'uint64_t' : 'uint32_t';
          return x.put('(', cIntType(t.name), ')((', U, ')0 - (', U, ')', a, ')');
        }
        throw new InternalError(`C backend: unary - on ${t.k}`);
      default: throw new InternalError(`C backend: unknown unary operator ${rv.op}`);
    }
  }

  private cast(rv: Node<typeof Lcfg, 'CastOp'>, ctx: StmtCtx): void {
    const x = this.x;
    const op = rv.op as Operand;
    const from = operandTy(op);
    const to = rv.ty;
    const a = this.operand(op, 'borrow', ctx);
    const C = this.types.c(to);
    if (from.k === 'float' && to.k === 'int') return x.put('zrt_f2i_', to.name, '(', a, ')');
    if ((from.k === 'int' || from.k === 'float' || from.k === 'bool') && (to.k === 'int' || to.k === 'float')) return x.put('(', C, ')', paren(a));
    if (isPtr(from) && to.k === 'int') return x.put('(', C, ')(uintptr_t)', paren(a));
    if (from.k === 'int' && isPtr(to)) return x.put('(', C, ')(uintptr_t)', paren(a));
    if (isPtr(from) && isPtr(to)) return x.put('(', C, ')', paren(a));
    if (from.k === to.k && this.types.c(from) === C) return x.put(a);
    throw new InternalError(`C backend: cast from ${from.k} to ${to.k}`);
  }

  // ---------------------------------------------------------------- built-ins

  // The built-in being rendered, for the argument helpers below (methods on the emitter
  // rather than closures made per call: built-ins are frequent).
  private bi: Node<typeof Lcfg, 'Builtin'> | null = null;
  private biCtx: StmtCtx | null = null;
  private own(i: number): string { return this.operand(this.bi!.args[i] as Operand, 'own', this.biCtx!); }
  private borrow(i: number): string { return this.operand(this.bi!.args[i] as Operand, 'borrow', this.biCtx!); }
  private argTy(i: number): Ty { return operandTy(this.bi!.args[i] as Operand); }
  /** the T of a receiver argument `*X<T>` */
  private recvOf(i: number): Ty {
    const p = this.argTy(i);
    if (p.k !== 'ptr') throw new InternalError(`C backend: ${this.bi!.op} receiver is a ${p.k}, not a pointer`);
    return p.to;
  }
  private elemOf(t: Ty): Ty {
    if (!('of' in t)) throw new InternalError(`C backend: ${this.bi!.op} on a ${t.k}`);
    return t.of;
  }

  private builtin(rv: Node<typeof Lcfg, 'Builtin'>, ctx: StmtCtx): string {
    const args = rv.args as Operand[];
    const ty = rv.ty;
    this.bi = rv;
    this.biCtx = ctx;
    switch (rv.op) {
      case 'print': case 'println': return this.print(rv.op === 'println', args[0], ctx);
      case 'print_fixed': return `zrt_print_fixed(${this.borrow(0)}, ${this.borrow(1)})`;
      case 'panic': return `zrt_panic(${this.strArgs(args[0], ctx)})`;
      case 'exit': return `zrt_exit(${this.borrow(0)})`;
      case 'arg_count': return 'zrt_arg_count()';
      case 'arg': return `zrt_arg_string(${this.borrow(0)})`;
      case 'sqrt': case 'floor': case 'ceil': {
        const t = this.argTy(0);
        return `__builtin_${rv.op}${t.k === 'float' && t.name === 'f32' ? 'f' : ''}(${this.borrow(0)})`;
      }
      case 'abs': {
        const t = this.argTy(0);
        const a = this.borrow(0);
        if (t.k === 'float') return `__builtin_fabs${t.name === 'f32' ? 'f' : ''}(${a})`;
        if (t.k !== 'int') throw new InternalError(`C backend: abs of ${t.k}`);
        if (!isSigned(t)) return a;
        const U = intBits(t) === 64 ? 'uint64_t' : 'uint32_t';
        return `(${a} < 0 ? (${cIntType(t.name)})((${U})0 - (${U})${a}) : ${a})`;
      }
      case 'min': case 'max': {
        const t = this.argTy(0);
        const a = this.borrow(0), b = this.borrow(1);
        if (t.k === 'float') return `__builtin_f${rv.op}${t.name === 'f32' ? 'f' : ''}(${a}, ${b})`;
        return `(${a} ${rv.op === 'min' ? '<' : '>'} ${b} ? ${a} : ${b})`;
      }
      case 'option.unwrap': {
        const o = this.recvOf(0);
        if (o.k !== 'option') throw new InternalError('C backend: unwrap of a non-Option');
        return `${this.glue.unwrap(o)}(${this.borrow(0)})`;
      }
      case 'box.new': {
        if (ty.k !== 'box') throw new InternalError('C backend: box.new must produce a Box');
        return `${this.glue.boxNew(ty)}(${this.own(0)})`;
      }
      case 'vec.new': return `(${this.types.c(ty)}){ NULL, 0, 0 }`;
      case 'vec.with_capacity': return `${this.glue.vecWithCapacity(asVec(ty))}(${this.borrow(0)})`;
      case 'vec.filled': return `${this.glue.vecFilled(asVec(ty))}(${this.borrow(0)}, ${this.own(1)})`;
      case 'vec.push': return `${this.glue.vecPush(asVec(this.recvOf(0)))}(${this.borrow(0)}, ${this.own(1)})`;
      case 'vec.pop': return `${this.glue.vecPop(asVec(this.recvOf(0)), ty)}(${this.borrow(0)})`;
      case 'vec.len': case 'string.len': return `${paren(this.borrow(0))}->len`;
      case 'vec.clear': return `${this.glue.vecClear(asVec(this.recvOf(0)))}(${this.borrow(0)})`;
      case 'string.from': return `zrt_string_new(${this.strArgs(args[0], ctx)})`;
      case 'string.append': return this.append(this.borrow(0), args[1], ctx);
      case 'string.parse_i64': return `${this.glue.parseI64(ty)}(${this.borrow(0)})`;
      case 'str.len':
        return args[0].kind === 'Const' ? `INT64_C(${cStringLiteral(String(args[0].value)).len})` : `${this.borrow(0)}.len`;
      case 'region.new': return `zrt_region_new(${this.borrow(0)})`;
      case 'region.free': return `zrt_region_free(${this.borrow(0)})`;
      case 'region.alloc': {
        if (ty.k !== 'option' || ty.of.k !== 'ptr') throw new InternalError('C backend: region.alloc must produce Option<*mut T>');
        return `${this.glue.regionAlloc(ty.of.to)}(${this.borrow(0)}, ${this.own(1)})`;
      }
      case 'spawn': return `${this.glue.spawn(this.elemOf(ty))}(${this.own(0)})`;
      case 'thread.join': {
        const r = this.elemOf(this.recvOf(0));
        return isVoidTy(r) ? `(void)zrt_thread_join(*${paren(this.borrow(0))})` : `${this.glue.join(r)}(${this.borrow(0)})`;
      }
      case 'channel.new': {
        const e = this.elemOf(ty);
        return `zrt_channel_new(${this.borrow(0)}, ${isVoidTy(e) ? '0' : `sizeof(${this.types.c(e)})`}, ${this.glue.dropCallback(e)})`;
      }
      case 'channel.send': return `${this.glue.channelSend(this.elemOf(this.recvOf(0)))}(*${paren(this.borrow(0))}, ${this.own(1)})`;
      case 'channel.recv': return `${this.glue.channelRecv(this.elemOf(this.recvOf(0)), ty)}(*${paren(this.borrow(0))})`;
      case 'channel.close': return `zrt_channel_close(*${paren(this.borrow(0))})`;
      case 'mutex.new': return `${this.glue.mutexNew(this.argTy(0))}(${this.own(0)})`;
      case 'mutex.lock': return `zrt_mutex_lock(*${paren(this.borrow(0))})`;
      case 'guard.value': {
        if (ty.k !== 'ptr') throw new InternalError('C backend: guard.value must produce a pointer');
        return `((${this.types.c(ty)})zrt_mutex_value(*${paren(this.borrow(0))}))`;
      }
      case 'atomic.new': return `(${this.types.c(ty)}){ ${this.own(0)} }`;
      case 'atomic.load':
        return `atomic_load_explicit(&${paren(this.borrow(0))}->v, ${this.order(args[1], 'load', ctx)})`;
      case 'atomic.store':
        return `atomic_store_explicit(&${paren(this.borrow(0))}->v, ${this.borrow(1)}, ${this.order(args[2], 'store', ctx)})`;
      case 'atomic.fetch_add': case 'atomic.fetch_sub': case 'atomic.swap': {
        const fn = rv.op === 'atomic.swap' ? 'atomic_exchange_explicit' : `atomic_${rv.op.slice(7)}_explicit`;
        return `${fn}(&${paren(this.borrow(0))}->v, ${this.borrow(1)}, ${this.order(args[2], 'rmw', ctx)})`;
      }
      case 'atomic.compare_exchange': {
        const a = this.recvOf(0);
        if (a.k !== 'atomic') throw new InternalError('C backend: compare_exchange on a non-Atomic');
        const ord = args[3] ? this.borrow(3) : String(ORDERING.SeqCst);
        return `${this.glue.compareExchange(a)}(${this.borrow(0)}, ${this.borrow(1)}, ${this.borrow(2)}, ${ord})`;
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

/** A type whose C value is a pointer (for casts). */
function isPtr(t: Ty): boolean {
  return t.k === 'ptr' || t.k === 'box' || isNullableOption(t);
}

/** Writes `cast(a op b)`. */
function infix(x: TextBuffer, cast: string, a: string, op: string, b: string): void {
  x.put(cast, '(', a, ' ', op, ' ', b, ')');
}

const TWO_31 = 2n ** 31n;

/** The value of an integer constant. */
function constBigInt(op: Node<typeof Lcfg, 'Const'>): bigint {
  const v = op.value;
  if (typeof v === 'bigint') return v;
  // an integral number converts exactly without a string (the same value BigInt(String(v)) gives)
  return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : BigInt(String(v));
}

function asVec(t: Ty): TyOf<Generic> {
  if (t.k !== 'vec') throw new InternalError(`C backend: expected a Vec, got ${t.k}`);
  return t;
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
