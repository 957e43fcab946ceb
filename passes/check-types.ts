// check-types: gives every expression, binding and parameter its type (spec §2–§10) and
// rejects ill-typed programs: E0003 (type mismatch, cannot infer, missing return, bad
// literal), E0004 (argument count), E0005 / E0010 / E0011 / E0013 (mutability of places),
// E0002 (unknown field, method or constructor).
//
// Every later pass relies on the types: `*e` is decided by its operand's type, auto-deref
// and method lowering by the receiver's, drops by what needs drop. The checker is
// bidirectional: an expected type is pushed down (so `x: i64 := 1`, `Some(p)`, `None`,
// `(x) -> x + 1` and `Vec::new()` get their types from context) and inference variables,
// unified as the function is checked, cover what context does not give at once; they are
// substituted at the end of each function, and one nobody constrained is E0003 "cannot
// infer type". An erroneous expression gets type `never`, which fits everywhere, so one
// mistake is reported once and independent mistakes are all reported.
//
// Decisions where the spec is silent (copied to docs):
// - Unsuffixed integer literals take the expected type when it is an integer type; else
//   their type is a literal variable that only an integer type can fill, decided by later
//   uses in the same function and i32 when none decides (as in Rust): `m + 10` with
//   `m: u8`, `0..v.len()` is i64, `mut j := 0; while j < v.len()` makes `j` an i64. Range
//   checks of such literals happen once the type is known. An integer literal never
//   becomes a float (`x: f64 := 1` is E0003). `-<int literal>` is folded into one negative
//   IntLit, so `-2147483648` fits i32 and `-1u8` is out of range. Unsuffixed float
//   literals work the same way with float types, defaulting to f64.
// - Coercions at assignments, arguments, returns, initializers and fields: `never` fits
//   anything; `*mut T` → `*T`, also inside `Option` (`Some(p)` into `Option<*T>`); a
//   `concurrent fn` → `fn`; a named function → `concurrent fn` (it captures nothing).
//   No node is inserted: the value keeps its own type where the coercion happened.
// - `==`/`!=` work on integers, floats, bool, str, String and pointers, both sides of one
//   type, or a String and a str (compared as text); `< <= > >=` on numbers only.
//   `& | ^` work on integers and bool. Unary `-` needs a signed integer or a float.
// - Casts: numeric ↔ numeric, bool → integer, pointer ↔ any integer type, pointer →
//   pointer, and a type to itself; E0030 for the pointer ones is check-unsafe's.
// - `Ordering::X` has type i32 (ir/builtins.ts ORDERING); it is accepted only as the
//   optional last argument of an atomic method, where it must be written as the path.
// - `a.len()` on arrays, `str`, `String` and `Vec` is i64. Index expressions take any
//   integer type. `Vec::with_capacity`, `Vec::filled`'s count, `Channel::new` and `arg`
//   take i64; a region's capacity any integer type.
// - `mut` built-in methods (need a mutable receiver, E0011): Vec push/pop/clear and
//   String append. Thread join and the Atomic/Channel/Mutex methods work on immutable
//   bindings (the spec's examples call them so). Receivers that are temporaries
//   (`make().push(1)`) may be changed.
// - A function body, lambda body or block may end in a tail expression, which is its
//   value (as in Rust). A non-void function whose body can reach its end without a
//   `return` is E0003 "missing return": a body ends unreachably when its last statement
//   diverges (return, break, continue, panic, exit, a `loop` without `break`, an
//   if/else whose branches all diverge).
// - `if` without `else`, and any `if`/block used as a statement, has type void: the value
//   of its branches is ignored (no branch-type mismatch error then).
// - A lambda's result type is its annotation, else the expected `fn` type's, else what
//   its `return`s and tail give (void when none). Lambda parameters need a type from an
//   annotation or an expected `fn` type (E0003 otherwise).
// - `main` must be `main()` or `main() -> i32` (E0003); a program without `main` is E0002.
// - `break`/`continue` outside a loop (a lambda body starts outside any loop) is E0001.
// - A class that lists `Drop` must define `drop()` (no parameters, no result, not static):
//   E0003 otherwise. Its `this` is `*mut Self` (as Rust's `drop(&mut self)`, and as
//   lower-methods and the drop glue call it). An unknown trait name is E0002.
// - `let` of a void value (`x := println(1);`) is E0003.
// - A class that contains itself by value (through its fields, other classes, arrays,
//   Option, Atomic: all stored inline) has no finite size: E0003 at the field that leads
//   back to it, for every class of the cycle (check-types/recursive-classes.ts).

import { nodeBuilder, type AnyNode, type Span } from '../ir/lang.js';
import { Lresolved, Ltyped, type Node, type NameRef } from '../ir/languages.js';
import { T, arrayTy, classTy, fnTy, gen, intRange, isSigned, ptr, tyHasKind, type FloatName, type IntName, type Ty } from '../ir/types.js';
import { ORDERING } from '../ir/builtins.js';
import type { Diagnostics } from '../ir/diagnostics.js';
import { defineItemPass, invariant, type PassContext } from './pass.js';
import { Inference } from './check-types/inference.js';
import { builtinConstructor, builtinConstructorNames, builtinMethod, builtinMethodNames, isBuiltinOwner, type ArgSpec } from './check-types/builtin-methods.js';
import { derefLevels, derefMutability, fieldStop, indexable, placeMutability, type Mutability, type PlaceEnv } from './check-types/places.js';
import { closestName } from './resolve-names.js';
import { checkProgram as checkUnsafeProgram, unsafeTable } from './check-unsafe.js';
import { BrokenBodies, hasNever } from './check-types/broken-bodies.js';
import { boxedSuggestion, cycleOf, valueCycles, type ClassFields } from './check-types/recursive-classes.js';

type R<K extends string> = Node<typeof Lresolved, K>;
type RExpr = R<'IntLit'> | R<'FloatLit'> | R<'StrLit'> | R<'BoolLit'> | R<'Name'> | R<'Path'> | R<'Unary'> | R<'Star'> |
  R<'Binary'> | R<'Coalesce'> | R<'Cast'> | R<'Field'> | R<'Index'> | R<'Call'> | R<'MethodCall'> | R<'StructLit'> |
  R<'ArrayLit'> | R<'ArrayRepeat'> | R<'Lambda'> | R<'If'> | R<'IfLet'> | R<'Block'> | R<'Unsafe'> | R<'Return'> |
  R<'Break'> | R<'Continue'>;
type RStmt = R<'Let'> | R<'Assign'> | R<'CompoundAssign'> | R<'ExprStmt'> | R<'While'> | R<'WhileLet'> | R<'For'> |
  R<'Loop'> | R<'Delete'> | R<'RegionStmt'>;
/** A typed expression (a node of Ltyped's Expr category). */
type TE = AnyNode & { readonly ty: Ty };

