// The LLVM backend's range analysis (backends/llvm/ranges.ts): which `+ - *` it proves cannot
// wrap (and so may carry nsw/nuw) and which bounds checks it proves always pass (and so are
// left out), on programs through the whole pipeline, including the cases where it must claim
// nothing because the values can wrap or leave the bounds; the text pass that writes the
// flags; and programs built with --backend=llvm -O2 that wrap and panic exactly at the edges,
// hand-written and generated (compared with the C backend, which keeps every check).
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AnyNode } from '../ir/lang.js';
import { T } from '../ir/types.js';
import { analyzeRanges, blockRanges, noWrapFlags, noWrapMark, withNoWrap } from '../backends/llvm/ranges.js';
import { buildLlvmAsync, emitLlvmIr } from '../backends/llvm/index.js';
import { getBackend } from '../backends/index.js';
import '../backends/register.js';
import { runPipeline } from '../tools/driver.js';
import { tempDir } from './helpers.js';

const execFileP = promisify(execFile);

/** Runs an executable with one argument: its exit status and output. */
async function runExe(exe: string, arg: number): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(exe, [String(arg)], { encoding: 'utf8', timeout: 30_000 });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { status: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

interface Claim { fn: string; kind: 'BinOp' | 'IndexPlace'; text: string; nsw?: boolean; nuw?: boolean; inBounds?: boolean }

function lcfgOf(text: string): AnyNode {
  const res = runPipeline({ path: 'ranges.zeta', text });
  if (!res.ir) throw new Error(`does not compile: ${JSON.stringify(res.diagnostics)}`);
  return res.ir;
}

/** Every `+ - *` and index of the program, named by its source text, with what the analysis claims. */
function claims(text: string): Claim[] {
  const out: Claim[] = [];
  for (const f of (lcfgOf(text) as unknown as { fns: AnyNode[] }).fns) {
    const r = analyzeRanges(f as never);
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) { n.forEach(walk); return; }
      const node = n as AnyNode & { op?: string; span: { start: number; end: number } };
      const src = text.slice(node.span.start, node.span.end);
      if (node.kind === 'BinOp' && ['+', '-', '*'].includes(node.op!) && (node.ty as { k: string }).k === 'int') {
        const w = r.noWrap.get(node);
        out.push({ fn: f.name as string, kind: 'BinOp', text: src, nsw: w?.nsw ?? false, nuw: w?.nuw ?? false });
      }
      if (node.kind === 'IndexPlace') out.push({ fn: f.name as string, kind: 'IndexPlace', text: src, inBounds: r.inBounds.has(node) });
      for (const [k, v] of Object.entries(node)) if (k !== 'span' && k !== 'ty') walk(v);
    };
    walk((f as unknown as { blocks: unknown }).blocks);
  }
  return out;
}

/** The claim about the one node whose source text is `text`. */
function claim(all: Claim[], text: string): Claim {
  const found = all.filter((c) => c.text === text);
  if (found.length !== 1) throw new Error(`${found.length} nodes for ${JSON.stringify(text)}: ${JSON.stringify(all.map((c) => c.text))}`);
  return found[0];
}

const SIEVE = `
main() {
    limit: i64 := 1000;
    mut composite := Vec::filled(limit + 1, false);
    mut count: i64 := 0;
    for i in 2..=limit {
        if composite[i] { continue; }
        count += 1;
        mut k := i * i;
        while k <= limit {
            composite[k] = true;
            k += i;
        }
    }
    println(count);
}
`;

