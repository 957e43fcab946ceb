// Tests of the C runtime (runtime-c/) through its C API: a small C driver calls the zrt_
// functions directly. Float formatting is checked against JavaScript's String(x) on
// thousands of values (spec §10), the other parts against what zeta_rt.h documents.
// The driver is built once normally and once under AddressSanitizer + UBSan.

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileC } from '../backends/c/toolchain.js';

const DRIVER = String.raw`
#include "zeta_rt.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt_lines(void) {
  /* stdin: "d HEX16" or "f HEX8" per line; prints the formatted float per line */
  char kind; unsigned long long bits;
  char buf[ZRT_FMT_FLOAT_MAX];
  while (scanf(" %c %llx", &kind, &bits) == 2) {
    if (kind == 'd') { double d; memcpy(&d, &bits, 8); zrt_fmt_f64(buf, d); }
    else { unsigned int b32 = (unsigned int)bits; float f; memcpy(&f, &b32, 4); zrt_fmt_f32(buf, f); }
    puts(buf);
  }
}

static void parse_lines(void) {
  /* stdin: one string per line; prints the parsed value or "none" */
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    if (n && line[n - 1] == '\n') line[--n] = 0;
    zrt_string s; zrt_string_from(&s, (const uint8_t*)line, (int64_t)n);
    int64_t v;
    if (zrt_string_parse_i64(&s, &v)) printf("%lld\n", (long long)v); else puts("none");
    zrt_string_free(&s);
  }
}

static void strings(void) {
  zrt_string s; zrt_string_from(&s, (const uint8_t*)"ab", 2);
  zrt_string_append_string(&s, &s);             /* self-append */
  zrt_string_append_i64(&s, INT64_MIN);
  zrt_string_append_u64(&s, UINT64_MAX);
  zrt_string_append_bool(&s, false);
  zrt_string_append_f64(&s, 1e21);
  zrt_string_append_f32(&s, 0.1f);
  zrt_string_append_str(&s, (const uint8_t*)"\0z", 2);
  zrt_println_string(&s);
  printf("%lld\n", (long long)zrt_string_len(&s));
  zrt_string t; zrt_string_clone(&t, &s);
  printf("%d %d\n", zrt_string_eq(&s, &t), zrt_str_eq((const uint8_t*)"x", 1, (const uint8_t*)"y", 1));
  zrt_string e1 = {0}, e2 = {0};
  printf("%d\n", zrt_string_eq(&e1, &e2));       /* empty Strings (NULL buffers) are equal */
  zrt_string_free(&s); zrt_string_free(&t);
  for (int i = 0; i < 1000; i++) zrt_string_append_str(&e1, (const uint8_t*)"0123456789", 10);
  printf("%lld\n", (long long)e1.len);
  zrt_string_free(&e1);
}

static void vecs(void) {
  zrt_vec v = {0};
  for (int64_t i = 0; i < 1000; i++) zrt_vec_push(&v, &i, sizeof i);
  int64_t x = 0, sum = 0;
  while (zrt_vec_pop(&v, &x, sizeof x)) sum += x;
  printf("%lld %lld %d\n", (long long)sum, (long long)zrt_vec_len(&v), v.cap >= 1000);
  zrt_vec_free(&v);
  zrt_vec w; zrt_vec_with_capacity(&w, 3, 8);
  printf("%lld %lld\n", (long long)w.len, (long long)w.cap);
  zrt_vec_free(&w);
}

static void regions(void) {
  zrt_region* r = zrt_region_new(40);
  int count = 0, aligned = 1;
  char* c = zrt_region_alloc(r, 1, 1);
  if (c) { *c = 'x'; count++; }
  for (;;) {
    int64_t* p = zrt_region_alloc(r, 8, 8);
    if (!p) break;
    *p = 7; count++;
    if ((uintptr_t)p % 8) aligned = 0;
  }
  printf("%d %d\n", count, aligned);              /* 1 byte + 4 aligned i64 in 40 bytes */
  zrt_region_free(r);
  zrt_region* z = zrt_region_new(0);
  printf("%d\n", zrt_region_alloc(z, 1, 1) == NULL);
  zrt_region_free(z);
}

typedef struct { zrt_channel* ch; } producer_env;
static void produce(void* env) {
  producer_env* e = env;
  for (int64_t i = 1; i <= 10000; i++) zrt_channel_send(e->ch, &i);
  zrt_channel_close(e->ch);
}
static void thunk_void(zrt_fn* f, void* out) { (void)out; ((void (*)(void*))f->code)(f->env); }
static int64_t answer(void* env) { return *(int64_t*)env * 2; }
static void thunk_i64(zrt_fn* f, void* out) { *(int64_t*)out = ((int64_t (*)(void*))f->code)(f->env); }
static zrt_mutex* shared;
static void bump(void* env) {
  (void)env;
  for (int i = 0; i < 10000; i++) {
    zrt_mutex* g = zrt_mutex_lock(shared);
    *(int64_t*)zrt_mutex_value(g) += 1;
    zrt_mutex_unlock(g);
  }
}

static void threads(void) {
  zrt_channel* ch = zrt_channel_new(4, sizeof(int64_t), NULL);
  producer_env env = { ch };
  zrt_fn f = { (void (*)(void))produce, &env };
  zrt_thread* t = zrt_spawn(thunk_void, &f, 0, NULL);
  int64_t v, sum = 0;
  while (zrt_channel_recv(ch, &v)) sum += v;
  int64_t one = 1;
  printf("%lld %d\n", (long long)sum, zrt_channel_send(ch, &one));
  zrt_thread_release(t);
  zrt_channel_release(ch);

  int64_t x = 21;
  zrt_fn g = { (void (*)(void))answer, &x };
  zrt_thread* t2 = zrt_spawn(thunk_i64, &g, sizeof(int64_t), NULL);
  zrt_thread_retain(t2);
  int64_t a = *(int64_t*)zrt_thread_join(t2), b = *(int64_t*)zrt_thread_join(t2);
  printf("%lld %lld\n", (long long)a, (long long)b);
  zrt_thread_release(t2);
  zrt_thread_release(t2);

  shared = zrt_mutex_new(sizeof(int64_t), _Alignof(int64_t));
  *(int64_t*)zrt_mutex_value(shared) = 0;
  zrt_fn h = { (void (*)(void))bump, NULL };
  zrt_thread* ts[4];
  for (int i = 0; i < 4; i++) ts[i] = zrt_spawn(thunk_void, &h, 0, NULL);
  for (int i = 0; i < 4; i++) zrt_thread_release(ts[i]);
  printf("%lld\n", (long long)*(int64_t*)zrt_mutex_value(shared));
  zrt_mutex_free(shared);
}

static void checks(const char* what) {
  volatile int32_t zero = 0, m1 = -1;
  printf("start\n");
  if (!strcmp(what, "index")) zrt_check_index(-3, 2);
  if (!strcmp(what, "index_u")) zrt_check_index_u(UINT64_MAX, 2);
  if (!strcmp(what, "div")) printf("%d\n", zrt_div_i32(1, zero));
  if (!strcmp(what, "overflow")) printf("%d\n", zrt_rem_i32(INT32_MIN, m1));
  if (!strcmp(what, "arg")) { zrt_string s; zrt_arg(&s, 5); }
  if (!strcmp(what, "exit")) zrt_exit(42);
  if (!strcmp(what, "panic")) zrt_panic((const uint8_t*)"bad\0thing", 9);
  printf("%d %d %u %d %lld\n", zrt_f2i_i32(1e300), zrt_f2i_i8(-1e9), zrt_f2i_u32(-0.5), zrt_f2i_i16(0.0 / zero),
         (long long)zrt_f2i_i64(-9223372036854775808.0));
}

int main(int argc, char** argv) {
  zrt_init(argc, argv);
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "fmt")) fmt_lines();
  else if (!strcmp(mode, "parse")) parse_lines();
  else if (!strcmp(mode, "strings")) strings();
  else if (!strcmp(mode, "vecs")) vecs();
  else if (!strcmp(mode, "regions")) regions();
  else if (!strcmp(mode, "threads")) threads();
  else if (!strcmp(mode, "fixed")) {
    double xs[] = { 3.14159265, -2.345678, 2.0 / 3.0, 0.5, 1.5, 1e21, -0.0, 123.456 };
    int ds[] = { 2, 3, 9, 0, 0, 2, 1, -4 };
    for (int i = 0; i < 8; i++) { zrt_print_fixed(xs[i], ds[i]); zrt_print_str((const uint8_t*)"|", 1); }
    zrt_println_str((const uint8_t*)"", 0);
  } else checks(argc > 2 ? argv[2] : "");
  zrt_flush();
  return 0;
}
`;

