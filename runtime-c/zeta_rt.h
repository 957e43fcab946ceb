/*
 * zeta_rt.h: the C runtime linked into every Zeta program (spec §8, §10).
 *
 * Used by the C backend (backends/c, which includes this header in the generated C)
 * and by the LLVM backend (which calls the same functions). The ABI stays simple on
 * purpose: scalars, int64_t lengths, double, and pointers; no struct is passed or
 * returned by value by an out-of-line function. The `static inline` helpers at the end
 * (bounds and division checks, saturating casts, the region bump allocator, value-
 * returning wrappers) are conveniences for generated C; the LLVM backend emits the
 * same logic itself.
 *
 * The header includes only freestanding headers (stdint, stdbool, stddef, stdatomic) so
 * that a program's `extern "C"` declarations (`puts`, `malloc`, ...) never clash with
 * libc prototypes.
 *
 * Conventions:
 * - `str` is {ptr, len} and is passed as the two scalars `const uint8_t* p, int64_t len`.
 * - `String` is zrt_string {ptr, len, cap}: ptr is NULL when cap is 0. Functions take it
 *   by pointer; results come back through an `out` pointer.
 * - Every runtime check panics through zrt_panic: stdout is flushed, `panic: MSG\n` goes
 *   to stderr and the process exits with status 101 (drops do not run).
 * - Memory comes from malloc; running out of it panics ("out of memory").
 */
#ifndef ZETA_RT_H
#define ZETA_RT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#ifdef ZRT_ASAN
#include <sanitizer/asan_interface.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ZRT_COLD __attribute__((cold, noinline))
#define ZRT_LIKELY(x) __builtin_expect(!!(x), 1)
#define ZRT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define ZRT_COLD
#define ZRT_LIKELY(x) (x)
#define ZRT_UNLIKELY(x) (x)
#endif

/* ------------------------------------------------------------------ value types */

/** `str`: immutable bytes (static data for literals). */
typedef struct { const uint8_t* ptr; int64_t len; } zrt_str;
/** `String`: growable UTF-8 bytes owned by the value. */
typedef struct { uint8_t* ptr; int64_t len; int64_t cap; } zrt_string;
/** A function value: `code` is called with `env` as a hidden first argument. */
typedef struct { void (*code)(void); void* env; } zrt_fn;
/** The layout every `Vec<T>` shares ({T* ptr; int64_t len, cap}), for the generic API. */
typedef struct { void* ptr; int64_t len; int64_t cap; } zrt_vec;
/** A region (spec §6): one block, bump-allocated from `cur` up to `end`. */
typedef struct zrt_region { uintptr_t cur; uintptr_t end; void* base; int64_t cap; } zrt_region;
/** Opaque concurrency objects (spec §8); they live on the heap at a stable address. */
typedef struct zrt_thread zrt_thread;
typedef struct zrt_channel zrt_channel;
typedef struct zrt_mutex zrt_mutex;

/** A `str` literal from a C string literal (embedded NULs included). */
#define ZRT_STR(lit) ((zrt_str){ (const uint8_t*)(lit), (int64_t)(sizeof(lit) - 1) })

/* ------------------------------------------------------------------ process */

/** Records the program arguments and sets up stdout buffering; call first. */
void zrt_init(int argc, char** argv);
/** Flushes stdout. */
void zrt_flush(void);
/** Prints `panic: MSG` on stderr (after flushing stdout) and exits with status 101. */
_Noreturn void zrt_panic(const uint8_t* msg, int64_t len);
/** zrt_panic with a NUL-terminated message. */
_Noreturn void zrt_panic_cstr(const char* msg);
/** Panics "index out of bounds: the len is LEN but the index is I". */
_Noreturn void zrt_panic_index(int64_t index, int64_t len);
_Noreturn void zrt_panic_index_u(uint64_t index, int64_t len);
/** Flushes stdout and exits with the status. */
_Noreturn void zrt_exit(int32_t code);
/** Control reached a point the compiler proved unreachable (a compiler bug). */
_Noreturn void zrt_unreachable(void);
/** Number of program arguments after the program name. */
int64_t zrt_arg_count(void);
/** The i-th argument after the program name as a new String (panics out of range). */
void zrt_arg(zrt_string* out, int64_t i);

/* ------------------------------------------------------------------ printing (spec §10) */

