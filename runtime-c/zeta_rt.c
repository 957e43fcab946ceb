/*
 * zeta_rt.c: the C runtime of Zeta programs (see zeta_rt.h for the API and its
 * conventions). Printing and String formatting follow spec §10; threads, channels and
 * mutexes (spec §8) are built on pthreads; regions (spec §6) are one malloc'd block each.
 */
#define _POSIX_C_SOURCE 200809L
#include "zeta_rt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ================================================================== process */

static int g_argc;
static char** g_argv;

/*
 * Allocation trace (ZETA_TRACE_ALLOC set): counts the heap blocks the runtime allocates and
 * frees for program values (String, Vec, Box, regions, threads, channels, mutexes) and
 * prints `zeta-trace: allocs=N frees=M` on stderr at exit, so tests can check that every
 * value is dropped exactly once. Off, it costs one predictable branch per call.
 */
static bool g_trace_alloc;
static atomic_int_fast64_t g_trace_allocs, g_trace_frees;

static void trace_report(void) {
  fprintf(stderr, "zeta-trace: allocs=%lld frees=%lld\n", (long long)atomic_load(&g_trace_allocs),
          (long long)atomic_load(&g_trace_frees));
}
/** Counts p (when not NULL) as one allocation; returns it. */
static inline void* traced_alloc(void* p) {
  if (g_trace_alloc && p) atomic_fetch_add_explicit(&g_trace_allocs, 1, memory_order_relaxed);
  return p;
}
/*
 * The buffer of a non-empty array of zero-sized elements (a Vec<[T; 0]>, a Vec of a class
 * without fields): no memory, but a non-null base aligned for any Zeta type, since C forbids
 * member access through a null pointer. Never allocated, never freed.
 */
static _Alignas(16) unsigned char g_zero_sized[1];

/** free(p), counted when p is not NULL; nothing for g_zero_sized. */
static inline void traced_free(void* p) {
  if (p == g_zero_sized) return;
  if (g_trace_alloc && p) atomic_fetch_add_explicit(&g_trace_frees, 1, memory_order_relaxed);
  free(p);
}

void zrt_init(int argc, char** argv) {
  g_argc = argc;
  g_argv = argv;
  if (getenv("ZETA_TRACE_ALLOC")) { g_trace_alloc = true; atexit(trace_report); }
  /* Programs print a lot of short lines: buffer fully unless a person is watching. */
  if (!isatty(STDOUT_FILENO)) setvbuf(stdout, NULL, _IOFBF, 1 << 16);
}

void zrt_flush(void) { fflush(stdout); }

_Noreturn void zrt_panic(const uint8_t* msg, int64_t len) {
  fflush(stdout);
  flockfile(stderr);
  fputs("panic: ", stderr);
  if (len > 0) fwrite(msg, 1, (size_t)len, stderr);
  fputc('\n', stderr);
  funlockfile(stderr);
  fflush(stderr);
  /* _exit: a panic runs no drops and no atexit handlers (and is safe from any thread). */
  _exit(101);
}

_Noreturn void zrt_panic_cstr(const char* msg) { zrt_panic((const uint8_t*)msg, (int64_t)strlen(msg)); }

ZRT_COLD _Noreturn void zrt_panic_index(int64_t index, int64_t len) {
  char buf[128];
  snprintf(buf, sizeof buf, "index out of bounds: the len is %" PRId64 " but the index is %" PRId64, len, index);
  zrt_panic_cstr(buf);
}

ZRT_COLD _Noreturn void zrt_panic_index_u(uint64_t index, int64_t len) {
  char buf[128];
  snprintf(buf, sizeof buf, "index out of bounds: the len is %" PRId64 " but the index is %" PRIu64, len, index);
  zrt_panic_cstr(buf);
}

ZRT_COLD _Noreturn void zrt_panic_div_zero(void) { zrt_panic_cstr("division by zero"); }
ZRT_COLD _Noreturn void zrt_panic_overflow(void) { zrt_panic_cstr("overflow"); }
ZRT_COLD _Noreturn void zrt_unreachable(void) { zrt_panic_cstr("internal error: entered unreachable code"); }

_Noreturn void zrt_exit(int32_t code) {
  fflush(stdout);
  exit(code);
}

int64_t zrt_arg_count(void) { return g_argc > 1 ? (int64_t)g_argc - 1 : 0; }

