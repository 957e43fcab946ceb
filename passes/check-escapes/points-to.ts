// A points-to analysis of one function of the typed tree (Lptr), for the lifetime checks
// of spec §5.2 and §6 (E0023, E0025) and for `delete` targets (E0027). No lifetime is
// written in Zeta; this infers them.
//
// Locations. Every value that can hold a pointer (pointer-types.ts) gets the set of
// *locations* it may point into:
//   local      a variable's storage, or its heap content (a Box's value, a Vec element)
//   temp       a temporary whose address was taken (`*make()`), living in its block, or
//              to the end of its statement when it needs drop (it is dropped there, §5.3)
//   region     the memory of a `region r { }` block of this function
//   param      what a parameter (or `this`) points to: the caller's memory
//   regionparam allocations from a Region parameter
//   static     a global: it outlives everything
// Each location has a scope. Scopes form a tree: a function or lambda has a frame scope
// holding its parameters, each block a scope inside the one around it; a local lives in
// the scope of the block declaring it, a region in its block (with the locals declared
// there: the region is freed after them and holds nothing with a destructor, §5.3), a
// parameter's target in the frame scope of its function. Location `t` outlives location
// `d` when t is static, t is d, or d is a local, temp or region and t's scope encloses (or
// is) d's. The caller's memory (param, regionparam, static) outlives everything of the
// function, but parameters are unrelated to each other and to what the function owns, so
// nothing but a parameter's own data may be stored into its memory (spec §5.2).
//
// Values. A variable's points-to set is the content of its location; a region's or a
// parameter's location has its own content (what was stored in it; a parameter's starts
// as itself: what a parameter points to points on into the caller's memory). The analysis
// is field-insensitive (a class, Option, Vec or Box value has one set for all it holds)
// and flow-insensitive: it walks the function in rounds, every store adding to the content
// of its destinations, until a round changes nothing (sets only grow, so this ends, and
// an error seen in any round is an error of the final sets).
//   AddrOf(place)       the locations of the place's root: a local, or the targets of the
//                       pointer it is reached through; the heap content of a Box or Vec is
//                       its owner's
//   Deref(p) of *T      the contents of p's targets (a load); of a Box: p's own set
//   field, element, payload, unwrap, pop of a value: the value's set
//   call f(args)        the union of the arguments' sets (and the callee's, for a lambda):
//                       a result lives no longer than the shortest-lived argument (§5.2);
//                       a method call passes a pointer to its receiver
//   r.alloc(v)          stores v's set in r's regions; the result points into them
//   lambda              the captured variables (by reference), or for a concurrent lambda
//                       the Sync ones (shared) and the sets of the others (copied, §8)
// Stores (Let, Assign to a place, Vec push, r.alloc) check that every target outlives
// every destination and report the others instead of storing them, so one mistake gives
// one error, not one at each later copy. `return` (and a function body's value) checks
// that no target is a local, temp or region of the returning function or lambda.

import type { AnyNode } from '../../ir/lang.js';
import type { Lptr, NameRef, Node } from '../../ir/languages.js';
import { T, type Ty } from '../../ir/types.js';
import { invariant } from '../pass.js';
import type { PointerTypes } from './pointer-types.js';
import { bindsCopyingLambda, isSpawnOfLambda, spawnsCopyOf } from '../desugar-lambdas.js';

type N<K extends string> = Node<typeof Lptr, K>;
type Expr = AnyNode & { readonly ty: Ty };
type Targets = ReadonlySet<number>;

export type LocKind = 'static' | 'local' | 'temp' | 'region' | 'param' | 'regionparam';

export interface Loc {
  readonly kind: LocKind;
  /** the variable, region or parameter name, for messages */
  readonly name: string;
  /** the scope it lives in (set again, to the same value, on every round) */
  scope: number;
  /** a local that is a parameter's copy (its address dies with the call) */
  readonly paramCopy: boolean;
  /** the order of declaration in the function (set again on every round) */
  order: number;
  /** a local whose drop may use the pointers it holds (a Thread, a Drop class) */
  dropUsesPointers: boolean;
}