describe('range analysis: what it proves', () => {
  it('proves the sieve\'s indexes in bounds and its k += i and i * i free of wrapping', () => {
    const all = claims(SIEVE);
    expect(claim(all, 'composite[i]').inBounds).toBe(true);
    expect(claim(all, 'composite[k]').inBounds).toBe(true);
    expect(claim(all, 'k += i')).toMatchObject({ nsw: true, nuw: true });
    expect(claim(all, 'i * i')).toMatchObject({ nsw: true, nuw: true });
    // count has no upper bound the analysis can see: no flag
    expect(claim(all, 'count += 1')).toMatchObject({ nsw: false });
  });

  it('bounds a loop over an array, and one counting down a Vec', () => {
    const all = claims(`
main() {
    a := [1i64, 2, 3, 4, 5];
    mut s: i64 := 0;
    for i in 0..5 { s += a[i]; }
    v := Vec::filled(10, 1i64);
    mut k: i64 := 9;
    while k >= 0 {
        s += v[k];
        k -= 1;
    }
    println(s);
}
`);
    expect(claim(all, 'a[i]').inBounds).toBe(true);
    expect(claim(all, 'v[k]').inBounds).toBe(true);
    expect(claim(all, 'k -= 1')).toMatchObject({ nsw: true });
  });

  it('keeps intervals per block: a bounded counter, an unreachable block', () => {
    const f = (lcfgOf(`
main() {
    mut i: i64 := 0;
    while i < 10 { i += 1; }
    if i > 10 { println(1); }
    println(i);
}
`) as unknown as { fns: AnyNode[] }).fns[0];
    const states = blockRanges(f as never);
    const i = String(((f as unknown as { locals: { id: number; name: string }[] }).locals.find((l) => l.name === 'i'))!.id);
    const seen = states.filter((s): s is Map<string, { lo: bigint; hi: bigint }> => !!s).map((s) => s.get(i)).filter((x) => x);
    // i stays within [0, 10] wherever it is known, and somewhere it is exactly 10 (the loop's exit)
    for (const x of seen) { expect(x!.lo >= 0n && x!.hi <= 10n).toBe(true); }
    expect(seen.some((x) => x!.lo === 10n && x!.hi === 10n)).toBe(true);
    // the `println(1)` block cannot be reached (i is 10 after the loop)
    expect(states.some((s) => s === null)).toBe(true);
  });
});

describe('range analysis: where it must claim nothing', () => {
  it('gives no nsw to adds that can wrap', () => {
    const all = claims(`
main() {
    mut x: i64 := 9223372036854775800;
    for j in 0..100 { x += 1; }
    mut b: u8 := 250;
    b = b + 10;
    mut y: i64 := 0;
    for i in 0..5000000000 { y = i * i; }
    println(x);
    println(b);
    println(y);
}
count(n: i32) -> i32 {
    mut c: i32 := 0;
    for i in 0..=n { c = i + 1; }
    return c;
}
plus(a: i64, b: i64) -> i64 { return a + b; }
`);
    // x reaches i64::MAX and wraps (read as unsigned it does not: nuw may stay)
    expect(claim(all, 'x += 1')).toMatchObject({ nsw: false });
    expect(claim(all, 'b + 10')).toMatchObject({ nsw: false, nuw: false });
    expect(claim(all, 'i * i')).toMatchObject({ nsw: false, nuw: false });
    // the parameter n may be i32::MAX
    expect(claim(all, 'i + 1')).toMatchObject({ nsw: false });
    expect(claim(all, 'a + b')).toMatchObject({ nsw: false, nuw: false });
  });

  it('keeps the checks of indexes that can leave the bounds', () => {
    const all = claims(`
get(v: *Vec<i64>, i: i64) -> i64 { return v[i]; }
main() {
    a := [1i64, 2, 3, 4, 5];
    mut s: i64 := 0;
    for i in 0..=5 { s += a[i]; }
    mut k: i64 := 3;
    while k >= -1 {
        s += a[k];
        k -= 1;
    }
    mut v := Vec::filled(10, 0i64);
    v.clear();
    s += v[2];
    mut w := Vec::filled(10, 0i64);
    w = Vec::new();
    s += w[5];
    mut j: i64 := 0;
    p := *mut j;
    *p = 100;
    s += a[j];
    println(s + get(*v, 0));
}
`);
    expect(claim(all, 'v[i]').inBounds).toBe(false);
    expect(claim(all, 'a[i]').inBounds).toBe(false);
    expect(claim(all, 'a[k]').inBounds).toBe(false);
    expect(claim(all, 'v[2]').inBounds).toBe(false);
    expect(claim(all, 'w[5]').inBounds).toBe(false);
    // j was 0, then 100 through a pointer: a local whose address is taken is not tracked
    expect(claim(all, 'a[j]').inBounds).toBe(false);
  });

  it('computes the flags from the operands\' ranges, signed and unsigned', () => {
    const iv = (lo: bigint, hi: bigint) => ({ lo, hi });
    expect(noWrapFlags(T.i8, '+', iv(0n, 100n), iv(0n, 27n))).toEqual({ nsw: true, nuw: true });
    expect(noWrapFlags(T.i8, '+', iv(0n, 100n), iv(0n, 28n))).toEqual({ nsw: false, nuw: true });
    expect(noWrapFlags(T.i8, '-', iv(-5n, 5n), iv(0n, 1n))).toEqual({ nsw: true, nuw: false });
    expect(noWrapFlags(T.u8, '+', iv(200n, 200n), iv(55n, 55n))).toEqual({ nsw: false, nuw: true });
    expect(noWrapFlags(T.u8, '+', iv(200n, 200n), iv(56n, 56n))).toEqual({ nsw: false, nuw: false });
    // 3 - 5 on u8: wraps unsigned, but -2 is no signed overflow
    expect(noWrapFlags(T.u8, '-', iv(3n, 3n), iv(5n, 5n))).toEqual({ nsw: true, nuw: false });
    expect(noWrapFlags(T.i64, '*', iv(-(2n ** 31n), 2n ** 31n), iv(-(2n ** 31n), 2n ** 31n))).toEqual({ nsw: true, nuw: false });
    expect(noWrapFlags(T.i64, '*', iv(0n, 2n ** 32n), iv(0n, 2n ** 31n))).toEqual({ nsw: false, nuw: true });
  });
});