void zrt_print_i64(int64_t v);
void zrt_print_u64(uint64_t v);
void zrt_print_f64(double v);
void zrt_print_f32(float v);
void zrt_print_bool(bool v);
void zrt_print_str(const uint8_t* p, int64_t len);
void zrt_print_string(const zrt_string* s);
void zrt_println_i64(int64_t v);
void zrt_println_u64(uint64_t v);
void zrt_println_f64(double v);
void zrt_println_f32(float v);
void zrt_println_bool(bool v);
void zrt_println_str(const uint8_t* p, int64_t len);
void zrt_println_string(const zrt_string* s);
/** Prints x with exactly `digits` decimals (printf "%.*f"; negative digits count as 0). */
void zrt_print_fixed(double x, int32_t digits);
/**
 * Formats a float as spec §10 prints it (shortest round-trip digits, JavaScript layout,
 * `-0`, `inf`, `-inf`, `NaN`) into buf (at least ZRT_FMT_FLOAT_MAX bytes, NUL-terminated);
 * returns the length.
 */
#define ZRT_FMT_FLOAT_MAX 40
int zrt_fmt_f64(char* buf, double v);
int zrt_fmt_f32(char* buf, float v);

/* ------------------------------------------------------------------ heap */

/** malloc with alignment; panics "out of memory". */
void* zrt_alloc(int64_t size, int64_t align);
/**
 * An array of n elements (NULL for n == 0; a shared non-null base, never freed, for
 * zero-sized elements); panics "capacity overflow" for n < 0 or overflow.
 */
void* zrt_alloc_array(int64_t n, int64_t elem_size);
/** Resizes an array from zrt_alloc_array to n elements (contents kept). */
void* zrt_realloc_array(void* p, int64_t n, int64_t elem_size);
void zrt_free(void* p);
/** The capacity a full Vec grows to (doubling, at least 4). */
int64_t zrt_grow_cap(int64_t cap);

/* ------------------------------------------------------------------ Vec<T> (generic over the element size) */
/* The C backend inlines these per element type; the LLVM backend may call them. */

void zrt_vec_with_capacity(zrt_vec* v, int64_t n, int64_t elem_size);
/** Makes room for one more element (amortized doubling). */
void zrt_vec_grow(zrt_vec* v, int64_t elem_size);
/** Appends the elem_size bytes at elem. */
void zrt_vec_push(zrt_vec* v, const void* elem, int64_t elem_size);
/** Moves the last element to out and returns true, or returns false when empty. */
bool zrt_vec_pop(zrt_vec* v, void* out, int64_t elem_size);
int64_t zrt_vec_len(const zrt_vec* v);
/** Sets the length to 0 (the caller drops the elements first). */
void zrt_vec_clear(zrt_vec* v);
/** Frees the buffer (the caller drops the elements first). */
void zrt_vec_free(zrt_vec* v);

/* ------------------------------------------------------------------ String */

void zrt_string_from(zrt_string* out, const uint8_t* p, int64_t len);
void zrt_string_append_str(zrt_string* s, const uint8_t* p, int64_t len);
/** Appends t's bytes; t may be s itself. */
void zrt_string_append_string(zrt_string* s, const zrt_string* t);
void zrt_string_append_i64(zrt_string* s, int64_t v);
void zrt_string_append_u64(zrt_string* s, uint64_t v);
void zrt_string_append_f64(zrt_string* s, double v);
void zrt_string_append_f32(zrt_string* s, float v);
void zrt_string_append_bool(zrt_string* s, bool v);
int64_t zrt_string_len(const zrt_string* s);
/** Parses the whole text as a decimal i64 (optional sign); false when it is not one or overflows. */
bool zrt_string_parse_i64(const zrt_string* s, int64_t* out);
bool zrt_string_eq(const zrt_string* a, const zrt_string* b);
bool zrt_str_eq(const uint8_t* ap, int64_t alen, const uint8_t* bp, int64_t blen);
void zrt_string_clone(zrt_string* out, const zrt_string* src);
void zrt_string_free(zrt_string* s);

/* ------------------------------------------------------------------ regions (spec §6) */

/** Reserves one block of `cap` usable bytes; panics "region allocation failed" if it cannot. */
zrt_region* zrt_region_new(int64_t cap);
/** Releases the whole block (in ASan builds the block is poisoned first). */
void zrt_region_free(zrt_region* r);

/**
 * Aligned bump allocation; NULL when the block is full. `align` is a power of two. A
 * zero-sized value takes no bytes and no padding: it always fits, at the offset rounded down
 * to its alignment (still in the block: the base suits every alignment), and bumps nothing.
 */