void zrt_arg(zrt_string* out, int64_t i) {
  if (i < 0 || i >= zrt_arg_count()) {
    char buf[96];
    snprintf(buf, sizeof buf, "argument index out of range: %" PRId64 " of %" PRId64, i, zrt_arg_count());
    zrt_panic_cstr(buf);
  }
  const char* a = g_argv[i + 1];
  zrt_string_from(out, (const uint8_t*)a, (int64_t)strlen(a));
}

/* ================================================================== number formatting */

static int fmt_u64(char* buf, uint64_t v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
  buf[n] = 0;
  return n;
}

static int fmt_i64(char* buf, int64_t v) {
  if (v < 0) {
    buf[0] = '-';
    return 1 + fmt_u64(buf + 1, 0u - (uint64_t)v);
  }
  return fmt_u64(buf, (uint64_t)v);
}

/*
 * Shortest round-trip digits. We look for the smallest precision p whose correctly
 * rounded p-digit decimal reads back as the same value; at a power of two the rounding
 * interval is lopsided, so the p-digit neighbour on the other side of v is tried too.
 * Produces the digits (no trailing zeros) and the decimal exponent of the first digit.
 */
typedef struct { char digits[24]; int ndigits; int exp10; } decimal_t;

/* Parses "-d.ddde[+-]xx" as printed by %e into decimal_t (sign dropped). */
static void parse_e(const char* s, decimal_t* d) {
  if (*s == '-') s++;
  d->ndigits = 0;
  for (; *s && *s != 'e'; s++) if (*s >= '0' && *s <= '9') d->digits[d->ndigits++] = *s;
  d->exp10 = atoi(s + 1);
}

static void render_e(char* out, size_t size, bool neg, const decimal_t* d) {
  char mant[32];
  int k = 0;
  mant[k++] = d->digits[0];
  if (d->ndigits > 1) {
    mant[k++] = '.';
    for (int i = 1; i < d->ndigits; i++) mant[k++] = d->digits[i];
  }
  mant[k] = 0;
  snprintf(out, size, "%s%se%d", neg ? "-" : "", mant, d->exp10);
}

/* d plus (dir = +1) or minus (dir = -1) one unit in its last digit. */
static bool step_last_digit(decimal_t* d, int dir) {
  int i = d->ndigits - 1;
  if (dir > 0) {
    while (i >= 0 && d->digits[i] == '9') d->digits[i--] = '0';
    if (i < 0) { /* 99..9 -> 100..0 */
      memmove(d->digits + 1, d->digits, (size_t)d->ndigits);
      d->digits[0] = '1';
      d->exp10 += 1;
      /* keep the digit count: the extra trailing zero is dropped later */
    } else d->digits[i]++;
  } else {
    while (i >= 0 && d->digits[i] == '0') d->digits[i--] = '9';
    if (i < 0) return false;
    d->digits[i]--;
    if (d->digits[0] == '0') { /* 100..0 -> 099..9: one digit fewer */
      if (d->ndigits == 1) return false;
      memmove(d->digits, d->digits + 1, (size_t)d->ndigits - 1);
      d->ndigits -= 1;
      d->exp10 -= 1;
    }
  }
  return true;
}

static void shortest(double v, bool single, decimal_t* out) {
  char tmp[48];
  int maxp = single ? 9 : 17;
  for (int p = 1; p <= maxp; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    double back = single ? (double)strtof(tmp, NULL) : strtod(tmp, NULL);
    parse_e(tmp, out);
    if (back == v) return;
    if (p == maxp) return; /* cannot happen: 17 (9) digits always round-trip */
    decimal_t n = *out;
    if (step_last_digit(&n, back < v ? (v < 0 ? -1 : 1) : (v < 0 ? 1 : -1))) {
      render_e(tmp, sizeof tmp, v < 0, &n);
      double back2 = single ? (double)strtof(tmp, NULL) : strtod(tmp, NULL);
      if (back2 == v) { *out = n; return; }
    }
  }
}

