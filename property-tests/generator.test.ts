// Tests of the random program generator itself (property-tests/gen/program-generator.ts):
// reproducibility, variety, the size knobs and feature switches, and, through the
// compiler's front end, that what it writes is valid Zeta.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { FEATURES, generateProgram, possibleFeatures, programArb, type GenOptions } from './gen/program-generator.js';
import { Rng } from './gen/rng.js';

const ROOT = join(import.meta.dirname, '..');

/** Lines of the generated functions and main (the fixed prelude excluded). */
function generatedBodies(source: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const line of source.split('\n')) {
    if (/^(fun\d+|main)\(/.test(line)) inside = true;
    else if (line === '}') inside = false;
    else if (inside) out.push(line);
  }
  return out;
}

function mainBody(source: string): string[] {
  const lines = source.split('\n');
  const start = lines.indexOf('main() {');
  return lines.slice(start + 1, lines.indexOf('}', start));
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

describe('Rng', () => {
  it('is a pure function of its seed and stays in range', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 50 }, () => a.int(-3, 7));
    expect(Array.from({ length: 50 }, () => b.int(-3, 7))).toEqual(xs);
    expect(xs.every((x) => x >= -3 && x <= 7)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(5);
    expect(new Rng(43).next()).not.toBe(new Rng(42).next());
  });
});

