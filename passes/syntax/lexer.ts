// The lexer of the parse pass: turns Zeta source text (spec §1) into a flat token array.
// It exists as its own module so the parser can look ahead and backtrack over tokens
// cheaply (lambda vs parenthesised expression, generic path vs less-than) and so both
// stay fast: one pass over char codes, no regular expressions, tokens stored as parallel
// typed arrays rather than one object per token. It also pairs every bracket with its
// partner (`match`), which the parser uses to decide lambdas in O(1) and to skip whole
// bracket groups when recovering from a syntax error.
//
// Spans are offsets into the source string (the positions `ir/diagnostics.ts` renders).

import type { Diagnostics } from '../../ir/diagnostics.js';

/** Token kinds. Keywords and punctuation each have their own kind. */
export const Tok = {
  EOF: 0, Ident: 1, Int: 2, Float: 3, Str: 4,
  // keywords (spec §1; `this`, `Some` and `None` are lexed as identifiers: they are names in Lsrc)
  Mut: 5, Class: 6, If: 7, Else: 8, While: 9, For: 10, In: 11, Loop: 12, Break: 13, Continue: 14,
  Return: 15, True: 16, False: 17, Unsafe: 18, Delete: 19, Region: 20, Extern: 21, Static: 22, As: 23,
  Concurrent: 24, Fn: 25,
  // punctuation
  LParen: 30, RParen: 31, LBrace: 32, RBrace: 33, LBracket: 34, RBracket: 35,
  Comma: 36, Semi: 37, Colon: 38, ColonColon: 39, ColonEq: 40, Dot: 41, DotDot: 42, DotDotEq: 43, Arrow: 44,
  Plus: 45, Minus: 46, Star: 47, Slash: 48, Percent: 49, Amp: 50, Pipe: 51, Caret: 52, Tilde: 53, Bang: 54,
  Eq: 55, EqEq: 56, Ne: 57, Lt: 58, Le: 59, Gt: 60, Ge: 61, Shl: 62, Shr: 63, AndAnd: 64, OrOr: 65, QQ: 66,
  PlusEq: 67, MinusEq: 68, StarEq: 69, SlashEq: 70, PercentEq: 71, AmpEq: 72, PipeEq: 73, CaretEq: 74,
  ShlEq: 75, ShrEq: 76,
} as const;
export type TokKind = (typeof Tok)[keyof typeof Tok];

const KEYWORDS = new Map<string, TokKind>([
  ['mut', Tok.Mut], ['class', Tok.Class], ['if', Tok.If], ['else', Tok.Else], ['while', Tok.While],
  ['for', Tok.For], ['in', Tok.In], ['loop', Tok.Loop], ['break', Tok.Break], ['continue', Tok.Continue],
  ['return', Tok.Return], ['true', Tok.True], ['false', Tok.False], ['unsafe', Tok.Unsafe],
  ['delete', Tok.Delete], ['region', Tok.Region], ['extern', Tok.Extern], ['static', Tok.Static],
  ['as', Tok.As], ['concurrent', Tok.Concurrent], ['fn', Tok.Fn],
]);

/** How each fixed token is written, for messages ("expected `;`, found `}`"). */
export const TOKEN_TEXT: Readonly<Record<number, string>> = Object.fromEntries([
  ...[...KEYWORDS].map(([text, kind]) => [kind, text]),
  [Tok.LParen, '('], [Tok.RParen, ')'], [Tok.LBrace, '{'], [Tok.RBrace, '}'], [Tok.LBracket, '['], [Tok.RBracket, ']'],
  [Tok.Comma, ','], [Tok.Semi, ';'], [Tok.Colon, ':'], [Tok.ColonColon, '::'], [Tok.ColonEq, ':='], [Tok.Dot, '.'],
  [Tok.DotDot, '..'], [Tok.DotDotEq, '..='], [Tok.Arrow, '->'], [Tok.Plus, '+'], [Tok.Minus, '-'], [Tok.Star, '*'],
  [Tok.Slash, '/'], [Tok.Percent, '%'], [Tok.Amp, '&'], [Tok.Pipe, '|'], [Tok.Caret, '^'], [Tok.Tilde, '~'],
  [Tok.Bang, '!'], [Tok.Eq, '='], [Tok.EqEq, '=='], [Tok.Ne, '!='], [Tok.Lt, '<'], [Tok.Le, '<='], [Tok.Gt, '>'],
  [Tok.Ge, '>='], [Tok.Shl, '<<'], [Tok.Shr, '>>'], [Tok.AndAnd, '&&'], [Tok.OrOr, '||'], [Tok.QQ, '??'],
  [Tok.PlusEq, '+='], [Tok.MinusEq, '-='], [Tok.StarEq, '*='], [Tok.SlashEq, '/='], [Tok.PercentEq, '%='],
  [Tok.AmpEq, '&='], [Tok.PipeEq, '|='], [Tok.CaretEq, '^='], [Tok.ShlEq, '<<='], [Tok.ShrEq, '>>='],
]);

