// No input may crash the compiler: programs near valid ones (the conformance samples, the
// examples and the spec tests, with random edits: a token deleted, duplicated, moved or
// replaced, a line dropped, the text cut short) go through every pass with verification
// on, and must come out either compiled or with diagnostics (each with a code and a span
// inside the file), never as an exception or an internal compiler error.
// The same programs check that a sweep and whole-module passes report the same.
// NO_CRASH_RUNS=N runs N programs instead of 400 (a longer campaign).

import { describe, expect } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPipeline } from '../tools/driver.js';
import { CONFORMANCE, ROOT } from '../tests/helpers.js';

function zetaFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.zeta')).map((f) => join(dir, f));
}
const SOURCES = [CONFORMANCE, join(ROOT, 'examples'), join(ROOT, 'tests', 'spec')].flatMap(zetaFiles).map((f) => readFileSync(f, 'utf8'));

/** Tokens enough to break programs in interesting ways (keywords, punctuation, operators). */
const VOCAB = ['(', ')', '{', '}', '[', ']', ';', ',', ':', '::', ':=', '=', '.', '..', '..=', '->', '*', '*mut', '&', '+', '-', '/',
  '%', '<', '>', '==', '!', '&&', '||', '??', '+=', 'mut', 'let', 'if', 'else', 'while', 'loop', 'for', 'in', 'return', 'break',
  'continue', 'fn', 'class', 'static', 'unsafe', 'delete', 'region', 'concurrent', 'spawn', 'Some', 'None', 'this', 'x', '0',
  '1i64', '2.5', '"s"', 'true', 'i32', 'i64', 'String', 'Vec<i32>', 'Option<*Node>', 'Region', '//~', '\n'];

type Edit = { kind: 'delete' | 'duplicate' | 'move' | 'replace' | 'insert' | 'dropLine' | 'truncate'; at: number; to: number; token: string };

/** The program's tokens, roughly (words, numbers, strings, punctuation, newlines). */
const tokenize = (text: string): string[] => text.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|\d[\w.]*|\n|\s+|[^\s\w]/g) ?? [];

function applyEdit(text: string, e: Edit): string {
  if (e.kind === 'truncate') return text.slice(0, Math.floor(text.length * (e.at % 1000) / 1000));
  if (e.kind === 'dropLine') {
    const lines = text.split('\n');
    lines.splice(e.at % lines.length, 1);
    return lines.join('\n');
  }
  const toks = tokenize(text);
  const i = e.at % Math.max(1, toks.length), j = e.to % Math.max(1, toks.length);
  switch (e.kind) {
    case 'delete': toks.splice(i, 1); break;
    case 'duplicate': toks.splice(i, 0, toks[i] ?? ''); break;
    case 'move': { const [t] = toks.splice(i, 1); toks.splice(j, 0, t ?? ''); break; }
    case 'replace': toks[i] = e.token; break;
    case 'insert': toks.splice(i, 0, ` ${e.token} `); break;
  }
  return toks.join('');
}

const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('delete', 'duplicate', 'move', 'replace', 'insert', 'dropLine', 'truncate'),
  at: fc.nat(), to: fc.nat(), token: fc.constantFrom(...VOCAB),
});

describe.skipIf(SOURCES.length === 0)('the compiler never crashes', () => {
  fcTest.prop([fc.nat({ max: SOURCES.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 3 })], { numRuns: Number(process.env.NO_CRASH_RUNS ?? 400) })(
    'on near-valid programs: compiled, or diagnostics with codes and spans in the file',
    (which, edits) => {
      const text = edits.reduce(applyEdit, SOURCES[which]);
      let r;
      try {
        r = runPipeline({ path: 'mutant.zeta', text }, { verifyEach: true });
      } catch (e) {
        // an exception (internal compiler error included) fails the property, with the program
        throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- the program:\n${text}`);
      }
      for (const d of r.diagnostics) {
        expect(d.code, d.message).toMatch(/^E\d{4}$/);
        expect(d.span.start).toBeGreaterThanOrEqual(0);
        expect(d.span.end).toBeLessThanOrEqual(text.length);
        expect(d.span.start).toBeLessThanOrEqual(d.span.end);
      }
      if (r.diagnostics.length === 0) expect(r.ir).not.toBeNull();
    },
  );

  // The sweep (every pass after parse one function at a time, passes ending the pipeline
  // part-way through it) must report what running each pass over the whole module reports:
  // near-valid programs are where syntax and type errors stop it at every point of a sweep.
  fcTest.prop([fc.nat({ max: SOURCES.length - 1 }), fc.array(editArb, { minLength: 1, maxLength: 3 })], { numRuns: Number(process.env.NO_CRASH_RUNS ?? 400) / 2 })(
    'on near-valid programs, a sweep reports what whole-module passes report',
    (which, edits) => {
      const text = edits.reduce(applyEdit, SOURCES[which]);
      const outcome = (wholeModule: boolean) => {
        const r = runPipeline({ path: 'mutant.zeta', text }, { wholeModule });
        return { lastPass: r.lastPass, ir: r.ir !== null, diagnostics: r.diagnostics.map((d) => `${d.code} ${d.span.start}..${d.span.end} ${d.message}`) };
      };
      expect(outcome(false), text).toEqual(outcome(true));
    },
  );
});
