// Every intermediate language of zeta-nano, in pipeline order. Each is declared once,
// here, as a change of the one before it; the comment on each says what it changes.
// Node types come from these declarations (`Node<typeof Lx, 'Kind'>`), and so do the
// validator run between passes (--verify-each) and the printer (--dump-after).
//
// Conventions shared by all languages:
// - `span` is a byte range of the source file (ir/lang.ts); synthesized nodes reuse
//   the span of the construct they come from, so diagnostics always point at source.
// - Types are data (ir/types.ts), never nodes.
// - `Name.ref` (from Lresolved on) says what a name denotes, as a `NameRef` below.
// - Binding ids (`id` on Let, Param, For, IfLet, WhileLet, Lambda params, RegionStmt)
//   are unique within a function; locals are referred to by id from then on. Id 0 is
//   reserved for `this` in methods (`Name{name:'this', ref:{k:'local',id:0}}`); the
//   explicit `this` Param appears in lower-methods.

import type { Ty } from './types.js';
import { defineLanguage, extendLanguage, withCategoryFields, type LangDecl, type NodeOf, type Language } from './lang.js';

/** What a resolved name denotes. */
export type NameRef =
  | { k: 'local'; id: number }
  | { k: 'global'; name: string }      // a `static`
  | { k: 'fn'; name: string }          // a top-level function (or, after lower-methods, `Class.method`)
  | { k: 'extern'; name: string }      // an `extern "C"` function
  | { k: 'builtin'; name: string }     // println, Some, None, spawn, ... (ir/builtins.ts)
  // an unknown name, E0002 already reported; only between resolve-names and check-types
  // (which stops the pipeline), so later passes never see it
  | { k: 'unknown'; name: string };

/** Lsource: the program text, the input of the first pass (parse). */
export const Lsource = defineLanguage('Lsource', 'source text', {
  Source: { SourceText: { path: 'string', text: 'string' } },
});

/** Lsrc: the surface syntax as parsed (spec §1–§9); names are plain strings. */
export const Lsrc = defineLanguage('Lsrc', 'surface syntax, as parsed', {
  Program: {
    Program: { items: 'Item[]' },
  },
  Item: {
    // `body` is null for nothing but never for a user function; `ret` is void when absent.
    // Methods are FnDecls inside a ClassDecl: `mutSelf` for `mut m()`, `isStatic` for `static m()`.
    FnDecl: { name: 'string', params: 'Param[]', ret: 'type', body: 'Block', unsafe: 'boolean', mutSelf: 'boolean', isStatic: 'boolean' },
    ExternFn: { name: 'string', params: 'Param[]', ret: 'type', abi: 'string' },
    // `traits`: 'Drop', 'Sync', 'unsafe Sync' as written after `:`.
    ClassDecl: { name: 'string', fields: 'Param[]', traits: 'string[]', methods: 'FnDecl[]' },
    StaticDecl: { name: 'string', mut: 'boolean', ty: 'type', init: 'Expr' },
  },
  Part: {
    // a function/lambda parameter or a class field; `ty` is null only for lambda parameters left untyped
    Param: { name: 'string', mut: 'boolean', ty: 'type?' },
    FieldInit: { name: 'string', value: 'Expr' },
  },
  Stmt: {
    Let: { name: 'string', mut: 'boolean', ty: 'type?', init: 'Expr' },
    Assign: { target: 'Expr', value: 'Expr' },
    // op is the binary operator: '+', '<<', ... (from `+=`, `<<=`)
    CompoundAssign: { op: 'string', target: 'Expr', value: 'Expr' },
    ExprStmt: { expr: 'Expr' },
    While: { cond: 'Expr', body: 'Block' },
    // `while let Some(name) = value { body }`
    WhileLet: { name: 'string', value: 'Expr', body: 'Block' },
    For: { name: 'string', start: 'Expr', end: 'Expr', inclusive: 'boolean', body: 'Block' },
    Loop: { body: 'Block' },
    Delete: { target: 'Expr' },
    // `region name(capacity) { body }`; capacity null means 1 MiB
    RegionStmt: { name: 'string', capacity: 'Expr?', body: 'Block' },
  },
  Expr: {
    // value: the literal's value in decimal (hex, binary and `_` already folded); suffix: 'i64', ...
    IntLit: { value: 'string', suffix: 'string?' },
    FloatLit: { value: 'number', suffix: 'string?' },
    StrLit: { value: 'string' },
    BoolLit: { value: 'boolean' },
    // variables, functions, statics, builtins, `this`, `None`
    Name: { name: 'string' },
    // `Owner<tyArgs>::member`: `Person::new`, `Vec<i32>::new`, `String::from`, `Ordering::Relaxed`
    Path: { owner: 'string', tyArgs: 'type[]', member: 'string' },
    // op: '-' '!' '~'
    Unary: { op: 'string', operand: 'Expr' },
    // `*e` (mut=false) and `*mut e`: address-of or dereference, decided by type (spec §5.2)
    Star: { mut: 'boolean', operand: 'Expr' },
    Binary: { op: 'string', left: 'Expr', right: 'Expr' },
    Coalesce: { left: 'Expr', right: 'Expr' },
    Cast: { expr: 'Expr', ty: 'type' },
    Field: { object: 'Expr', name: 'string' },
    Index: { object: 'Expr', index: 'Expr' },
    Call: { callee: 'Expr', args: 'Expr[]' },
    MethodCall: { object: 'Expr', method: 'string', args: 'Expr[]' },
    StructLit: { className: 'string', fields: 'FieldInit[]' },
    ArrayLit: { elems: 'Expr[]' },
    ArrayRepeat: { value: 'Expr', count: 'number' },
    // `(params) -> body` / `unsafe (params) -> body`; body is a Block or an expression
    Lambda: { params: 'Param[]', ret: 'type?', body: 'Expr', unsafe: 'boolean' },
    // else: a Block, an If / IfLet (for `else if`), or null
    If: { cond: 'Expr', then: 'Block', else: 'Expr?' },
    // `if let Some(name) = value { then } else ...`
    IfLet: { name: 'string', value: 'Expr', then: 'Block', else: 'Expr?' },
    // statements then an optional tail expression, whose value is the block's
    Block: { stmts: 'Stmt[]', tail: 'Expr?' },
    Unsafe: { body: 'Block' },
    Return: { value: 'Expr?' },
    Break: {},
    Continue: {},
  },
});