/* Lays out digits as JavaScript's Number.prototype.toString does (no '+' in exponents). */
static int layout_js(char* buf, bool neg, decimal_t* d) {
  while (d->ndigits > 1 && d->digits[d->ndigits - 1] == '0') d->ndigits--;
  int k = d->ndigits, n = d->exp10 + 1, len = 0;
  if (neg) buf[len++] = '-';
  if (k <= n && n <= 21) {
    for (int i = 0; i < k; i++) buf[len++] = d->digits[i];
    for (int i = k; i < n; i++) buf[len++] = '0';
  } else if (0 < n && n <= 21) {
    for (int i = 0; i < n; i++) buf[len++] = d->digits[i];
    buf[len++] = '.';
    for (int i = n; i < k; i++) buf[len++] = d->digits[i];
  } else if (-6 < n && n <= 0) {
    buf[len++] = '0';
    buf[len++] = '.';
    for (int i = 0; i < -n; i++) buf[len++] = '0';
    for (int i = 0; i < k; i++) buf[len++] = d->digits[i];
  } else {
    buf[len++] = d->digits[0];
    if (k > 1) {
      buf[len++] = '.';
      for (int i = 1; i < k; i++) buf[len++] = d->digits[i];
    }
    buf[len++] = 'e';
    len += fmt_i64(buf + len, n - 1);
  }
  buf[len] = 0;
  return len;
}

static int fmt_special(char* buf, double v) {
  const char* s = v != v ? "NaN" : isinf(v) ? (v < 0 ? "-inf" : "inf") : signbit(v) ? "-0" : "0";
  strcpy(buf, s);
  return (int)strlen(s);
}

int zrt_fmt_f64(char* buf, double v) {
  if (v != v || isinf(v) || v == 0) return fmt_special(buf, v);
  decimal_t d;
  shortest(v, false, &d);
  return layout_js(buf, v < 0, &d);
}

int zrt_fmt_f32(char* buf, float v) {
  double x = (double)v;
  if (x != x || isinf(x) || x == 0) return fmt_special(buf, x);
  decimal_t d;
  shortest(x, true, &d);
  return layout_js(buf, x < 0, &d);
}

/* ================================================================== printing */

static void out_bytes(const void* p, size_t n) {
  if (n) fwrite(p, 1, n, stdout);
}

/* One fwrite per call, so lines printed by different threads never interleave. */
#define PRINT_VIA(NAME, T, FMT)                                         \
  void zrt_print_##NAME(T v) { char b[48]; int n = FMT(b, v); out_bytes(b, (size_t)n); } \
  void zrt_println_##NAME(T v) { char b[48]; int n = FMT(b, v); b[n++] = '\n'; out_bytes(b, (size_t)n); }

static int fmt_bool(char* b, bool v) { strcpy(b, v ? "true" : "false"); return v ? 4 : 5; }

PRINT_VIA(i64, int64_t, fmt_i64)
PRINT_VIA(u64, uint64_t, fmt_u64)
PRINT_VIA(f64, double, zrt_fmt_f64)
PRINT_VIA(f32, float, zrt_fmt_f32)
PRINT_VIA(bool, bool, fmt_bool)

void zrt_print_str(const uint8_t* p, int64_t len) { if (len > 0) out_bytes(p, (size_t)len); }

void zrt_println_str(const uint8_t* p, int64_t len) {
  if (len <= 0) { putchar('\n'); return; }
  flockfile(stdout);
  fwrite(p, 1, (size_t)len, stdout);
  putc_unlocked('\n', stdout);
  funlockfile(stdout);
}

void zrt_print_string(const zrt_string* s) { zrt_print_str(s->ptr, s->len); }
void zrt_println_string(const zrt_string* s) { zrt_println_str(s->ptr, s->len); }

void zrt_print_fixed(double x, int32_t digits) {
  char b[ZRT_FMT_FLOAT_MAX];
  if (x != x || isinf(x)) { int n = fmt_special(b, x); out_bytes(b, (size_t)n); return; }
  if (digits < 0) digits = 0;
  int n = snprintf(NULL, 0, "%.*f", (int)digits, x);
  char* buf = malloc((size_t)n + 1);
  if (!buf) zrt_panic_cstr("out of memory");
  snprintf(buf, (size_t)n + 1, "%.*f", (int)digits, x);
  out_bytes(buf, (size_t)n);
  free(buf);
}

/* ================================================================== heap */

void* zrt_alloc(int64_t size, int64_t align) {
  if (size < 0) zrt_panic_cstr("capacity overflow");
  size_t n = size > 0 ? (size_t)size : 1;
  void* p;
  if (align <= 16) p = malloc(n);
  else p = aligned_alloc((size_t)align, (n + (size_t)align - 1) & ~((size_t)align - 1));
  if (!p) zrt_panic_cstr("out of memory");
  return traced_alloc(p);
}

