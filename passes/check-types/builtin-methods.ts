// Signatures of the built-in types' methods and constructors (spec §8, §10), for check-types.
//
// One table, read by receiver type, so adding a method is one line. Parameter types may
// mention the receiver's element type; a few arguments are checked by a rule instead of a
// type ('printable': str, String, integers, floats, bool). `mutates` marks the methods that
// need a mutable receiver place (E0011): the ones that change a Vec or String. Methods of
// the Sync types (Atomic, Channel, Mutex) and Thread.join change shared state through a
// shared receiver, as the spec's examples do (`counter.fetch_add(1)` on an immutable
// binding, `producer.join()`).

import { T, gen, ptr, type Ty } from '../../ir/types.js';

/** An argument: a type, or a rule for arguments of several types. */
export type ArgSpec = Ty | 'printable';

export interface BuiltinMethodSig {
  readonly params: readonly ArgSpec[];
  readonly ret: Ty;
  /** needs a mutable receiver place */
  readonly mutates: boolean;
  /** takes an optional last `Ordering::X` argument (atomics) */
  readonly ordering: boolean;
}

const sig = (params: readonly ArgSpec[], ret: Ty): BuiltinMethodSig => ({ params, ret, mutates: false, ordering: false });
/** a method that needs a mutable receiver */
const mutating = (params: readonly ArgSpec[], ret: Ty): BuiltinMethodSig => ({ params, ret, mutates: true, ordering: false });
/** an atomic's method: takes an optional last `Ordering::X` */
const ordered = (params: readonly ArgSpec[], ret: Ty): BuiltinMethodSig => ({ params, ret, mutates: false, ordering: true });

// the signatures that do not depend on the receiver's element type, made once
const TEST = sig([], T.bool);
const LEN = sig([], T.i64);
const PARSE_I64 = sig([], gen('option', T.i64));

/**
 * The method `name` of the (resolved) receiver type `recv`, or null when that type has no
 * such method. `fresh` makes an inference variable (for `r.alloc(v)`, generic in `v`).
 */
export function builtinMethod(recv: Ty, name: string, fresh: () => Ty): BuiltinMethodSig | null {
  switch (recv.k) {
    case 'option': {
      const t = recv.of;
      switch (name) {
        case 'is_some': case 'is_none': return TEST;
        case 'unwrap': return sig([], t);
      }
      return null;
    }
    case 'vec': {
      const t = recv.of;
      switch (name) {
        case 'push': return mutating([t], T.void);
        case 'pop': return mutating([], gen('option', t));
        case 'len': return LEN;
        case 'clear': return mutating([], T.void);
      }
      return null;
    }
    case 'string':
      switch (name) {
        case 'append': return mutating(['printable'], T.void);
        case 'len': return LEN;
        case 'parse_i64': return PARSE_I64;
      }
      return null;
    case 'str':
      // `"42".parse_i64()` too, as a Rust programmer would expect (lowered through a String)
      switch (name) {
        case 'len': return LEN;
        case 'parse_i64': return PARSE_I64;
      }
      return null;
    case 'array': return name === 'len' ? LEN : null;
    case 'region': {
      if (name !== 'alloc') return null;
      const t = fresh();
      return sig([t], gen('option', ptr(t, true)));
    }
    case 'thread': return name === 'join' ? sig([], recv.of) : null;
    case 'channel': {
      const t = recv.of;
      switch (name) {
        case 'send': return sig([t], T.bool);
        case 'recv': return sig([], gen('option', t));
        case 'close': return sig([], T.void);
      }
      return null;
    }
    case 'mutex': return name === 'lock' ? sig([], gen('guard', recv.of)) : null;
    case 'atomic': {
      const t = recv.of;
      switch (name) {
        case 'load': return ordered([], t);
        case 'store': return ordered([t], T.void);
        case 'fetch_add': case 'fetch_sub': case 'swap': return ordered([t], t);
        case 'compare_exchange': return ordered([t, t], T.bool);
      }
      return null;
    }
    default: return null;
  }
}

/** The names of the built-in methods of a type (for "did you mean" help). */
export function builtinMethodNames(recv: Ty): string[] {
  const all = ['is_some', 'is_none', 'unwrap', 'push', 'pop', 'len', 'clear', 'append', 'parse_i64', 'alloc',
    'join', 'send', 'recv', 'close', 'lock', 'load', 'store', 'fetch_add', 'fetch_sub', 'swap', 'compare_exchange'];
  return all.filter((m) => builtinMethod(recv, m, () => T.never) !== null);
}

export interface ConstructorSig {
  readonly params: readonly Ty[];
  readonly ret: Ty;
  /** the element type, when the owner is generic */
  readonly elem: Ty | null;
}

/** Built-in owners taking one type argument, by the name written in a path. */
const GENERIC_OWNERS: Readonly<Record<string, 'vec' | 'box' | 'channel' | 'mutex' | 'atomic'>> = {
  Vec: 'vec', Box: 'box', Channel: 'channel', Mutex: 'mutex', Atomic: 'atomic',
};

export const isBuiltinOwner = (owner: string): boolean => owner === 'String' || Object.hasOwn(GENERIC_OWNERS, owner);

/**
 * `Owner<elem>::member` of a built-in owner: `Vec::new`, `Box::new`, `String::from`, ...
 * `elem` is the written type argument or an inference variable. Null when there is no such
 * constructor.
 */
export function builtinConstructor(owner: string, member: string, elem: Ty): ConstructorSig | null {
  if (owner === 'String') return member === 'from' ? { params: [T.str], ret: T.string, elem: null } : null;
  const k = GENERIC_OWNERS[owner];
  if (!k) return null;
  let params: readonly Ty[];
  switch (k) {
    case 'vec':
      switch (member) {
        case 'new': params = []; break;
        case 'with_capacity': params = [T.i64]; break;
        case 'filled': params = [T.i64, elem]; break;
        default: return null;
      }
      break;
    case 'channel': if (member !== 'new') return null; params = [T.i64]; break;
    case 'box': case 'mutex': case 'atomic': if (member !== 'new') return null; params = [elem]; break;
  }
  return { params, ret: gen(k, elem), elem };
}

export const builtinConstructorNames = (owner: string): string[] =>
  ['new', 'with_capacity', 'filled', 'from'].filter((m) => builtinConstructor(owner, m, T.never) !== null);