/**
 * Lskimmed: Lsrc as parse writes it: a function's body is still its source text
 * (UnparsedBody, its span), which parse-bodies parses in the sweep; in a file with any
 * error, parse read every body at once (ParsedBody).
 */
export const Lskimmed = extendLanguage(Lsrc, 'Lskimmed', 'function bodies not parsed yet', {
  add: {
    FnBody: { UnparsedBody: {}, ParsedBody: { block: 'Block' } },
    Item: { FnDecl: { body: 'FnBody' } },
  },
});

/** Lresolved: every name resolved; bindings get ids; bare fields/methods in a class become `this.x`. */
export const Lresolved = extendLanguage(Lsrc, 'Lresolved', 'names resolved to bindings', {
  add: {
    Part: { Param: { id: 'number' } },
    Stmt: {
      Let: { id: 'number' }, WhileLet: { id: 'number' }, For: { id: 'number' }, RegionStmt: { id: 'number' },
    },
    Expr: { Name: { ref: 'data' }, IfLet: { id: 'number' } },
  },
});

/** Ltyped: every expression carries its type; every Let and parameter has one. */
export const Ltyped = extendLanguage(
  withCategoryFields(Lresolved, 'Ltyped0', 'typed expressions', 'Expr', { ty: 'type' }),
  'Ltyped', 'every expression typed, every binding typed', {
    add: { Stmt: { Let: { ty: 'type' } }, Part: { Param: { ty: 'type' } } },
  });

/** Lnocompound: `x op= v` is `x = x op v` (the place is evaluated once). */
export const Lnocompound = extendLanguage(Ltyped, 'Lnocompound', 'no compound assignment', {
  remove: ['CompoundAssign'],
});

/** Lnofor: `for` ranges are loops over a counter. */
export const Lnofor = extendLanguage(Lnocompound, 'Lnofor', 'no for loops', { remove: ['For'] });

/**
 * Lnosugar: no `if let`, `while let` or `??`; Option is examined by explicit tests.
 * OptIsSome is true for Some; OptPayload reads the payload of a value known to be Some.
 */
export const Lnosugar = extendLanguage(Lnofor, 'Lnosugar', 'no if-let, while-let or ??', {
  remove: ['IfLet', 'WhileLet', 'Coalesce'],
  add: { Expr: { OptIsSome: { value: 'Expr', ty: 'type' }, OptPayload: { value: 'Expr', ty: 'type' } } },
});

/**
 * Lptr: `*e` is resolved (spec §5.2) into AddrOf (of a place) or Deref (of a pointer or Box),
 * and auto-deref is explicit: `.f`, `[i]` and method receivers never go through a pointer implicitly.
 */