const INT_NAMES = new Set(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64']);
const INT_RANGES = Object.fromEntries([...INT_NAMES].map((n) => [n, intRange(n as IntName)])) as Record<IntName, [bigint, bigint]>;
/** The same bounds as doubles: exact enough for literals of at most 15 digits (all below 2^53). */
const INT_RANGES_NUM = Object.fromEntries([...INT_NAMES].map((n) => [n, intRange(n as IntName).map(Number)])) as Record<IntName, [number, number]>;
const ARITH = new Set(['+', '-', '*', '/', '%']);
const BITWISE = new Set(['&', '|', '^']);
const SHIFT = new Set(['<<', '>>']);
const EQUALITY = new Set(['==', '!=']);
const ORDER = new Set(['<', '<=', '>', '>=']);

interface FnSig { params: readonly Ty[]; ret: Ty }
/** A top-level function or extern: its signature and, made once, its type as a value. */
interface FnInfo extends FnSig { ty: Ty; unsafe?: boolean }
interface MethodInfo extends FnSig { mutSelf: boolean; isStatic: boolean }
interface ClassInfo { name: string; fields: Map<string, Ty>; methods: Map<string, MethodInfo> }
interface LocalInfo { name: string; ty: Ty; mut: boolean; param: boolean }
interface LoopCtx { broken: boolean }
/** The function (or lambda) whose body is being checked. */
interface FnCtx {
  ret: Ty;
  loops: LoopCtx[];
  /** the enclosing method, for E0013 */
  method: { name: string } | null;
}

/** Builds a typed node from an Lresolved one: `build(e, { left, right, ty })`. */
const build = nodeBuilder(Ltyped);
/** kind -> its `type` fields (`ty`, Let's `ty`, Lambda's `ret`, ...) */
const TYPE_FIELDS = new Map([...Ltyped.fields].map(([k, fs]) => [k, fs.filter((f) => f.base === 'type')]));

/** Whether `t` mentions an inference variable (bound or not). */
const hasInfer = (t: Ty): boolean => tyHasKind(t, 'infer');

/** How the callee of a call is named in messages (made only when one is reported). */
function calleeText(call: R<'Call'> | R<'MethodCall'>, cls: ClassInfo | null): string {
  if (call.kind === 'MethodCall') return cls ? `method \`${cls.name}.${call.method}\`` : `method \`${call.method}\``;
  const c = call.callee as RExpr;
  if (c.kind === 'Path') return `\`${c.owner}::${c.member}\``;
  if (c.kind === 'Name') {
    const k = (c.ref as NameRef).k;
    if (k === 'builtin') return `\`${c.name}\``;
    if (k === 'fn' || k === 'extern') return `function \`${c.name}\``;
  }
  return 'this function';
}

const noFresh = (): Ty => T.never;

/** "cannot infer" help for a constructor path without its type argument (`Vec::new()`) */
const ELEM_HELP: Readonly<Record<string, string>> = {
  Vec: 'write the element type: `Vec<i32>::new()`', Channel: 'write the message type: `Channel<i64>::new(8)`',
};

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Literals whose type comes from their context: `1`, `-2`, `1.5`, `1 + 2`. */
function isLiteralish(e: AnyNode): boolean {
  // binary chains ask this at every level: shallow expressions (nearly all) are looked at
  // directly; deep ones are memoized, else long chains would be quadratic
  const r = literalishWithin(e, 8);
  if (r !== undefined) return r;
  let m = literalish.get(e);
  if (m === undefined) literalish.set(e, m = computeLiteralish(e));
  return m;
}
const literalish = new WeakMap<AnyNode, boolean>();

/** isLiteralish looking at most `depth` levels down: undefined when that is not enough to tell. */
function literalishWithin(e: AnyNode, depth: number): boolean | undefined {
  switch (e.kind) {
    case 'IntLit': case 'FloatLit': return e.suffix === null;
    case 'Unary':
      if (e.op !== '-' && e.op !== '~') return false;
      return depth === 0 ? undefined : literalishWithin(e.operand as AnyNode, depth - 1);
    case 'Binary': {
      if (!ARITH.has(e.op as string) && !BITWISE.has(e.op as string)) return false;
      if (depth === 0) return undefined;
      const l = literalishWithin(e.left as AnyNode, depth - 1);
      if (l === false) return false;
      const r = literalishWithin(e.right as AnyNode, depth - 1);
      if (r === false) return false;
      return l === undefined || r === undefined ? undefined : true;
    }
    default: return false;
  }
}

function computeLiteralish(e: AnyNode): boolean {
  switch (e.kind) {
    case 'IntLit': case 'FloatLit': return e.suffix === null;
    case 'Unary': return (e.op === '-' || e.op === '~') && isLiteralish(e.operand as AnyNode);
    case 'Binary': return (ARITH.has(e.op as string) || BITWISE.has(e.op as string)) &&
      isLiteralish(e.left as AnyNode) && isLiteralish(e.right as AnyNode);
    default: return false;
  }
}

/** the types `==` and `!=` work on */
const COMPARABLE = new Set<Ty['k']>(['int', 'float', 'bool', 'str', 'string', 'ptr', 'infer']);
const PRINTABLE = new Set<Ty['k']>(['int', 'float', 'bool', 'str', 'string', 'never', 'infer']);

class Checker {
  /** Assignments whose target is no place (E0005): a tree that cannot be lowered, as after the TREE_BREAKING errors. */
  readonly notAPlace: Span[] = [];
  readonly classes = new Map<string, ClassInfo>();
  readonly fns = new Map<string, FnInfo>();
  readonly externs = new Map<string, FnInfo>();
  readonly statics = new Map<string, { ty: Ty; mut: boolean }>();
  readonly inf = new Inference();
  /** by binding id (ids are small and dense within a function: an array, not a Map) */
  private locals: (LocalInfo | undefined)[] = [];
  private fn: FnCtx = { ret: T.void, loops: [], method: null };
  /** literals whose type was still a variable: range-checked once the function is inferred */
  private pendingLiterals: { value: number | bigint; ty: Ty; span: Span }[] = [];
  /** negations of a value whose type was still a variable: must turn out signed */
  private pendingNegations: { ty: Ty; span: Span }[] = [];
  /**
   * The nodes of the current function whose types mention inference variables: the only
   * ones substitution changes. They were built by this pass and nobody else has seen them
   * yet, so their types are substituted in place, without walking and copying the tree.
   */
  private inferNodes: AnyNode[] = [];
  /** whether the statement just checked diverges (returns, breaks, ...): control cannot go past it */
  private diverged = false;
  /** whether the loop body just checked has a `break` out of it */
  private broken = false;
  readonly places: PlaceEnv = {
    shallow: (t) => this.inf.shallow(t),
    local: (id) => this.locals[id],
    staticIsMut: (name) => this.statics.get(name)?.mut ?? false,
  };

  constructor(readonly diag: Diagnostics) {}

  /** functions whose signature names an unknown type (now `never`): they and their users are left out after check-types */
  readonly brokenSignatures = new Set<string>();

  // ================================================================ items
  collect(program: R<'Program'>): void {
    for (const item of program.items) {
      switch (item.kind) {
        case 'FnDecl': case 'ExternFn': {
          const params = item.params.map((p) => p.ty!);
          (item.kind === 'FnDecl' ? this.fns : this.externs).set(item.name, { params, ret: item.ret, ty: fnTy(params, item.ret), unsafe: item.kind === 'FnDecl' && item.unsafe });
          if (item.kind === 'FnDecl' && (params.some(hasNever) || hasNever(item.ret))) this.brokenSignatures.add(item.name);
          break;
        }
        case 'StaticDecl': this.statics.set(item.name, { ty: item.ty, mut: item.mut }); break;
        case 'ClassDecl': {
          const fields = new Map(item.fields.map((f) => [f.name, f.ty!] as const));
          const isDrop = item.traits.includes('Drop');
          const methods = new Map(item.methods.map((m) => [m.name, {
            params: m.params.map((p) => p.ty!), ret: m.ret, mutSelf: m.mutSelf || (isDrop && m.name === 'drop'), isStatic: m.isStatic,
          }] as const));
          this.classes.set(item.name, { name: item.name, fields, methods });
          break;
        }
      }
    }
  }

  /** Types one item (after `collect` has seen the program's declarations). */
  item(item: R<'Program'>['items'][number]): AnyNode {
    switch (item.kind) {
      case 'FnDecl': return this.fnDecl(item, null);
      case 'ExternFn': return item;
      case 'StaticDecl': return this.staticDecl(item);
      case 'ClassDecl': return this.classDecl(item);
    }
  }

  checkMain(program: R<'Program'>): void {
    const main = program.items.find((i) => i.kind === 'FnDecl' && i.name === 'main') as R<'FnDecl'> | undefined;
    if (!main) {
      this.diag.error('E0002', { start: 0, end: 0 }, 'no `main` function', { help: 'add `main() { ... }`, where the program starts' });
      return;
    }
    const retOk = main.ret.k === 'void' || (main.ret.k === 'int' && main.ret.name === 'i32');
    if (main.params.length > 0 || !retOk) {
      this.diag.error('E0003', main.span, '`main` must be `main()` or `main() -> i32`',
        { label: 'wrong signature', help: 'read arguments with `arg_count()` and `arg(i)`; return the exit status as an `i32`' });
    }
  }

  private classDecl(c: R<'ClassDecl'>): AnyNode {
    const info = this.classes.get(c.name)!;
    for (const trait of c.traits) {
      if (trait !== 'Drop' && trait !== 'Sync' && trait !== 'unsafe Sync') {
        this.diag.error('E0002', c.span, `unknown trait \`${trait}\``, { help: 'a class can list `Drop`, `Sync` or `unsafe Sync`' });
      }
    }
    if (c.traits.includes('Drop')) {
      const drop = c.methods.find((m) => m.name === 'drop');
      if (!drop) {
        this.diag.error('E0003', c.span, `class \`${c.name}\` implements \`Drop\` but has no \`drop()\` method`,
          { help: 'add `drop() { ... }`' });
      } else if (drop.params.length > 0 || drop.ret.k !== 'void' || drop.isStatic) {
        this.diag.error('E0003', drop.span, '`drop` must be declared `drop()`: no parameters, no result, not static');
      }
    }
    if (this.valueCycles().has(c.name)) this.recursiveClass(c);
    return build(c, { methods: c.methods.map((m) => this.fnDecl(m, info)) });
  }

  /** the classes that contain themselves by value (made at the first class checked: declarations only) */
  private cycles: Map<string, number> | null = null;
  private classFields: ClassFields | null = null;
  private valueCycles(): Map<string, number> {
    if (this.cycles === null) {
      this.classFields = new Map([...this.classes].map(([name, info]) => [name, info.fields]));
      this.cycles = valueCycles(this.classFields);
    }
    return this.cycles;
  }

  /** E0003 for a class that contains itself by value, at the field that leads back to it. */
  private recursiveClass(c: R<'ClassDecl'>): void {
    const chain = cycleOf(c.name, this.classFields!, this.cycles!);
    const first = chain[0];
    const field = first && c.fields.find((f) => f.name === first.field);
    if (!field) return;
    const id = this.cycles!.get(c.name);
    const suggestion = boxedSuggestion(first.ty, (cls) => this.cycles!.get(cls) === id);
    const label = `\`${first.field}\` holds \`${first.holds}\` by value` + chain.slice(1).map((s) => `, whose \`${s.field}\` holds \`${s.holds}\``).join('');
    this.diag.error('E0003', field.span, `class \`${c.name}\` contains itself by value: it would have infinite size`, {
      label,
      help: 'store it apart, behind a `Box`, a `Vec` or a pointer' + (suggestion ? `: \`${first.field}: ${suggestion}\`` : ''),
    });
  }

  private staticDecl(s: R<'StaticDecl'>): AnyNode {
    return this.inFunction({ ret: T.void, loops: [], method: null }, () => {
      const init = this.coerced(this.expr(s.init, s.ty), s.ty, 'static initializer');
      return build(s, { init });
    });
  }

  private fnDecl(f: R<'FnDecl'>, cls: ClassInfo | null): AnyNode {
    const method = cls && !f.isStatic ? { name: f.name } : null;
    const mutSelf = cls?.methods.get(f.name)?.mutSelf ?? false;
    return this.inFunction({ ret: f.ret, loops: [], method }, () => {
      if (cls && !f.isStatic) this.locals[0] = { name: 'this', ty: ptr(classTy(cls.name), mutSelf), mut: false, param: true };
      for (const p of f.params) this.locals[p.id] = { name: p.name, ty: p.ty!, mut: p.mut, param: true };
      const body = this.fnBody(f.body, f.ret, f.name);
      return build(f, { body });
    });
  }

  /**
   * Checks one function or static initializer with fresh locals and inference variables,
   * then substitutes the inferred types into its tree.
   */
  private inFunction(ctx: FnCtx, check: () => AnyNode): AnyNode {
    this.inf.reset();
    this.locals = [];
    this.fn = ctx;
    this.pendingLiterals = [];
    this.pendingNegations = [];
    this.inferNodes = [];
    const errorsBefore = this.diag.list.length;
    const out = check();
    if (this.inf.count === 0) return out;
    this.inf.defaults();
    for (const l of this.pendingLiterals) this.literalFits(l.value, this.inf.zonk(l.ty), l.span);
    for (const n of this.pendingNegations) {
      const t = this.inf.zonk(n.ty);
      if (t.k === 'int' && !isSigned(t)) this.cannotNegate(t, n.span);
    }
    let unbound: Set<number> | null = null; // (made only when a variable is left unbound)
    const zonk = (t: Ty): Ty => this.inf.zonk(t, (id) => { (unbound ??= new Set()).add(id); return T.never; });
    for (const n of this.inferNodes) {
      const node = n as unknown as Record<string, unknown>;
      for (const f of TYPE_FIELDS.get(n.kind)!) {
        const v = node[f.name] as Ty | readonly Ty[] | null;
        if (v !== null) node[f.name] = Array.isArray(v) ? v.map(zonk) : zonk(v as Ty);
      }
    }
    // "cannot infer" is reported only in functions without other errors: those often leave
    // variables unconstrained, and the first error is the useful one
    if (this.diag.list.length === errorsBefore) {
      const ids = [...unbound ?? []].sort((a, b) => this.inf.origin(a).span.start - this.inf.origin(b).span.start || a - b);
      for (const id of ids) {
        const o = this.inf.origin(id);
        this.diag.error('E0003', o.span, 'cannot infer type', { label: 'type needed here', help: o.help });
      }
    }
    return out;
  }

  /** `build` for this pass's nodes, noting the ones whose types need substituting at the end of the function. */
  private typed<N extends AnyNode = TE>(e: AnyNode, changes: Readonly<Record<string, unknown>>): N {
    return this.track(build<N>(e, changes));
  }

  // The frequent kinds are built as literals (here and inline) rather than by `typed`, whose
  // changes object is one more allocation per node and whose field lookups are generic; in
  // Ltyped's field order, as `build` makes them, so that they share hidden classes
  // (tests/check-types.test.ts checks the order). Their only type field is `ty`.
  private typedName(e: R<'Name'>, ty: Ty): TE {
    return this.trackTy({ kind: 'Name', span: e.span, name: e.name, ref: e.ref, ty });
  }
  private typedBinary(e: R<'Binary'>, left: TE, right: TE, ty: Ty): TE {
    return this.trackTy({ kind: 'Binary', span: e.span, op: e.op, left, right, ty });
  }
  private typedCall(e: R<'Call'>, callee: TE, args: readonly TE[], ty: Ty): TE {
    return this.trackTy({ kind: 'Call', span: e.span, callee, args, ty });
  }
  private typedMethodCall(e: R<'MethodCall'>, object: TE, args: readonly TE[], ty: Ty): TE {
    return this.trackTy({ kind: 'MethodCall', span: e.span, object, method: e.method, args, ty });
  }
  private typedStar(e: R<'Star'>, operand: TE, ty: Ty): TE {
    return this.trackTy({ kind: 'Star', span: e.span, mut: e.mut, operand, ty });
  }

  /** `track` for a node whose only type field is `ty` */
  private trackTy(n: TE): TE {
    if (hasInfer(n.ty)) this.inferNodes.push(n);
    return n;
  }

  private track<N extends AnyNode>(n: N): N {
    for (const f of TYPE_FIELDS.get(n.kind)!) {
      const v = n[f.name] as Ty | readonly Ty[] | null;
      if (v !== null && (Array.isArray(v) ? (v as readonly Ty[]).some(hasInfer) : hasInfer(v as Ty))) {
        this.inferNodes.push(n);
        break;
      }
    }
    return n;
  }

  /** A function's (`fnName`) or lambda's (null) block body: its tail is the result; a non-void one must not fall off its end. */
  private fnBody(body: R<'Block'>, ret: Ty, fnName: string | null): TE {
    const r = this.inf.shallow(ret);
    if (r.k === 'void') return this.block(body, null, true);
    const b = this.block(body, ret, false);
    const tail = b.tail as TE | null;
    // a tail without a value (`if c { return 1; }` ends many bodies) is not a result
    if (tail && this.inf.shallow(tail.ty).k !== 'void') this.coerced(tail, ret, 'return value');
    else if (this.inf.shallow(b.ty).k !== 'never') {
      if (r.k === 'infer') this.inf.unify(r, T.void);
      else {
        // reported at the body's `{`, on the line that declares the result type (rustc points
        // at the return type): that is where a reader looks for the function's promise
        this.diag.error('E0003', { start: body.span.start, end: Math.min(body.span.end, body.span.start + 1) },
          `missing return: ${fnName === null ? 'this lambda' : `\`${fnName}\``} returns ${this.q(ret)} but its body can reach its end`,
          { label: 'this body can reach its end without a value', help: 'add a `return` statement at the end of the body' });
      }
    }
    return b;
  }

  // ================================================================ helpers
  private error(code: 'E0003' | 'E0002' | 'E0004', span: Span, message: string, opts: { label?: string; help?: string } = {}): void {
    this.diag.error(code, span, message, opts);
  }

  /** Reports E0003 unless `e` (of its own type) may be used where `want` is expected. Returns `e`. */
  private coerced(e: TE, want: Ty, what?: string): TE {
    if (this.inf.coercible(e.ty, want)) return e;
    const got = this.inf.zonk(e.ty);
    const wantZ = this.inf.zonk(want);
    const gotK = this.inf.kind(got);
    const wantK = this.inf.kind(wantZ);
    let help: string | undefined;
    if (gotK === 'int' && wantK === 'float' && e.kind === 'IntLit') help = `write a float literal: \`${e.value}.0\``;
    else if ((gotK === 'int' || gotK === 'float') && (wantK === 'int' || wantK === 'float')) help = `convert it with \`as ${this.inf.show(wantZ)}\``;
    else if (got.k === 'str' && wantZ.k === 'string') help = 'make a String with `String::from(...)`';
    else if (got.k === 'ptr' && wantZ.k === 'ptr' && !got.mut && wantZ.mut) help = 'take a mutable pointer with `*mut x`';
    else if (got.k === 'fn' && wantZ.k === 'fn' && wantZ.concurrent && !got.concurrent) {
      help = 'pass a lambda directly where a `concurrent fn` is expected, so it is checked as concurrent';
    }
    this.error('E0003', e.span, `mismatched types: expected ${this.q(wantZ)}, found ${this.q(got)}${what ? ` (${what})` : ''}`,
      { label: `expected ${this.q(wantZ)}`, help });
    return e;
  }

  /**
   * E0003 when `e` is used as a value but has type `void` (a call of a function without a
   * result): there is nothing to pass, store, point to or delete. True when it was reported.
   */
  private noValue(e: TE): boolean {
    if (this.inf.shallow(e.ty).k !== 'void') return false;
    this.error('E0003', e.span, 'this expression has no value', { label: 'its type is `void`', help: 'only a function with a result type (`-> T`) gives a value' });
    return true;
  }

  private bad(e: AnyNode, fields: Record<string, unknown> = {}): TE {
    return this.typed(e, { ...fields, ty: T.never });
  }

  /**
   * Checks the arguments `args` of `call` against parameter types; wrong count is E0004
   * (every argument is still checked). `cls` is the class of a user method called.
   */
  private args(args: readonly RExpr[], params: readonly Ty[], call: R<'Call'> | R<'MethodCall'>, cls: ClassInfo | null = null): TE[] {
    if (args.length !== params.length) {
      this.error('E0004', call.span, `${calleeText(call, cls)} takes ${plural(params.length, 'argument')} but ${args.length} ${args.length === 1 ? 'was' : 'were'} supplied`,
        { label: `expected ${plural(params.length, 'argument')}` });
    }
    // (`map`, not a loop into `new Array(n)`: the tree's lists stay packed arrays, which the
    // later passes' loops read faster than holey ones)
    return args.map((a, i) => {
      const v = i < params.length ? this.coerced(this.expr(a, params[i]), params[i], 'argument') : this.expr(a, null);
      this.noValue(v);
      return v;
    });
  }

  /** A type in backquotes for a message. */
  private q(t: Ty): string { return `\`${this.inf.show(t)}\``; }

  /** The expected type, if it is an integer (or float) type, for literals. */
  private numericHint(exp: Ty | null): Ty | null {
    if (!exp) return null;
    const k = this.inf.kind(exp);
    return k === 'int' || k === 'float' ? this.inf.shallow(exp) : null;
  }

  /** Checks two operands that must have one type, letting a literal operand take the other's type. */
  private operands(left: RExpr, right: RExpr, hint: Ty | null): [TE, TE] {
    if (isLiteralish(left) && !isLiteralish(right)) {
      const r = this.expr(right, hint);
      const l = this.expr(left, this.numericHint(r.ty) ?? hint);
      return [l, r];
    }
    const l = this.expr(left, hint);
    return [l, this.expr(right, this.numericHint(l.ty) ?? hint)];
  }

  // ================================================================ statements
  /** Checks a block; `discard` when its value is not used (a statement, a void body). */
  private block(b: R<'Block'>, exp: Ty | null, discard: boolean): TE {
    let diverges = false;
    const stmts = b.stmts.map((s) => {
      const node = this.stmt(s as RStmt);
      if (this.diverged) diverges = true;
      return node;
    });
    let tail: TE | null = null;
    let ty: Ty = T.void;
    if (b.tail) {
      tail = this.expr(b.tail as RExpr, discard ? null : exp, discard);
      const tt = this.inf.shallow(tail.ty);
      ty = discard ? (tt.k === 'never' ? T.never : T.void) : tail.ty;
    }
    if (diverges) ty = T.never;
    return this.trackTy({ kind: 'Block', span: b.span, stmts, tail, ty });
  }

  /** The body of a loop; `broken` tells whether a `break` leaves it. */
  private loopBody(body: R<'Block'>): TE {
    const l: LoopCtx = { broken: false };
    this.fn.loops.push(l);
    try { return this.block(body, null, true); } finally { this.broken = l.broken; this.fn.loops.pop(); }
  }

  private never(e: TE): boolean { return this.inf.shallow(e.ty).k === 'never'; }

  /** Checks a statement; sets `diverged` when control cannot go past it. */
  private stmt(s: RStmt): AnyNode {
    // (each case sets `diverged` last: the statements nested in it set it too)
    switch (s.kind) {
      case 'Let': {
        const init = s.ty ? this.coerced(this.expr(s.init as RExpr, s.ty), s.ty) : this.expr(s.init as RExpr, null);
        const ty = s.ty ?? init.ty;
        if (this.inf.shallow(ty).k === 'void') {
          this.error('E0003', s.init.span, `\`${s.name}\` would have type \`void\`: this expression has no value`, { label: 'no value' });
        }
        this.locals[s.id] = { name: s.name, ty, mut: s.mut, param: false };
        this.diverged = this.never(init);
        const let_ = { kind: 'Let', span: s.span, name: s.name, mut: s.mut, ty, init, id: s.id };
        if (hasInfer(ty)) this.inferNodes.push(let_);
        return let_;
      }
      case 'Assign': {
        const target = this.expr(s.target as RExpr, null);
        const value = this.coerced(this.expr(s.value as RExpr, target.ty), target.ty);
        this.assignable(target, s.span);
        this.diverged = this.never(value);
        return { kind: 'Assign', span: s.span, target, value };
      }
      case 'CompoundAssign': {
        const target = this.expr(s.target as RExpr, null);
        const value = this.compoundValue(s, target);
        this.assignable(target, s.span);
        this.diverged = this.never(value);
        return { kind: 'CompoundAssign', span: s.span, op: s.op, target, value };
      }
      case 'ExprStmt': {
        const expr = this.expr(s.expr as RExpr, null, true);
        this.diverged = this.never(expr);
        return { kind: 'ExprStmt', span: s.span, expr };
      }
      case 'While': {
        const cond = this.condition(s.cond as RExpr);
        const body = this.loopBody(s.body);
        this.diverged = false;
        return { kind: 'While', span: s.span, cond, body };
      }
      case 'WhileLet': {
        const value = this.expr(s.value as RExpr, null);
        this.locals[s.id] = { name: s.name, ty: this.payload(value, 'while let'), mut: false, param: false };
        const body = this.loopBody(s.body);
        this.diverged = false;
        return build(s, { value, body });
      }
      case 'For': {
        const [start, end] = this.operands(s.start as RExpr, s.end as RExpr, null);
        let ty = start.ty;
        const sk = this.inf.kind(start.ty);
        if (sk !== 'int' && sk !== 'never') {
          this.error('E0003', start.span, `a range needs integer bounds, found ${this.q(start.ty)}`, { label: 'not an integer' });
          ty = T.never;
        } else if (!this.inf.unify(start.ty, end.ty)) {
          this.error('E0003', s.end.span, `mismatched range bounds: ${this.q(start.ty)} and ${this.q(end.ty)}`,
            { label: `expected ${this.q(start.ty)}`, help: 'convert one bound with `as`' });
        } else if (sk === 'never') ty = end.ty;
        this.locals[s.id] = { name: s.name, ty, mut: false, param: false };
        const body = this.loopBody(s.body);
        this.diverged = false;
        return { kind: 'For', span: s.span, name: s.name, start, end, inclusive: s.inclusive, body, id: s.id };
      }
      case 'Loop': {
        const body = this.loopBody(s.body);
        this.diverged = !this.broken;
        return { kind: 'Loop', span: s.span, body };
      }
      case 'Delete': {
        const target = this.expr(s.target as RExpr, null);
        this.noValue(target);
        this.diverged = false;
        return build(s, { target });
      }
      case 'RegionStmt': {
        let capacity: TE | null = null;
        if (s.capacity) {
          capacity = this.expr(s.capacity as RExpr, T.i64);
          if (!this.isIntOrNever(capacity.ty)) {
            this.error('E0003', capacity.span, `a region's capacity is an integer (bytes), found ${this.q(capacity.ty)}`, { label: 'not an integer' });
          }
        }
        this.locals[s.id] = { name: s.name, ty: T.region, mut: false, param: false };
        const body = this.block(s.body, null, true);
        this.diverged = this.never(body);
        return build(s, { capacity, body });
      }
    }
  }

  /** The value of `t op= v`: same rules as the binary operator, with the target's type fixed. */
  private compoundValue(s: R<'CompoundAssign'>, target: TE): TE {
    const op = s.op;
    const tt = this.inf.shallow(target.ty);
    if (SHIFT.has(op)) {
      const value = this.expr(s.value as RExpr, null);
      if (!this.isIntOrNever(tt) || !this.isIntOrNever(value.ty)) {
        this.error('E0003', s.span, `\`${op}=\` needs integer operands, found ${this.q(tt)} and ${this.q(value.ty)}`);
      }
      return value;
    }
    if ((op === '+' || op === '-') && tt.k === 'ptr') {
      const value = this.expr(s.value as RExpr, null);
      if (!this.isIntOrNever(value.ty)) {
        this.error('E0003', value.span, `pointer arithmetic needs an integer offset, found ${this.q(value.ty)}`);
      }
      return value;
    }
    const value = this.expr(s.value as RExpr, target.ty);
    if (tt.k === 'never' || this.never(value)) return value;
    if (!this.inf.unify(target.ty, value.ty)) {
      this.error('E0003', s.span, `mismatched types: \`${op}=\` on ${this.q(target.ty)} with ${this.q(value.ty)}`,
        { label: `expected ${this.q(target.ty)}`, help: 'convert the value with `as`' });
      return value;
    }
    this.operatorApplies(op, target.ty, s.span);
    return value;
  }

  private isIntOrNever = (t: Ty) => { const k = this.inf.kind(t); return k === 'int' || k === 'never'; };

  /** Reports E0003 when arithmetic or bitwise `op` does not apply to `t`; true when it does. */
  private operatorApplies(op: string, t: Ty, span: Span): boolean {
    const k = this.inf.kind(t);
    if (k === 'never' || k === 'infer') return true;
    if (ARITH.has(op) && (k === 'int' || k === 'float')) return true;
    if (BITWISE.has(op) && (k === 'int' || k === 'bool')) return true;
    const help = k === 'string' || k === 'str' ? 'to join text, use `s.append(...)` on a `String`' : undefined;
    this.error('E0003', span, `cannot apply \`${op}\` to ${this.q(t)}`, { label: `\`${op}\` on ${this.q(t)}`, help });
    return false;
  }

  /** Reports the error for assigning to a place that is not mutable. */
  private assignable(target: TE, span: Span): void {
    const m = placeMutability(target, this.places);
    if (m.ok) return;
    switch (m.why) {
      case 'binding':
        this.diag.error('E0005', span, `cannot assign to \`${m.name}\`, an immutable ${m.param ? 'parameter' : 'binding'}`,
          { label: 'cannot assign', help: `declare it \`mut ${m.name}\`` });
        return;
      case 'static':
        this.diag.error('E0005', span, `cannot assign to static \`${m.name}\`, which is immutable`,
          { label: 'cannot assign', help: 'shared state changes through an `Atomic` or a `Mutex`' });
        return;
      case 'pointer':
        this.diag.error('E0010', span, `cannot assign through ${this.q(m.ptrTy)}, an immutable pointer`,
          { label: 'assignment through an immutable pointer', help: 'take a mutable pointer with `*mut x`' });
        return;
      case 'this': {
        const name = this.fn.method?.name ?? 'method';
        this.diag.error('E0013', span, `method \`${name}\` is not \`mut\` but assigns to a field of \`this\``,
          { label: 'changes `this`', help: `declare it \`mut ${name}()\`` });
        return;
      }
      case 'temporary':
        this.notAPlace.push(span); // later passes cannot lower a store into a value
        this.diag.error('E0005', span, 'cannot assign to this expression',
          { label: 'not a place', help: 'assign to a variable, a field, an element or a dereferenced pointer' });
        return;
    }
  }

  /** Reports the error for a `mut` method call or `*mut` on a place that is not mutable. */
  private requireMutable(m: Mutability, span: Span, action: { method: string } | 'pointer'): void {
    if (m.ok) return;
    const doing = action === 'pointer' ? 'take a mutable pointer to' : `call \`mut\` method \`${action.method}\` on`;
    switch (m.why) {
      case 'temporary':
        // §5.2 and §3: `*mut e` and a `mut` method need a mutable place, and a value is none
        this.diag.error('E0011', span, `cannot ${doing} a temporary value`, {
          label: 'not a mutable place',
          help: action === 'pointer' ? 'store the value in a `mut` variable and take the pointer to it'
            : 'store the value in a `mut` variable and call the method on it',
        });
        return;
      case 'binding':
        this.diag.error('E0011', span, `cannot ${doing} \`${m.name}\`, an immutable ${m.param ? 'parameter' : 'binding'}`,
          { label: 'immutable place', help: `declare it \`mut ${m.name}\`` });
        return;
      case 'static':
        this.diag.error('E0011', span, `cannot ${doing} static \`${m.name}\`, which is immutable`, { label: 'immutable place' });
        return;
      case 'pointer':
        this.diag.error('E0011', span, `cannot ${doing} a place behind ${this.q(m.ptrTy)}, an immutable pointer`,
          { label: 'immutable place', help: 'take a mutable pointer with `*mut x`' });
        return;
      case 'this': {
        const name = this.fn.method?.name ?? 'method';
        if (action === 'pointer') {
          this.diag.error('E0011', span, `cannot take a mutable pointer into \`this\` in method \`${name}\`, which is not \`mut\``,
            { label: 'immutable place', help: `declare it \`mut ${name}()\`` });
        } else {
          this.diag.error('E0013', span, `method \`${name}\` is not \`mut\` but calls \`mut\` method \`${action.method}\` on \`this\``,
            { label: 'changes `this`', help: `declare it \`mut ${name}()\`` });
        }
        return;
      }
    }
  }

  private condition(e: RExpr): TE {
    return this.coerced(this.expr(e, T.bool), T.bool, 'condition');
  }

  /** The payload type of an `Option` (for if let / while let); E0003 for other types. */
  private payload(value: TE, what: string): Ty {
    const t = this.inf.shallow(value.ty);
    if (t.k === 'option') return t.of;
    if (t.k === 'never') return T.never;
    if (this.inf.kind(t) === 'infer') {
      const elem = this.inf.fresh(value.span);
      this.inf.unify(t, gen('option', elem));
      return elem;
    }
    this.error('E0003', value.span, `\`${what} Some(..)\` needs an \`Option\`, found ${this.q(t)}`, { label: 'not an Option' });
    return T.never;
  }

  // ================================================================ expressions
  expr(e: RExpr, exp: Ty | null, discard = false): TE {
    switch (e.kind) {
      case 'IntLit': return this.intLit(e, exp, false, e.span);
      case 'FloatLit': {
        const ty = e.suffix ? T[e.suffix as FloatName]
          : exp && this.inf.kind(exp) === 'float' ? this.inf.shallow(exp) : this.inf.fresh(e.span, '', 'float');
        return this.trackTy({ kind: 'FloatLit', span: e.span, value: e.value, suffix: e.suffix, ty });
      }
      case 'StrLit': return { kind: 'StrLit', span: e.span, value: e.value, ty: T.str };
      case 'BoolLit': return { kind: 'BoolLit', span: e.span, value: e.value, ty: T.bool };
      case 'Name': return this.name(e, exp);
      case 'Path': return this.pathValue(e);
      case 'Unary': return this.unary(e, exp);
      case 'Star': return this.star(e);
      case 'Binary': return this.binary(e, exp);
      case 'Coalesce': {
        const x = exp && this.inf.shallow(exp);
        const left = this.expr(e.left as RExpr, x && x.k !== 'infer' && x.k !== 'never' ? gen('option', x) : null);
        const lt = this.inf.shallow(left.ty);
        if (lt.k === 'never') return { kind: 'Coalesce', span: e.span, left, right: this.expr(e.right as RExpr, exp), ty: T.never };
        const payload = this.payload(left, '??');
        if (lt.k !== 'option' && this.inf.kind(lt) !== 'infer') return this.bad(e, { left, right: this.expr(e.right as RExpr, null) });
        const right = this.coerced(this.expr(e.right as RExpr, payload), payload, 'the `??` fallback');
        if (this.noValue(right)) return this.bad(e, { left, right });
        return this.trackTy({ kind: 'Coalesce', span: e.span, left, right, ty: payload });
      }
      case 'Cast': return this.cast(e);
      case 'Field': return this.field(e);
      case 'Index': return this.index(e);
      case 'Call': return this.call(e, exp);
      case 'MethodCall': return this.methodCall(e);
      case 'StructLit': return this.structLit(e);
      case 'ArrayLit': return this.arrayLit(e, exp);
      case 'ArrayRepeat': {
        const x = exp && this.inf.shallow(exp);
        const want = x && x.k === 'array' ? x.elem : null;
        const value = this.expr(e.value as RExpr, want);
        if (want) this.coerced(value, want);
        if (this.noValue(value)) return this.bad(e, { value });
        return this.typed(e, { value, ty: arrayTy(want ?? value.ty, e.count) });
      }
      case 'Lambda': return this.lambda(e, exp);
      case 'If': {
        const cond = this.condition(e.cond as RExpr);
        const then = this.block(e.then, discard ? null : exp, discard);
        const els = e.else ? this.expr(e.else as RExpr, discard ? null : exp, discard) : null;
        return this.trackTy({ kind: 'If', span: e.span, cond, then, else: els, ty: this.branches(then, els, discard, e.span) });
      }
      case 'IfLet': {
        const value = this.expr(e.value as RExpr, null);
        this.locals[e.id] = { name: e.name, ty: this.payload(value, 'if let'), mut: false, param: false };
        const then = this.block(e.then, discard ? null : exp, discard);
        const els = e.else ? this.expr(e.else as RExpr, discard ? null : exp, discard) : null;
        return this.trackTy({ kind: 'IfLet', span: e.span, name: e.name, value, then, else: els, id: e.id, ty: this.branches(then, els, discard, e.span) });
      }
      case 'Block': return this.block(e, exp, discard);
      case 'Unsafe': {
        const body = this.block(e.body, exp, discard);
        return this.trackTy({ kind: 'Unsafe', span: e.span, body, ty: body.ty });
      }
      case 'Return': return this.ret(e);
      case 'Break': case 'Continue': {
        const l = this.fn.loops[this.fn.loops.length - 1];
        if (!l) {
          const word = e.kind === 'Break' ? 'break' : 'continue';
          this.diag.error('E0001', e.span, `\`${word}\` outside of a loop`, { label: 'not inside a loop' });
        } else if (e.kind === 'Break') l.broken = true;
        return { kind: e.kind, span: e.span, ty: T.never };
      }
    }
  }

  /** The type of an if/else: void without else or when discarded; else the branches' common type. */
  private branches(then: TE, els: TE | null, discard: boolean, span: Span): Ty {
    if (!els) return T.void;
    const a = this.inf.shallow(then.ty);
    const b = this.inf.shallow(els.ty);
    if (discard) return a.k === 'never' && b.k === 'never' ? T.never : T.void;
    if (a.k === 'never') return els.ty;
    if (b.k === 'never') return then.ty;
    if (this.inf.coercible(b, a)) return then.ty;
    if (this.inf.coercible(a, b)) return els.ty;
    // reported at the value of the `else` branch, as rustc does (the `if` may span many lines)
    let at: AnyNode = els;
    while (at.kind === 'Block' && at.tail) at = at.tail as AnyNode;
    this.error('E0003', at.kind === 'Block' ? span : at.span, `\`if\` and \`else\` have incompatible types: ${this.q(a)} and ${this.q(b)}`,
      { label: `expected ${this.q(a)}, as the \`if\` branch gives` });
    return T.never;
  }

  private intLit(e: R<'IntLit'>, exp: Ty | null, negate: boolean, span: Span): TE {
    const suffix = e.suffix;
    if (suffix === 'f32' || suffix === 'f64') {
      const value = (negate ? -1 : 1) * Number(e.value);
      return { kind: 'FloatLit', span, value, suffix, ty: T[suffix] } as TE;
    }
    let ty: Ty;
    if (suffix !== null) {
      if (!INT_NAMES.has(suffix)) {
        this.error('E0003', span, `invalid suffix \`${suffix}\` for an integer literal`, { help: 'the suffixes are i8..i64, u8..u64, f32, f64' });
        return this.bad(e);
      }
      ty = T[suffix as IntName];
    } else {
      // the expected integer type, else a literal variable (i32 unless something decides)
      ty = exp && this.inf.kind(exp) === 'int' ? this.inf.shallow(exp) : this.inf.fresh(span, '', 'int');
    }
    // the lexer gives canonical decimals; short ones (most) are checked as exact doubles, without BigInt
    const short = e.value.length <= 15;
    const v = short ? (negate ? -Number(e.value) : Number(e.value)) : negate ? -BigInt(e.value) : BigInt(e.value);
    if (ty.k === 'int') this.literalFits(v, ty, span);
    // (0..=127 fits every integer type: nothing to check once the type is known)
    else if (!(typeof v === 'number' && v >= 0 && v <= 127)) this.pendingLiterals.push({ value: v, ty, span });
    const value = !negate ? e.value : short ? (v === 0 ? '0' : `-${e.value}`) : String(v);
    return this.trackTy({ kind: 'IntLit', span, value, suffix: e.suffix, ty });
  }

  /** E0003 when integer literal `v` does not fit in `ty`. */
  private literalFits(v: number | bigint, ty: Ty, span: Span): void {
    if (ty.k !== 'int') return;
    const range = typeof v === 'number' ? INT_RANGES_NUM[ty.name] : INT_RANGES[ty.name];
    if (v >= range[0] && v <= range[1]) return;
    const [blo, bhi] = INT_RANGES[ty.name];
    this.error('E0003', span, `integer literal \`${v}\` does not fit in \`${ty.name}\``,
      { label: `out of range for \`${ty.name}\``, help: `\`${ty.name}\` holds ${blo}..=${bhi}; use a wider type or a suffix such as \`i64\`` });
  }

  private cannotNegate(t: Ty, span: Span): void {
    this.error('E0003', span, `cannot negate ${this.q(t)}`,
      { label: 'needs a signed integer or a float', help: this.inf.kind(t) === 'int' ? 'convert it to a signed type with `as` first' : undefined });
  }

  private name(e: R<'Name'>, exp: Ty | null): TE {
    const ref = e.ref as NameRef;
    switch (ref.k) {
      case 'local': {
        const l = this.locals[ref.id];
        if (!l) invariant(false, `local ${e.name}#${ref.id} is bound before use`, e); // (not `invariant(l, ...)`: its message would be made at every use)
        return this.typedName(e, l.ty);
      }
      case 'global': {
        const s = this.statics.get(ref.name);
        if (!s) invariant(false, `static ${ref.name} is declared`, e);
        return this.typedName(e, s.ty);
      }
      case 'fn': {
        const f = this.fns.get(ref.name);
        if (!f) invariant(false, `function ${ref.name} is declared`, e);
        if (f.unsafe) {
          // a fn value is called without `unsafe`: the call would go unmarked (spec §9)
          this.error('E0003', e.span, `unsafe function \`${e.name}\` can only be called`,
            { label: 'not a value', help: `wrap the call in a lambda: \`(x) -> unsafe { ${e.name}(x) }\`` });
          return this.bad(e);
        }
        // a named function captures nothing, so it may also be used as a concurrent fn
        const x = exp && this.inf.shallow(exp);
        return this.typedName(e, x?.k === 'fn' && x.concurrent ? fnTy(f.params, f.ret, true) : f.ty);
      }
      case 'extern':
        this.error('E0003', e.span, `extern function \`${e.name}\` can only be called`,
          { label: 'not a value', help: `wrap the call in a lambda: \`(x) -> unsafe { ${e.name}(x) }\`` });
        return this.bad(e);
      case 'builtin': {
        if (e.name === 'None') {
          const x = exp && this.inf.shallow(exp);
          const of = x && x.k === 'option' ? x.of : this.inf.fresh(e.span, 'annotate the binding, e.g. `x: Option<i32> := None`');
          return this.typedName(e, gen('option', of));
        }
        this.error('E0003', e.span, `built-in \`${e.name}\` can only be called`,
          { label: 'not a value', help: `wrap the call in a lambda: \`(x) -> ${e.name}(x)\`` });
        return this.bad(e);
      }
      case 'unknown': return this.bad(e);
    }
  }

  /** A path used as a value: `Ordering::X`, or a class's static method. */
  private pathValue(e: R<'Path'>): TE {
    if (e.owner === 'Ordering') return this.typed(e, { ty: Object.hasOwn(ORDERING, e.member) ? T.i32 : T.never });
    const cls = this.classes.get(e.owner);
    if (cls) {
      const m = cls.methods.get(e.member);
      if (!m || !m.isStatic) return this.bad(e); // E0002 from resolve-names
      return this.typed(e, { ty: fnTy(m.params, m.ret) });
    }
    if (isBuiltinOwner(e.owner)) {
      this.error('E0003', e.span, `\`${e.owner}::${e.member}\` can only be called`, { label: 'not a value' });
    }
    return this.bad(e);
  }

  private unary(e: R<'Unary'>, exp: Ty | null): TE {
    const operandNode = e.operand as RExpr;
    if (e.op === '-' && operandNode.kind === 'IntLit') return this.intLit(operandNode, exp, true, e.span);
    switch (e.op) {
      case '-': {
        const operand = this.expr(operandNode, this.numericHint(exp));
        const t = this.inf.shallow(operand.ty);
        const k = this.inf.kind(t);
        if ((t.k === 'int' && isSigned(t)) || k === 'float' || k === 'never') return this.trackTy({ kind: 'Unary', span: e.span, op: e.op, operand, ty: operand.ty });
        if (t.k === 'infer' && k === 'int') {
          this.pendingNegations.push({ ty: t, span: e.span });
          return this.typed(e, { operand, ty: operand.ty });
        }
        this.cannotNegate(t, e.span);
        return this.bad(e, { operand });
      }
      case '!': {
        const operand = this.expr(operandNode, T.bool);
        const k = this.inf.kind(operand.ty);
        if (k === 'bool' || k === 'never') return { kind: 'Unary', span: e.span, op: e.op, operand, ty: T.bool };
        this.error('E0003', e.span, `\`!\` needs a \`bool\`, found ${this.q(operand.ty)}`,
          { label: 'not a bool', help: k === 'int' ? 'for bitwise not, use `~`' : undefined });
        return this.bad(e, { operand });
      }
      case '~': {
        const operand = this.expr(operandNode, this.numericHint(exp));
        if (this.isIntOrNever(operand.ty)) return this.typed(e, { operand, ty: operand.ty });
        this.error('E0003', e.span, `\`~\` needs an integer, found ${this.q(operand.ty)}`,
          { label: 'not an integer', help: this.inf.kind(operand.ty) === 'bool' ? 'for logical not, use `!`' : undefined });
        return this.bad(e, { operand });
      }
    }
    invariant(false, `unary operator ${e.op}`, e);
  }

  /** `*e`: a dereference when `e` is a pointer or Box, else a pointer to `e`; `*mut e` is always a pointer (spec §5.2). */
  private star(e: R<'Star'>): TE {
    const operand = this.expr(e.operand as RExpr, null);
    const t = this.inf.shallow(operand.ty);
    if (t.k === 'never' || this.noValue(operand)) return this.bad(e, { operand });
    if (!e.mut) {
      if (t.k === 'ptr') return this.typedStar(e, operand, t.to);
      if (t.k === 'box') return this.typedStar(e, operand, t.of);
      return this.typedStar(e, operand, ptr(operand.ty, false));
    }
    this.requireMutable(placeMutability(operand, this.places), e.span, 'pointer');
    return this.typedStar(e, operand, ptr(operand.ty, true));
  }

  private binary(e: R<'Binary'>, exp: Ty | null): TE {
    const op = e.op;
    const left0 = e.left as RExpr;
    const right0 = e.right as RExpr;
    if (op === '&&' || op === '||') {
      const left = this.condition(left0);
      const right = this.condition(right0);
      return this.typedBinary(e, left, right, T.bool);
    }
    if (SHIFT.has(op)) {
      const left = this.expr(left0, this.numericHint(exp));
      const right = this.expr(right0, null);
      if (!this.isIntOrNever(left.ty) || !this.isIntOrNever(right.ty)) {
        this.error('E0003', e.span, `\`${op}\` needs integer operands, found ${this.q(left.ty)} and ${this.q(right.ty)}`,
          { label: 'not integers' });
        return this.bad(e, { left, right });
      }
      return this.typedBinary(e, left, right, left.ty);
    }
    const comparison = EQUALITY.has(op) || ORDER.has(op);
    // (as `operands`, without its pair array: binary operators are the most frequent nodes)
    const hint = comparison ? null : this.numericHint(exp);
    let left: TE, right: TE;
    if (isLiteralish(left0) && !isLiteralish(right0)) {
      right = this.expr(right0, hint);
      left = this.expr(left0, this.numericHint(right.ty) ?? hint);
    } else {
      left = this.expr(left0, hint);
      right = this.expr(right0, this.numericHint(left.ty) ?? hint);
    }
    const lt = this.inf.shallow(left.ty);
    const rt = this.inf.shallow(right.ty);
    if (lt.k === 'never' || rt.k === 'never') return this.typedBinary(e, left, right, comparison ? T.bool : T.never);
    if ((op === '+' || op === '-') && lt.k === 'ptr') {
      if (this.inf.kind(rt) === 'int') return this.typedBinary(e, left, right, left.ty);
      this.error('E0003', right.span, `pointer arithmetic needs an integer offset, found ${this.q(rt)}`, { label: 'not an integer' });
      return this.bad(e, { left, right });
    }
    // `String == str` compares the text, as a String and a &str do in Rust (lower-builtins makes the str a String)
    if (EQUALITY.has(op) && ((lt.k === 'string' && rt.k === 'str') || (lt.k === 'str' && rt.k === 'string'))) {
      return this.typedBinary(e, left, right, T.bool);
    }
    if (!this.inf.unify(lt, rt)) {
      this.error('E0003', e.span, `mismatched types: ${this.q(lt)} ${op} ${this.q(rt)}`,
        { label: 'operands of different types', help: 'convert one operand with `as`' });
      return comparison ? this.typedBinary(e, left, right, T.bool) : this.bad(e, { left, right });
    }
    const k = this.inf.kind(lt);
    if (EQUALITY.has(op)) {
      if (!COMPARABLE.has(k)) this.error('E0003', e.span, `cannot compare ${this.q(lt)} values with \`${op}\``, { label: 'not comparable' });
      return this.typedBinary(e, left, right, T.bool);
    }
    if (ORDER.has(op)) {
      const ok = k === 'int' || k === 'float' || k === 'infer';
      if (!ok) this.error('E0003', e.span, `cannot order ${this.q(lt)} values with \`${op}\``, { label: 'needs numbers' });
      return this.typedBinary(e, left, right, T.bool);
    }
    return this.operatorApplies(op, lt, e.span) ? this.typedBinary(e, left, right, left.ty) : this.bad(e, { left, right });
  }

  private cast(e: R<'Cast'>): TE {
    const expr = this.expr(e.expr as RExpr, null);
    const from = this.inf.kind(expr.ty);
    const to = e.ty;
    const numeric = (k: Ty['k']) => k === 'int' || k === 'float';
    const ok = from === 'never' ||
      (numeric(from) && numeric(to.k)) ||
      (from === 'bool' && to.k === 'int') ||
      (from === 'ptr' && (to.k === 'int' || to.k === 'ptr')) ||
      (from === 'int' && to.k === 'ptr') ||
      this.inf.unify(expr.ty, to);
    if (!ok) {
      this.error('E0003', e.span, `cannot cast ${this.q(expr.ty)} as ${this.q(to)}`,
        { label: 'invalid cast', help: '`as` converts between numbers, from bool to integers, and between pointers and integers' });
      return this.bad(e, { expr });
    }
    return this.trackTy({ kind: 'Cast', span: e.span, expr, ty: to });
  }

  private needKnown(t: Ty, span: Span): boolean {
    if (this.inf.kind(t) !== 'infer') return true;
    this.error('E0003', span, 'cannot infer type', { label: 'type needed here', help: 'add a type annotation to the binding' });
    return false;
  }

  private field(e: R<'Field'>): TE {
    const object = this.expr(e.object as RExpr, null);
    const { target } = derefLevels(object.ty, this.places, fieldStop(e.name));
    if (target.k === 'never' || !this.needKnown(target, object.span)) return this.bad(e, { object });
    if (target.k === 'guard') return this.trackTy({ kind: 'Field', span: e.span, object, name: e.name, ty: target.of });
    if (target.k === 'class') {
      const cls = this.classes.get(target.name);
      const ty = cls?.fields.get(e.name);
      if (ty) return this.trackTy({ kind: 'Field', span: e.span, object, name: e.name, ty });
      if (cls) {
        const isMethod = cls.methods.has(e.name);
        const close = closestName(e.name, cls.fields.keys());
        this.error('E0002', e.span, `no field \`${e.name}\` on class \`${cls.name}\``,
          { label: 'unknown field', help: isMethod ? `\`${e.name}\` is a method: call it with \`${e.name}(...)\`` : close ? `did you mean \`${close}\`?` : undefined });
      }
      return this.bad(e, { object });
    }
    const isMethod = builtinMethod(target, e.name, () => T.never) !== null;
    this.error('E0002', e.span, `no field \`${e.name}\` on type ${this.q(target)}`,
      { label: 'unknown field', help: isMethod ? `\`${e.name}\` is a method: call it with \`${e.name}()\`` : undefined });
    return this.bad(e, { object });
  }

  private index(e: R<'Index'>): TE {
    const object = this.expr(e.object as RExpr, null);
    const index = this.expr(e.index as RExpr, null);
    if (!this.isIntOrNever(index.ty)) {
      this.error('E0003', index.span, `an index must be an integer, found ${this.q(index.ty)}`, { label: 'not an integer' });
    }
    const { target } = derefLevels(object.ty, this.places, indexable);
    if (target.k === 'array') return this.trackTy({ kind: 'Index', span: e.span, object, index, ty: target.elem });
    if (target.k === 'vec') return this.trackTy({ kind: 'Index', span: e.span, object, index, ty: target.of });
    if (target.k !== 'never' && this.needKnown(target, object.span)) {
      this.error('E0003', e.span, `cannot index into a value of type ${this.q(target)}`,
        { label: 'not an array or Vec' });
    }
    return this.bad(e, { object, index });
  }

  // ---------------------------------------------------------------- calls
  private call(e: R<'Call'>, exp: Ty | null): TE {
    const callee0 = e.callee as RExpr;
    const args0 = e.args as readonly RExpr[];
    if (callee0.kind === 'Name') {
      const ref = callee0.ref as NameRef;
      if (ref.k === 'builtin') return this.builtinCall(e, callee0, exp);
      if (ref.k === 'fn' || ref.k === 'extern') {
        const sig = (ref.k === 'fn' ? this.fns : this.externs).get(ref.name);
        if (!sig) invariant(false, `function ${ref.name} is declared`, e);
        const callee = this.typedName(callee0, sig.ty);
        const args = this.args(args0, sig.params, e);
        return this.typedCall(e, callee, args, sig.ret);
      }
      if (ref.k === 'unknown') return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
    }
    if (callee0.kind === 'Path' && callee0.owner !== 'Ordering' && !this.classes.has(callee0.owner)) {
      return this.constructorCall(e, callee0, exp);
    }
    const callee = this.expr(callee0, null);
    const t = this.inf.shallow(callee.ty);
    if (t.k === 'fn') {
      const args = this.args(args0, t.params, e);
      return this.typedCall(e, callee, args, t.ret);
    }
    const args = args0.map((a) => this.expr(a, null));
    if (t.k !== 'never' && this.needKnown(t, callee.span)) {
      this.error('E0003', callee.span, `${this.q(t)} is not a function`, { label: 'called here' });
    }
    return this.bad(e, { callee, args });
  }

  /** An erroneous call: its parts are still checked, for their own errors. */
  private badCall(e: R<'Call'>, callee: RExpr): TE {
    return this.bad(e, { callee: this.bad(callee), args: (e.args as readonly RExpr[]).map((a) => this.expr(a, null)) });
  }

  /** `Vec<T>::new()`, `Box::new(v)`, `String::from(s)`, `Channel<T>::new(n)`, `Mutex::new(v)`, `Atomic::new(v)`. */
  private constructorCall(e: R<'Call'>, path: R<'Path'>, exp: Ty | null): TE {
    const args0 = e.args as readonly RExpr[];
    if (!isBuiltinOwner(path.owner)) return this.badCall(e, path); // unknown owner: E0002 from resolve-names
    const generic = path.owner !== 'String';
    if (path.tyArgs.length > (generic ? 1 : 0)) {
      this.error('E0003', path.span, `\`${path.owner}\` takes ${generic ? 'one type argument' : 'no type arguments'}`, { label: 'wrong type arguments' });
      return this.badCall(e, path);
    }
    const elem = path.tyArgs[0] ?? this.inf.fresh(path.span, ELEM_HELP[path.owner] ?? `write the type: \`${path.owner}<i64>::${path.member}(...)\``);
    const sig = builtinConstructor(path.owner, path.member, elem);
    if (!sig) {
      const names = builtinConstructorNames(path.owner);
      this.error('E0002', path.span, `no function \`${path.owner}::${path.member}\``,
        { label: 'not found', help: `\`${path.owner}\` has ${names.map((n) => `\`${path.owner}::${n}\``).join(', ')}` });
      return this.badCall(e, path);
    }
    // the expected type gives the element type before the arguments are checked (`Vec::filled(3, 0)` into Vec<i64>)
    const x = exp && this.inf.shallow(exp);
    if (x && x.k === sig.ret.k) this.inf.unify(sig.ret, x);
    const args = this.args(args0, sig.params, e);
    if (path.owner === 'Atomic') {
      const k = this.inf.kind(elem);
      if (k !== 'int' && k !== 'bool' && k !== 'infer' && k !== 'never') {
        this.error('E0003', e.span, `an \`Atomic\` holds an integer or a \`bool\`, not ${this.q(elem)}`,
          { label: 'not atomic', help: 'protect other values with a `Mutex`' });
      }
    }
    const callee = this.trackTy({ kind: 'Path', span: path.span, owner: path.owner, tyArgs: path.tyArgs, member: path.member, ty: fnTy(sig.params, sig.ret) });
    return this.typedCall(e, callee, args, sig.ret);
  }

  private builtinCall(e: R<'Call'>, callee0: R<'Name'>, exp: Ty | null): TE {
    const args0 = e.args as readonly RExpr[];
    const name = callee0.name;
    const x = exp && this.inf.shallow(exp);
    switch (name) {
      case 'Some': {
        if (!this.arity(e, 1)) return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
        const want = x && x.k === 'option' ? x.of : null;
        const v = this.expr(args0[0], want);
        if (want) this.coerced(v, want);
        if (this.noValue(v)) return this.bad(e, { callee: this.bad(callee0), args: [v] });
        return this.builtinDone(e, callee0, [v], gen('option', want ?? v.ty));
      }
      case 'None':
        this.error('E0003', callee0.span, '`None` is not a function', { label: 'not callable', help: 'write `None` without arguments' });
        return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
      case 'print': case 'println': {
        if (!this.arity(e, 1)) return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
        const v = this.printable(args0[0], e);
        return this.builtinDone(e, callee0, [v], T.void);
      }
      case 'print_fixed': return this.fixedCall(e, callee0, [T.f64, T.i32], T.void);
      case 'panic': return this.fixedCall(e, callee0, [T.str], T.never);
      case 'exit': return this.fixedCall(e, callee0, [T.i32], T.never);
      case 'arg_count': return this.fixedCall(e, callee0, [], T.i64);
      case 'arg': return this.fixedCall(e, callee0, [T.i64], T.string);
      case 'sqrt': case 'floor': case 'ceil': {
        if (!this.arity(e, 1)) return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
        const v = this.expr(args0[0], exp && this.inf.kind(exp) === 'float' ? exp : null);
        const k = this.inf.kind(v.ty);
        if (k !== 'float' && k !== 'never') {
          this.error('E0003', v.span, `\`${name}\` takes a float, found ${this.q(v.ty)}`,
            { label: 'not a float', help: k === 'int' ? 'convert it with `as f64`' : undefined });
          return this.bad(e, { callee: this.bad(callee0), args: [v] });
        }
        return this.builtinDone(e, callee0, [v], v.ty);
      }
      case 'abs': case 'min': case 'max': {
        const n = name === 'abs' ? 1 : 2;
        if (!this.arity(e, n)) return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
        const hint = this.numericHint(x);
        const args = n === 1 ? [this.expr(args0[0], hint)] : this.operands(args0[0], args0[1], hint);
        if (n === 2 && !this.inf.unify(args[0].ty, args[1].ty)) {
          this.error('E0003', e.span, `mismatched types: \`${name}\` of ${this.q(args[0].ty)} and ${this.q(args[1].ty)}`,
            { label: 'arguments of different types', help: 'convert one argument with `as`' });
          return this.bad(e, { callee: this.bad(callee0), args });
        }
        const k = this.inf.kind(args[0].ty);
        if (k !== 'int' && k !== 'float' && k !== 'never') {
          this.error('E0003', e.span, `\`${name}\` takes numbers, found ${this.q(args[0].ty)}`, { label: 'not a number' });
          return this.bad(e, { callee: this.bad(callee0), args });
        }
        return this.builtinDone(e, callee0, args, args[0].ty);
      }
      case 'spawn': {
        if (!this.arity(e, 1)) return this.bad(e, { callee: this.bad(callee0), args: args0.map((a) => this.expr(a, null)) });
        const ret = this.inf.fresh(e.span, 'give the lambda a result type: `() -> i64 { ... }`');
        const want = fnTy([], ret, true);
        const f = this.coerced(this.expr(args0[0], want), want, 'a concurrent lambda');
        return this.builtinDone(e, callee0, [f], gen('thread', ret));
      }
    }
    invariant(false, `built-in function ${name} is typed`, e);
  }

  /** A built-in call of `args` with result `ret`; the callee's type is made from the arguments'. */
  private builtinDone(e: R<'Call'>, callee0: R<'Name'>, args: TE[], ret: Ty): TE {
    return this.typedCall(e, this.typedName(callee0, fnTy(args.map((a) => a.ty), ret)), args, ret);
  }
  private fixedCall(e: R<'Call'>, callee0: R<'Name'>, params: readonly Ty[], ret: Ty): TE {
    return this.builtinDone(e, callee0, this.args(e.args as readonly RExpr[], params, e), ret);
  }
  /** Whether the call has `n` arguments; else E0004 (its arguments are still checked). */
  private arity(e: R<'Call'>, n: number): boolean {
    const args0 = e.args as readonly RExpr[];
    if (args0.length === n) return true;
    this.args(args0, Array(n).fill(T.never), e);
    return false;
  }

  /** An argument of print/println/append: integer, float, bool, str or String. */
  private printable(arg: RExpr, call: R<'Call'> | R<'MethodCall'>): TE {
    const v = this.expr(arg, null);
    if (!PRINTABLE.has(this.inf.kind(v.ty))) {
      this.error('E0003', v.span, `${calleeText(call, null)} takes an integer, float, bool, str or String, found ${this.q(v.ty)}`,
        { label: 'cannot be printed' });
    }
    return v;
  }

  private methodCall(e: R<'MethodCall'>): TE {
    const object = this.expr(e.object as RExpr, null);
    const args0 = e.args as readonly RExpr[];
    const name = e.method;
    // auto-deref through pointers, Box and Guard until a type that has the method
    let t = this.inf.shallow(object.ty);
    let levels = 0;
    for (;;) {
      if (t.k === 'never' || !this.needKnown(t, object.span)) return this.bad(e, { object, args: args0.map((a) => this.expr(a, null)) });
      if (t.k === 'class') {
        const cls = this.classes.get(t.name);
        const m = cls?.methods.get(name);
        if (cls && m) return this.userMethodCall(e, object, levels, cls, m);
      } else {
        // (the closure only where it is needed: `r.alloc(v)` is generic in `v`)
        const b = builtinMethod(t, name, t.k === 'region' ? () => this.inf.fresh(e.span) : noFresh);
        if (b) return this.builtinMethodCall(e, object, levels, b.params, b.ret, b.mutates, b.ordering);
      }
      if (t.k !== 'ptr' && t.k !== 'box' && t.k !== 'guard') break;
      t = this.inf.shallow(t.k === 'ptr' ? t.to : t.of);
      levels++;
    }
    const cls = t.k === 'class' ? this.classes.get(t.name) : undefined;
    const names = cls ? [...cls.methods.keys()] : builtinMethodNames(t);
    const close = closestName(name, names);
    let help = close ? `did you mean \`${close}\`?` : undefined;
    if (cls?.fields.has(name)) help = `\`${name}\` is a field: to call a function stored in it, write \`(x.${name})(...)\``;
    this.error('E0002', e.span, `no method \`${name}\` on type ${this.q(t)}`, { label: 'unknown method', help });
    return this.bad(e, { object, args: args0.map((a) => this.expr(a, null)) });
  }

  private userMethodCall(e: R<'MethodCall'>, object: TE, levels: number, cls: ClassInfo, m: MethodInfo): TE {
    const args0 = e.args as readonly RExpr[];
    if (m.isStatic) {
      this.error('E0002', e.span, `\`${e.method}\` is a static method of \`${cls.name}\``,
        { label: 'no `this` to call it on', help: `call it as \`${cls.name}::${e.method}(...)\`` });
      return this.bad(e, { object, args: args0.map((a) => this.expr(a, null)) });
    }
    if (m.mutSelf) this.requireMutable(derefMutability(object, levels, this.places), e.span, { method: e.method });
    const args = this.args(args0, m.params, e, cls);
    return this.typedMethodCall(e, object, args, m.ret);
  }

  private builtinMethodCall(e: R<'MethodCall'>, object: TE, levels: number, params: readonly ArgSpec[], ret: Ty,
    mutates: boolean, ordering: boolean): TE {
    let args0 = e.args as readonly RExpr[];
    let orderingArg: TE | null = null;
    if (ordering && args0.length === params.length + 1) {
      const last = args0[args0.length - 1];
      args0 = args0.slice(0, -1);
      orderingArg = this.expr(last, null);
      if (last.kind !== 'Path' || last.owner !== 'Ordering') {
        this.error('E0003', last.span, 'expected a memory ordering: `Ordering::Relaxed`, `Acquire`, `Release`, `AcqRel` or `SeqCst`',
          { label: 'not an ordering' });
      }
    }
    if (mutates) this.requireMutable(derefMutability(object, levels, this.places), e.span, { method: e.method });
    let args: TE[];
    if (params.some((p) => p === 'printable')) {
      args = args0.length === 1 ? [this.printable(args0[0], e)] : this.args(args0, params.map(() => T.never), e);
    } else {
      args = this.args(args0, params as readonly Ty[], e);
    }
    if (orderingArg) args.push(orderingArg);
    return this.typedMethodCall(e, object, args, ret);
  }

  // ---------------------------------------------------------------- literals and lambdas
  private structLit(e: R<'StructLit'>): TE {
    const cls = this.classes.get(e.className);
    if (!cls) return this.bad(e, { fields: e.fields.map((f) => build(f, { value: this.expr(f.value as RExpr, null) })) });
    const given = new Set<string>();
    const fields = e.fields.map((f) => {
      const want = cls.fields.get(f.name);
      if (!want) {
        const close = closestName(f.name, [...cls.fields.keys()].filter((n) => !given.has(n)));
        this.error('E0002', f.span, `class \`${cls.name}\` has no field \`${f.name}\``,
          { label: 'unknown field', help: close ? `did you mean \`${close}\`?` : undefined });
        return build(f, { value: this.expr(f.value as RExpr, null) });
      }
      if (given.has(f.name)) this.error('E0003', f.span, `field \`${f.name}\` is given more than once`, { label: 'given again' });
      given.add(f.name);
      const value = this.coerced(this.expr(f.value as RExpr, want), want, `field \`${f.name}\``);
      return { kind: 'FieldInit', span: f.span, name: f.name, value };
    });
    // (every name in `given` is a field: all are given when there are as many)
    const missing = given.size === cls.fields.size ? [] : [...cls.fields.keys()].filter((n) => !given.has(n));
    if (missing.length > 0) {
      this.error('E0003', e.span, `missing ${missing.length === 1 ? 'field' : 'fields'} ${missing.map((n) => `\`${n}\``).join(', ')} in \`${cls.name}\``,
        { label: 'incomplete', help: 'a struct literal gives every field' });
    }
    return { kind: 'StructLit', span: e.span, className: e.className, fields, ty: classTy(cls.name) };
  }

  private arrayLit(e: R<'ArrayLit'>, exp: Ty | null): TE {
    const elems0 = e.elems as readonly RExpr[];
    const x = exp && this.inf.shallow(exp);
    let want: Ty | null = x && x.k === 'array' ? x.elem : null;
    const out: TE[] = new Array(elems0.length);
    // without an expected type, the first element that is not a bare literal decides
    if (!want) {
      const first = elems0.findIndex((el) => !isLiteralish(el));
      const i = first === -1 ? 0 : first;
      if (elems0.length > 0) { out[i] = this.expr(elems0[i], null); want = out[i].ty; }
    }
    if (!want) want = this.inf.fresh(e.span, 'annotate the binding, e.g. `a: [i32; 0] := []`');
    for (let i = 0; i < elems0.length; i++) {
      out[i] = this.coerced(out[i] ?? this.expr(elems0[i], want), want, 'array element');
      this.noValue(out[i]);
    }
    return this.typed(e, { elems: out, ty: arrayTy(want, elems0.length) });
  }

  private lambda(e: R<'Lambda'>, exp: Ty | null): TE {
    const x = exp && this.inf.shallow(exp);
    const expFn = x && x.k === 'fn' ? x : null;
    const arityOk = !expFn || expFn.params.length === e.params.length;
    if (!arityOk) {
      this.error('E0003', e.span, `expected a lambda taking ${plural(expFn!.params.length, 'parameter')}, found one taking ${e.params.length}`,
        { label: `expected ${this.q(expFn!)}` });
    }
    const params = e.params.map((p, i) => {
      // (a parameter beyond the expected ones is `never`: the arity error says it all)
      let ty = p.ty ?? (expFn ? expFn.params[i] ?? T.never : null);
      if (!ty) {
        this.error('E0003', p.span, `cannot infer the type of parameter \`${p.name}\``,
          { label: 'type needed', help: `annotate it: \`(${p.name}: i32) -> ...\`` });
        ty = T.never;
      }
      this.locals[p.id] = { name: p.name, ty, mut: p.mut, param: true };
      return this.typed<Node<typeof Ltyped, 'Param'>>(p, { ty });
    });
    const ret = e.ret ?? expFn?.ret ?? this.inf.fresh(e.span, 'annotate the lambda\'s result: `(x: i32) -> i32 { ... }`');
    const outer = this.fn;
    this.fn = { ret, loops: [], method: outer.method };
    let body: TE;
    try {
      if (e.body.kind === 'Block') body = this.fnBody(e.body as R<'Block'>, ret, null);
      else body = this.coerced(this.expr(e.body as RExpr, ret), ret, 'lambda result');
    } finally {
      this.fn = outer;
    }
    // a lambda that returns no value and whose result type nothing fixed returns void
    if (this.inf.shallow(ret).k === 'infer') this.inf.unify(ret, T.void);
    const concurrent = expFn?.concurrent ?? false;
    // after an arity error the lambda is `never`, so the caller does not report a mismatch too
    const ty = arityOk ? fnTy(params.map((p) => p.ty), ret, concurrent) : T.never;
    return this.typed(e, { params, ret, body, ty });
  }

  private ret(e: R<'Return'>): TE {
    const ret = this.fn.ret;
    const r = this.inf.shallow(ret);
    if (e.value) {
      if (r.k === 'void') {
        const value = this.expr(e.value as RExpr, null);
        const vt = this.inf.shallow(value.ty);
        if (vt.k !== 'void' && vt.k !== 'never') {
          this.error('E0003', value.span, `this function returns nothing, but \`return\` has a value of type ${this.q(vt)}`,
            { label: 'unexpected value', help: 'remove the value, or declare the result type with `-> T`' });
        }
        return this.typed(e, { value, ty: T.never });
      }
      const value = this.coerced(this.expr(e.value as RExpr, ret), ret, 'return value');
      return { kind: 'Return', span: e.span, value, ty: T.never };
    }
    if (r.k === 'infer') this.inf.unify(r, T.void);
    else if (r.k !== 'void' && r.k !== 'never') {
      this.error('E0003', e.span, `\`return;\` without a value in a function that returns ${this.q(ret)}`, { label: 'value needed' });
    }
    return { kind: 'Return', span: e.span, value: null, ty: T.never };
  }
}