interface Out { stdout: string; stderr: string; code: number | null }

function run(exe: string, args: string[], input = ''): Promise<Out> {
  return new Promise((resolve) => {
    const child = execFile(exe, args, { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : null) : 0 });
    });
    child.stdin!.on('error', () => {}); // a driver that does not read its input may exit first
    child.stdin!.end(input);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'zeta-rt-test-'));
const plain = join(dir, 'driver');
const asan = join(dir, 'driver-asan');
beforeAll(async () => {
  await Promise.all([
    compileC(DRIVER, plain, {}),
    compileC(DRIVER, asan, { sanitize: ['address', 'undefined'], optLevel: 1 }),
  ]);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------- float formatting references

/** spec §10 layout of a double: JavaScript's String(x), without '+' in exponents; -0, inf, -inf. */
function fmtJs(x: number): string {
  if (Object.is(x, -0)) return '-0';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return String(x).replace('e+', 'e');
}

/** x (a finite double) as an exact fraction [numerator, denominator]. */
function exact(x: number): [bigint, bigint] {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  const bits = v.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const be = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = be === 0 ? frac : frac | (1n << 52n);
  const e = (be === 0 ? 1 : be) - 1075;
  return e >= 0 ? [sign * mant * (1n << BigInt(e)), 1n] : [sign * mant, 1n << BigInt(-e)];
}

/** |d * 10^q - x| as an exact fraction. */
function distance(d: bigint, q: number, x: [bigint, bigint]): [bigint, bigint] {
  const [cn, cd] = q >= 0 ? [d * 10n ** BigInt(q), 1n] : [d, 10n ** BigInt(-q)];
  const num = cn * x[1] - x[0] * cd;
  return [num < 0n ? -num : num, cd * x[1]];
}

/**
 * The shortest decimal that reads back as the same f32; among equally short ones the
 * closest to x, and on a tie the one with an even last digit (as Number::toString does).
 */
function fmtF32(x: number): string {
  if (Number.isNaN(x) || !Number.isFinite(x) || x === 0) return fmtJs(x);
  const ax = Math.abs(x);
  const xe = exact(ax);
  for (let p = 1; p <= 9; p++) {
    const [mant, exp] = ax.toExponential(p - 1).split('e');
    const digits = BigInt(mant.replace('.', ''));
    const q = Number(exp) - (p - 1);
    let best: { d: bigint; dist: [bigint, bigint] } | null = null;
    for (const d of [digits - 1n, digits, digits + 1n]) {
      if (d <= 0n || Math.fround(Number(`${d}e${q}`)) !== ax) continue;
      const dist = distance(d, q, xe);
      const cmp = best === null ? -1 : dist[0] * best.dist[1] - best.dist[0] * dist[1];
      if (cmp < 0n || (cmp === 0n && d % 2n === 0n)) best = { d, dist };
    }
    if (best !== null) return fmtJs(Math.sign(x) * Number(`${best.d}e${q}`));
  }
  throw new Error(`no f32 representation for ${x}`);
}

function f64Bits(x: number): string {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  return b.getBigUint64(0).toString(16);
}
function f32Bits(x: number): string {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, x);
  return b.getUint32(0).toString(16);
}

function sampleDoubles(): number[] {
  const xs = [0, -0, Infinity, -Infinity, NaN, 0.1, 0.2, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 1e21, 1e-7, 1e-6, 1.5e-7, 123e-20,
    5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 9007199254740992, 9007199254740993,
    123456789012345680000, 999999999999999900000, 1e22, 1e23, 4.35, 0.000001, 1234.5678];
  let seed = 0x2545f491n;
  const next = () => { seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n); return seed; };
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 6000; i++) { view.setBigUint64(0, next()); xs.push(view.getFloat64(0)); }       // any bit pattern
  for (let i = 0; i < 3000; i++) xs.push(Number((Number(next() % 100000n) / 100).toFixed(2)));        // "nice" decimals
  for (let i = 0; i < 2000; i++) xs.push(Number(next() % 2000001n) * 10 ** (Number(next() % 40n) - 20)); // scaled integers
  for (let e = -1074; e <= 1023; e++) xs.push(2 ** e);                                                  // powers of two
  for (let e = -323; e <= 308; e++) xs.push(Number(`1e${e}`));                                          // powers of ten
  return xs;
}