/** What the analysis reports; check-escapes turns these into diagnostics. */
export interface EscapeReporter {
  /** `site` returns (`value`: the returned expression) something pointing into `target`, owned by the returning frame */
  escapesByReturn(site: AnyNode, value: Expr, target: Loc, fromLambda: boolean): void;
  /** a concurrent lambda returns (at `site`) something pointing into its own copy of captured variable `copied` */
  escapesCopyByReturn(site: AnyNode, value: Expr, copied: Loc): void;
  /**
   * `site` stores `value`, which points into `target`, into `dest`, which `target` does not
   * outlive; `droppedFirst` when both are in one block and `target` is dropped before `dest`
   * (whose drop may use the pointer)
   */
  escapesByStore(site: AnyNode, value: Expr, target: Loc, dest: Loc, droppedFirst: boolean): void;
}

export interface FunctionToAnalyze {
  readonly params: readonly N<'Param'>[];
  readonly body: N<'Block'>;
  /** a method's `this` (binding id 0), a pointer to the receiver, or null */
  readonly thisTy: Ty | null;
}

interface Frame {
  readonly index: number;
  readonly scope: number;
  readonly lambda: boolean;
  /** ids of variables declared outside this lambda that it uses */
  readonly captures: Set<number>;
  /** its bindings to lambdas that copy (a `spawn` of one copies the record to the heap) */
  readonly copied: Map<number, N<'Lambda'>>;
  /** a concurrent lambda, which copies the non-Sync variables it captures */
  copies: boolean;
}

const EMPTY: Targets = new Set();
const STATIC = 0;
const ONLY_STATIC: Targets = new Set([STATIC]);

function union(a: Targets, b: Targets): Targets {
  if (a.size === 0 || a === b) return b;
  if (b.size === 0) return a;
  const out = new Set(a);
  for (const t of b) out.add(t);
  return out;
}

/** The expression whose value a block (or a lambda's expression body) yields, for spans. */
function valueSite(body: Expr): Expr {
  return body.kind === 'Block' && (body as N<'Block'>).tail ? (body as N<'Block'>).tail as Expr : body;
}

export class FunctionPointsTo {
  readonly locs: Loc[] = [{ kind: 'static', name: 'a static', scope: 0, paramCopy: false, order: 0, dropUsesPointers: false }];
  private readonly content: Set<number>[] = [new Set()];
  private readonly varLoc = new Map<number, number>();
  private readonly varTy = new Map<number, Ty>();
  private readonly regionLoc = new Map<number, number>();
  private readonly paramLoc = new Map<string, number>();
  private readonly tempLoc = new Map<AnyNode, number>();
  /** lambdas given directly to `spawn` (desugar-lambdas puts their environment on the heap) */
  private readonly threadOwnedEnvs = new Set<AnyNode>();
  /** the sets of the recorded nodes, from the last round */
  readonly recorded = new Map<AnyNode, Targets>();

  // scopes and frames, rebuilt identically on every round
  private parent: number[] = [];
  private depth: number[] = [];
  private current = -1;
  private frames: Frame[] = [];
  private frameCount = 0;
  private declCount = 0;
  private changed = false;

  constructor(
    private readonly types: PointerTypes,
    private readonly reporter: EscapeReporter | null,
    private readonly record: ReadonlySet<AnyNode> | null = null,
  ) {}

  /** Runs rounds over the function until the points-to sets are stable. */
  analyze(fn: FunctionToAnalyze): void {
    do {
      this.changed = false;
      this.parent = [];
      this.depth = [];
      this.frameCount = 0;
      this.declCount = 0;
      this.current = -1;
      this.current = this.newScope();
      this.round(fn);
    } while (this.changed);
  }

  private round(fn: FunctionToAnalyze): void {
    const frame = this.enterFrame(false);
    if (fn.thisTy) this.declareParam(0, 'this', fn.thisTy, frame, 'this');
    fn.params.forEach((p, i) => this.declareParam(p.id, p.name, p.ty, frame, String(i)));
    const value = this.block(fn.body);
    if (fn.body.tail) this.returned(value, fn.body.tail, fn.body.tail, frame);
    this.exitFrame();
  }

