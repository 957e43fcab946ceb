// Per-type glue for the C backend, generated on demand, one C function per Zeta type:
// drop glue (Lcfg contract item 16), clone glue (the deep copy of a `Copy` operand, item 8)
// and small typed helpers for built-ins (Vec push/pop, Box::new, unwrap, channel send/recv,
// spawn thunks, ...). Helpers are `static inline`, so the C compiler inlines them and the
// result is as fast as hand-written C while function bodies stay short and readable.
//
// Every glue function is declared in `protos` before any function body and defined in
// `defs`, so glue for recursive types (a class holding an Option<Box<Self>>) may call itself.

import type { Ty, TyOf, Generic } from '../../ir/types.js';

/** Option, Box, Vec, Atomic, ...: a type with one type argument. */
type GenericTy = TyOf<Generic>;
import { InternalError } from '../../passes/pass.js';
import { CTypes, fieldName, isNullableOption } from './ctypes.js';
import { CNames, glueKey, tyMnemonic, type GlueKind, type Made } from './names.js';


export class Glue {
  readonly protos: string[] = [];
  readonly defs: string[] = [];
  private readonly fns = new Map<string, string>();
  private readonly dropMemo = new Map<string, boolean>();
  private readonly cloneMemo = new Map<string, boolean>();

  constructor(
    private readonly types: CTypes,
    private readonly names: CNames,
    /** the C name of a Zeta function (for class drop functions) */
    private readonly fnName: (zetaName: string) => string,
    /** where what is added to the file is recorded (see Made) */
    private readonly made: Made[],
  ) {}

  // ---------------------------------------------------------------- predicates

  /** spec §5.3 "needs drop" (Atomic and fn values need none). */
  needsDrop(t: Ty): boolean {
    switch (t.k) {
      case 'string': case 'vec': case 'box': case 'thread': case 'guard': case 'channel': case 'mutex': return true;
      case 'option': return this.needsDrop(t.of);
      case 'array': return t.n > 0 && this.needsDrop(t.elem);
      case 'class': {
        const key = t.name;
        const hit = this.dropMemo.get(key);
        if (hit !== undefined) return hit;
        this.dropMemo.set(key, false); // a class cannot hold itself by value; this only stops runaway recursion
        const def = this.types.classDef(t.name);
        const r = def.dropFn !== null || def.fields.some((f) => this.needsDrop(f.ty));
        this.dropMemo.set(key, r);
        return r;
      }
      default: return false;
    }
  }

  /** Whether copying the value takes more than copying its bits (deep copy, refcount, atomic load). */
  needsClone(t: Ty): boolean {
    switch (t.k) {
      case 'string': case 'vec': case 'box': case 'thread': case 'guard': case 'channel': case 'mutex': case 'atomic': return true;
      case 'option': return this.needsClone(t.of);
      case 'array': return t.n > 0 && this.needsClone(t.elem);
      case 'class': {
        const hit = this.cloneMemo.get(t.name);
        if (hit !== undefined) return hit;
        this.cloneMemo.set(t.name, false);
        const r = this.types.classDef(t.name).fields.some((f) => this.needsClone(f.ty));
        this.cloneMemo.set(t.name, r);
        return r;
      }
      default: return false;
    }
  }

  // ---------------------------------------------------------------- drop and clone

  /** `void NAME(T* p)`: runs p's drop glue. Only for types that need drop. */
  drop(t: Ty): string {
    switch (t.k) {
      case 'string': return 'zrt_string_free';
    }
    return this.get('drop', t, 'zdrop', (name) => {
      const T = this.types.c(t);
      const body: string[] = [];
      switch (t.k) {
        case 'vec':
          if (this.needsDrop(t.of)) body.push(`for (int64_t i = 0; i < p->len; i++) ${this.drop(t.of)}(&p->ptr[i]);`);
          body.push('zrt_free(p->ptr);');
          break;
        case 'box':
          if (this.needsDrop(t.of)) body.push(`${this.drop(t.of)}(*p);`);
          body.push('zrt_free(*p);');
          break;
        case 'option':
          body.push(isNullableOption(t) ? `if (*p) ${this.drop(t.of)}(p);` : `if (p->some) ${this.drop(t.of)}(&p->val);`);
          break;
        case 'array':
          body.push(`for (int64_t i = 0; i < ${t.n}; i++) ${this.drop(t.elem)}(&p->a[i]);`);
          break;
        case 'class': {
          const def = this.types.classDef(t.name);
          if (def.dropFn) body.push(`${this.fnName(def.dropFn)}(p);`);
          for (const f of def.fields) if (this.needsDrop(f.ty)) body.push(`${this.drop(f.ty)}(&p->${fieldName(f.name)});`);
          break;
        }
        case 'thread': body.push('zrt_thread_release(*p);'); break;
        case 'channel': body.push('zrt_channel_release(*p);'); break;
        case 'guard': body.push('zrt_mutex_unlock(*p);'); break;
        case 'mutex':
          if (this.needsDrop(t.of)) body.push(`${this.drop(t.of)}((${this.types.c(t.of)}*)zrt_mutex_value(*p));`);
          body.push('zrt_mutex_free(*p);');
          break;
        default: throw new InternalError(`C backend: no drop glue for ${t.k}`);
      }
      return this.fn(`static void ${name}(${T}* p)`, body, `drop glue for ${glueKey(t)}`);
    });
  }