export interface IntValue { readonly value: string; readonly suffix: string | null }
export interface FloatValue { readonly value: number; readonly suffix: string | null }

/**
 * The token array. Token i spans [start[i], end[i]); the last token is EOF.
 * Literal tokens have their value in `lits[aux[i]]` (IntValue, FloatValue, or the decoded
 * string); an identifier has the `identHash` of its text in `aux[i]` (made while scanning it,
 * so the parser interns names without reading their characters again). `match[i]` is the
 * index of the bracket paired with bracket i, or -1.
 * `kind` and `start` are mutable so the parser can split `>>` when closing nested generics.
 */
export interface Tokens {
  readonly count: number;
  readonly kind: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly aux: Int32Array;
  readonly lits: readonly (IntValue | FloatValue | string)[];
  readonly match: Int32Array;
  /** where an unterminated string or block comment starts (it runs to the end of the file), or -1 */
  readonly unterminatedAt: number;
  /** whether every bracket is paired with one of its kind, properly nested */
  readonly balanced: boolean;
}

// character classes, indexed by char code < 128
const IDENT_START = 1, IDENT_CONT = 2, DIGIT = 4, SPACE = 8;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) CLASS[c] |= IDENT_START | IDENT_CONT;
  if (/[0-9]/.test(ch)) CLASS[c] |= DIGIT | IDENT_CONT;
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') CLASS[c] |= SPACE;
}
const isIdentCont = (c: number) => c < 128 && (CLASS[c] & IDENT_CONT) !== 0;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexDigit = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

const INT_SUFFIXES = new Set(['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64']);
const U64_MAX = (1n << 64n) - 1n;
/** Lexical errors reported at most, per file. */
export const MAX_LEX_ERRORS = 100;


/** Lexes `text`; lexical errors (E0001, E0003 for huge literals) go to `diag`. Never throws. */
export function lex(text: string, diag: Diagnostics): Tokens {
  return new Lexer(text, diag).run();
}

/**
 * The arrays of tokens no compile reads any more (releaseTokens), kept for the next lex.
 * Why: a large file's arrays are large (17 bytes per token, ~100 MB for a million lines), and
 * the first touch of fresh memory costs a page fault per 4 KB: on the benchmark's host,
 * 14 µs each, half a second for a million-line file, every compile.
 */
let spare: { kind: Uint8Array; start: Int32Array; end: Int32Array; aux: Int32Array; match: Int32Array } | null = null;
/** arrays larger than this many tokens are not kept (memory a long-running process would hold on to) */
const MAX_SPARE_TOKENS = 1 << 24;

/** Gives `t`'s arrays to the next lex: only when nothing will read `t` again. */
export function releaseTokens(t: Tokens): void {
  if (t.kind.length > MAX_SPARE_TOKENS || (spare !== null && spare.kind.length >= t.kind.length)) return;
  spare = { kind: t.kind, start: t.start, end: t.end, aux: t.aux, match: t.match };
}