  // ------------------------------------------------------------ scopes, frames, locations
  private newScope(): number {
    const id = this.parent.length;
    this.parent.push(this.current);
    this.depth.push(this.current < 0 ? 0 : this.depth[this.current] + 1);
    return id;
  }

  /** Whether scope `outer` is `inner` or encloses it. */
  private encloses(outer: number, inner: number): boolean {
    // targets only reach values declared inside their scope, so both scopes exist by now
    invariant(outer < this.depth.length && inner < this.depth.length, 'scopes are compared after they are entered');
    const d = this.depth[outer];
    while (this.depth[inner] > d) inner = this.parent[inner];
    return inner === outer;
  }

  private enterFrame(lambda: boolean): Frame {
    this.current = this.newScope();
    const frame: Frame = { index: this.frameCount++, scope: this.current, lambda, captures: new Set(), copied: new Map(), copies: false };
    this.frames.push(frame);
    return frame;
  }

  private exitFrame(): void {
    const frame = this.frames.pop()!;
    this.current = this.parent[frame.scope];
  }

  private newLoc(kind: LocKind, name: string, paramCopy = false): number {
    this.locs.push({ kind, name, scope: this.current, paramCopy, order: 0, dropUsesPointers: false });
    this.content.push(new Set());
    return this.locs.length - 1;
  }

  /** Puts a location in the current scope, declared after everything walked so far. */
  private placeHere(loc: number): void {
    this.locs[loc].scope = this.current;
    this.locs[loc].order = ++this.declCount;
  }

  private declareVar(id: number, name: string, ty: Ty, paramCopy = false): number {
    let loc = this.varLoc.get(id);
    if (loc === undefined) {
      loc = this.newLoc('local', name, paramCopy);
      this.varLoc.set(id, loc);
    }
    this.placeHere(loc);
    this.locs[loc].dropUsesPointers = this.types.dropMayUsePointers(ty);
    this.varTy.set(id, ty);
    return loc;
  }

  private declareParam(id: number, name: string, ty: Ty, frame: Frame, key: string): void {
    const loc = this.declareVar(id, name, ty, true);
    if (!this.types.holdsPointers(ty)) return;
    const k = `${frame.index}:${key}`;
    let target = this.paramLoc.get(k);
    if (target === undefined) {
      target = this.newLoc(ty.k === 'region' ? 'regionparam' : 'param', name);
      this.paramLoc.set(k, target);
      // what a parameter points to points on into the caller's memory
      this.content[target].add(target);
    }
    this.locs[target].scope = frame.scope;
    this.add(loc, target);
  }

  private locOfVar(id: number, at: AnyNode): number {
    const loc = this.varLoc.get(id);
    invariant(loc !== undefined, `local ${id} is declared before it is used`, at);
    return loc;
  }