describe('range analysis in the LLVM backend', () => {
  it('writes the flags into the text and leaves out the proven checks (only at -O2)', () => {
    expect(noWrapMark({ nsw: true, nuw: false })).toBe('nw.s-');
    expect(noWrapMark({ nsw: false, nuw: false })).toBe('');
    expect(withNoWrap([
      '  %nw.s- = add i64 %1, 1',
      '  %nw.su-12 = mul i64 %a, %b',
      '  %nw.u-3 = sub i32 %x, %y',
      '  %other = add i64 %1, 1',
    ].join('\n'))).toBe([
      '  %nw.s- = add nsw i64 %1, 1',
      '  %nw.su-12 = mul nuw nsw i64 %a, %b',
      '  %nw.u-3 = sub nuw i32 %x, %y',
      '  %other = add i64 %1, 1',
    ].join('\n'));
    const m = lcfgOf(SIEVE);
    const o2 = emitLlvmIr(m, { optLevel: 2, sanitize: [] });
    const o0 = emitLlvmIr(m, { optLevel: 0, sanitize: [] });
    expect(o2).not.toContain('zrt_panic_index(');
    expect(o2).toMatch(/= add nuw nsw i64/);
    expect(o0).toContain('call void @zrt_panic_index(');
    expect(o0).not.toMatch(/ nsw /);
  });

  it('wraps and panics at the edges exactly as without the analysis', async () => {
    const m = lcfgOf(`
main() {
    mut x: i64 := 9223372036854775806;
    for j in 0..3 { x += 1; println(x); }
    mut b: u8 := 250;
    for j in 0..3 { b = b + 3; println(b); }
    mut composite := Vec::filled(101, false);
    mut count: i64 := 0;
    for i in 2..=100 {
        if composite[i] { continue; }
        count += 1;
        mut k := i * i;
        while k <= 100 {
            composite[k] = true;
            k += i;
        }
    }
    println(count);
    a := [1i64, 2, 3, 4, 5];
    mut s: i64 := 0;
    n := arg(0).parse_i64() ?? 0;
    for i in 0..=n { s += a[i]; println(s); }
}
`);
    const exe = join(tempDir('zeta-ranges-'), 'edges');
    await buildLlvmAsync(m, { optLevel: 2, sanitize: [], out: exe });
    const run = (n: number) => runExe(exe, n);
    const head = '9223372036854775807\n-9223372036854775808\n-9223372036854775807\n253\n0\n3\n25\n';
    expect(await run(4)).toEqual({ status: 0, stdout: `${head}1\n3\n6\n10\n15\n`, stderr: '' });
    expect(await run(5)).toEqual({ status: 101, stdout: `${head}1\n3\n6\n10\n15\n`,
      stderr: 'panic: index out of bounds: the len is 5 but the index is 5\n' });
  });
});

// ---------------------------------------------------------------- randomized edges
/** A deterministic pseudo-random generator (mulberry32), so a failure names a case that stays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Small loop programs around the edges of the analysis: indexes that stay in bounds or
 * leave them by one, counters near a type's limits, steps that overshoot, `continue`s that
 * add back edges. One function per case; main runs the case named by its argument.
 */