/** The hash of identifier text[s, e) that the lexer leaves in `aux` (the scan loop computes it inline). */
export const identHash = (text: string, s: number, e: number): number => {
  let h = 0;
  for (let j = s; j < e; j++) h = (h * 31 + text.charCodeAt(j)) | 0;
  return h;
};
// Keywords are recognised without slicing the identifier: the low bits of its hash index a
// table (sized so that no two keywords share a slot) that gives the one candidate, and
// `startsWith` confirms it. Cheaper than a Map lookup for every identifier.
const KEYWORD_LIST = [...KEYWORDS];
let KEYWORD_MASK = 31;
let KEYWORD_SLOTS = new Uint8Array(0); // slot -> 1 + index in KEYWORD_LIST, 0 for none
for (;; KEYWORD_MASK = KEYWORD_MASK * 2 + 1) {
  KEYWORD_SLOTS = new Uint8Array(KEYWORD_MASK + 1);
  const ok = KEYWORD_LIST.every(([kw], i) => {
    const slot = identHash(kw, 0, kw.length) & KEYWORD_MASK;
    if (KEYWORD_SLOTS[slot] !== 0) return false;
    KEYWORD_SLOTS[slot] = i + 1;
    return true;
  });
  if (ok) break;
}
const MAX_KEYWORD_LENGTH = 10;

class Lexer {
  private cap: number;
  private kind: Uint8Array;
  private start: Int32Array;
  private end: Int32Array;
  private aux: Int32Array;
  private readonly lits: (IntValue | FloatValue | string)[] = [];
  private count = 0;
  private readonly n: number;
  /** a file of garbage should not drown the user (nor make the sink quadratic) */
  private reported = 0;
  /** plain integer literals seen, by a hash of their token text: the text and its entry in `lits` */
  private readonly intLits = new Map<number, { text: string; index: number }>();
  private unterminatedAt = -1;
  /** a released `match` array to pair brackets in (see `spare`) */
  private spareMatch: Int32Array | null = null;

  constructor(private readonly text: string, private readonly diag: Diagnostics) {
    this.n = text.length;
    this.cap = (this.n >> 1) + 16;
    if (spare !== null && spare.kind.length >= this.cap) {
      // (every slot below `count` is written before it is read; `match` is filled by
      // pairBrackets, which takes a fresh one if it is too short)
      ({ kind: this.kind, start: this.start, end: this.end, aux: this.aux, match: this.spareMatch } = spare);
      this.cap = this.kind.length;
      spare = null;
    } else {
      this.kind = new Uint8Array(this.cap);
      this.start = new Int32Array(this.cap);
      this.end = new Int32Array(this.cap);
      this.aux = new Int32Array(this.cap);
    }
  }

  private grow(): void {
    this.cap *= 2;
    const k = new Uint8Array(this.cap); k.set(this.kind); this.kind = k;
    const s = new Int32Array(this.cap); s.set(this.start); this.start = s;
    const e = new Int32Array(this.cap); e.set(this.end); this.end = e;
    const a = new Int32Array(this.cap); a.set(this.aux); this.aux = a;
  }

  private push(k: number, s: number, e: number, lit: number): void {
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    this.kind[i] = k; this.start[i] = s; this.end[i] = e; this.aux[i] = lit;
  }

  private report(code: 'E0001' | 'E0003', s: number, e: number, message: string, help?: string): void {
    if (this.reported++ < MAX_LEX_ERRORS) this.diag.error(code, { start: s, end: e }, message, help ? { help } : {});
  }
  private err(s: number, e: number, message: string, help?: string): void { this.report('E0001', s, e, message, help); }