describe('generateProgram', () => {
  it('is deterministic: the same seed and options give the same text', () => {
    for (const seed of [0, 1, 17, -5, 2 ** 31 - 1, 123456789]) {
      for (const opts of [{}, { lambdas: true }, { depth: 1, stmts: 3 }] as GenOptions[]) {
        const a = generateProgram(seed, opts);
        const b = generateProgram(seed, opts);
        expect(b.source).toBe(a.source);
        expect(b.features).toEqual(a.features);
      }
    }
  });

  it('gives different programs for different seeds', () => {
    const texts = new Set(Array.from({ length: 50 }, (_, s) => generateProgram(s).source));
    expect(texts.size).toBe(50);
  });

  it('covers every feature over 200 seeds (all switches on)', () => {
    const seen = new Set<string>();
    const on: GenOptions = { lambdas: true, numerics: true, heapCaptures: true, ownership: true, threads: true, pointerClasses: true };
    for (let seed = 0; seed < 200; seed++) for (const f of generateProgram(seed, on).features) seen.add(f);
    const all = possibleFeatures(on);
    expect(all.sort()).toEqual(Object.keys(FEATURES).sort());
    expect(all.filter((f) => !seen.has(f))).toEqual([]);
    expect([...seen].filter((f) => !(f in FEATURES))).toEqual([]);
  });

  it('covers every default feature over 200 seeds, and no lambdas, numerics or ownership by default', () => {
    const seen = new Set<string>();
    for (let seed = 1000; seed < 1200; seed++) for (const f of generateProgram(seed).features) seen.add(f);
    expect(possibleFeatures().filter((f) => !seen.has(f))).toEqual([]);
    const offByDefault = (f: string) => ['lambdas', 'numerics', 'heapCaptures', 'ownership', 'threads', 'pointerClasses'].includes(FEATURES[f] ?? '');
    expect([...seen].filter(offByDefault)).toEqual([]);
    expect(possibleFeatures().filter(offByDefault)).toEqual([]);
  });

  it('ends main with println("end"), and prints it before every early return from main', () => {
    for (let seed = 0; seed < 100; seed++) {
      const { source } = generateProgram(seed);
      const body = mainBody(source);
      expect(body[body.length - 1]).toBe('    println("end");');
      body.forEach((line, i) => {
        if (line.trim() === 'return;') expect(body[i - 1].trim()).toBe('println("end");');
      });
    }
  });

  it('respects the function count', () => {
    for (let seed = 0; seed < 30; seed++) {
      expect(generateProgram(seed, { functions: 0 }).source).not.toMatch(/^fun\d+\(/m);
      const n = (generateProgram(seed, { functions: 2 }).source.match(/^fun\d+\(/gm) ?? []).length;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(2);
    }
  });

  it('respects the nesting depth', () => {
    for (const depth of [0, 1, 2, 4]) {
      let deepest = 0;
      for (let seed = 0; seed < 60; seed++) {
        for (const line of generatedBodies(generateProgram(seed, { depth }).source)) deepest = Math.max(deepest, indentOf(line) / 4);
      }
      // a body at nesting d is indented d+1 levels; one-line forms (`unsafe {`, a list walk) add one
      expect(deepest).toBeLessThanOrEqual(depth + 2);
      if (depth > 0) expect(deepest).toBeGreaterThanOrEqual(depth + 1);
    }
    for (let seed = 0; seed < 30; seed++) {
      expect(generatedBodies(generateProgram(seed, { depth: 0 }).source).join('\n')).not.toMatch(/^\s*(while|for|loop|region)\b/m);
    }
  });

  it('respects statement and expression sizes and the loop trip bound', () => {
    const avg = (opts: GenOptions, measure: (src: string) => number): number => {
      let total = 0;
      for (let seed = 0; seed < 40; seed++) total += measure(generateProgram(seed, opts).source);
      return total / 40;
    };
    const lines = (src: string): number => generatedBodies(src).length;
    expect(avg({ stmts: 2 }, lines) * 2).toBeLessThan(avg({ stmts: 8 }, lines));
    const width = (src: string): number => {
      const ls = generatedBodies(src);
      return ls.reduce((n, l) => n + l.trim().length, 0) / ls.length;
    };
    expect(avg({ exprDepth: 1 }, width) * 1.3).toBeLessThan(avg({ exprDepth: 5 }, width));
    for (let seed = 0; seed < 40; seed++) {
      const src = generateProgram(seed, { loopIters: 2 }).source;
      for (const m of src.matchAll(/while \w+ < (\d+) \{|if \w+ > (\d+) \{ break; \}/g)) {
        expect(Number(m[1] ?? m[2])).toBeLessThanOrEqual(2);
      }
    }
  });

  it('honours the feature switches', () => {
    for (let seed = 0; seed < 60; seed++) {
      const noDrops = generateProgram(seed, { drops: false });
      expect(noDrops.source).not.toMatch(/\b(Res|Holder|Box|Vec|String|delete)\b/);
      const noPtr = generateProgram(seed, { pointers: false });
      expect(noPtr.source).not.toMatch(/\*mut|: \*i64|bump\(|res_id\(|Option<\*i64>|:= \*\(\*/);
      expect(generateProgram(seed, { regions: false }).source).not.toMatch(/\bregion\b|Link|Region/);
      expect(generateProgram(seed, { deletes: false }).source).not.toMatch(/\bdelete\b/);
      const noExits = generateProgram(seed, { earlyExits: false });
      expect(noExits.source).not.toMatch(/continue|\?\? (return|break)/);
      // the only break is the counter test of a `loop`, the only returns end a function
      for (const line of generatedBodies(noExits.source)) {
        if (/\bbreak\b/.test(line)) expect(line).toMatch(/if \w+ > \d+ \{ break; \}/);
        if (/^\s+return\b/.test(line) && !/\{ return .*; \}/.test(line)) expect(indentOf(line)).toBe(4);
      }
      expect(generateProgram(seed).source).not.toMatch(/apply\(|\) -> [^{]*;|-> \{/m);
      // the default programs use three integer types and no float
      expect(generateProgram(seed).source).not.toMatch(/\b(i8|i16|u16|u32|u64|f32|f64|print_fixed)\b|\d\.\d/);
      const noHeapCaptures = generateProgram(seed, { lambdas: true, numerics: true, ownership: true });
      expect(noHeapCaptures.features.filter((f) => FEATURES[f] === 'heapCaptures')).toEqual([]);
      // ownership needs drops: without drops, none of its values or helpers
      expect(generateProgram(seed, { ownership: true, drops: false }).source).not.toMatch(/\b(Pair|take_res|make_str|Option<String>)\b/);
      for (const [opts, gone] of [[{ drops: false }, 'drops'], [{ pointers: false }, 'pointers'], [{ regions: false }, 'regions'],
        [{ deletes: false }, 'deletes'], [{ earlyExits: false }, 'earlyExits']] as const) {
        const feats = generateProgram(seed, opts).features;
        expect(feats.filter((f) => FEATURES[f] === gone)).toEqual([]);
      }
    }
  });

  it('programArb is seeded by an integer and reproduces its program', () => {
    fc.assert(fc.property(programArb({ stmts: 3 }), (p) => {
      expect(generateProgram(p.seed, { stmts: 3 }).source).toBe(p.source);
    }), { numRuns: 20 });
  });
});

// The front end checks types, arity and mutability (E0001-E0013, E0030); a generated program
// must pass all of it. The memory-model checks and drop insertion come later: then the
// programs will also be run on both backends.
interface Api {
  runPipeline(src: { path: string; text: string }, opts?: { stopAfter?: string }): {
    ir: unknown; lastPass: string | null; diagnostics: { code: string; message: string; span: { start: number } }[];
  };
}

describe('generated programs pass the compiler front end', () => {
  let api: Api;
  beforeAll(async () => {
    const bundle = join(ROOT, 'dist/api.mjs');
    if (!existsSync(bundle)) {
      const b = spawnSync(process.execPath, [join(ROOT, 'tools/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`build failed:\n${b.stderr}`);
    }
    api = await import(pathToFileURL(bundle).href) as Api;
  });

  /** The diagnostics of one program, with the offending lines; saves it for reproduction on failure. */
  function problems(seed: number, opts: GenOptions, stopAfter?: string): string[] {
    const { source } = generateProgram(seed, opts);
    let out: string[];
    try {
      const r = api.runPipeline({ path: `gen-${seed}.zeta`, text: source }, stopAfter ? { stopAfter } : {});
      out = r.diagnostics.map((d) => {
        const line = source.slice(0, d.span.start).split('\n').length;
        return `${d.code} ${d.message} at line ${line}: ${source.split('\n')[line - 1].trim()}`;
      });
      if (out.length === 0 && !stopAfter && r.ir === null) out = [`no IR after ${r.lastPass}`];
    } catch (e) {
      out = [`internal compiler error: ${e instanceof Error ? e.message : String(e)}`];
    }
    if (out.length) {
      const file = join(tmpdir(), `zeta-gen-${seed}.zeta`);
      writeFileSync(file, source);
      out.unshift(`seed ${seed} ${JSON.stringify(opts)} (saved to ${file})`);
    }
    return out;
  }

  it('100 programs with the default options compile to the CFG with no errors', () => {
    const bad: string[] = [];
    for (let seed = 0; seed < 100; seed++) bad.push(...problems(seed, {}));
    expect(bad).toEqual([]);
  });

  it('40 larger programs with lambdas pass every check', () => {
    // lambda lowering is a later issue: stop after the checking passes
    const opts: GenOptions = { lambdas: true, functions: 6, depth: 4, stmts: 8, exprDepth: 4 };
    const bad: string[] = [];
    for (let seed = 500; seed < 540; seed++) bad.push(...problems(seed, opts, 'check-unsafe'));
    expect(bad).toEqual([]);
  });

  it('30 programs with lambdas capturing heap values and every number type compile with no errors', () => {
    const opts: GenOptions = { lambdas: true, heapCaptures: true, numerics: true };
    const bad: string[] = [];
    for (let seed = 700; seed < 730; seed++) bad.push(...problems(seed, opts));
    expect(bad).toEqual([]);
  });

  it('random seeds pass every check (fast-check prints a failing seed)', () => {
    fc.assert(fc.property(programArb(), (p) => {
      expect(problems(p.seed, {}, 'check-unsafe')).toEqual([]);
    }), { numRuns: 25 });
  });
});

// The reference interpreter (ir/interpret.ts) runs the compiled CFG as the backends would:
// every generated program must terminate with status 0 and print its final `end` line
// (no panic from bounds, division, unwrap or a full region; no endless loop).
describe('generated programs run to completion', () => {
  it('60 programs exit 0 in the reference interpreter and print `end`', async () => {
    const { runPipeline } = await import('../tools/driver.js');
    const { interpret } = await import('../ir/interpret.js');
    const bad: string[] = [];
    for (let seed = 0; seed < 60; seed++) {
      const { source } = generateProgram(seed);
      const r = runPipeline({ path: `gen-${seed}.zeta`, text: source });
      if (r.ir === null || r.ir.kind !== 'Module') { bad.push(`seed ${seed}: did not compile`); continue; }
      try {
        const run = interpret(r.ir as Parameters<typeof interpret>[0], { maxBlocks: 5_000_000 });
        const lines = run.stdout.split('\n');
        if (run.status !== 0 || !lines.includes('end')) bad.push(`seed ${seed}: status ${run.status}, ${run.stderr.trim()}`);
      } catch (e) {
        bad.push(`seed ${seed}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(bad).toEqual([]);
  }, 300_000);
});
