// Type layout for the C backend: the C type of every Zeta type, and the struct
// definitions the generated file needs, emitted in dependency order.
//
// Layout (plain C data, no boxing, no type info):
//   ints -> int8_t..uint64_t, f32/f64 -> float/double, bool -> bool,
//   str -> zrt_str {ptr, len}, String -> zrt_string {ptr, len, cap},
//   Vec<T> -> struct {T* ptr; int64_t len, cap} (one per element type),
//   Box<T>, *T, *mut T -> T*, [T; N] -> struct {T a[N]} (so it copies by value),
//   Option<T> -> struct {bool some; T val}, except a nullable pointer when T is a pointer,
//   a Box or a runtime handle, class -> struct, fn values -> zrt_fn {code, env},
//   Region/Thread/Channel/Mutex/Guard -> pointers to runtime objects, Atomic<T> -> struct {_Atomic T v}.
// `[T; 0]` (`T a[0]`) and a class without fields (`struct {}`) are zero-sized, as in the LLVM
// backend's layout: GNU C allows both (gcc and clang, silently without -pedantic), so a
// zero-sized value takes no bytes in a region and no room in a class (spec §6, DECISIONS).
//
// Structs are declared (`typedef struct X X;`) when first named and defined when a complete
// type is first needed; a definition first completes the types it holds by value, so the
// definitions come out in dependency order. Types reached only through pointers are defined
// at the end (`finish`), which lets recursive classes point at each other.

import type { Ty } from '../../ir/types.js';
import type { Lcfg, Node } from '../../ir/languages.js';
import { InternalError } from '../../passes/pass.js';
import { CNames, cIdent, cIntType, tyMnemonic, type Made } from './names.js';

type ClassDef = Node<typeof Lcfg, 'ClassDef'>;

interface StructEntry {
  readonly name: string;
  readonly ty: Ty;
  state: 'declared' | 'defining' | 'defined';
}

/** Option<T> is a nullable pointer when T's C representation is a non-null pointer. */
export function isNullableOption(t: Ty): boolean {
  if (t.k !== 'option') return false;
  switch (t.of.k) {
    case 'ptr': case 'box': case 'thread': case 'channel': case 'mutex': case 'guard': case 'region': return true;
    default: return false;
  }
}

/** The C field name of a class field. */
export const fieldName = (name: string) => `f_${cIdent(name)}`;

export class CTypes {
  /** `typedef struct X X;` lines */
  readonly forwards: string[] = [];
  /** struct definitions, in dependency order */
  readonly defs: string[] = [];
  /** every struct, in the order first named (finish defines the rest in this order) */
  private readonly structs: StructEntry[] = [];
  /**
   * The structs by what decides their layout: a class name, or the C type of the element
   * (of an Option, Vec or Atomic; `T N` for an array). The same type comes as thousands of
   * separate objects (one per expression), so looking types up by structure is cheaper than
   * memoizing per object, and builds no key string for the common cases.
   */
  private readonly byKind = {
    class: new Map<string, StructEntry>(), vec: new Map<string, StructEntry>(), array: new Map<string, StructEntry>(),
    option: new Map<string, StructEntry>(), atomic: new Map<string, StructEntry>(),
  };
  /** pointee C type -> pointer C type (`T` -> `T*`) */
  private readonly pointers = new Map<string, string>();
  private readonly classNames = new Map<string, string>();

  constructor(
    private readonly classes: Map<string, ClassDef>, private readonly names: CNames,
    /** where what is added to the file is recorded (see Made) */
    private readonly made: Made[],
  ) {}

  /** Adds a class declared after the module was read (a closure environment), and names its struct. */
  declareClass(c: ClassDef): void {
    this.made.push({ k: 'declare', cls: c });
    this.classes.set(c.name, c);
    this.className(c.name);
  }

  /** The C type of a value of type t; any struct it names is defined before the functions. */
  c(t: Ty): string {
    switch (t.k) {
      case 'int': return cIntType(t.name);
      case 'float': return t.name === 'f32' ? 'float' : 'double';
      case 'bool': return 'bool';
      case 'str': return 'zrt_str';
      case 'string': return 'zrt_string';
      case 'void': case 'never': return 'void';
      case 'region': return 'zrt_region*';
      case 'fn': return 'zrt_fn';
      case 'thread': return 'zrt_thread*';
      case 'channel': return 'zrt_channel*';
      case 'mutex': case 'guard': return 'zrt_mutex*';
      case 'ptr': return this.pointer(this.pointee(t.to));
      case 'box': return this.pointer(this.pointee(t.of));
      case 'option': return isNullableOption(t) ? this.c(t.of) : this.struct(t, true);
      case 'vec': case 'array': case 'class': case 'atomic': return this.struct(t, true);
      case 'infer': throw new InternalError('C backend: an inference variable reached the backend');
    }
  }