  /** Notes a use of variable `id` inside lambdas declared after it (their captures). */
  private noteUse(id: number, loc: number): void {
    const scope = this.locs[loc].scope;
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i];
      if (!f.lambda || this.encloses(f.scope, scope)) return;
      f.captures.add(id);
    }
  }

  private add(loc: number, target: number): void {
    const c = this.content[loc];
    if (!c.has(target)) { c.add(target); this.changed = true; }
  }

  // ------------------------------------------------------------ stores and returns
  private outlives(target: number, dest: number): boolean {
    if (target === dest || target === STATIC) return true;
    const d = this.locs[dest];
    if (d.kind === 'static' || d.kind === 'param' || d.kind === 'regionparam') return false;
    const t = this.locs[target];
    // in one block, later declarations are dropped first: that matters only to a drop that uses pointers
    if (t.scope === d.scope) return !d.dropUsesPointers || t.order < d.order;
    return this.encloses(t.scope, d.scope);
  }

  /** Stores a value (`value`, whose set is `src`) into the locations `dests`. */
  private store(src: Targets, dests: Iterable<number>, value: Expr, site: AnyNode): void {
    if (src.size === 0) return;
    for (const d of dests) {
      for (const t of src) {
        if (this.outlives(t, d)) this.add(d, t);
        else if (this.reporter) {
          const target = this.locs[t];
          const dest = this.locs[d];
          this.reporter.escapesByStore(site, value, target, dest, target.scope === dest.scope && dest.kind !== 'static');
        }
      }
    }
  }

  /** `value` (whose set is `src`) leaves `frame` at `site`: nothing the frame owns may be in it. */
  private returned(src: Targets, value: Expr, site: AnyNode, frame: Frame): void {
    for (const t of src) {
      const loc = this.locs[t];
      if ((loc.kind === 'local' || loc.kind === 'temp' || loc.kind === 'region') && this.encloses(frame.scope, loc.scope)) {
        this.reporter?.escapesByReturn(site, value, loc, frame.lambda);
      }
    }
    // a concurrent lambda's copies die with it (with its thread)
    if (frame.copies && src.size > 0) {
      for (const id of frame.captures) {
        const loc = this.varLoc.get(id)!;
        if (src.has(loc) && !this.types.isSync(this.varTy.get(id)!)) this.reporter?.escapesCopyByReturn(site, value, this.locs[loc]);
      }
    }
  }

  // ------------------------------------------------------------ statements
  private block(b: N<'Block'>, onEnter?: () => void): Targets {
    const saved = this.current;
    this.current = this.newScope();
    onEnter?.();
    for (const s of b.stmts) this.stmt(s);
    const value = b.tail ? this.expr(b.tail) : EMPTY;
    this.current = saved;
    return value;
  }

  private stmt(s: N<'Let'> | AnyNode): void {
    switch (s.kind) {
      case 'Let': {
        const l = s as N<'Let'>;
        const value = this.expr(l.init);
        const loc = this.declareVar(l.id, l.name, l.ty);
        this.store(value, [loc], l.init, l);
        if (bindsCopyingLambda(l, (t) => this.types.isSync(t))) this.frames[this.frames.length - 1].copied.set(l.id, l.init);
        return;
      }
      case 'Assign': {
        const a = s as N<'Assign'>;
        const value = this.expr(a.value);
        this.store(value, this.place(a.target, true), a.value, a);
        return;
      }
      case 'ExprStmt': this.expr((s as N<'ExprStmt'>).expr); return;
      case 'While': {
        const w = s as N<'While'>;
        this.expr(w.cond);
        this.block(w.body);
        return;
      }
      case 'Loop': this.block((s as N<'Loop'>).body); return;
      case 'Delete': this.expr((s as N<'Delete'>).target); return;
      case 'RegionStmt': {
        const r = s as N<'RegionStmt'>;
        if (r.capacity) this.expr(r.capacity);
        this.block(r.body, () => {
          let region = this.regionLoc.get(r.id);
          if (region === undefined) {
            region = this.newLoc('region', r.name);
            this.regionLoc.set(r.id, region);
          }
          this.placeHere(region);
          this.add(this.declareVar(r.id, r.name, T.region), region);
        });
        return;
      }
      default:
        invariant(false, `a statement of Lptr, not ${s.kind}`, s);
    }
  }

  // ------------------------------------------------------------ places
  /**
   * The locations the storage of place `p` belongs to. For a store (`forStore`) a
   * non-place has none; otherwise it is a temporary of the current block.
   */
  private place(p: AnyNode, forStore: boolean): Targets {
    switch (p.kind) {
      case 'Name': {
        const ref = p.ref as NameRef;
        if (ref.k === 'local') {
          const loc = this.locOfVar(ref.id, p);
          this.noteUse(ref.id, loc);
          return new Set([loc]);
        }
        if (ref.k === 'global') return ONLY_STATIC;
        break;
      }
      case 'Field': {
        const f = p as N<'Field'>;
        // `g.value` of a Guard is the mutex's value: reached through the guard
        return f.object.ty.k === 'guard' ? this.expr(f.object) : this.place(f.object, forStore);
      }
      case 'Index': {
        const ix = p as N<'Index'>;
        this.expr(ix.index);
        return this.place(ix.object, forStore);
      }
      case 'Deref': {
        const d = p as N<'Deref'>;
        // a Box's value belongs to whoever holds the Box; a pointer's target to the pointer's targets
        return d.ptr.ty.k === 'box' ? this.place(d.ptr, forStore) : this.expr(d.ptr);
      }
    }
    const value = this.expr(p as Expr);
    if (forStore) return EMPTY;
    let tmp = this.tempLoc.get(p);
    if (tmp === undefined) {
      tmp = this.newLoc('temp', 'a temporary');
      this.tempLoc.set(p, tmp);
    }
    this.placeHere(tmp);
    // A temporary that needs drop is dropped at the end of its statement (§5.3): it gets a
    // scope of its own, inside the block, that no variable is declared in.
    if (this.types.needsDrop((p as Expr).ty)) this.locs[tmp].scope = this.newScope();
    for (const t of value) this.add(tmp, t);
    return new Set([tmp]);
  }

  private load(ptrs: Targets): Targets {
    let out = EMPTY;
    for (const l of ptrs) out = union(out, this.content[l]);
    return out;
  }

  // ------------------------------------------------------------ expressions
  private expr(e: Expr): Targets {
    const value = this.exprTargets(e);
    if (this.record?.has(e)) this.recorded.set(e, value);
    return value;
  }

  private exprTargets(e: Expr): Targets {
    const holds = this.types.holdsPointers(e.ty);
    switch (e.kind) {
      case 'IntLit': case 'FloatLit': case 'StrLit': case 'BoolLit': case 'Path': case 'Break': case 'Continue':
        return EMPTY;
      case 'Name': {
        const ref = (e as N<'Name'>).ref as NameRef;
        if (ref.k !== 'local') return EMPTY;
        const loc = this.locOfVar(ref.id, e);
        this.noteUse(ref.id, loc);
        return holds ? this.content[loc] : EMPTY;
      }
      case 'Unary': this.expr((e as N<'Unary'>).operand); return EMPTY;
      case 'Binary': {
        const b = e as N<'Binary'>;
        const l = this.expr(b.left);
        const r = this.expr(b.right);
        // pointer arithmetic stays inside the pointer's target
        return e.ty.k === 'ptr' ? union(l, r) : EMPTY;
      }
      case 'Cast': {
        const c = e as N<'Cast'>;
        const v = this.expr(c.expr);
        // an integer cast to a pointer is the programmer's responsibility (spec §9)
        return holds && c.expr.ty.k !== 'int' ? v : EMPTY;
      }
      case 'Field': {
        const f = e as N<'Field'>;
        const o = this.expr(f.object);
        if (!holds) return EMPTY;
        return f.object.ty.k === 'guard' ? this.load(o) : o;
      }
      case 'Index': {
        const ix = e as N<'Index'>;
        const o = this.expr(ix.object);
        this.expr(ix.index);
        return holds ? o : EMPTY;
      }
      case 'Call': return this.call(e as N<'Call'>, holds);
      case 'MethodCall': return this.methodCall(e as N<'MethodCall'>, holds);
      case 'StructLit': {
        let out = EMPTY;
        for (const f of (e as N<'StructLit'>).fields) out = union(out, this.expr(f.value));
        return holds ? out : EMPTY;
      }
      case 'ArrayLit': {
        let out = EMPTY;
        for (const x of (e as N<'ArrayLit'>).elems) out = union(out, this.expr(x));
        return holds ? out : EMPTY;
      }
      case 'ArrayRepeat': {
        const v = this.expr((e as N<'ArrayRepeat'>).value);
        return holds ? v : EMPTY;
      }
      case 'Lambda': return this.lambda(e as N<'Lambda'>);
      case 'If': {
        const i = e as N<'If'>;
        this.expr(i.cond);
        const t = this.block(i.then);
        const f = i.else ? this.expr(i.else) : EMPTY;
        return holds ? union(t, f) : EMPTY;
      }
      case 'Block': {
        const v = this.block(e as N<'Block'>);
        return holds ? v : EMPTY;
      }
      case 'Unsafe': {
        const v = this.block((e as N<'Unsafe'>).body);
        return holds ? v : EMPTY;
      }
      case 'Return': {
        const r = e as N<'Return'>;
        if (r.value) this.returned(this.expr(r.value), r.value, r, this.frames[this.frames.length - 1]);
        return EMPTY;
      }
      case 'OptIsSome': this.expr((e as N<'OptIsSome'>).value); return EMPTY;
      case 'OptPayload': {
        const v = this.expr((e as N<'OptPayload'>).value);
        return holds ? v : EMPTY;
      }
      case 'AddrOf': return this.place((e as N<'AddrOf'>).place, false);
      case 'Deref': {
        const d = e as N<'Deref'>;
        const p = this.expr(d.ptr);
        if (!holds) return EMPTY;
        return d.ptr.ty.k === 'box' ? p : this.load(p);
      }
    }
    invariant(false, `an expression of Lptr, not ${e.kind}`, e);
  }

  private call(c: N<'Call'>, holds: boolean): Targets {
    // a lambda given straight to `spawn` has its environment on the heap, owned by the thread
    if (isSpawnOfLambda(c)) this.threadOwnedEnvs.add(c.args[0]);
    const callee = this.expr(c.callee);
    let out = callee;
    for (const a of c.args) out = union(out, this.expr(a));
    // `spawn(g)` of a lambda that copies: the thread gets a copy of g's record (not g's own)
    const copied = spawnsCopyOf(c, this.frames[this.frames.length - 1].copied);
    const record = copied && this.tempLoc.get(copied);
    if (record !== undefined && out.has(record)) out = new Set([...out].filter((t) => t !== record));
    const ref = c.callee.kind === 'Name' ? (c.callee as N<'Name'>).ref as NameRef : null;
    // what a foreign function returns is the programmer's responsibility (spec §9)
    if (!holds || ref?.k === 'extern') return EMPTY;
    return out;
  }

  private methodCall(m: N<'MethodCall'>, holds: boolean): Targets {
    const { object, method, args } = m;
    const k = object.ty.k;
    const argSets = args.map((a) => this.expr(a));
    if (k === 'region' && method === 'alloc') {
      const regions = this.expr(object);
      this.store(argSets[0], regions, args[0], m);
      return regions;
    }
    if (k === 'vec' && method === 'push') {
      this.store(argSets[0], this.place(object, true), args[0], m);
      return EMPTY;
    }
    // a Guard points at its mutex; a user method gets a pointer to its receiver
    const receiver = (k === 'mutex' && method === 'lock') || k === 'class' ? this.place(object, false) : this.expr(object);
    if (!holds) return EMPTY;
    let out = receiver;
    if (k === 'class') for (const s of argSets) out = union(out, s);
    return out;
  }

  private lambda(l: N<'Lambda'>): Targets {
    const frame = this.enterFrame(true);
    l.params.forEach((p, i) => this.declareParam(p.id, p.name, p.ty, frame, String(i)));
    // a concurrent lambda shares Sync variables and copies the others (spec §8)
    const copies = frame.copies = l.ty.k === 'fn' && l.ty.concurrent && !l.unsafe;
    const value = this.expr(l.body);
    this.returned(value, valueSite(l.body), valueSite(l.body), frame);
    this.exitFrame();
    if (frame.captures.size === 0) return EMPTY;
    const out = new Set<number>();
    let copied = false;
    for (const id of frame.captures) {
      const loc = this.varLoc.get(id)!;
      if (copies && !this.types.isSync(this.varTy.get(id)!)) {
        copied = true;
        for (const t of this.content[loc]) out.add(t);
      } else out.add(loc);
    }
    // the copies live in the lambda's environment record, which desugar-lambdas keeps in a
    // variable of the block creating the lambda: the lambda must not outlive that block
    if (copied && !this.threadOwnedEnvs.has(l)) out.add(this.envLoc(l));
    return out;
  }

  /** The location of a copying lambda's environment record: a temporary of the current block. */
  private envLoc(l: AnyNode): number {
    let loc = this.tempLoc.get(l);
    if (loc === undefined) {
      loc = this.newLoc('temp', 'copies of variables kept by the block that creates it');
      this.tempLoc.set(l, loc);
    }
    this.placeHere(loc);
    return loc;
  }
}