function edgeCases(seed: number, n: number): string {
  const r = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <X>(xs: X[]): X => xs[int(0, xs.length - 1)];
  const fns: string[] = [];
  for (let c = 0; c < n; c++) {
    const size = int(1, 12);
    const kind = int(0, 4);
    let body: string;
    if (kind === 0) {
      // a for loop over a range that may run one past the end, an index with an offset
      const lo = int(-2, 2);
      const hi = size + int(-3, 1);
      const off = int(-1, 1);
      body = `    a := [7i64; ${size}];
    mut s: i64 := 0;
    for i in ${lo}..${pick(['', '='])}${hi} { s += a[i + ${off}] + i; }
    println(s);`;
    } else if (kind === 1) {
      // a while loop with a step, a bound, and a continue (two back edges)
      const start = int(-2, 3);
      const step = int(1, 4);
      const lim = size + int(-2, 1);
      body = `    mut v := Vec::filled(${size}, 1i64);
    mut k: i64 := ${start};
    mut s: i64 := 0;
    while k ${pick(['<', '<='])} ${lim} {
        k += ${step};
        if k % 3 == 0 { continue; }
        s += v[k - ${step}];
        v[k - ${step}] = s;
    }
    println(s);`;
    } else if (kind === 2) {
      // counting down past zero, or not
      const start = size + int(-2, 0);
      const stop = int(-1, 1);
      body = `    v := Vec::filled(${size}, 3i64);
    mut k: i64 := ${start};
    mut s: i64 := 0;
    while k >= ${stop} { s += v[k]; k -= 1; }
    println(s);`;
    } else if (kind === 3) {
      // a counter near its type's limit: wraps or not
      const [ty, max] = pick([['i8', 127n], ['u8', 255n], ['i32', 2147483647n], ['u32', 4294967295n], ['i64', 9223372036854775807n]] as [string, bigint][]);
      const step = int(1, 3);
      const iters = int(1, 5);
      body = `    mut x: ${ty} := ${max - BigInt(int(0, 6))};
    for j in 0..${iters} { x = x + ${step}; println(x); }
    mut y: ${ty} := ${ty.startsWith('u') ? int(0, 6) : -int(0, 6)};
    for j in 0..${iters} { y = y - ${step}; println(y); }`;
    } else {
      // nested: an inner index made of the outer one (i * i + j), inside or one past the end
      const limit = int(2, 6);
      body = `    mut v := Vec::filled(${size}, 0i64);
    for i in 1..=${limit} {
        mut k := i * i;
        while k < ${size + int(-1, 1)} {
            v[k] += i;
            k += i;
        }
    }
    mut s: i64 := 0;
    for i in 0..${size} { s += v[i] * (i + 1); }
    println(s);`;
    }
    fns.push(`case${c}() {\n${body}\n}`);
  }
  const calls = fns.map((_, c) => `    if which == ${c} { case${c}(); }`).join('\n');
  return `${fns.join('\n')}\nmain() {\n    which := arg(0).parse_i64() ?? 0;\n${calls}\n}\n`;
}

describe('range analysis: randomized edges, LLVM -O2 against the C backend', () => {
  it('prints, wraps and panics alike on every case', async () => {
    const cases = 60;
    const text = edgeCases(5, cases);
    const m = lcfgOf(text);
    const dir = tempDir('zeta-ranges-');
    const llvm = join(dir, 'llvm');
    const c = join(dir, 'c');
    await buildLlvmAsync(m, { optLevel: 2, sanitize: [], out: llvm });
    getBackend('c').build(m, { optLevel: 2, sanitize: [], out: c });
    const run = runExe;
    let panics = 0;
    for (let which = 0; which < cases; which++) {
      const [a, b] = await Promise.all([run(llvm, which), run(c, which)]);
      expect({ which, llvm: a }).toEqual({ which, llvm: b });
      if (b.status === 101) panics++;
    }
    // the cases reach both sides of the edges: some panic, most do not
    expect(panics).toBeGreaterThan(5);
    expect(panics).toBeLessThan(cases - 5);
    // and the analysis did prove some of their checks (else this tests nothing)
    expect(claims(text).filter((x) => x.inBounds).length).toBeGreaterThan(10);
  }, 120_000);
});