function sampleFloats(): number[] {
  const xs = [0, -0, Infinity, -Infinity, NaN, 0.1, 0.2, 1 / 3, 1e21, 1e-7, 16777216, 16777217, 3.4028234663852886e38, 1.401298464324817e-45,
    1.1754943508222875e-38, 7.1, 100.5, 1e10].map(Math.fround);
  let seed = 987654321;
  const view = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < 6000; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    view.setUint32(0, seed);
    xs.push(view.getFloat32(0));
  }
  for (let e = -149; e <= 127; e++) xs.push(Math.fround(2 ** e));
  for (let i = 0; i < 1000; i++) xs.push(Math.fround(i / 100));
  return xs;
}

// ---------------------------------------------------------------- tests

describe('runtime-c float formatting (spec §10)', () => {
  it('f64: shortest round-trip digits, laid out as String(x)', async () => {
    const xs = sampleDoubles();
    const r = await run(plain, ['fmt'], xs.map((x) => `d ${f64Bits(x)}\n`).join(''));
    const got = r.stdout.split('\n');
    const bad = xs.map((x, i) => [x, got[i], fmtJs(x)] as const).filter(([, g, w]) => g !== w);
    expect(bad.slice(0, 10)).toEqual([]);
    expect(got.length).toBe(xs.length + 1);
  });
  it('f32: shortest digits that read back as the same f32', async () => {
    const xs = sampleFloats();
    const r = await run(plain, ['fmt'], xs.map((x) => `f ${f32Bits(x)}\n`).join(''));
    const got = r.stdout.split('\n');
    const bad = xs.map((x, i) => [x, got[i], fmtF32(x)] as const).filter(([, g, w]) => g !== w);
    expect(bad.slice(0, 10)).toEqual([]);
  });
  it('print_fixed prints exactly N decimals (negative N counts as 0)', async () => {
    const r = await run(plain, ['fixed']);
    expect(r.stdout).toBe('3.14|-2.346|0.666666667|0|2|1000000000000000000000.00|-0.0|123|\n');
  });
});

