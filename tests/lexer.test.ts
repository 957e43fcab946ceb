// Tests of the lexer of the parse pass (passes/syntax/lexer.ts): tokens, literal values,
// comments, bracket pairing and lexical errors.
import { describe, expect, it } from 'vitest';
import { lex, releaseTokens, Tok, TOKEN_TEXT, type IntValue, type FloatValue, type Tokens } from '../passes/syntax/lexer.js';
import { Diagnostics } from '../ir/diagnostics.js';

const NAME_OF = Object.fromEntries(Object.entries(Tok).map(([name, k]) => [k, name]));

function tokens(text: string): { t: Tokens; diag: Diagnostics } {
  const diag = new Diagnostics();
  return { t: lex(text, diag), diag };
}

/** Each token as its fixed text, or KIND(text) for identifiers and literals. */
function show(text: string): string[] {
  const { t, diag } = tokens(text);
  expect(diag.list).toEqual([]);
  const out: string[] = [];
  for (let i = 0; i < t.count - 1; i++) {
    const k = t.kind[i];
    out.push(TOKEN_TEXT[k] ?? `${NAME_OF[k]}(${text.slice(t.start[i], t.end[i])})`);
  }
  expect(t.kind[t.count - 1]).toBe(Tok.EOF);
  return out;
}

describe('lexer', () => {
  it('punctuation, longest match first', () => {
    expect(show(':: := : .. ..= . -> -= - << <<= < <= >> >>= > >= == = != ! && & &= || | |= ?? ^ ^= ~ + += * *= / /= % %='))
      .toEqual(':: := : .. ..= . -> -= - << <<= < <= >> >>= > >= == = != ! && & &= || | |= ?? ^ ^= ~ + += * *= / /= % %='.split(' '));
    expect(show('x:=*y;a<<=b>>c')).toEqual(['Ident(x)', ':=', '*', 'Ident(y)', ';', 'Ident(a)', '<<=', 'Ident(b)', '>>', 'Ident(c)']);
  });

  it('keywords and identifiers', () => {
    expect(show('mut class if else while for in loop break continue return true false unsafe delete region extern static as concurrent fn'))
      .toEqual('mut class if else while for in loop break continue return true false unsafe delete region extern static as concurrent fn'.split(' '));
    expect(show('this Some None _x mutable classy fns Region as_x')).toEqual(
      ['Ident(this)', 'Ident(Some)', 'Ident(None)', 'Ident(_x)', 'Ident(mutable)', 'Ident(classy)', 'Ident(fns)', 'Ident(Region)', 'Ident(as_x)']);
  });

  it('numbers: ranges are not floats', () => {
    expect(show('1..=3 0..n 1.5 1.max 1e9 2.5e-3 7u8 0xffu8')).toEqual(
      ['Int(1)', '..=', 'Int(3)', 'Int(0)', '..', 'Ident(n)', 'Float(1.5)', 'Int(1)', '.', 'Ident(max)', 'Float(1e9)',
        'Float(2.5e-3)', 'Int(7u8)', 'Int(0xffu8)']);
  });

  it('literal values', () => {
    const { t } = tokens('1_000 0x1F 0b101 42i64 007 3.25f32 4.8e+00 "a\\x41\\n"');
    const lit = (i: number) => t.lits[t.aux[i]];
    expect([0, 1, 2, 3, 4].map((i) => lit(i) as IntValue)).toEqual([
      { value: '1000', suffix: null }, { value: '31', suffix: null }, { value: '5', suffix: null },
      { value: '42', suffix: 'i64' }, { value: '7', suffix: null }]);
    expect([5, 6].map((i) => lit(i) as FloatValue)).toEqual([{ value: 3.25, suffix: 'f32' }, { value: 4.8, suffix: null }]);
    expect(lit(7)).toBe('aA\n');
  });

  it('comments nest and vanish', () => {
    expect(show('a // b c\n d /* e /* f */ g */ h /**/ i')).toEqual(['Ident(a)', 'Ident(d)', 'Ident(h)', 'Ident(i)']);
  });

  it('spans are exact', () => {
    const { t } = tokens('  foo  <<= "x\\n"');
    expect([t.start[0], t.end[0], t.start[1], t.end[1], t.start[2], t.end[2]]).toEqual([2, 5, 7, 10, 11, 16]);
  });

  it('pairs brackets, skipping unclosed ones', () => {
    const { t } = tokens('{ ( [ ] ) } { f(1 + }');
    expect(Array.from(t.match.slice(0, t.count))).toEqual([5, 4, 3, 2, 1, 0, 11, -1, -1, -1, -1, 6, -1]);
    const stray = tokens(') ] } ( ]').t;
    expect(Array.from(stray.match.slice(0, stray.count))).toEqual([-1, -1, -1, -1, -1, -1]);
  });

  it('lexical errors are E0001 (E0003 for literals too large) and never throw', () => {
    const { diag } = tokens('a @ b ? "\\q" 99999999999999999999999 "open');
    expect(diag.list.map((d) => `${d.code} ${d.message} ${d.span.start}-${d.span.end}`)).toEqual([
      'E0001 unexpected character `@` 2-3',
      'E0001 unexpected character `?` 6-7',
      'E0001 unknown character escape `\\q` 9-11',
      'E0003 integer literal is too large 13-36',
      'E0001 unterminated string literal 37-38',
    ]);
    expect(tokens('/* /* */').diag.list.map((d) => d.message)).toEqual(['unterminated block comment']);
    expect(tokens('😀 \u0000').diag.list.map((d) => [d.message, d.span.end - d.span.start])).toEqual([
      ['unexpected character `😀`', 2], ['unexpected character `\\u{0}`', 1]]);
  });

  it('grows its token arrays past the initial estimate', () => {
    const { t } = tokens(';'.repeat(10_000));
    expect(t.count).toBe(10_001);
  });

  it('a released file\'s arrays serve the next lex, which sees none of the old tokens', () => {
    const plain = (t: Tokens) => Array.from({ length: t.count }, (_, i) => [t.kind[i], t.start[i], t.end[i], t.aux[i], t.match[i]]);
    const big = '{ ((a)) [b] } '.repeat(2000);
    const small = 'f(x) { y }';
    const fresh = plain(tokens(small).t);
    const old = tokens(big).t;
    releaseTokens(old);
    const reused = tokens(small).t;
    expect(reused.kind).toBe(old.kind); // (the same memory: that is the point)
    expect(plain(reused)).toEqual(fresh);
    expect(reused.balanced).toBe(true);
    // taken once: the next lex gets fresh arrays
    expect(tokens(small).t.kind).not.toBe(old.kind);
  });
});