export const Lptr = extendLanguage(Lnosugar, 'Lptr', 'pointers resolved, auto-deref explicit', {
  remove: ['Star'],
  add: { Expr: { AddrOf: { mut: 'boolean', place: 'Expr', ty: 'type' }, Deref: { ptr: 'Expr', ty: 'type' } } },
});

/**
 * Lnolambda: lambdas are closure-converted (spec §7, §8). Each lambda's body is a top-level
 * FnDecl `outer.lambdaN`. One that captures nothing is a Name of that function (ref fn); one
 * that captures is a Closure: `fn` names the function, whose first parameter receives `env`,
 * a pointer to (or, for a lambda given directly to `spawn`, a Box of) its environment record,
 * a synthesized ClassDecl `outer.lambdaN.env` whose fields point to the captured variables
 * (or hold copies, for the non-Sync captures of a concurrent lambda).
 */
export const Lnolambda = extendLanguage(Lptr, 'Lnolambda', 'lambdas closure-converted', {
  remove: ['Lambda'],
  add: { Expr: { Closure: { fn: 'string', env: 'Expr', ty: 'type' } } },
});

/**
 * Lnomethods: methods are top-level functions named `Class.method` whose first parameter is
 * `this` (a `*Class`, `*mut Class` for mut methods; none for static ones); calls to them are
 * plain calls; classes keep only their fields and the name of their drop function.
 */
export const Lnomethods = extendLanguage(Lnolambda, 'Lnomethods', 'methods lowered to functions', {
  add: { Item: { ClassDecl: { methods: 'FnDecl[]', dropFn: 'string?' } } },
});

/**
 * Lcore: the last tree language. Built-in operations (printing, Option, Box, Vec, String,
 * regions, threads, ...) are Builtin nodes naming an op of ir/builtins.ts with explicit
 * arguments (receivers passed as pointers); Some/None are OptSome/OptNone; Path and
 * MethodCall are gone (calls to user functions are Call of a Name with ref fn).
 */
export const Lcore = extendLanguage(Lnomethods, 'Lcore', 'built-ins explicit', {
  remove: ['Path', 'MethodCall', 'Unsafe'],
  add: {
    Expr: {
      Builtin: { op: 'string', args: 'Expr[]', ty: 'type' },
      OptSome: { value: 'Expr', ty: 'type' },
      OptNone: { ty: 'type' },
    },
  },
});

/**
 * Lnoregions: `region r(cap) { body }` is gone: the handle is a `Let` of `region.new(cap)`
 * and the body a `Finally`, whose `cleanup` (a call on locals: `region.free(r)`) runs on
 * every way out of the body: falling off its end, `break`, `continue`, `return`.
 */
export const Lnoregions = extendLanguage(Lcore, 'Lnoregions', 'regions lowered to bump-allocator calls', {
  remove: ['RegionStmt'],
  add: { Stmt: { Finally: { body: 'Block', cleanup: 'Expr' } } },
});

/**
 * Lcfg: the final IR, shared by both backends and the reference interpreter: per function,
 * a control-flow graph of basic blocks over typed locals, with operands flattened (MIR-like).
 *
 * Semantics the backends implement (spec §4):
 * - Binary on integers wraps for + - * and shifts take the amount modulo the width;
 *   `/` and `%` panic on zero and on MIN / -1. `==`/`!=` on str and String compare content.
 * - IndexPlace is bounds-checked (panics); OptPayload is unchecked (lowering tests first).
 * - Copy is the language's copy (deep for Box/Vec/String and aggregates holding them);
 *   Move transfers the bits and the source must not be used or dropped afterwards.
 * - A Builtin's op is one of ir/builtins.ts; receivers are passed as pointers.
 */
