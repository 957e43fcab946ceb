// Type inference variables for check-types: `{k:'infer', id}` stands for a type not known
// yet (`None`, `Vec::new()`, a lambda's result, an unsuffixed literal). Unification binds
// them; at the end of each function `zonk` substitutes every binding, so no `infer` type
// leaves check-types.
//
// A variable made for an unsuffixed integer (float) literal may only become an integer
// (float) type, and becomes i32 (f64) when nothing else decides it (`defaults`), as in
// Rust: `mut j := 0; while j < v.len() { ... }` makes `j` an i64.
//
// One Inference is used per function (and per static initializer): ids restart at 0, and
// nothing with an infer variable outlives the function, because signatures are annotated.

import type { Span } from '../../ir/lang.js';
import { T, showTy, type Ty } from '../../ir/types.js';

/** What a variable may become: anything, or only an integer / float type (a literal's). */
export type VarKind = 'any' | 'int' | 'float';

export class Inference {
  private bound: (Ty | undefined)[] = [];
  private kinds: VarKind[] = [];
  /** where each variable was made, and a help note, for "cannot infer type" (two arrays: no object per variable) */
  private spans: Span[] = [];
  private helps: string[] = [];

  get count(): number { return this.bound.length; }

  reset(): void { this.bound = []; this.spans = []; this.helps = []; this.kinds = []; }

  fresh(origin: Span, help = 'add a type annotation', kind: VarKind = 'any'): Ty {
    this.bound.push(undefined);
    this.kinds.push(kind);
    this.spans.push(origin);
    this.helps.push(help);
    return { k: 'infer', id: this.bound.length - 1 };
  }

  origin(id: number): { span: Span; help: string } { return { span: this.spans[id], help: this.helps[id] }; }

  /**
   * The kind of `t` for checks: its `k`, except that an unbound literal variable counts as
   * 'int' or 'float' (it will be one).
   */
  kind(t: Ty): Ty['k'] {
    const s = this.shallow(t);
    if (s.k !== 'infer') return s.k;
    const k = this.kinds[s.id];
    return k === 'any' ? 'infer' : k;
  }

  /** Binds every unbound literal variable to its default type: i32 or f64. */
  defaults(): void {
    for (let id = 0; id < this.bound.length; id++) {
      if (this.bound[id] !== undefined) continue;
      if (this.kinds[id] === 'int') this.bound[id] = T.i32;
      else if (this.kinds[id] === 'float') this.bound[id] = T.f64;
    }
  }

  /** `t` in Zeta syntax for messages; an undecided literal shows as `{integer}` / `{float}`. */
  show(t: Ty): string {
    const z = this.zonk(t, (id) => ({ k: 'class', name: this.kinds[id] === 'int' ? '{integer}' : this.kinds[id] === 'float' ? '{float}' : '_' }));
    return showTy(z);
  }

  /** Follows bindings at the top of `t` only. */
  shallow(t: Ty): Ty {
    while (t.k === 'infer') {
      const b = this.bound[t.id];
      if (b === undefined) return t;
      t = b;
    }
    return t;
  }