  /** `void NAME(void* p)`: drop glue with the signature runtime callbacks use, or NULL. */
  dropCallback(t: Ty): string {
    if (!this.needsDrop(t)) return 'NULL';
    return this.get('dropv', t, 'zdropv', (name) =>
      this.fn(`static void ${name}(void* p)`, [`${this.drop(t)}((${this.types.c(t)}*)p);`]));
  }

  /** `T NAME(T* p)`: a copy of *p that owns new heap memory. Only for types that need clone. */
  clone(t: Ty): string {
    if (t.k === 'string') return 'zrt_string_copy';
    if (t.k === 'guard') throw new InternalError('C backend: a Guard cannot be copied');
    return this.get('clone', t, 'zclone', (name) => {
      const T = this.types.c(t);
      const body: string[] = [];
      switch (t.k) {
        case 'vec': {
          const E = this.types.c(t.of);
          body.push(`${T} r = { (${E}*)zrt_alloc_array(p->len, sizeof(${E})), p->len, p->len };`);
          if (this.needsClone(t.of)) body.push(`for (int64_t i = 0; i < p->len; i++) r.ptr[i] = ${this.clone(t.of)}(&p->ptr[i]);`);
          else body.push(`if (p->len > 0) __builtin_memcpy(r.ptr, p->ptr, (size_t)p->len * sizeof(${E}));`);
          body.push('return r;');
          break;
        }
        case 'box': {
          const E = this.types.c(t.of);
          body.push(`${T} r = (${E}*)zrt_alloc(sizeof(${E}), _Alignof(${E}));`);
          body.push(this.needsClone(t.of) ? `*r = ${this.clone(t.of)}(*p);` : '*r = **p;');
          body.push('return r;');
          break;
        }
        case 'option':
          if (isNullableOption(t)) body.push(`return *p ? ${this.clone(t.of)}(p) : NULL;`);
          else body.push(`${T} r = *p;`, `if (p->some) r.val = ${this.clone(t.of)}(&p->val);`, 'return r;');
          break;
        case 'array':
          body.push(`${T} r;`, `for (int64_t i = 0; i < ${t.n}; i++) r.a[i] = ${this.clone(t.elem)}(&p->a[i]);`, 'return r;');
          break;
        case 'class': {
          body.push(`${T} r = *p;`);
          for (const f of this.types.classDef(t.name).fields) {
            if (this.needsClone(f.ty)) body.push(`r.${fieldName(f.name)} = ${this.clone(f.ty)}(&p->${fieldName(f.name)});`);
          }
          body.push('return r;');
          break;
        }
        case 'thread': body.push('zrt_thread_retain(*p);', 'return *p;'); break;
        case 'channel': body.push('zrt_channel_retain(*p);', 'return *p;'); break;
        case 'mutex': {
          const E = this.types.c(t.of);
          body.push(`zrt_mutex* r = zrt_mutex_new(sizeof(${E}), _Alignof(${E}));`, 'zrt_mutex_lock(*p);');
          body.push(`*(${E}*)zrt_mutex_value(r) = ${this.copyExpr(t.of, `(${E}*)zrt_mutex_value(*p)`)};`);
          body.push('zrt_mutex_unlock(*p);', 'return r;');
          break;
        }
        case 'atomic':
          body.push(`${T} r = { atomic_load_explicit(&p->v, memory_order_seq_cst) };`, 'return r;');
          break;
        default: throw new InternalError(`C backend: no clone glue for ${t.k}`);
      }
      return this.fn(`static ${T} ${name}(${T}* p)`, body, `deep copy of ${glueKey(t)}`);
    });
  }