export const Lcfg = defineLanguage('Lcfg', 'control-flow graphs over flat operands', {
  Module: {
    // `init`: the function that evaluates statics, run before main (null when none)
    Module: { classes: 'ClassDef[]', globals: 'GlobalDef[]', externs: 'ExternDef[]', fns: 'FnDef[]', main: 'string', init: 'string?' },
  },
  Decl: {
    // dropFn: the lifted user `drop()` (called with a *mut to the value), when the class implements Drop
    ClassDef: { name: 'string', fields: 'LocalField[]', traits: 'string[]', dropFn: 'string?' },
    LocalField: { name: 'string', ty: 'type' },
    GlobalDef: { name: 'string', ty: 'type', mut: 'boolean' },
    ExternDef: { name: 'string', params: 'type[]', ret: 'type' },
    // params: ids of the locals that receive the arguments, in order
    FnDef: { name: 'string', params: 'number[]', ret: 'type', locals: 'LocalDef[]', blocks: 'BasicBlock[]', unsafe: 'boolean' },
    LocalDef: { id: 'number', name: 'string', ty: 'type', mut: 'boolean' },
    // blocks[0] is the entry; ids index the function's blocks
    BasicBlock: { id: 'number', stmts: 'Stmt[]', term: 'Term' },
  },
  Stmt: {
    Assign: { place: 'Place', value: 'Rvalue' },
    // evaluates for effect (a void call or builtin)
    Eval: { value: 'Rvalue' },
    // runs the value's drop glue (spec §5.3); inserted by the memory-model passes
    Drop: { place: 'Place' },
    // the user's `delete x` (spec §5.4): drop glue now; tracked by check-deletes, and
    // turned into a Drop by elaborate-drops (backends treat it as a Drop)
    Delete: { place: 'Place' },
  },
  Term: {
    Goto: { target: 'number' },
    Branch: { cond: 'Operand', then: 'number', else: 'number' },
    Return: { value: 'Operand?' },
    // control never reaches here (after panic/exit, or the end of a non-void function)
    Unreachable: {},
  },
  Place: {
    LocalPlace: { id: 'number', ty: 'type' },
    GlobalPlace: { name: 'string', ty: 'type' },
    // *ptr where ptr is a *T, *mut T or Box<T>; ty is T
    DerefPlace: { ptr: 'Operand', ty: 'type' },
    FieldPlace: { base: 'Place', field: 'string', ty: 'type' },
    // base is an array or a Vec; bounds-checked
    IndexPlace: { base: 'Place', index: 'Operand', ty: 'type' },
    // the payload of an Option known to be Some
    PayloadPlace: { base: 'Place', ty: 'type' },
  },
  Operand: {
    // value: decimal string for integers, number for floats, boolean, or string for str
    Const: { value: 'data', ty: 'type' },
    Copy: { place: 'Place' },
    Move: { place: 'Place' },
    // a function used as a value (a closure with no environment)
    FnRef: { name: 'string', ty: 'type' },
  },
  Rvalue: {
    Use: { op: 'Operand' },
    BinOp: { op: 'string', left: 'Operand', right: 'Operand', ty: 'type' },
    UnOp: { op: 'string', operand: 'Operand', ty: 'type' },
    CastOp: { op: 'Operand', ty: 'type' },
    Ref: { place: 'Place', mut: 'boolean', ty: 'type' },
    // direct call of a user function or extern
    CallFn: { fn: 'string', args: 'Operand[]', ty: 'type' },
    // call through a function value (closure)
    CallValue: { callee: 'Operand', args: 'Operand[]', ty: 'type' },
    // a closure: function `fn` whose first parameter receives `env` (a pointer to the captures)
    Closure: { fn: 'string', env: 'Operand', ty: 'type' },
    // class value (fields in declaration order) or array literal
    Aggregate: { ops: 'Operand[]', ty: 'type' },
    Repeat: { op: 'Operand', count: 'number', ty: 'type' },
    MakeSome: { op: 'Operand', ty: 'type' },
    MakeNone: { ty: 'type' },
    IsSome: { op: 'Operand', ty: 'type' },
    Builtin: { op: 'string', args: 'Operand[]', ty: 'type' },
  },
});

export type Node<L extends Language, K extends string> = L extends Language<infer D extends LangDecl> ? NodeOf<D, K> : never;

/** All languages, in pipeline order (the pass list in passes/pipeline.ts refers to these). */
export const LANGUAGES: readonly Language[] = [Lsource, Lskimmed, Lsrc, Lresolved, Ltyped, Lnocompound, Lnofor, Lnosugar, Lptr, Lnolambda, Lnomethods, Lcore, Lnoregions, Lcfg];

type CfgOperand = Node<typeof Lcfg, 'Const'> | Node<typeof Lcfg, 'Copy'> | Node<typeof Lcfg, 'Move'> | Node<typeof Lcfg, 'FnRef'>;

/** The type of an Lcfg operand. */
export function operandTy(op: { kind: string; [f: string]: unknown }): Ty {
  const o = op as CfgOperand;
  switch (o.kind) {
    case 'Const': case 'FnRef': return o.ty;
    case 'Copy': case 'Move': return o.place.ty;
  }
  throw new Error(`operandTy: ${op.kind} is not an operand`);
}

/** The type of an Lcfg rvalue (Use has its operand's type; the others carry `ty`). */
export function rvalueTy(rv: { kind: string; [f: string]: unknown }): Ty {
  return rv.kind === 'Use' ? operandTy(rv.op as CfgOperand) : (rv.ty as Ty);
}
