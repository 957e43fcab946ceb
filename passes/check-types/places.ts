// Place mutability for check-types (spec §3, §4, §5.2): may this expression be assigned,
// have a `*mut` pointer taken, or receive a `mut` method call?
//
// A place is mutable when it is a `mut` local or parameter (or a `static mut`), a field or
// element of a mutable place, the target of a `*mut` pointer, the content of a Box in a
// mutable place, or a Guard's protected value. Field access, indexing and method calls
// auto-deref through pointers, Box and Guard, and each level changes the answer the same
// way. When the answer is no, the reason picks the error: an immutable binding (E0005 /
// E0011), an immutable pointer (E0010 / E0011), or `this` in a non-`mut` method (E0013).

import type { AnyNode } from '../../ir/lang.js';
import type { NameRef } from '../../ir/languages.js';
import type { Ty } from '../../ir/types.js';

type Expr = AnyNode & { readonly ty: Ty };

export type Mutability =
  | { readonly ok: true }
  | { readonly ok: false; readonly why: 'binding'; readonly name: string; readonly param: boolean }
  | { readonly ok: false; readonly why: 'static'; readonly name: string }
  | { readonly ok: false; readonly why: 'pointer'; readonly ptrTy: Ty }
  /** through `this`, a `*Self`, in a non-`mut` method */
  | { readonly ok: false; readonly why: 'this' }
  /** not a place at all (a call result, a literal, ...) */
  | { readonly ok: false; readonly why: 'temporary' };

export interface PlaceEnv {
  shallow(t: Ty): Ty;
  local(id: number): { name: string; mut: boolean; param: boolean } | undefined;
  staticIsMut(name: string): boolean;
}

const OK: Mutability = { ok: true };

const isThis = (e: AnyNode): boolean => e.kind === 'Name' && (e.ref as NameRef).k === 'local' && (e.ref as { id: number }).id === 0;

/** Mutability of a place reached from `base` (whose own mutability is `m`) through one pointer, Box or Guard level. */
function throughLevel(m: Mutability, levelTy: Ty, base: Expr, first: boolean): Mutability {
  switch (levelTy.k) {
    case 'ptr':
      if (levelTy.mut) return OK;
      return first && isThis(base) ? { ok: false, why: 'this' } : { ok: false, why: 'pointer', ptrTy: levelTy };
    case 'guard': return OK;
    default: return m; // a Box's content is as mutable as the Box
  }
}

/**
 * Mutability of the value `object` auto-derefs to before a field, index or method applies:
 * `levels` is how many pointer/Box/Guard levels were gone through.
 */
export function derefMutability(object: Expr, levels: number, env: PlaceEnv): Mutability {
  let m = placeMutability(object, env);
  let t = env.shallow(object.ty);
  for (let i = 0; i < levels; i++) {
    m = throughLevel(m, t, object, i === 0);
    if (t.k === 'ptr') t = env.shallow(t.to);
    else if (t.k === 'box' || t.k === 'guard') t = env.shallow(t.of);
    else break;
  }
  return m;
}

/** Where auto-deref stops (made once, not a closure per node): field access, `.value` of a Guard, indexing. */
const hasFields = (x: Ty): boolean => x.k === 'class';
const hasFieldsOrGuardValue = (x: Ty): boolean => x.k === 'class' || x.k === 'guard';
export const indexable = (x: Ty): boolean => x.k === 'array' || x.k === 'vec';
/** Where a field access `_.name` stops auto-deref. */
export const fieldStop = (name: string): ((x: Ty) => boolean) => name === 'value' ? hasFieldsOrGuardValue : hasFields;

/** How many pointer/Box/Guard levels `t` auto-derefs through until `stop` holds. */
export function derefLevels(t: Ty, env: PlaceEnv, stop: (t: Ty) => boolean): { levels: number; target: Ty } {
  let levels = 0;
  t = env.shallow(t);
  while (!stop(t) && (t.k === 'ptr' || t.k === 'box' || t.k === 'guard')) {
    t = env.shallow(t.k === 'ptr' ? t.to : t.of);
    levels++;
  }
  return { levels, target: t };
}

export function placeMutability(e: Expr, env: PlaceEnv): Mutability {
  // a place of an erroneous expression: its error was reported already (a diverging
  // expression that is no place, `panic("") = 1`, is still not assignable)
  if (env.shallow(e.ty).k === 'never' && (e.kind === 'Name' || e.kind === 'Field' || e.kind === 'Index' || e.kind === 'Star')) return OK;
  switch (e.kind) {
    case 'Name': {
      const ref = e.ref as NameRef;
      if (ref.k === 'local') {
        const l = env.local(ref.id);
        if (!l || l.mut) return OK;
        return { ok: false, why: 'binding', name: l.name, param: l.param };
      }
      if (ref.k === 'global') return env.staticIsMut(ref.name) ? OK : { ok: false, why: 'static', name: ref.name };
      if (ref.k === 'unknown') return OK; // already an error
      return { ok: false, why: 'temporary' };
    }
    case 'Field': {
      const object = e.object as Expr;
      const { levels, target } = derefLevels(object.ty, env, fieldStop(e.name as string));
      // a Guard's `value` is writable like the target of a `*mut` (spec §8)
      if (target.k === 'guard') return OK;
      return derefMutability(object, levels, env);
    }
    case 'Index': {
      const object = e.object as Expr;
      const { levels } = derefLevels(object.ty, env, indexable);
      return derefMutability(object, levels, env);
    }
    case 'Star': {
      // a dereference (an address-of is not a place)
      const operand = e.operand as Expr;
      const t = env.shallow(operand.ty);
      if (e.mut) return { ok: false, why: 'temporary' };
      if (t.k === 'ptr') return throughLevel(OK, t, operand, true);
      if (t.k === 'box') return placeMutability(operand, env);
      return { ok: false, why: 'temporary' };
    }
    default:
      return { ok: false, why: 'temporary' };
  }
}
