// C names and literals for the C backend. Every identifier the generated C defines is
// drawn from one registry (`CNames`), so a Zeta name can never clash with a C keyword, a
// libc or runtime name (user names get a prefix: `z_` functions, `zg_` globals, `zs_`
// classes, `l<id>_` locals) nor with another generated name (clashes get a `_N` suffix).

import type { Ty, TyOf } from '../../ir/types.js';
import type { Lcfg, Node } from '../../ir/languages.js';

/** Letters, digits and `_` only; everything else becomes `_`. */
export function cIdent(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_');
}

/** A registry of the identifiers defined at file scope: `unique` never returns one twice. */
export class CNames {
  private readonly used = new Set<string>();
  /** Marks names the program uses as they are (extern "C" functions). */
  reserve(name: string): void { this.used.add(name); }
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** How a glue function is found again: its name, per kind and type. */
export type GlueKind = 'drop' | 'clone' | 'dropv' | 'vec_push' | 'vec_pop' | 'vec_filled' | 'vec_with_capacity' | 'vec_clear'
  | 'box_new' | 'unwrap' | 'repeat' | 'send' | 'recv' | 'spawn' | 'join' | 'mutex_new' | 'region_alloc' | 'cas' | 'parse_i64';

/**
 * One thing the emitter added to the file's state (a C name, a struct definition, a glue
 * function), as what to ask the emitter for to add it again, and the C name it got. A
 * sharded compile (tools/shards.ts) has a worker emit some functions with an emitter of
 * its own; the emitter that writes the file then redoes the worker's additions in their
 * order (ModuleEmitter.redo), which must give every one the same name. Recorded where each
 * is made, before what it makes in turn, so redoing the first remakes the rest in order.
 */
export type Made =
  | { k: 'class'; name: string; c: string }
  | { k: 'struct'; ty: Ty; c: string }
  | { k: 'define'; ty: Ty }
  | { k: 'declare'; cls: Node<typeof Lcfg, 'ClassDef'> }
  | { k: 'fn'; name: string; c: string }
  | { k: 'sig'; ty: TyOf<'fn'>; c: string }
  | { k: 'trampoline'; fn: string; closure: boolean; c: string }
  | { k: 'glue'; kind: GlueKind; ty: Ty; extra: Ty | undefined; c: string };

/**
 * A short readable name for a type, used to build the names of generated structs and
 * glue (`zt_Vec_i32`, `zdrop_Opt_Box_Node`). Pointer mutability and `concurrent` do not
 * show: they do not change the C representation or the glue.
 */
export function tyMnemonic(t: Ty): string {
  switch (t.k) {
    case 'int': case 'float': return t.name;
    case 'bool': return 'bool';
    case 'str': return 'str';
    case 'string': return 'String';
    case 'void': case 'never': return 'void';
    case 'region': return 'Region';
    case 'ptr': return `p_${tyMnemonic(t.to)}`;
    case 'array': return `arr${t.n}_${tyMnemonic(t.elem)}`;
    case 'fn': return 'fn';
    case 'class': return cIdent(t.name);
    case 'option': return `Opt_${tyMnemonic(t.of)}`;
    case 'box': return `Box_${tyMnemonic(t.of)}`;
    case 'vec': return `Vec_${tyMnemonic(t.of)}`;
    case 'thread': return `Thread_${tyMnemonic(t.of)}`;
    case 'channel': return `Channel_${tyMnemonic(t.of)}`;
    case 'mutex': return `Mutex_${tyMnemonic(t.of)}`;
    case 'atomic': return `Atomic_${tyMnemonic(t.of)}`;
    case 'guard': return `Guard_${tyMnemonic(t.of)}`;
    case 'infer': return 'infer';
  }
}

/**
 * The identity of a Zeta type for glue purposes: like `showTy`, but pointer mutability
 * and `concurrent` are erased (they change neither layout nor drop/copy behaviour).
 */
export function glueKey(t: Ty): string {
  switch (t.k) {
    case 'ptr': return `*${glueKey(t.to)}`;
    case 'array': return `[${glueKey(t.elem)};${t.n}]`;
    case 'fn': return 'fn';
    case 'class': return `class ${t.name}`;
    case 'int': case 'float': return t.name;
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
      return `${t.k}<${glueKey(t.of)}>`;
    default: return t.k;
  }
}

const SIMPLE_ESCAPES: Record<number, string> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\', 0x3f: '\\?' };

/** A C string literal holding the UTF-8 bytes of s (non-printable bytes as 3-digit octal escapes). */
export function cStringLiteral(s: string): { lit: string; len: number } {
  const bytes = Buffer.from(s, 'utf8');
  const parts: string[] = ['"'];
  for (const b of bytes) {
    const esc = SIMPLE_ESCAPES[b];
    if (esc) parts.push(esc);
    else if (b >= 0x20 && b < 0x7f) parts.push(String.fromCharCode(b));
    else parts.push('\\' + b.toString(8).padStart(3, '0'));
  }
  parts.push('"');
  return { lit: parts.join(''), len: bytes.length };
}

/** A C double (or, with `single`, float) constant for a JS number. */
export function cFloatLiteral(v: number, single: boolean): string {
  const f = single ? 'f' : '';
  if (Number.isNaN(v)) return `__builtin_nan${f}("")`;
  if (v === Infinity) return `__builtin_inf${f}()`;
  if (v === -Infinity) return `(-__builtin_inf${f}())`;
  if (Object.is(v, -0)) return `(-0.0${f})`;
  let s = String(v);
  if (!/[.e]/.test(s)) s += '.0';
  s += f;
  return v < 0 ? `(${s})` : s;
}

const INT_MIN: Record<string, string> = {
  i8: '-128', i16: '-32768', i32: '-2147483648', i64: '-9223372036854775808',
};

/** A C constant of the integer type `name` (decimal value as in Lcfg Const). */
export function cIntLiteral(value: string, name: string): string {
  if (INT_MIN[name] === value) return name === 'i32' ? 'INT32_MIN' : name === 'i64' ? 'INT64_MIN' : `(${cIntType(name)})${value}`;
  const neg = value.startsWith('-');
  let lit: string;
  switch (name) {
    case 'i32': lit = value; break;
    case 'u32': lit = `${value}u`; break;
    case 'i64': lit = `INT64_C(${value})`; break;
    case 'u64': lit = `UINT64_C(${value})`; break;
    default: return `((${cIntType(name)})${value})`;
  }
  return neg ? `(${lit})` : lit;
}

const INT_TYPES = new Map(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64'].map((n) => [n, intTypeOf(n)]));

/** The C type of the integer type `name` (`int64_t` for i64). */
export function cIntType(name: string): string {
  return INT_TYPES.get(name) ?? intTypeOf(name);
}

function intTypeOf(name: string): string {
  return `${name[0] === 'u' ? 'u' : ''}int${name.slice(1)}_t`;
}