void* zrt_alloc_array(int64_t n, int64_t elem_size) {
  if (n < 0 || (elem_size > 0 && n > INT64_MAX / elem_size)) zrt_panic_cstr("capacity overflow");
  if (n == 0) return NULL;
  if (elem_size == 0) return g_zero_sized;
  void* p = malloc((size_t)(n * elem_size));
  if (!p) zrt_panic_cstr("out of memory");
  return traced_alloc(p);
}

void* zrt_realloc_array(void* p, int64_t n, int64_t elem_size) {
  if (n < 0 || (elem_size > 0 && n > INT64_MAX / elem_size)) zrt_panic_cstr("capacity overflow");
  if (n == 0 || elem_size == 0) { traced_free(p); return n == 0 ? NULL : g_zero_sized; }
  void* q = realloc(p, (size_t)(n * elem_size));
  if (!q) zrt_panic_cstr("out of memory");
  /* growing a block keeps it one allocation; growing from NULL makes one */
  return p ? q : traced_alloc(q);
}

void zrt_free(void* p) { traced_free(p); }

int64_t zrt_grow_cap(int64_t cap) {
  if (cap < 4) return 4;
  if (cap > INT64_MAX / 2) zrt_panic_cstr("capacity overflow");
  return cap * 2;
}

/* ================================================================== Vec (generic) */

void zrt_vec_with_capacity(zrt_vec* v, int64_t n, int64_t elem_size) {
  v->ptr = zrt_alloc_array(n, elem_size);
  v->len = 0;
  v->cap = n;
}

void zrt_vec_grow(zrt_vec* v, int64_t elem_size) {
  int64_t cap = zrt_grow_cap(v->cap);
  v->ptr = zrt_realloc_array(v->ptr, cap, elem_size);
  v->cap = cap;
}

void zrt_vec_push(zrt_vec* v, const void* elem, int64_t elem_size) {
  if (v->len == v->cap) zrt_vec_grow(v, elem_size);
  if (elem_size > 0) memcpy((char*)v->ptr + v->len * elem_size, elem, (size_t)elem_size);
  v->len++;
}

bool zrt_vec_pop(zrt_vec* v, void* out, int64_t elem_size) {
  if (v->len == 0) return false;
  v->len--;
  if (elem_size > 0) memcpy(out, (char*)v->ptr + v->len * elem_size, (size_t)elem_size);
  return true;
}

int64_t zrt_vec_len(const zrt_vec* v) { return v->len; }
void zrt_vec_clear(zrt_vec* v) { v->len = 0; }
void zrt_vec_free(zrt_vec* v) { traced_free(v->ptr); v->ptr = NULL; v->len = v->cap = 0; }

/* ================================================================== String */

static void string_reserve(zrt_string* s, int64_t extra) {
  if (extra <= s->cap - s->len) return;
  if (extra > INT64_MAX - s->len) zrt_panic_cstr("capacity overflow");
  int64_t need = s->len + extra;
  int64_t cap = s->cap < 8 ? 8 : s->cap;
  while (cap < need) cap = cap > INT64_MAX / 2 ? need : cap * 2;
  s->ptr = zrt_realloc_array(s->ptr, cap, 1);
  s->cap = cap;
}

void zrt_string_from(zrt_string* out, const uint8_t* p, int64_t len) {
  out->ptr = NULL;
  out->len = 0;
  out->cap = 0;
  zrt_string_append_str(out, p, len);
}

void zrt_string_append_str(zrt_string* s, const uint8_t* p, int64_t len) {
  if (len <= 0) return;
  string_reserve(s, len);
  memcpy(s->ptr + s->len, p, (size_t)len);
  s->len += len;
}

void zrt_string_append_string(zrt_string* s, const zrt_string* t) {
  int64_t len = t->len;
  if (len <= 0) return;
  string_reserve(s, len);
  /* t may be s: read its bytes only after the buffer moved */
  memmove(s->ptr + s->len, t == s ? s->ptr : t->ptr, (size_t)len);
  s->len += len;
}

void zrt_string_append_i64(zrt_string* s, int64_t v) {
  char b[24]; int n = fmt_i64(b, v); zrt_string_append_str(s, (const uint8_t*)b, n);
}
void zrt_string_append_u64(zrt_string* s, uint64_t v) {
  char b[24]; int n = fmt_u64(b, v); zrt_string_append_str(s, (const uint8_t*)b, n);
}
void zrt_string_append_f64(zrt_string* s, double v) {
  char b[ZRT_FMT_FLOAT_MAX]; int n = zrt_fmt_f64(b, v); zrt_string_append_str(s, (const uint8_t*)b, n);
}
void zrt_string_append_f32(zrt_string* s, float v) {
  char b[ZRT_FMT_FLOAT_MAX]; int n = zrt_fmt_f32(b, v); zrt_string_append_str(s, (const uint8_t*)b, n);
}
void zrt_string_append_bool(zrt_string* s, bool v) {
  if (v) zrt_string_append_str(s, (const uint8_t*)"true", 4);
  else zrt_string_append_str(s, (const uint8_t*)"false", 5);
}