static inline void* zrt_region_alloc(zrt_region* r, int64_t size, int64_t align) {
  uintptr_t mask = (uintptr_t)align - 1;
  if (size == 0) return (void*)(r->cur & ~mask);
  uintptr_t p = (r->cur + mask) & ~mask;
  if (ZRT_UNLIKELY(p > r->end || (uintptr_t)size > r->end - p)) return NULL;
  r->cur = p + (uintptr_t)size;
#ifdef ZRT_ASAN
  ASAN_UNPOISON_MEMORY_REGION((void*)p, (size_t)size);
#endif
  return (void*)p;
}

/* ------------------------------------------------------------------ threads, channels, mutexes (spec §8) */

/**
 * Starts a thread running `thunk(&fn, result)`, where `result` is result_size bytes owned
 * by the thread object (the thunk stores the closure's return value there). fn is copied.
 * drop_result (may be NULL) drops the stored result when the last handle is released.
 */
zrt_thread* zrt_spawn(void (*thunk)(zrt_fn* fn, void* result), const zrt_fn* fn, int64_t result_size,
                      void (*drop_result)(void*));
/** Waits for the thread (once; later joins return at once) and returns a pointer to its result. */
void* zrt_thread_join(zrt_thread* t);
/** Another handle to the same thread (a copy of a Thread value). */
void zrt_thread_retain(zrt_thread* t);
/** Drops a handle: joins the thread if nobody did; the last handle frees it. */
void zrt_thread_release(zrt_thread* t);

/**
 * A bounded channel of `cap` elements of elem_size bytes (cap < 1 counts as 1).
 * drop_elem (may be NULL) drops elements still queued when the channel is freed.
 */
zrt_channel* zrt_channel_new(int64_t cap, int64_t elem_size, void (*drop_elem)(void*));
/** Blocks while full; copies the element in and returns true, or returns false once closed. */
bool zrt_channel_send(zrt_channel* c, const void* elem);
/** Blocks while empty; moves an element to out and returns true, or false once closed and drained. */
bool zrt_channel_recv(zrt_channel* c, void* out);
void zrt_channel_close(zrt_channel* c);
void zrt_channel_retain(zrt_channel* c);
/** Drops a handle; the last one drops queued elements and frees the channel. */
void zrt_channel_release(zrt_channel* c);

/** The protected value is stored ZRT_MUTEX_VALUE_OFFSET bytes into the mutex object. */
#define ZRT_MUTEX_VALUE_OFFSET 64
/** A mutex with room for a value of `size` bytes (align <= 64); the caller stores the value. */
zrt_mutex* zrt_mutex_new(int64_t size, int64_t align);
/** Locks and returns the guard (the mutex itself). */
zrt_mutex* zrt_mutex_lock(zrt_mutex* m);
void zrt_mutex_unlock(zrt_mutex* m);
/** Frees the mutex (the caller drops the value first). */
void zrt_mutex_free(zrt_mutex* m);
static inline void* zrt_mutex_value(zrt_mutex* m) { return (void*)((char*)m + ZRT_MUTEX_VALUE_OFFSET); }

/** ir/builtins.ts ORDERING (0 Relaxed, 2 Acquire, 3 Release, 4 AcqRel, 5 SeqCst) as a C11 memory_order. */
static inline memory_order zrt_order(int32_t o) {
  switch (o) {
    case 0: return memory_order_relaxed;
    case 2: return memory_order_acquire;
    case 3: return memory_order_release;
    case 4: return memory_order_acq_rel;
    default: return memory_order_seq_cst;
  }
}
/** The ordering for a load (C11 forbids release/acq_rel loads: strengthened to seq_cst). */
static inline memory_order zrt_load_order(int32_t o) {
  return o == 0 ? memory_order_relaxed : o == 2 ? memory_order_acquire : memory_order_seq_cst;
}
/** The ordering for a store (C11 forbids acquire/acq_rel stores: strengthened to seq_cst). */
static inline memory_order zrt_store_order(int32_t o) {
  return o == 0 ? memory_order_relaxed : o == 3 ? memory_order_release : memory_order_seq_cst;
}
/** The failure ordering of a compare-exchange whose success ordering is o. */
static inline memory_order zrt_cas_fail_order(int32_t o) {
  return o == 0 || o == 3 ? memory_order_relaxed : o == 2 || o == 4 ? memory_order_acquire : memory_order_seq_cst;
}