  /** The C expression copying the T that `ptrExpr` (a T*) points to. */
  copyExpr(t: Ty, ptrExpr: string): string {
    return this.needsClone(t) ? `${this.clone(t)}(${ptrExpr})` : `*${ptrExpr}`;
  }

  /** Statement dropping the T that ptrExpr points to (empty when T needs no drop). */
  dropStmt(t: Ty, ptrExpr: string): string {
    return this.needsDrop(t) ? `${this.drop(t)}(${ptrExpr});` : '';
  }

  // ---------------------------------------------------------------- built-in helpers

  /** `void NAME(Vec<T>* v, T x)` */
  vecPush(vec: GenericTy): string {
    return this.get('vec_push', vec, 'zvec_push', (name) => {
      const V = this.types.c(vec), E = this.types.c(vec.of);
      return this.fn(`static inline void ${name}(${V}* v, ${E} x)`, [
        'if (v->len == v->cap) {',
        '  int64_t cap = zrt_grow_cap(v->cap);',
        `  v->ptr = (${E}*)zrt_realloc_array(v->ptr, cap, sizeof(${E}));`,
        '  v->cap = cap;',
        '}',
        'v->ptr[v->len++] = x;',
      ]);
    });
  }

  /** `Option<T> NAME(Vec<T>* v)` */
  vecPop(vec: GenericTy, opt: Ty): string {
    return this.get('vec_pop', vec, 'zvec_pop', (name) => {
      const V = this.types.c(vec), O = this.types.c(opt);
      const body = isNullableOption(opt)
        ? ['return v->len > 0 ? v->ptr[--v->len] : NULL;']
        : [`${O} r = { false };`, 'if (v->len > 0) { r.some = true; r.val = v->ptr[--v->len]; }', 'return r;'];
      return this.fn(`static inline ${O} ${name}(${V}* v)`, body);
    }, opt);
  }

  /** `Vec<T> NAME(int64_t n, T x)`: n copies of x (x itself is the last one). */
  vecFilled(vec: GenericTy): string {
    return this.get('vec_filled', vec, 'zvec_filled', (name) => {
      const V = this.types.c(vec), E = this.types.c(vec.of);
      const each = this.needsClone(vec.of) ? `${this.clone(vec.of)}(&x)` : 'x';
      const body = [
        `${V} r = { (${E}*)zrt_alloc_array(n, sizeof(${E})), n, n };`,
        `for (int64_t i = 0; i + 1 < n; i++) r.ptr[i] = ${each};`,
        'if (n > 0) r.ptr[n - 1] = x;',
      ];
      if (this.needsDrop(vec.of)) body.push(`else ${this.drop(vec.of)}(&x);`);
      body.push('return r;');
      return this.fn(`static ${V} ${name}(int64_t n, ${E} x)`, body);
    });
  }

  /** `Vec<T> NAME(int64_t n)` */
  vecWithCapacity(vec: GenericTy): string {
    return this.get('vec_with_capacity', vec, 'zvec_with_capacity', (name) => {
      const V = this.types.c(vec), E = this.types.c(vec.of);
      return this.fn(`static inline ${V} ${name}(int64_t n)`, [
        `${V} r = { (${E}*)zrt_alloc_array(n, sizeof(${E})), 0, n };`, 'return r;']);
    });
  }

  /** `void NAME(Vec<T>* v)`: drops the elements, length 0 */
  vecClear(vec: GenericTy): string {
    return this.get('vec_clear', vec, 'zvec_clear', (name) => {
      const V = this.types.c(vec);
      const body = this.needsDrop(vec.of) ? [`for (int64_t i = 0; i < v->len; i++) ${this.drop(vec.of)}(&v->ptr[i]);`] : [];
      body.push('v->len = 0;');
      return this.fn(`static inline void ${name}(${V}* v)`, body);
    });
  }

  /** `T* NAME(T x)`: Box::new */
  boxNew(box: GenericTy): string {
    return this.get('box_new', box, 'zbox_new', (name) => {
      const E = this.types.c(box.of);
      return this.fn(`static inline ${E}* ${name}(${E} x)`, [
        `${E}* p = (${E}*)zrt_alloc(sizeof(${E}), _Alignof(${E}));`, '*p = x;', 'return p;']);
    });
  }