  /** `T*` (one string per pointee, not one per lookup) */
  private pointer(pointee: string): string {
    let p = this.pointers.get(pointee);
    if (p === undefined) this.pointers.set(pointee, p = `${pointee}*`);
    return p;
  }

  /** The C type that a pointer to t points to (struct types need not be complete here). */
  pointee(t: Ty): string {
    switch (t.k) {
      case 'void': case 'never': return 'void';
      case 'vec': case 'array': case 'class': case 'atomic': return this.struct(t, false);
      case 'option': return isNullableOption(t) ? this.pointee(t.of) : this.struct(t, false);
      default: return this.c(t);
    }
  }

  /** The name of a class's struct. */
  className(name: string): string {
    let n = this.classNames.get(name);
    if (n === undefined) {
      n = this.names.unique(`zs_${cIdent(name)}`);
      this.classNames.set(name, n);
      this.made.push({ k: 'class', name, c: n });
    }
    return n;
  }

  classDef(name: string): ClassDef {
    const c = this.classes.get(name);
    if (!c) throw new InternalError(`C backend: unknown class ${name}`);
    return c;
  }

  /** Defines every struct declared so far (types only reached through pointers). */
  finish(): void {
    // (defining one may declare more, which this loop then reaches too)
    for (let i = 0; i < this.structs.length; i++) if (this.structs[i].state === 'declared') this.define(this.structs[i]);
  }

  /** The struct of a struct type: types with the same C layout share one struct. */
  private struct(t: Ty, complete: boolean): string {
    let table: Map<string, StructEntry>, key: string;
    switch (t.k) {
      case 'class': table = this.byKind.class; key = t.name; break;
      case 'vec': table = this.byKind.vec; key = this.pointee(t.of); break;
      case 'array': table = this.byKind.array; key = `${this.c(t.elem)} ${t.n}`; break;
      case 'option': table = this.byKind.option; key = this.c(t.of); break;
      case 'atomic': table = this.byKind.atomic; key = this.c(t.of); break;
      default: throw new InternalError(`C backend: ${t.k} is not a struct type`);
    }
    let e = table.get(key);
    if (!e) {
      const name = t.k === 'class' ? this.className(t.name) : this.names.unique(`zt_${tyMnemonic(t)}`);
      e = { name, ty: t, state: 'declared' };
      this.made.push({ k: 'struct', ty: t, c: name });
      table.set(key, e);
      this.structs.push(e);
      this.forwards.push(`typedef struct ${name} ${name};`);
    }
    if (complete) {
      if (e.state === 'defining') {
        throw new InternalError(`C backend: type ${e.name} contains itself by value`);
      }
      if (e.state === 'declared') this.define(e);
    }
    return e.name;
  }

  /** The struct of a struct type t, declared (as `pointee` declares it) or also defined (`complete`). */
  structOf(t: Ty, complete: boolean): string { return this.struct(t, complete); }

  private define(e: StructEntry): void {
    this.made.push({ k: 'define', ty: e.ty });
    e.state = 'defining';
    const t = e.ty;
    let body: string[];
    let comment = '';
    switch (t.k) {
      case 'class': {
        const def = this.classDef(t.name);
        comment = ` /* class ${t.name} */`;
        body = def.fields.map((f) => `  ${this.c(f.ty)} ${fieldName(f.name)};`);
        break;
      }
      case 'vec': body = [`  ${this.pointee(t.of)}* ptr;`, '  int64_t len;', '  int64_t cap;']; break;
      case 'array': body = [`  ${this.c(t.elem)} a[${t.n}];`]; break;
      case 'option': body = ['  bool some;', `  ${this.c(t.of)} val;`]; break;
      case 'atomic': body = [`  _Atomic(${this.c(t.of)}) v;`]; break;
      default: throw new InternalError(`C backend: ${t.k} is not a struct type`);
    }
    this.defs.push(`struct ${e.name} {${comment}\n${body.join('\n')}\n};`);
    e.state = 'defined';
  }
}