/* ------------------------------------------------------------------ inline checks for generated C */

static inline void zrt_check_index(int64_t i, int64_t len) {
  if (ZRT_UNLIKELY((uint64_t)i >= (uint64_t)len)) zrt_panic_index(i, len);
}
static inline void zrt_check_index_u(uint64_t i, int64_t len) {
  if (ZRT_UNLIKELY(i >= (uint64_t)len)) zrt_panic_index_u(i, len);
}

_Noreturn void zrt_panic_div_zero(void);
_Noreturn void zrt_panic_overflow(void);

/* `/` and `%` (spec §4): panic on a zero divisor and on MIN / -1. */
#define ZRT_DEF_SDIV(T, N, MIN)                                                              \
  static inline T zrt_div_##N(T a, T b) {                                                    \
    if (ZRT_UNLIKELY(b == 0)) zrt_panic_div_zero();                                          \
    if (ZRT_UNLIKELY(a == (MIN) && b == -1)) zrt_panic_overflow();                           \
    return (T)(a / b);                                                                        \
  }                                                                                           \
  static inline T zrt_rem_##N(T a, T b) {                                                    \
    if (ZRT_UNLIKELY(b == 0)) zrt_panic_div_zero();                                          \
    if (ZRT_UNLIKELY(a == (MIN) && b == -1)) zrt_panic_overflow();                           \
    return (T)(a % b);                                                                        \
  }
#define ZRT_DEF_UDIV(T, N)                                                                   \
  static inline T zrt_div_##N(T a, T b) {                                                    \
    if (ZRT_UNLIKELY(b == 0)) zrt_panic_div_zero();                                          \
    return (T)(a / b);                                                                        \
  }                                                                                           \
  static inline T zrt_rem_##N(T a, T b) {                                                    \
    if (ZRT_UNLIKELY(b == 0)) zrt_panic_div_zero();                                          \
    return (T)(a % b);                                                                        \
  }
ZRT_DEF_SDIV(int8_t, i8, INT8_MIN)
ZRT_DEF_SDIV(int16_t, i16, INT16_MIN)
ZRT_DEF_SDIV(int32_t, i32, INT32_MIN)
ZRT_DEF_SDIV(int64_t, i64, INT64_MIN)
ZRT_DEF_UDIV(uint8_t, u8)
ZRT_DEF_UDIV(uint16_t, u16)
ZRT_DEF_UDIV(uint32_t, u32)
ZRT_DEF_UDIV(uint64_t, u64)

/* float -> integer `as` (spec §4): saturating, NaN -> 0. MAXP1 is 2^bits-ish, exact in double. */
#define ZRT_DEF_F2I(T, N, MIN, MAX, MAXP1)                                                   \
  static inline T zrt_f2i_##N(double x) {                                                    \
    if (x != x) return 0;                                                                    \
    if (x <= (double)(MIN)) return (MIN);                                                    \
    if (x >= (MAXP1)) return (MAX);                                                          \
    return (T)x;                                                                              \
  }
ZRT_DEF_F2I(int8_t, i8, INT8_MIN, INT8_MAX, 128.0)
ZRT_DEF_F2I(int16_t, i16, INT16_MIN, INT16_MAX, 32768.0)
ZRT_DEF_F2I(int32_t, i32, INT32_MIN, INT32_MAX, 2147483648.0)
ZRT_DEF_F2I(int64_t, i64, INT64_MIN, INT64_MAX, 9223372036854775808.0)
ZRT_DEF_F2I(uint8_t, u8, 0, UINT8_MAX, 256.0)
ZRT_DEF_F2I(uint16_t, u16, 0, UINT16_MAX, 65536.0)
ZRT_DEF_F2I(uint32_t, u32, 0, UINT32_MAX, 4294967296.0)
ZRT_DEF_F2I(uint64_t, u64, 0, UINT64_MAX, 18446744073709551616.0)

/* ------------------------------------------------------------------ value-returning wrappers for generated C */

static inline zrt_string zrt_string_new(const uint8_t* p, int64_t len) {
  zrt_string s; zrt_string_from(&s, p, len); return s;
}
static inline zrt_string zrt_string_copy(const zrt_string* src) {
  zrt_string s; zrt_string_clone(&s, src); return s;
}
static inline zrt_string zrt_arg_string(int64_t i) {
  zrt_string s; zrt_arg(&s, i); return s;
}

#endif /* ZETA_RT_H */