  /** `T NAME(Option<T>* o)`: a copy of the payload, or panic "unwrap of None" */
  unwrap(opt: GenericTy): string {
    return this.get('unwrap', opt, 'zunwrap', (name) => {
      const O = this.types.c(opt), E = this.types.c(opt.of);
      const nullable = isNullableOption(opt);
      return this.fn(`static inline ${E} ${name}(${O}* o)`, [
        `if (${nullable ? '*o == NULL' : '!o->some'}) zrt_panic_cstr("unwrap of None");`,
        `return ${this.copyExpr(opt.of, nullable ? 'o' : '&o->val')};`,
      ]);
    });
  }

  /** `[T; N] NAME(T x)`: `[x; N]` (x itself is the last element) */
  repeat(arr: TyOf<'array'>): string {
    return this.get('repeat', arr, 'zrepeat', (name) => {
      const A = this.types.c(arr), E = this.types.c(arr.elem);
      const body: string[] = [];
      if (arr.n === 0) {
        body.push(`${A} r = { };`);
        if (this.needsDrop(arr.elem)) body.push(`${this.drop(arr.elem)}(&x);`);
      } else {
        const each = this.needsClone(arr.elem) ? `${this.clone(arr.elem)}(&x)` : 'x';
        body.push(`${A} r;`, `for (int64_t i = 0; i < ${arr.n - 1}; i++) r.a[i] = ${each};`, `r.a[${arr.n - 1}] = x;`);
      }
      body.push('return r;');
      return this.fn(`static ${A} ${name}(${E} x)`, body);
    });
  }

  /** `bool NAME(zrt_channel* c, T x)`: send; a value that could not be sent is dropped */
  channelSend(elem: Ty): string {
    return this.get('send', elem, 'zchannel_send', (name) => {
      const E = this.types.c(elem);
      const body = ['if (zrt_channel_send(c, &x)) return true;'];
      if (this.needsDrop(elem)) body.push(`${this.drop(elem)}(&x);`);
      body.push('return false;');
      return this.fn(`static inline bool ${name}(zrt_channel* c, ${E} x)`, body);
    });
  }

  /** `Option<T> NAME(zrt_channel* c)`: receive */
  channelRecv(elem: Ty, opt: Ty): string {
    return this.get('recv', elem, 'zchannel_recv', (name) => {
      const E = this.types.c(elem), O = this.types.c(opt);
      const body = isNullableOption(opt)
        ? [`${E} x = NULL;`, 'return zrt_channel_recv(c, &x) ? x : NULL;']
        : [`${O} r = { false };`, 'r.some = zrt_channel_recv(c, &r.val);', 'return r;'];
      return this.fn(`static inline ${O} ${name}(zrt_channel* c)`, body);
    }, opt);
  }

  /** `zrt_thread* NAME(zrt_fn f)`: spawn, with a thunk storing the closure's result */
  spawn(result: Ty): string {
    return this.get('spawn', result, 'zspawn', (name) => {
      const isVoid = result.k === 'void' || result.k === 'never';
      const R = isVoid ? 'void' : this.types.c(result);
      const thunk = this.names.unique(`zthunk_${tyMnemonic(result)}`);
      const call = `((${R} (*)(void*))f->code)(f->env)`;
      this.fn(`static void ${thunk}(zrt_fn* f, void* out)`, [isVoid ? `(void)out;\n  ${call};` : `*(${R}*)out = ${call};`]);
      const size = isVoid ? '0' : `sizeof(${R})`;
      const drop = isVoid ? 'NULL' : this.dropCallback(result);
      return this.fn(`static inline zrt_thread* ${name}(zrt_fn f)`, [`return zrt_spawn(${thunk}, &f, ${size}, ${drop});`]);
    });
  }

  /** `T NAME(zrt_thread** t)`: join, then a copy of the result (the thread keeps its own) */
  join(result: Ty): string {
    return this.get('join', result, 'zjoin', (name) => {
      const R = this.types.c(result);
      return this.fn(`static inline ${R} ${name}(zrt_thread** t)`, [
        `return ${this.copyExpr(result, `(${R}*)zrt_thread_join(*t)`)};`]);
    });
  }