describe('runtime-c strings and Vec', () => {
  it('parse_i64 accepts exactly the decimal i64 range with an optional sign', async () => {
    const inputs = ['0', '-0', '+7', '42', '-42', '9223372036854775807', '9223372036854775808', '-9223372036854775808',
      '-9223372036854775809', '99999999999999999999', '', '-', '+', ' 1', '1 ', '1_000', '0x10', '007', '--1', '١'];
    const want = inputs.map((s) => {
      if (!/^[+-]?[0-9]+$/.test(s)) return 'none';
      const v = BigInt(s);
      return v >= -(2n ** 63n) && v < 2n ** 63n ? v.toString() : 'none';
    });
    const r = await run(plain, ['parse'], inputs.map((s) => `${s}\n`).join(''));
    expect(r.stdout.split('\n').slice(0, -1)).toEqual(want);
  });
  it('String append (including to itself), clone, eq, growth', async () => {
    for (const exe of [plain, asan]) {
      const r = await run(exe, ['strings']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('abab-922337203685477580818446744073709551615false1e210.1\0z\n58\n1 0\n1\n10000\n');
    }
  });
  it('generic Vec: push grows, pop drains, with_capacity', async () => {
    for (const exe of [plain, asan]) {
      const r = await run(exe, ['vecs']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('499500 0 1\n0 3\n');
    }
  });
});

describe('runtime-c regions and concurrency', () => {
  it('region alloc is an aligned bump that returns NULL when full', async () => {
    for (const exe of [plain, asan]) {
      const r = await run(exe, ['regions']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('5 1\n1\n');
    }
  });
  it('threads, channels (send after close fails), joins twice, mutex', async () => {
    for (const exe of [plain, asan]) {
      const r = await run(exe, ['threads']);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('50005000 0\n42 42\n40000\n');
    }
  });
});

describe('runtime-c checks and process', () => {
  const cases: [string, string, number, string][] = [
    ['index', 'start\n', 101, 'panic: index out of bounds: the len is 2 but the index is -3\n'],
    ['index_u', 'start\n', 101, 'panic: index out of bounds: the len is 2 but the index is 18446744073709551615\n'],
    ['div', 'start\n', 101, 'panic: division by zero\n'],
    ['overflow', 'start\n', 101, 'panic: overflow\n'],
    ['arg', 'start\n', 101, 'panic: argument index out of range: 5 of 2\n'],
    ['panic', 'start\n', 101, 'panic: bad\0thing\n'],
    ['exit', 'start\n', 42, ''],
    ['none', 'start\n2147483647 -128 0 0 -9223372036854775808\n', 0, ''],
  ];
  for (const [what, stdout, code, stderr] of cases) {
    it(`${what}: stdout flushed, stderr and status as documented`, async () => {
      for (const exe of [plain, asan]) {
        const r = await run(exe, ['check', what]);
        expect(r).toEqual({ stdout, stderr, code });
      }
    });
  }
});