  /**
   * Substitutes every bound variable in `t`; `unbound` decides what an unbound one becomes
   * (by default it stays). Returns `t` itself when nothing changed.
   */
  zonk(t: Ty, unbound?: (id: number) => Ty): Ty {
    switch (t.k) {
      case 'infer': {
        const s = this.shallow(t);
        if (s.k === 'infer') return unbound ? unbound(s.id) : s;
        return this.zonk(s, unbound);
      }
      case 'ptr': { const to = this.zonk(t.to, unbound); return to === t.to ? t : { ...t, to }; }
      case 'array': { const elem = this.zonk(t.elem, unbound); return elem === t.elem ? t : { ...t, elem }; }
      case 'fn': {
        // every call's callee has a fn type: allocate only when something changed
        let params: Ty[] | null = null;
        for (let i = 0; i < t.params.length; i++) {
          const p = this.zonk(t.params[i], unbound);
          if (params === null && p !== t.params[i]) params = t.params.slice(0, i);
          if (params !== null) params.push(p);
        }
        const ret = this.zonk(t.ret, unbound);
        return ret === t.ret && params === null ? t : { ...t, params: params ?? t.params, ret };
      }
      case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard': {
        const of = this.zonk(t.of, unbound);
        return of === t.of ? t : { ...t, of };
      }
      default: return t;
    }
  }

  private occurs(id: number, t: Ty): boolean {
    t = this.shallow(t);
    switch (t.k) {
      case 'infer': return t.id === id;
      case 'ptr': return this.occurs(id, t.to);
      case 'array': return this.occurs(id, t.elem);
      case 'fn': return t.params.some((p) => this.occurs(id, p)) || this.occurs(id, t.ret);
      case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
        return this.occurs(id, t.of);
      default: return false;
    }
  }

  /**
   * Makes `a` and `b` the same type, binding variables; false when they cannot be.
   * `never` is also the type given to erroneous expressions, so it unifies with anything
   * (without binding), which keeps one error from causing others.
   */
  unify(a: Ty, b: Ty): boolean {
    a = this.shallow(a);
    b = this.shallow(b);
    if (a === b) return true;
    if (a.k === 'never' || b.k === 'never') return true;
    if (a.k === 'infer') return this.bind(a.id, b);
    if (b.k === 'infer') return this.bind(b.id, a);
    if (a.k !== b.k) return false;
    switch (a.k) {
      case 'int': case 'float': return a.name === (b as typeof a).name;
      case 'class': return a.name === (b as typeof a).name;
      case 'ptr': { const p = b as typeof a; return a.mut === p.mut && this.unify(a.to, p.to); }
      case 'array': { const r = b as typeof a; return a.n === r.n && this.unify(a.elem, r.elem); }
      case 'fn': {
        const f = b as typeof a;
        return a.concurrent === f.concurrent && a.params.length === f.params.length &&
          a.params.every((p, i) => this.unify(p, f.params[i])) && this.unify(a.ret, f.ret);
      }
      case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
        return this.unify(a.of, (b as typeof a).of);
      default: return true;
    }
  }

  /** Binds unbound variable `id` to `t` (already shallow), respecting literal kinds. */
  private bind(id: number, t: Ty): boolean {
    if (t.k === 'infer' && t.id === id) return true;
    const kind = this.kinds[id];
    if (t.k === 'infer') {
      const other = this.kinds[t.id];
      // the more constrained variable survives
      if (kind !== 'any' && other === 'any') { this.bound[t.id] = { k: 'infer', id }; return true; }
      if (kind !== 'any' && other !== kind) return false;
      this.bound[id] = t;
      return true;
    }
    if (kind === 'int' && t.k !== 'int') return false;
    if (kind === 'float' && t.k !== 'float') return false;
    if (this.occurs(id, t)) return false;
    this.bound[id] = t;
    return true;
  }

  /**
   * Whether a value of type `from` may be used where `to` is expected, unifying as needed.
   * Beyond equality: `never` fits anywhere; `*mut T` coerces to `*T` (spec §2), also inside
   * `Option` (so `Some(p)` with `p: *mut T` is an `Option<*T>`); a `concurrent fn` is a `fn`.
   */
  coercible(from: Ty, to: Ty): boolean {
    from = this.shallow(from);
    to = this.shallow(to);
    if (from.k === 'never' || to.k === 'never') return true;
    if (from.k === 'infer' || to.k === 'infer') return this.unify(from, to);
    if (from.k === 'ptr' && to.k === 'ptr') return (from.mut || !to.mut) && this.unify(from.to, to.to);
    if (from.k === 'option' && to.k === 'option') return this.coercible(from.of, to.of);
    if (from.k === 'fn' && to.k === 'fn') {
      return (from.concurrent || !to.concurrent) && from.params.length === to.params.length &&
        from.params.every((p, i) => this.unify(p, to.params[i])) && this.unify(from.ret, to.ret);
    }
    return this.unify(from, to);
  }
}