  /** `zrt_mutex* NAME(T x)`: Mutex::new */
  mutexNew(value: Ty): string {
    return this.get('mutex_new', value, 'zmutex_new', (name) => {
      const E = this.types.c(value);
      return this.fn(`static inline zrt_mutex* ${name}(${E} x)`, [
        `zrt_mutex* m = zrt_mutex_new(sizeof(${E}), _Alignof(${E}));`, `*(${E}*)zrt_mutex_value(m) = x;`, 'return m;']);
    });
  }

  /** `T* NAME(zrt_region* r, T x)`: region alloc, NULL (None) when full */
  regionAlloc(value: Ty): string {
    return this.get('region_alloc', value, 'zregion_alloc', (name) => {
      const E = this.types.c(value);
      return this.fn(`static inline ${E}* ${name}(zrt_region* r, ${E} x)`, [
        `${E}* p = (${E}*)zrt_region_alloc(r, sizeof(${E}), _Alignof(${E}));`, 'if (p) *p = x;', 'return p;']);
    });
  }

  /** `bool NAME(Atomic<T>* a, T expected, T desired, int32_t order)` */
  compareExchange(atomic: GenericTy): string {
    return this.get('cas', atomic, 'zatomic_cas', (name) => {
      const A = this.types.c(atomic), E = this.types.c(atomic.of);
      return this.fn(`static inline bool ${name}(${A}* a, ${E} expected, ${E} desired, int32_t order)`, [
        'return atomic_compare_exchange_strong_explicit(&a->v, &expected, desired, zrt_order(order), zrt_cas_fail_order(order));']);
    });
  }

  /** `Option<i64> NAME(zrt_string* s)` */
  parseI64(opt: Ty): string {
    return this.get('parse_i64', opt, 'zparse_i64', (name) => {
      const O = this.types.c(opt);
      return this.fn(`static inline ${O} ${name}(zrt_string* s)`, [
        `${O} r = { false };`, 'r.some = zrt_string_parse_i64(s, &r.val);', 'return r;']);
    });
  }

  // ---------------------------------------------------------------- plumbing

  /** Makes the glue function a Made record describes (another emitter made it: see Made); gives its name. */
  redo(kind: GlueKind, t: Ty, extra: Ty | undefined): string {
    const g = t as GenericTy;
    switch (kind) {
      case 'drop': return this.drop(t);
      case 'clone': return this.clone(t);
      case 'dropv': return this.dropCallback(t);
      case 'vec_push': return this.vecPush(g);
      case 'vec_pop': return this.vecPop(g, extra!);
      case 'vec_filled': return this.vecFilled(g);
      case 'vec_with_capacity': return this.vecWithCapacity(g);
      case 'vec_clear': return this.vecClear(g);
      case 'box_new': return this.boxNew(g);
      case 'unwrap': return this.unwrap(g);
      case 'repeat': return this.repeat(t as TyOf<'array'>);
      case 'send': return this.channelSend(t);
      case 'recv': return this.channelRecv(t, extra!);
      case 'spawn': return this.spawn(t);
      case 'join': return this.join(t);
      case 'mutex_new': return this.mutexNew(t);
      case 'region_alloc': return this.regionAlloc(t);
      case 'cas': return this.compareExchange(g);
      case 'parse_i64': return this.parseI64(t);
    }
  }

  /** The glue function of `kind` for t (`extra`: the second type vecPop and channelRecv take), made by `make` if new. */
  private get(kind: GlueKind, t: Ty, prefix: string, make: (name: string) => void, extra?: Ty): string {
    const key = `${kind} ${glueKey(t)}`;
    let name = this.fns.get(key);
    if (name === undefined) {
      // Vec helpers are named after the element type: zvec_push_i64
      const shown = kind.startsWith('vec_') && t.k === 'vec' ? t.of : t;
      name = this.names.unique(`${prefix}_${tyMnemonic(shown)}`);
      this.made.push({ k: 'glue', kind, ty: t, extra, c: name });
      this.fns.set(key, name); // before generating, so glue for recursive types can call itself
      make(name);
    }
    return name;
  }

  /** Declares and defines a glue function; returns its name. */
  private fn(signature: string, body: string[], comment?: string): void {
    this.protos.push(`${signature};`);
    const head = comment ? `/* ${comment} */\n` : '';
    this.defs.push(`${head}${signature} {\n${body.map((l) => `  ${l}`).join('\n')}\n}`);
  }
}