/**
 * The errors after which the typed tree may be ill-formed (unknown names, `never` types,
 * wrong argument counts): the later passes must not see the body that holds one
 * (check-types/broken-bodies.ts leaves it out), and one outside every body stops the
 * pipeline. Mutability errors (E0005 on a variable, E0010, E0011, E0013) and E0012 (`&x`
 * read as `*x`) leave a well-typed tree, so the memory-model checks still run and report
 * their independent errors in the same run (spec §11); code is not generated either way.
 */
const TREE_BREAKING = new Set(['E0001', 'E0002', 'E0003', 'E0004']);

type Facts = { checker: Checker; ctx: PassContext; broken: BrokenBodies };

export const checkTypesPass = defineItemPass<Facts>({
  name: 'check-types',
  description: 'types every expression and binding; type, arity and mutability errors (E0003 E0004 E0005 E0010 E0011 E0013)',
  from: Lresolved,
  to: Ltyped,
  prepare(program, ctx) {
    const checker = new Checker(ctx.diag);
    checker.collect(program as R<'Program'>);
    // (the unsafe table reads declarations only: the same from the untyped program)
    return { checker, ctx, broken: new BrokenBodies(unsafeTable(program as unknown as Node<typeof Ltyped, 'Program'>), ctx.diag) };
  },
  runFunction(item, { checker, ctx, broken }) {
    const typed = checker.item(item as R<'Program'>['items'][number]);
    const breaking = breakingSpans(checker, ctx);
    const out = breaking.length === 0 ? typed : broken.leaveOut(typed, breaking);
    return checker.brokenSignatures.size === 0 ? out : broken.leaveOutUsers(out, checker.brokenSignatures);
  },
  goesOn: ({ checker, ctx, broken }) => !broken.stops(breakingSpans(checker, ctx)),
  finish(program, { checker, ctx, broken }, _ctx, output) {
    checker.checkMain(program as R<'Program'>);
    if (!broken.stops(breakingSpans(checker, ctx))) return;
    ctx.stop?.();
    // When the pipeline stops here, check-unsafe does not run. Its errors (E0030) are
    // independent of type errors, and spec §11 wants them in the same run, so it looks at
    // the typed tree now (the bodies left out were looked at as they went). That tree may
    // be incomplete where the errors are (children left untyped under an erroneous node):
    // a failure there only means no E0030 is found there.
    try { checkUnsafeProgram(output() as Node<typeof Ltyped, 'Program'>, ctx.diag); } catch { /* see above */ }
  },
});

/** Where the errors so far leave a tree the later passes cannot take. */
function breakingSpans(checker: Checker, ctx: PassContext): Span[] {
  const spans: Span[] = [];
  for (const d of ctx.reported?.() ?? ctx.diag.list) if (TREE_BREAKING.has(d.code)) spans.push(d.span);
  for (const s of checker.notAPlace) spans.push(s);
  return spans;
}