int64_t zrt_string_len(const zrt_string* s) { return s->len; }

bool zrt_string_parse_i64(const zrt_string* s, int64_t* out) {
  const uint8_t* p = s->ptr;
  int64_t n = s->len, i = 0;
  if (n <= 0) return false;
  bool neg = false;
  if (p[0] == '+' || p[0] == '-') { neg = p[0] == '-'; i = 1; }
  if (i == n) return false;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    uint64_t d = (uint64_t)(p[i] - '0');
    if (acc > (limit - d) / 10) return false;
    acc = acc * 10 + d;
  }
  *out = neg ? (int64_t)(0u - acc) : (int64_t)acc;
  return true;
}

bool zrt_str_eq(const uint8_t* ap, int64_t alen, const uint8_t* bp, int64_t blen) {
  return alen == blen && (alen <= 0 || memcmp(ap, bp, (size_t)alen) == 0);
}

bool zrt_string_eq(const zrt_string* a, const zrt_string* b) { return zrt_str_eq(a->ptr, a->len, b->ptr, b->len); }

void zrt_string_clone(zrt_string* out, const zrt_string* src) { zrt_string_from(out, src->ptr, src->len); }

void zrt_string_free(zrt_string* s) {
  traced_free(s->ptr);
  s->ptr = NULL;
  s->len = s->cap = 0;
}

/* ================================================================== regions */

zrt_region* zrt_region_new(int64_t cap) {
  if (cap < 0) zrt_panic_cstr("region allocation failed");
  zrt_region* r = traced_alloc(malloc(sizeof *r));
  /* malloc's alignment (16 on the targets we support) suits every Zeta type */
  void* base = traced_alloc(malloc(cap > 0 ? (size_t)cap : 1));
  if (!r || !base) zrt_panic_cstr("region allocation failed");
  r->base = base;
  r->cap = cap;
  r->cur = (uintptr_t)base;
  r->end = (uintptr_t)base + (uintptr_t)cap;
#ifdef ZRT_ASAN
  ASAN_POISON_MEMORY_REGION(base, (size_t)cap);
#endif
  return r;
}

void zrt_region_free(zrt_region* r) {
#ifdef ZRT_ASAN
  ASAN_POISON_MEMORY_REGION(r->base, (size_t)r->cap);
#endif
  traced_free(r->base);
  traced_free(r);
}

/* ================================================================== threads */

struct zrt_thread {
  pthread_t tid;
  pthread_mutex_t mu;      /* serializes joins */
  bool joined;
  atomic_int_fast64_t refs;
  void (*thunk)(zrt_fn*, void*);
  zrt_fn fn;
  void (*drop_result)(void*);
  max_align_t result[];
};

static void* thread_main(void* arg) {
  zrt_thread* t = arg;
  t->thunk(&t->fn, (void*)t->result);
  return NULL;
}

zrt_thread* zrt_spawn(void (*thunk)(zrt_fn*, void*), const zrt_fn* fn, int64_t result_size,
                      void (*drop_result)(void*)) {
  zrt_thread* t = zrt_alloc((int64_t)offsetof(zrt_thread, result) + (result_size > 0 ? result_size : 0), 16);
  pthread_mutex_init(&t->mu, NULL);
  t->joined = false;
  atomic_init(&t->refs, 1);
  t->thunk = thunk;
  t->fn = *fn;
  t->drop_result = drop_result;
  if (pthread_create(&t->tid, NULL, thread_main, t) != 0) zrt_panic_cstr("failed to spawn thread");
  return t;
}

void* zrt_thread_join(zrt_thread* t) {
  pthread_mutex_lock(&t->mu);
  if (!t->joined) {
    pthread_join(t->tid, NULL);
    t->joined = true;
  }
  pthread_mutex_unlock(&t->mu);
  return (void*)t->result;
}

void zrt_thread_retain(zrt_thread* t) { atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed); }