  run(): Tokens {
    const text = this.text;
    const n = this.n;
    let i = 0;
    if (n > 0 && text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 128 && (CLASS[c] & SPACE) !== 0) { i++; continue; }
      const s = i;
      if (c < 128 && (CLASS[c] & IDENT_START) !== 0) {
        let h = c; // identHash
        i++;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d < 128 && (CLASS[d] & IDENT_CONT) !== 0) { h = (h * 31 + d) | 0; i++; } else break;
        }
        if (i - s <= MAX_KEYWORD_LENGTH && c >= 97) {
          const slot = KEYWORD_SLOTS[h & KEYWORD_MASK];
          if (slot !== 0) {
            const kw = KEYWORD_LIST[slot - 1];
            if (kw[0].length === i - s && text.startsWith(kw[0], s)) { this.push(kw[1], s, i, -1); continue; }
          }
        }
        this.push(Tok.Ident, s, i, h);
        continue;
      }
      if (isDigit(c)) { i = this.lexNumber(s); continue; }
      const c1 = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      const c2 = i + 2 < n ? text.charCodeAt(i + 2) : 0;
      switch (c) {
        case 34 /* " */: i = this.lexString(s); continue;
        case 47 /* / */:
          if (c1 === 47) { // line comment
            i += 2;
            while (i < n && text.charCodeAt(i) !== 10) i++;
            continue;
          }
          if (c1 === 42) { i = this.skipBlockComment(s); continue; }
          i = this.op2(s, c1, Tok.Slash, Tok.SlashEq, s); continue;
        case 40: i = this.op1(s, Tok.LParen); continue;
        case 41: i = this.op1(s, Tok.RParen); continue;
        case 123: i = this.op1(s, Tok.LBrace); continue;
        case 125: i = this.op1(s, Tok.RBrace); continue;
        case 91: i = this.op1(s, Tok.LBracket); continue;
        case 93: i = this.op1(s, Tok.RBracket); continue;
        case 44: i = this.op1(s, Tok.Comma); continue;
        case 59: i = this.op1(s, Tok.Semi); continue;
        case 126: i = this.op1(s, Tok.Tilde); continue;
        case 58 /* : */:
          if (c1 === 58) { this.push(Tok.ColonColon, s, s + 2, -1); i += 2; continue; }
          i = this.op2(s, c1, Tok.Colon, Tok.ColonEq, s); continue;
        case 46 /* . */:
          if (c1 === 46) {
            if (c2 === 61) { this.push(Tok.DotDotEq, s, s + 3, -1); i += 3; continue; }
            this.push(Tok.DotDot, s, s + 2, -1); i += 2; continue;
          }
          i = this.op1(s, Tok.Dot); continue;
        case 45 /* - */:
          if (c1 === 62) { this.push(Tok.Arrow, s, s + 2, -1); i += 2; continue; }
          i = this.op2(s, c1, Tok.Minus, Tok.MinusEq, s); continue;
        case 43: i = this.op2(s, c1, Tok.Plus, Tok.PlusEq, s); continue;
        case 42: i = this.op2(s, c1, Tok.Star, Tok.StarEq, s); continue;
        case 37: i = this.op2(s, c1, Tok.Percent, Tok.PercentEq, s); continue;
        case 94: i = this.op2(s, c1, Tok.Caret, Tok.CaretEq, s); continue;
        case 61: i = this.op2(s, c1, Tok.Eq, Tok.EqEq, s); continue;
        case 33: i = this.op2(s, c1, Tok.Bang, Tok.Ne, s); continue;
        case 38 /* & */:
          if (c1 === 38) { this.push(Tok.AndAnd, s, s + 2, -1); i += 2; continue; }
          i = this.op2(s, c1, Tok.Amp, Tok.AmpEq, s); continue;
        case 124 /* | */:
          if (c1 === 124) { this.push(Tok.OrOr, s, s + 2, -1); i += 2; continue; }
          i = this.op2(s, c1, Tok.Pipe, Tok.PipeEq, s); continue;
        case 60 /* < */:
          if (c1 === 60) { i = this.op2(s + 1, c2, Tok.Shl, Tok.ShlEq, s); continue; }
          i = this.op2(s, c1, Tok.Lt, Tok.Le, s); continue;
        case 62 /* > */:
          if (c1 === 62) { i = this.op2(s + 1, c2, Tok.Shr, Tok.ShrEq, s); continue; }
          i = this.op2(s, c1, Tok.Gt, Tok.Ge, s); continue;
        case 63 /* ? */:
          if (c1 === 63) { this.push(Tok.QQ, s, s + 2, -1); i += 2; continue; }
          this.err(s, s + 1, 'unexpected character `?`', 'Zeta has no `?` operator; `e ?? f` gives `f` when `e` is `None`');
          i++; continue;
      }
      // anything else is not part of the language; report the whole code point
      const cp = text.codePointAt(i) ?? c;
      const width = cp > 0xffff ? 2 : 1;
      const shown = cp < 32 || cp === 127 ? `\\u{${cp.toString(16)}}` : String.fromCodePoint(cp);
      this.err(s, s + width, `unexpected character \`${shown}\``);
      i += width;
    }
    this.push(Tok.EOF, n, n, -1);
    const count = this.count;
    const kind = this.kind;
    const { match, balanced } = pairBrackets(kind, count, this.spareMatch, this.cap);
    return { count, kind, start: this.start, end: this.end, aux: this.aux, lits: this.lits, match, balanced, unterminatedAt: this.unterminatedAt };
  }

  private op1(at: number, k: number): number {
    this.push(k, at, at + 1, -1);
    return at + 1;
  }

  /** One- or two-char operator: `base`, or `withEq` when followed by `=`. `from` is where it starts. */
  private op2(at: number, next: number, base: number, withEq: number, from: number): number {
    if (next === 61) { this.push(withEq, from, at + 2, -1); return at + 2; }
    this.push(base, from, at + 1, -1);
    return at + 1;
  }

  private skipBlockComment(s: number): number {
    const text = this.text;
    const n = this.n;
    let depth = 1;
    let j = s + 2;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 42 && j + 1 < n && text.charCodeAt(j + 1) === 47) { j += 2; if (--depth === 0) return j; continue; }
      if (ch === 47 && j + 1 < n && text.charCodeAt(j + 1) === 42) { j += 2; depth++; continue; }
      j++;
    }
    if (this.unterminatedAt < 0) this.unterminatedAt = s;
    this.err(s, s + 2, 'unterminated block comment', 'close it with `*/` (block comments nest)');
    return n;
  }

  private lexString(s: number): number {
    const text = this.text;
    const n = this.n;
    let j = s + 1;
    let value = '';
    let chunk = j;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 34) {
        value += text.slice(chunk, j);
        this.push(Tok.Str, s, j + 1, this.lits.push(value) - 1);
        return j + 1;
      }
      if (ch !== 92) { j++; continue; }
      value += text.slice(chunk, j);
      const e = j + 1 < n ? text.charCodeAt(j + 1) : -1;
      let len = 2;
      switch (e) {
        case 110: value += '\n'; break;
        case 116: value += '\t'; break;
        case 114: value += '\r'; break;
        case 92: value += '\\'; break;
        case 34: value += '"'; break;
        case 48: value += '\0'; break;
        case 120 /* x */: {
          const h1 = j + 2 < n ? text.charCodeAt(j + 2) : -1;
          const h2 = j + 3 < n ? text.charCodeAt(j + 3) : -1;
          if (isHexDigit(h1) && isHexDigit(h2)) {
            len = 4;
            const code = parseInt(text.slice(j + 2, j + 4), 16);
            // strings are UTF-8 (spec §1); a lone byte above 0x7F would not be, as in Rust
            if (code > 0x7f) this.err(j, j + 4, 'out of range hex escape', 'a `\\xNN` escape must be at most `\\x7F`');
            value += String.fromCharCode(code);
          } else {
            len = isHexDigit(h1) ? 3 : 2;
            this.err(j, j + len, 'invalid hex escape', 'write exactly two hex digits: `\\x41`');
          }
          break;
        }
        case -1: len = 1; break; // the unterminated-string error below covers it
        default: {
          const cp = text.codePointAt(j + 1) ?? e;
          len = cp > 0xffff ? 3 : 2;
          this.err(j, j + len, `unknown character escape \`\\${String.fromCodePoint(cp)}\``,
            'the escapes are \\n \\t \\r \\\\ \\" \\0 \\xNN');
        }
      }
      j += len;
      chunk = j;
    }
    if (this.unterminatedAt < 0) this.unterminatedAt = s;
    this.err(s, s + 1, 'unterminated string literal', 'close the string with `"`');
    value += text.slice(chunk, n);
    this.push(Tok.Str, s, n, this.lits.push(value) - 1);
    return n;
  }

  private lexNumber(s: number): number {
    const text = this.text;
    const n = this.n;
    let j = s;
    const c1 = s + 1 < n ? text.charCodeAt(s + 1) : 0;
    if (text.charCodeAt(s) === 48 && (c1 === 120 || c1 === 88 || c1 === 98 || c1 === 66)) return this.lexRadixInt(s, c1 === 120 || c1 === 88 ? 16 : 2);
    let underscores = false;
    for (; j < n; j++) {
      const ch = text.charCodeAt(j);
      if (ch === 95) underscores = true; else if (!isDigit(ch)) break;
    }
    let isFloat = false;
    // `1.5` is a float; `1..2` and `1.method()` are not
    if (j + 1 < n && text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) {
      isFloat = true;
      j++;
      while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 95)) j++;
    }
    const ec = j < n ? text.charCodeAt(j) : 0;
    if (ec === 101 || ec === 69) {
      const sign = j + 1 < n ? text.charCodeAt(j + 1) : 0;
      const firstDigit = sign === 43 || sign === 45 ? j + 2 : j + 1;
      if (firstDigit < n && isDigit(text.charCodeAt(firstDigit))) {
        isFloat = true;
        j = firstDigit;
        while (j < n && (isDigit(text.charCodeAt(j)) || text.charCodeAt(j) === 95)) j++;
      }
    }
    const numEnd = j;
    while (j < n && isIdentCont(text.charCodeAt(j))) j++;
    const suffix = j > numEnd ? text.slice(numEnd, j) : '';
    if (isFloat || suffix === 'f32' || suffix === 'f64') {
      let fsuffix: string | null = null;
      if (suffix === 'f32' || suffix === 'f64') fsuffix = suffix;
      else if (suffix !== '') this.err(numEnd, j, `invalid suffix \`${suffix}\` for a float literal`, 'the float suffixes are `f32` and `f64`');
      const value = Number(text.slice(s, numEnd).replaceAll('_', ''));
      if (!Number.isFinite(value)) this.report('E0003', s, j, `float literal is out of range for ${fsuffix ?? 'f64'}`);
      this.push(Tok.Float, s, j, this.lits.push({ value, suffix: fsuffix }) - 1);
      return j;
    }
    // a short plain literal (nearly all of them) is interned: its token text is looked up first,
    // so `0`, `1`, ... share one literal value (and one string in the tree) each
    const plain = !underscores && numEnd - s <= 15 && (numEnd - s === 1 || text.charCodeAt(s) !== 48);
    let h = 0;
    if (plain) {
      h = j - s;
      for (let q = s; q < j; q++) h = (h * 31 + text.charCodeAt(q)) | 0;
      const known = this.intLits.get(h);
      if (known !== undefined && known.text.length === j - s && text.startsWith(known.text, s)) {
        this.push(Tok.Int, s, j, known.index);
        return j;
      }
    }
    let digits = text.slice(s, numEnd);
    if (underscores) digits = digits.replaceAll('_', '');
    let value: string;
    // the common case needs no BigInt: short, no leading zero
    if (digits.length <= 15 && (digits.length === 1 || digits.charCodeAt(0) !== 48)) value = digits;
    else value = this.bigDecimal(digits, s, numEnd, digits.replace(/^0+/, '').length > 20);
    const index = this.lits.push({ value, suffix: this.intSuffix(suffix, numEnd, j) }) - 1;
    // (only well-formed ones: an invalid suffix must be reported at each occurrence)
    if (plain && !this.intLits.has(h) && (suffix === '' || INT_SUFFIXES.has(suffix))) this.intLits.set(h, { text: text.slice(s, j), index });
    this.push(Tok.Int, s, j, index);
    return j;
  }

  private lexRadixInt(s: number, radix: 16 | 2): number {
    const text = this.text;
    const n = this.n;
    let j = s + 2;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 95 || (radix === 16 ? isHexDigit(ch) : isDigit(ch))) j++;
      else break;
    }
    const digits = text.slice(s + 2, j).replaceAll('_', '');
    const sufFrom = j;
    while (j < n && isIdentCont(text.charCodeAt(j))) j++;
    const name = radix === 16 ? 'hexadecimal' : 'binary';
    let value = '0';
    if (digits.length === 0) this.err(s, j, `missing digits after the ${name} prefix`);
    else if (radix === 2 && /[2-9]/.test(digits)) this.err(s, sufFrom, 'invalid digit for a binary literal', 'binary literals use only 0 and 1');
    else {
      const bits = digits.replace(/^0+/, '').length * (radix === 16 ? 4 : 1);
      value = this.bigDecimal((radix === 16 ? '0x' : '0b') + digits, s, sufFrom, bits > 64);
    }
    this.push(Tok.Int, s, j, this.lits.push({ value, suffix: this.intSuffix(text.slice(sufFrom, j), sufFrom, j) }) - 1);
    return j;
  }

  /** The decimal value of an integer literal; E0003 when it cannot be a u64 (spec §4). */
  private bigDecimal(literal: string, s: number, e: number, surelyTooLarge: boolean): string {
    if (!surelyTooLarge) {
      const v = BigInt(literal);
      if (v <= U64_MAX) return v.toString();
    }
    this.report('E0003', s, e, 'integer literal is too large',
      'the largest integer type is `u64`, whose maximum is 18446744073709551615');
    return U64_MAX.toString();
  }

  private intSuffix(suffix: string, s: number, e: number): string | null {
    if (suffix === '') return null;
    if (INT_SUFFIXES.has(suffix)) return suffix;
    this.err(s, e, `invalid suffix \`${suffix}\` for an integer literal`, 'the integer suffixes are i8 i16 i32 i64 u8 u16 u32 u64');
    return null;
  }
}

