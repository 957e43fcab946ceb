// Zeta types (spec §2) as plain immutable data, shared by every language.
// Types are values, not IR nodes: they are compared structurally (`tyEq`) and printed
// in source syntax (`showTy`), so dumps and diagnostics read like Zeta.

export type IntName = 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64';
export type FloatName = 'f32' | 'f64';
export type Generic = 'option' | 'box' | 'vec' | 'thread' | 'channel' | 'mutex' | 'atomic' | 'guard';

export type Ty =
  | { readonly k: 'int'; readonly name: IntName }
  | { readonly k: 'float'; readonly name: FloatName }
  | { readonly k: 'bool' }
  | { readonly k: 'str' }
  | { readonly k: 'string' }
  | { readonly k: 'void' }
  /** the type of `return`, `break`, `panic(..)`: fits anywhere */
  | { readonly k: 'never' }
  | { readonly k: 'region' }
  | { readonly k: 'ptr'; readonly mut: boolean; readonly to: Ty }
  | { readonly k: 'array'; readonly elem: Ty; readonly n: number }
  | { readonly k: Generic; readonly of: Ty }
  | { readonly k: 'fn'; readonly params: readonly Ty[]; readonly ret: Ty; readonly concurrent: boolean }
  | { readonly k: 'class'; readonly name: string }
  /** a type still to be inferred (unsuffixed literal, `None`, `Vec::new()`): only inside check-types */
  | { readonly k: 'infer'; readonly id: number };

export type TyOf<K extends Ty['k']> = Extract<Ty, { k: K }>;

const prim = <T extends Ty>(t: T): T => Object.freeze(t);
export const T = {
  i8: prim({ k: 'int', name: 'i8' } as const), i16: prim({ k: 'int', name: 'i16' } as const),
  i32: prim({ k: 'int', name: 'i32' } as const), i64: prim({ k: 'int', name: 'i64' } as const),
  u8: prim({ k: 'int', name: 'u8' } as const), u16: prim({ k: 'int', name: 'u16' } as const),
  u32: prim({ k: 'int', name: 'u32' } as const), u64: prim({ k: 'int', name: 'u64' } as const),
  f32: prim({ k: 'float', name: 'f32' } as const), f64: prim({ k: 'float', name: 'f64' } as const),
  bool: prim({ k: 'bool' } as const), str: prim({ k: 'str' } as const), string: prim({ k: 'string' } as const),
  void: prim({ k: 'void' } as const), never: prim({ k: 'never' } as const), region: prim({ k: 'region' } as const),
};
export const ptr = (to: Ty, mut = false): Ty => ({ k: 'ptr', mut, to });
export const gen = (k: Generic, of: Ty): Ty => ({ k, of });
export const arrayTy = (elem: Ty, n: number): Ty => ({ k: 'array', elem, n });
export const fnTy = (params: readonly Ty[], ret: Ty, concurrent = false): Ty => ({ k: 'fn', params, ret, concurrent });
export const classTy = (name: string): Ty => ({ k: 'class', name });

/** Whether `t`, or a type anywhere inside it, is of kind `k` (`infer`, or `never` where an unknown type was). */
export function tyHasKind(t: Ty, k: Ty['k']): boolean {
  if (t.k === k) return true;
  switch (t.k) {
    case 'ptr': return tyHasKind(t.to, k);
    case 'array': return tyHasKind(t.elem, k);
    case 'fn': return tyHasKind(t.ret, k) || t.params.some((p) => tyHasKind(p, k));
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard': return tyHasKind(t.of, k);
    default: return false;
  }
}

export const INT_NAMES: readonly IntName[] = ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64'];
export const isInt = (t: Ty): t is TyOf<'int'> => t.k === 'int';
export const isFloat = (t: Ty): t is TyOf<'float'> => t.k === 'float';
export const isNumeric = (t: Ty) => t.k === 'int' || t.k === 'float';
export const isSigned = (t: TyOf<'int'>) => t.name.startsWith('i');
export const intBits = (t: TyOf<'int'>) => Number(t.name.slice(1));

export function intRange(name: IntName): [bigint, bigint] {
  const bits = BigInt(name.slice(1));
  return name.startsWith('i') ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

export function tyEq(a: Ty, b: Ty): boolean {
  if (a === b) return true;
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'int': case 'float': return a.name === (b as typeof a).name;
    case 'ptr': return a.mut === (b as typeof a).mut && tyEq(a.to, (b as typeof a).to);
    case 'array': return a.n === (b as typeof a).n && tyEq(a.elem, (b as typeof a).elem);
    case 'fn': {
      const f = b as typeof a;
      return a.concurrent === f.concurrent && tyEq(a.ret, f.ret) && a.params.length === f.params.length &&
        a.params.every((p, i) => tyEq(p, f.params[i]));
    }
    case 'class': return a.name === (b as typeof a).name;
    case 'infer': return a.id === (b as typeof a).id;
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
      return tyEq(a.of, (b as typeof a).of);
    default: return true;
  }
}

const GENERIC_NAMES: Record<Generic, string> = {
  option: 'Option', box: 'Box', vec: 'Vec', thread: 'Thread', channel: 'Channel', mutex: 'Mutex', atomic: 'Atomic', guard: 'Guard',
};
export const GENERIC_BY_NAME: Record<string, Generic> = Object.fromEntries(
  Object.entries(GENERIC_NAMES).map(([k, v]) => [v, k as Generic]));

/** Prints a type in Zeta syntax: `*mut Vec<i32>`, `fn(i32) -> bool`. */
export function showTy(t: Ty): string {
  switch (t.k) {
    case 'int': case 'float': return t.name;
    case 'string': return 'String';
    case 'region': return 'Region';
    case 'never': return '!';
    case 'infer': return '_';
    case 'ptr': return t.mut ? `*mut ${showTy(t.to)}` : `*${showTy(t.to)}`;
    case 'array': return `[${showTy(t.elem)}; ${t.n}]`;
    case 'fn': return `${t.concurrent ? 'concurrent ' : ''}fn(${t.params.map(showTy).join(', ')}) -> ${showTy(t.ret)}`;
    case 'class': return t.name;
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
      return `${GENERIC_NAMES[t.k]}<${showTy(t.of)}>`;
    default: return t.k;
  }
}