void zrt_thread_release(zrt_thread* t) {
  zrt_thread_join(t); /* structured concurrency: a dropped Thread never runs on */
  if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  if (t->drop_result) t->drop_result((void*)t->result);
  pthread_mutex_destroy(&t->mu);
  traced_free(t);
}

/* ================================================================== channels */

struct zrt_channel {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  int64_t cap, head, count, elem_size;
  bool closed;
  atomic_int_fast64_t refs;
  void (*drop_elem)(void*);
  unsigned char* buf;
};

zrt_channel* zrt_channel_new(int64_t cap, int64_t elem_size, void (*drop_elem)(void*)) {
  if (cap < 1) cap = 1;
  zrt_channel* c = zrt_alloc((int64_t)sizeof *c, 16);
  pthread_mutex_init(&c->mu, NULL);
  pthread_cond_init(&c->not_empty, NULL);
  pthread_cond_init(&c->not_full, NULL);
  c->cap = cap;
  c->head = c->count = 0;
  c->elem_size = elem_size;
  c->closed = false;
  atomic_init(&c->refs, 1);
  c->drop_elem = drop_elem;
  c->buf = zrt_alloc_array(cap, elem_size > 0 ? elem_size : 1);
  return c;
}

bool zrt_channel_send(zrt_channel* c, const void* elem) {
  pthread_mutex_lock(&c->mu);
  while (c->count == c->cap && !c->closed) pthread_cond_wait(&c->not_full, &c->mu);
  if (c->closed) { pthread_mutex_unlock(&c->mu); return false; }
  int64_t slot = (c->head + c->count) % c->cap;
  if (c->elem_size > 0) memcpy(c->buf + slot * c->elem_size, elem, (size_t)c->elem_size);
  c->count++;
  pthread_cond_signal(&c->not_empty);
  pthread_mutex_unlock(&c->mu);
  return true;
}

bool zrt_channel_recv(zrt_channel* c, void* out) {
  pthread_mutex_lock(&c->mu);
  while (c->count == 0 && !c->closed) pthread_cond_wait(&c->not_empty, &c->mu);
  if (c->count == 0) { pthread_mutex_unlock(&c->mu); return false; }
  if (c->elem_size > 0) memcpy(out, c->buf + c->head * c->elem_size, (size_t)c->elem_size);
  c->head = (c->head + 1) % c->cap;
  c->count--;
  pthread_cond_signal(&c->not_full);
  pthread_mutex_unlock(&c->mu);
  return true;
}

void zrt_channel_close(zrt_channel* c) {
  pthread_mutex_lock(&c->mu);
  c->closed = true;
  pthread_cond_broadcast(&c->not_empty);
  pthread_cond_broadcast(&c->not_full);
  pthread_mutex_unlock(&c->mu);
}

void zrt_channel_retain(zrt_channel* c) { atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed); }

void zrt_channel_release(zrt_channel* c) {
  if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1) return;
  if (c->drop_elem)
    for (int64_t i = 0; i < c->count; i++) c->drop_elem(c->buf + ((c->head + i) % c->cap) * c->elem_size);
  pthread_mutex_destroy(&c->mu);
  pthread_cond_destroy(&c->not_empty);
  pthread_cond_destroy(&c->not_full);
  traced_free(c->buf);
  traced_free(c);
}

/* ================================================================== mutexes */

_Static_assert(sizeof(pthread_mutex_t) <= ZRT_MUTEX_VALUE_OFFSET, "pthread_mutex_t fits before the value");

zrt_mutex* zrt_mutex_new(int64_t size, int64_t align) {
  if (align > ZRT_MUTEX_VALUE_OFFSET) zrt_panic_cstr("internal error: over-aligned mutex value");
  zrt_mutex* m = zrt_alloc(ZRT_MUTEX_VALUE_OFFSET + (size > 0 ? size : 0), ZRT_MUTEX_VALUE_OFFSET);
  pthread_mutex_init((pthread_mutex_t*)(void*)m, NULL);
  return m;
}

zrt_mutex* zrt_mutex_lock(zrt_mutex* m) {
  pthread_mutex_lock((pthread_mutex_t*)(void*)m);
  return m;
}

void zrt_mutex_unlock(zrt_mutex* m) { pthread_mutex_unlock((pthread_mutex_t*)(void*)m); }

void zrt_mutex_free(zrt_mutex* m) {
  pthread_mutex_destroy((pthread_mutex_t*)(void*)m);
  traced_free(m);
}