/**
 * Pairs brackets. A closer pairs with the nearest open bracket of its kind, abandoning the
 * unclosed brackets opened after that one (`f(1 + }` pairs `}` with the block's `{`); a
 * closer with no open bracket of its kind stays unpaired. Linear: each opener is popped once.
 * Balanced: no bracket was left unpaired.
 */
function pairBrackets(kind: Uint8Array, count: number, into: Int32Array | null, cap: number): { match: Int32Array; balanced: boolean } {
  // (as long as the other arrays, so it can be released with them; pages past `count` are never touched)
  const match = (into !== null && into.length >= count ? into : new Int32Array(Math.max(count, cap))).fill(-1, 0, count);
  const stack: number[] = [];
  const open = new Int32Array(128); // open brackets on the stack, per opener kind
  let balanced = true;
  for (let i = 0; i < count; i++) {
    const k = kind[i];
    if (k === Tok.LParen || k === Tok.LBrace || k === Tok.LBracket) { stack.push(i); open[k]++; continue; }
    const opener = k === Tok.RParen ? Tok.LParen : k === Tok.RBrace ? Tok.LBrace : k === Tok.RBracket ? Tok.LBracket : -1;
    if (opener < 0) continue;
    if (open[opener] === 0) { balanced = false; continue; }
    for (;;) {
      const o = stack.pop()!;
      open[kind[o]]--;
      if (kind[o] === opener) { match[o] = i; match[i] = o; break; }
      balanced = false;
    }
  }
  return { match, balanced: balanced && stack.length === 0 };
}

/** How a token reads in a message: "`}`", "`foo`", "end of file". */
export function describeToken(t: Tokens, text: string, i: number): string {
  const k = t.kind[i];
  if (k === Tok.EOF) return 'end of file';
  const fixed = TOKEN_TEXT[k];
  if (fixed !== undefined) return `\`${fixed}\``;
  const raw = text.slice(t.start[i], t.end[i]);
  const shown = raw.length > 24 ? raw.slice(0, 21) + '...' : raw;
  const what = k === Tok.Ident ? '' : k === Tok.Str ? 'string ' : 'literal ';
  return `${what}\`${shown.replace(/\n/g, '\\n')}\``;
}
