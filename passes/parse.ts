// parse: the first pass. It turns the program text (Lsource) into the surface syntax tree
// (Lsrc) of spec §1–§9, for the whole language, so every later pass works on a tree
// whose spans point at the exact source of each construct.
//
// A recursive-descent parser over the token array of ./syntax/lexer.ts, with precedence
// climbing for binary operators. Syntax errors are E0001 at the offending token; the
// parser recovers (at `,`/closers inside lists, `;`/`}` between statements, the next item
// at top level) so one run reports several independent errors, and it never throws:
// nesting deeper than MAX_DEPTH is an error, not a stack overflow.
//
// Decisions where the spec is silent (also in the report of this pass's author):
// - `Name<...>` is a generic path only for the built-in generic types, when the `<...>`
//   is followed by `::` (`Vec<i32>::new`); anywhere else `<` is less-than.
// - Struct literals are not allowed directly in the condition of if/while/for/if-let/
//   while-let (Rust's rule), so `if x == y { ... }` reads the block as the body.
// - `(...)` starts a lambda exactly when its matching `)` is followed by `->`.
//   Lambdas have no written return type (`ret` is always null): what follows `->` is the body.
// - Comparisons do not chain (`a < b < c` is E0001, as in Rust).
// - `-5` is `Unary('-', IntLit 5)`: range checks of negated literals belong to the type checker.
// - Block-like expressions (if, blocks, unsafe) at the start of a statement end it (no `;`
//   needed); at the end of a block they are its tail.
// - Unary `&`/`&mut` (and `&T` in types) report E0012 and are read as `*`/`*mut`.
// - `Some`, `None` and `this` are lexed as names (they are names in Lsrc), but no declaration
//   may take one (spec §1 lists them as keywords): E0001 at the name (expectDeclName).

import type { Cat, Span } from '../ir/lang.js';
import { Lskimmed, Lsource, Lsrc, type Node } from '../ir/languages.js';
import { T, ptr, gen, arrayTy, fnTy, classTy, type Generic, type Ty } from '../ir/types.js';
import { Diagnostics, type Code, type SourceFile } from '../ir/diagnostics.js';
import { definePass, InternalError } from './pass.js';
import { lex, releaseTokens, Tok, TOKEN_TEXT, describeToken, type Tokens, type IntValue, type FloatValue } from './syntax/lexer.js';

type D = typeof Lsrc.decl;
type N<K extends string> = Node<typeof Lsrc, K>;
type Expr = Cat<D, 'Expr'>;
type Stmt = Cat<D, 'Stmt'>;
type Item = Cat<D, 'Item'>;
type Block = N<'Block'>;
type Param = N<'Param'>;
type FnDecl = N<'FnDecl'>;

/** Deepest nesting of expressions, blocks and types the parser accepts. */
export const MAX_DEPTH = 256;
/** Errors the parser reports at most per file (a file of garbage should not drown the user). */
const MAX_REPORTED = 100;

const PRIMITIVES = new Map<string, Ty>([
  ['i8', T.i8], ['i16', T.i16], ['i32', T.i32], ['i64', T.i64], ['u8', T.u8], ['u16', T.u16], ['u32', T.u32],
  ['u64', T.u64], ['f32', T.f32], ['f64', T.f64], ['bool', T.bool], ['str', T.str], ['String', T.string],
  ['void', T.void], ['Region', T.region],
]);
const GENERICS = new Map<string, Generic>([
  ['Option', 'option'], ['Box', 'box'], ['Vec', 'vec'], ['Thread', 'thread'], ['Channel', 'channel'],
  ['Mutex', 'mutex'], ['Atomic', 'atomic'], ['Guard', 'guard'],
]);

// binary operators, lowest precedence first (spec §4); `??` (below these) and `as` (above) apart
const COMPARISON = 3;
const BINARY_PREC = new Uint8Array(128);
const BINARY_OP: string[] = [];
for (const [prec, ops] of [
  [1, [[Tok.OrOr, '||']]], [2, [[Tok.AndAnd, '&&']]],
  [COMPARISON, [[Tok.EqEq, '=='], [Tok.Ne, '!='], [Tok.Lt, '<'], [Tok.Le, '<='], [Tok.Gt, '>'], [Tok.Ge, '>=']]],
  [4, [[Tok.Pipe, '|']]], [5, [[Tok.Caret, '^']]], [6, [[Tok.Amp, '&']]], [7, [[Tok.Shl, '<<'], [Tok.Shr, '>>']]],
  [8, [[Tok.Plus, '+'], [Tok.Minus, '-']]], [9, [[Tok.Star, '*'], [Tok.Slash, '/'], [Tok.Percent, '%']]],
] as const) {
  for (const [tok, op] of ops) { BINARY_PREC[tok] = prec; BINARY_OP[tok] = op; }
}
/** Keywords the lexer reads as identifiers (they are names in Lsrc) that no declaration may take (spec §1). */
const NAME_KEYWORDS = new Set(['Some', 'None', 'this']);
const COMPOUND_OP: Record<number, string> = {
  [Tok.PlusEq]: '+', [Tok.MinusEq]: '-', [Tok.StarEq]: '*', [Tok.SlashEq]: '/', [Tok.PercentEq]: '%',
  [Tok.AmpEq]: '&', [Tok.PipeEq]: '|', [Tok.CaretEq]: '^', [Tok.ShlEq]: '<<', [Tok.ShrEq]: '>>',
};
// tokens that may appear inside the type arguments of a generic path (`Vec<*mut [i32; 4]>::new`)
const TYPE_ARG_TOKENS = new Set<number>([Tok.Ident, Tok.Star, Tok.Mut, Tok.LBracket, Tok.RBracket, Tok.Semi, Tok.Int,
  Tok.Comma, Tok.LParen, Tok.RParen, Tok.Fn, Tok.Concurrent, Tok.Arrow]);
const STATEMENT_KEYWORDS = new Set<number>([Tok.While, Tok.For, Tok.Loop, Tok.Region, Tok.Delete]);

/** Parses a whole file. Syntax errors go to `diag`; the tree is always well formed. */
export function parseProgram(src: SourceFile, diag: Diagnostics): N<'Program'> {
  return new Parser(src.text, lex(src.text, diag), diag).parseProgram();
}

type Skimmed = Node<typeof Lskimmed, 'Program'>;

/**
 * Parses a file's declarations, leaving each function body as its span (UnparsedBody, for
 * parseBody), when the file is clean: its tokens have no error and every bracket is paired.
 * A body is then exactly the tokens between its braces, and parsing it alone gives what
 * parsing it in place gives, errors included. A file with any error in its tokens or
 * declarations is parsed whole, as parseProgram does (ParsedBody): its diagnostics then
 * come out as they always did, in order.
 */
export function skimProgram(src: SourceFile, diag: Diagnostics): Skimmed {
  const scratch = new Diagnostics();
  const tokens = lex(src.text, scratch);
  if (scratch.list.length === 0 && tokens.unterminatedAt < 0 && tokens.balanced) {
    const program = new Parser(src.text, tokens, scratch, { lazyBodies: true }).parseProgram() as unknown as Skimmed;
    if (scratch.list.length === 0) {
      skimmedFrom.set(program, { text: src.text, tokens });
      return program;
    }
  }
  return withParsedBodies(parseProgram(src, diag));
}

/** The text and tokens a program's unparsed bodies are parsed from (parseBody). */
export interface BodySource { readonly text: string; readonly tokens: Tokens }

/**
 * The source of each program skimProgram made: a file is lexed once per compile, and a
 * body is parsed from the very tokens (and lookahead) it would have been parsed from in place.
 */
const skimmedFrom = new WeakMap<object, BodySource>();

/**
 * Where the unparsed bodies of `program` are parsed from: the tokens skimProgram kept, or
 * (for a program skimmed elsewhere) `src` lexed again; it had no error, so its tokens have none.
 */
export function bodySource(program: Skimmed, src: SourceFile): BodySource {
  return skimmedFrom.get(program) ?? { text: src.text, tokens: lex(src.text, new Diagnostics()) };
}

/**
 * Once nothing will parse `program`'s bodies any more (the compile is over): its tokens go to
 * the next lex (releaseTokens). A later bodySource would lex the file again.
 */
export function releaseBodySource(program: Skimmed): void {
  const source = skimmedFrom.get(program);
  if (source === undefined) return;
  skimmedFrom.delete(program);
  releaseTokens(source.tokens);
}

/** The syntax errors parseBody may still report in one file (MAX_REPORTED, shared by its bodies). */
export interface ParseBudget { reported: number }

/** Parses a function body that skimProgram left unparsed (`span`: from its `{` to its `}`). */
export function parseBody(source: BodySource, span: Span, diag: Diagnostics, budget: ParseBudget): Block {
  return new Parser(source.text, source.tokens, diag, { budget }).parseBodyAt(tokenAt(source.tokens, span.start));
}

/** The index of the token starting at byte `start` (tokens are in order: a binary search). */
function tokenAt(t: Tokens, start: number): number {
  let lo = 0;
  let hi = t.count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.start[mid] < start) lo = mid + 1; else hi = mid;
  }
  if (t.start[lo] !== start || t.kind[lo] !== Tok.LBrace) throw new InternalError(`no body starts at byte ${start}`);
  return lo;
}

function withParsedBodies(program: N<'Program'>): Skimmed {
  const wrap = (f: FnDecl) => ({ ...f, body: { kind: 'ParsedBody', span: f.body.span, block: f.body } });
  const items = program.items.map((it) => it.kind === 'FnDecl' ? wrap(it) : it.kind === 'ClassDecl' ? { ...it, methods: it.methods.map(wrap) } : it);
  return { ...program, items } as unknown as Skimmed;
}

export const parsePass = definePass<Node<typeof Lsource, 'SourceText'>, Skimmed>({
  name: 'parse',
  description: 'reads the declarations into the surface syntax tree, each function body left as source (Lskimmed), reporting syntax errors',
  from: Lsource,
  to: Lskimmed,
  run: (ir, ctx) => {
    const before = ctx.diag.list.length;
    const program = skimProgram({ path: ir.path, text: ir.text }, ctx.diag);
    ctx.atEnd?.(() => releaseBodySource(program));
    // The pipeline stops after parse only on a syntax error (E0001): the other errors parse
    // reports (E0012 `&x`, read as `*x`; E0003 for a literal too large for any type) leave a
    // meaningful tree, and spec §11 asks for as many independent errors as possible in one
    // run, so the checkers still run after them.
    if (ctx.diag.list.slice(before).some((d) => d.code === 'E0001')) ctx.stop?.();
    return program;
  },
});

interface FnModifiers { unsafe: boolean; mutSelf: boolean; isStatic: boolean }

/**
 * The items of the lists being parsed (statements, arguments, ...), innermost list on top.
 * A finished list is copied out at its exact size: an array grown by `push` keeps room for
 * 16 more elements, and the tree's thousands of short lists live through every pass.
 */
class ListStack {
  private readonly items: unknown[] = [];
  private top = 0;
  /** where a list starting now begins */
  get mark(): number { return this.top; }
  push(x: unknown): void { this.items[this.top++] = x; }
  /** the list pushed since `mark`, popped */
  take<X>(mark: number): X[] {
    const list = this.items.slice(mark, this.top) as X[];
    this.top = mark;
    return list;
  }
}

class Parser {
  private readonly kinds: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly match: Int32Array;
  private readonly count: number;
  private pos = 0;
  /** end of the last consumed token: where the node being built ends */
  private prevEnd = 0;
  private depth = 0;
  /** in the condition of if/while/for: `Name {` is not a struct literal */
  private noStruct = false;
  /** the token of the last syntax error: further errors there are cascades and are not reported */
  private lastErrorTok = -1;
  private syntaxErrors = 0;
  private reportedUnclosed = false;
  /** the `>>`-like tokens expectCloseAngle split (token, its kind before), so parseBodyAt can undo it */
  private readonly splits: number[] = [];
  /** function bodies are skipped, left as their span (see skimProgram) */
  private readonly lazyBodies: boolean;
  private readonly budget: ParseBudget;
  /** interned identifiers, by a hash of their text */
  private readonly names = new Map<number, string>();
  private readonly lists = new ListStack();
  /** list items, made once rather than a closure per list */
  private readonly exprItem = (): Expr => this.parseExpr();
  private readonly typeItem = (): Ty => this.parseType();

  constructor(
    private readonly text: string, private readonly t: Tokens, private readonly diag: Diagnostics,
    opts: { lazyBodies?: boolean; budget?: ParseBudget } = {},
  ) {
    this.kinds = t.kind; this.starts = t.start; this.ends = t.end; this.match = t.match; this.count = t.count;
    this.lazyBodies = opts.lazyBodies ?? false;
    this.budget = opts.budget ?? { reported: 0 };
  }

  // ------------------------------------------------------------------ tokens
  private k(ahead = 0): number {
    const i = this.pos + ahead;
    return i < this.count ? this.kinds[i] : Tok.EOF;
  }
  private at(kind: number): boolean { return this.kinds[this.pos] === kind; }
  private advance(): void {
    if (this.kinds[this.pos] !== Tok.EOF) { this.prevEnd = this.ends[this.pos]; this.pos++; }
  }
  private eat(kind: number): boolean {
    if (this.kinds[this.pos] !== kind) return false;
    this.advance();
    return true;
  }
  private expect(kind: number, help?: string): boolean {
    if (this.eat(kind)) return true;
    this.errorExpected(`\`${TOKEN_TEXT[kind]}\``, help);
    return false;
  }
  private get tokStart(): number { return this.starts[this.pos]; }
  private text_(i: number): string { return this.text.slice(this.starts[i], this.ends[i]); }
  /**
   * The text of identifier token i, interned: the same name is the same string everywhere
   * in the tree (a third of the nodes hold a name), which saves memory and lets the later
   * passes' Maps reuse its hash instead of hashing a fresh copy each time.
   */
  private ident(i: number): string {
    const s = this.starts[i];
    const e = this.ends[i];
    const text = this.text;
    const h = this.t.aux[i]; // the lexer's identHash of the name
    const known = this.names.get(h);
    if (known !== undefined && known.length === e - s && text.startsWith(known, s)) return known;
    const name = text.slice(s, e);
    if (known === undefined) this.names.set(h, name); // (a rare hash collision is simply not interned)
    return name;
  }
  /** the span from `start` to the end of the last consumed token */
  private span(start: number): Span { return { start, end: Math.max(start, this.prevEnd) }; }
  private isLineStart(i: number): boolean {
    const s = this.starts[i];
    return s === 0 || this.text.charCodeAt(s - 1) === 10;
  }
  private expectIdent(what: string): string | null {
    if (!this.at(Tok.Ident)) { this.errorExpected(what); return null; }
    const name = this.ident(this.pos);
    this.advance();
    return name;
  }
  /**
   * The name a declaration introduces (a binding, parameter, field, function, class,
   * static): an identifier that is not one of the keywords the lexer reads as names
   * (`Some`, `None`, `this`: spec §1), which is E0001 there. The name is still taken, so
   * the rest of the declaration parses as it would.
   */
  private expectDeclName(what: string): string | null {
    if (this.at(Tok.Ident)) this.checkDeclName(this.pos);
    return this.expectIdent(what);
  }
  /** E0001 when token i, a declared name, is `Some`, `None` or `this`. */
  private checkDeclName(i: number): void {
    const len = this.ends[i] - this.starts[i];
    if (len !== 4) return; // (all three have four letters: most names are let through without a string)
    const name = this.text.slice(this.starts[i], this.ends[i]);
    if (!NAME_KEYWORDS.has(name)) return;
    this.report('E0001', { start: this.starts[i], end: this.ends[i] }, `\`${name}\` is a keyword: it cannot be declared as a name`,
      name === 'this'
        ? 'choose another name; `this` is the receiver inside methods'
        : `choose another name; \`${name}\` is the Option ${name === 'Some' ? 'constructor' : 'value'}`);
  }

  // ------------------------------------------------------------------ errors
  private report(code: Code, span: Span, message: string, help?: string): void {
    if (code === 'E0001') {
      this.syntaxErrors++;
      // an unterminated string or comment swallowed the rest of the file: what the parser
      // finds missing there (`;`, `}`) is a consequence of that one error, already reported
      const cut = this.t.unterminatedAt;
      if (cut >= 0 && (span.start >= cut || message.startsWith('unclosed delimiter'))) return;
    }
    if (++this.budget.reported > MAX_REPORTED) return;
    this.diag.error(code, span, message, help ? { help } : {});
  }
  /** E0001 at the current token, unless an error was already reported there. */
  private error(message: string, help?: string): void {
    if (this.pos === this.lastErrorTok) return;
    this.lastErrorTok = this.pos;
    this.report('E0001', { start: this.starts[this.pos], end: this.ends[this.pos] }, message, help);
  }
  private errorExpected(what: string, help?: string): void {
    const message = `expected ${what}, found ${describeToken(this.t, this.text, this.pos)}`;
    // A missing `;` or `{` is a mistake on the line that ends with the last consumed token
    // (rustc points there too), not on the line of whatever comes next.
    if ((what === '`;`' || what === '`{`') && this.pos > 0 && this.pos !== this.lastErrorTok &&
        this.text.lastIndexOf('\n', this.starts[this.pos] - 1) >= this.prevEnd) {
      this.lastErrorTok = this.pos;
      this.report('E0001', { start: this.prevEnd, end: this.prevEnd }, message, help ?? `add ${what} here`);
      return;
    }
    this.error(message, help);
  }
  /** Stands for an expression that could not be parsed (only in trees with errors). */
  private errorExpr(): Expr {
    const s = this.tokStart;
    return { kind: 'Name', span: { start: s, end: s }, name: '<error>' };
  }
  /** Skips the current token, or the whole bracket group it opens. */
  private skipOne(): void {
    const m = this.match[this.pos];
    if (m > this.pos) this.pos = m;
    this.advance();
  }
  /** After a statement error: skip to just after the next `;`, or to a `}` or statement keyword. */
  private syncStatement(): void {
    for (;;) {
      const k = this.kinds[this.pos];
      if (k === Tok.EOF || k === Tok.RBrace) return;
      if (k === Tok.Semi) { this.advance(); return; }
      if (STATEMENT_KEYWORDS.has(k)) return;
      this.skipOne();
    }
  }
  /** Inside a list closed at `closeIdx` (-1: unclosed): skip to the next `,` or the end of the list. */
  private skipListItem(closeIdx: number, close: number): void {
    for (;;) {
      const k = this.kinds[this.pos];
      if (this.pos === closeIdx || k === Tok.Comma || k === Tok.EOF) return;
      if (closeIdx < 0 && (k === close || k === Tok.Semi || k === Tok.RBrace || k === Tok.LBrace)) return;
      this.skipOne();
    }
  }
  /** Nesting too deep: report it and skip the rest of the construct. */
  private tooDeep(inType = false): void {
    this.error('nesting too deep', `the parser accepts at most ${MAX_DEPTH} nested expressions, blocks and types; split this one up`);
    for (;;) {
      const k = this.kinds[this.pos];
      if (k === Tok.EOF || k === Tok.Semi || k === Tok.RBrace || k === Tok.RParen || k === Tok.RBracket || k === Tok.Comma) return;
      // a type ends before the `:=`, `=` or body that follows it
      if (inType && (k === Tok.ColonEq || k === Tok.Eq || k === Tok.LBrace || k === Tok.Gt || k === Tok.Shr)) return;
      this.skipOne();
    }
  }

  // ------------------------------------------------------------------ items
  parseProgram(): N<'Program'> {
    const items: Item[] = [];
    while (!this.at(Tok.EOF)) {
      const before = this.pos;
      const item = this.parseItem();
      if (item) items.push(item);
      else this.syncItem(before);
    }
    return { kind: 'Program', span: { start: 0, end: this.text.length }, items };
  }

  /** A function header `name(...)` followed by `{` or `->` starts at token i. */
  private isFnHeaderAt(i: number): boolean {
    if (this.kinds[i] !== Tok.Ident || this.kinds[i + 1] !== Tok.LParen) return false;
    const m = this.match[i + 1];
    return m > 0 && (this.kinds[m + 1] === Tok.LBrace || this.kinds[m + 1] === Tok.Arrow);
  }
  private isItemStartAt(i: number): boolean {
    switch (this.kinds[i]) {
      case Tok.Class: case Tok.Extern: case Tok.Static: return true;
      case Tok.Unsafe: return this.isFnHeaderAt(i + 1);
      case Tok.Fn: return this.kinds[i + 1] === Tok.Ident;
      default: return this.isFnHeaderAt(i);
    }
  }
  /** After a broken item: skip to the start of the next one. */
  private syncItem(before: number): void {
    if (this.pos === before) this.skipOne();
    while (!this.at(Tok.EOF) && !this.isItemStartAt(this.pos)) this.skipOne();
  }

  private parseItem(): Item | null {
    const start = this.tokStart;
    switch (this.k()) {
      case Tok.Class: return this.parseClass();
      case Tok.Extern: return this.parseExtern();
      case Tok.Static: return this.parseStatic();
      case Tok.Unsafe:
        this.advance();
        return this.parseFunction(start, { unsafe: true, mutSelf: false, isStatic: false });
      case Tok.Fn:
        this.error('functions are declared without `fn`', 'write `name(params) -> T { ... }`');
        this.advance();
        return this.parseFunction(start, { unsafe: false, mutSelf: false, isStatic: false });
      case Tok.Ident:
        if (this.k(1) === Tok.LParen) return this.parseFunction(start, { unsafe: false, mutSelf: false, isStatic: false });
    }
    this.errorExpected('item', 'items are functions `name(params) { ... }`, `class`, `extern "C"` and `static` declarations');
    return null;
  }

  private parseFunction(start: number, mods: FnModifiers): FnDecl | null {
    const name = this.expectDeclName('a function name');
    if (name === null) return null;
    if (!this.at(Tok.LParen)) { this.errorExpected('`(`'); return null; }
    const params = this.parseParams(true);
    const ret = this.eat(Tok.Arrow) ? this.parseType() : T.void;
    if (!this.at(Tok.LBrace)) {
      this.errorExpected('`{`', this.at(Tok.Semi) ? 'a function needs a body; only `extern "C"` functions are declared with `;`' : undefined);
      return null;
    }
    const body = this.lazyBodies ? this.skipBody() : this.parseBlock();
    return { kind: 'FnDecl', span: this.span(start), name, params, ret, body, unsafe: mods.unsafe, mutSelf: mods.mutSelf, isStatic: mods.isStatic };
  }

  /** A function body left unparsed: its `{`..`}` (paired: lazyBodies only in balanced files). */
  private skipBody(): Block {
    const open = this.pos;
    this.pos = this.match[open];
    this.advance();
    return { kind: 'UnparsedBody', span: { start: this.starts[open], end: this.prevEnd } } as unknown as Block;
  }

  /**
   * The body whose `{` is token `open`, as parseFunction would have parsed it there. The
   * tokens are left as they were (a body may be parsed again: ctx.wholeModule).
   */
  parseBodyAt(open: number): Block {
    this.pos = open;
    this.prevEnd = open > 0 ? this.ends[open - 1] : 0;
    const block = this.parseBlock();
    for (let i = this.splits.length - 2; i >= 0; i -= 2) {
      const at = this.splits[i];
      this.kinds[at] = this.splits[i + 1];
      this.starts[at] -= 1;
    }
    return block;
  }

  private parseParams(requireTypes: boolean): Param[] {
    return this.parseList(Tok.RParen, () => this.parseParam(requireTypes));
  }

  private parseParam(requireType: boolean): Param | null {
    const start = this.tokStart;
    const mut = this.eat(Tok.Mut);
    const name = this.expectDeclName('a parameter name');
    if (name === null) return null;
    let ty: Ty | null = null;
    if (this.eat(Tok.Colon)) ty = this.parseType();
    else if (requireType) {
      this.errorExpected('`:`', `parameters need a type: \`${name}: i32\``);
      ty = T.void;
    }
    return { kind: 'Param', span: this.span(start), name, mut, ty };
  }

  private parseClass(): N<'ClassDecl'> | null {
    const start = this.tokStart;
    this.advance();
    const name = this.expectDeclName('a class name');
    if (name === null) return null;
    const fields = this.at(Tok.LParen) ? this.parseParams(true) : [];
    const traits: string[] = [];
    if (this.eat(Tok.Colon)) {
      do {
        const isUnsafe = this.eat(Tok.Unsafe);
        const trait = this.expectIdent('a trait name');
        if (trait === null) break;
        traits.push(isUnsafe ? `unsafe ${trait}` : trait);
      } while (this.eat(Tok.Comma));
    }
    if (!this.at(Tok.LBrace)) { this.errorExpected('`{`'); return null; }
    const openIdx = this.pos;
    const closeIdx = this.match[openIdx];
    this.advance();
    const methods: FnDecl[] = [];
    while (!this.at(Tok.RBrace) && !this.at(Tok.EOF)) {
      if (closeIdx < 0 && this.isLineStart(this.pos) && this.isItemStartAt(this.pos)) break;
      const before = this.pos;
      const m = this.parseMethod();
      if (m) methods.push(m);
      else this.syncMember(closeIdx, before);
    }
    this.closeBrace(openIdx);
    return { kind: 'ClassDecl', span: this.span(start), name, fields, traits, methods };
  }

  private isMethodStartAt(i: number): boolean {
    const k = this.kinds[i];
    return k === Tok.Static || k === Tok.Mut || k === Tok.Unsafe || this.isFnHeaderAt(i);
  }
  private syncMember(closeIdx: number, before: number): void {
    if (this.pos === before) this.skipOne();
    for (;;) {
      const k = this.kinds[this.pos];
      if (this.pos === closeIdx || k === Tok.EOF || (closeIdx < 0 && k === Tok.RBrace) || this.isMethodStartAt(this.pos)) return;
      this.skipOne();
    }
  }

  private parseMethod(): FnDecl | null {
    const start = this.tokStart;
    const mods: FnModifiers = { unsafe: false, mutSelf: false, isStatic: false };
    for (;;) {
      const k = this.k();
      const flag = k === Tok.Static ? 'isStatic' : k === Tok.Mut ? 'mutSelf' : k === Tok.Unsafe ? 'unsafe' : null;
      if (flag === null) break;
      if (mods[flag]) this.error(`\`${TOKEN_TEXT[k]}\` written twice`);
      mods[flag] = true;
      this.advance();
    }
    if (this.at(Tok.Fn)) {
      this.error('methods are declared without `fn`', 'write `name(params) -> T { ... }`');
      this.advance();
    }
    if (this.at(Tok.Ident) && this.k(1) === Tok.Colon) {
      this.errorExpected('a method', 'fields are listed in the parentheses after the class name: `class P(x: i32) { ... }`');
      return null;
    }
    if (!this.at(Tok.Ident)) { this.errorExpected('a method'); return null; }
    return this.parseFunction(start, mods);
  }

  private parseExtern(): N<'ExternFn'> | null {
    const start = this.tokStart;
    this.advance();
    let abi = 'C';
    if (this.at(Tok.Str)) {
      abi = this.t.lits[this.t.aux[this.pos]] as string;
      if (abi !== 'C') this.error(`unsupported ABI \`${abi}\``, 'only `extern "C"` functions are supported');
      this.advance();
    } else this.errorExpected('`"C"`', 'write `extern "C" name(params) -> T;`');
    const name = this.expectDeclName('a function name');
    if (name === null) return null;
    if (!this.at(Tok.LParen)) { this.errorExpected('`(`'); return null; }
    const params = this.parseParams(true);
    const ret = this.eat(Tok.Arrow) ? this.parseType() : T.void;
    const span = this.span(start);
    if (this.at(Tok.LBrace)) {
      this.error('an `extern "C"` function has no body', 'declare it with `;`: its body is in C');
      this.skipOne();
    } else this.expect(Tok.Semi);
    return { kind: 'ExternFn', span, name, params, ret, abi };
  }

  private parseStatic(): N<'StaticDecl'> | null {
    const start = this.tokStart;
    this.advance();
    const mut = this.eat(Tok.Mut);
    const name = this.expectDeclName('a name');
    if (name === null) return null;
    let ty: Ty = T.void;
    if (this.eat(Tok.Colon)) ty = this.parseType();
    else this.errorExpected('`:`', 'a static needs a type: `static NAME: T = value;`');
    if (!this.eat(Tok.Eq)) {
      this.errorExpected('`=`', 'a static is written `static NAME: T = value;`');
      if (!this.eat(Tok.ColonEq)) return null;
    }
    const init = this.parseExpr();
    const span = this.span(start);
    this.expect(Tok.Semi);
    return { kind: 'StaticDecl', span, name, mut, ty, init };
  }

  // ------------------------------------------------------------------ lists
  /**
   * Parses `( item, item, )` (or with `[` `]`, `{` `}`) from the opener at the current token,
   * recovering at `,` and at the matching closer (`closeIdx`). Struct literals are allowed
   * inside. With `first`, the opener and the first item are already read.
   */
  private parseList<X>(close: number, item: () => X | null, first: X | null = null, closeIdx = this.match[this.pos]): X[] {
    const mark = this.lists.mark;
    if (first === null) this.advance(); else this.lists.push(first);
    const saved = this.noStruct;
    this.noStruct = false;
    const errorsBefore = this.syntaxErrors;
    let afterFirst = first !== null;
    while (afterFirst || (!this.at(close) && !this.at(Tok.EOF))) {
      if (!afterFirst) {
        const x = item();
        if (x !== null) this.lists.push(x);
      }
      afterFirst = false;
      if (this.eat(Tok.Comma)) continue;
      if (this.at(close)) break;
      this.errorExpected(`\`,\` or \`${TOKEN_TEXT[close]}\``);
      this.skipListItem(closeIdx, close);
      if (!this.eat(Tok.Comma)) break;
    }
    if (!this.eat(close) && this.syntaxErrors === errorsBefore) this.errorExpected(`\`${TOKEN_TEXT[close]}\``);
    this.noStruct = saved;
    return this.lists.take<X>(mark);
  }

  // ------------------------------------------------------------------ statements
  private parseBlock(): Block {
    const start = this.tokStart;
    if (!this.at(Tok.LBrace)) {
      this.errorExpected('`{`');
      return { kind: 'Block', span: { start, end: start }, stmts: [], tail: null };
    }
    if (++this.depth > MAX_DEPTH) {
      this.tooDeep();
      this.depth--;
      return { kind: 'Block', span: this.span(start), stmts: [], tail: null };
    }
    const openIdx = this.pos;
    const closeIdx = this.match[openIdx];
    this.advance();
    const saved = this.noStruct;
    this.noStruct = false;
    const stmts = this.lists;
    const mark = stmts.mark;
    let tail: Expr | null = null;
    for (;;) {
      const k = this.kinds[this.pos];
      if (k === Tok.RBrace || k === Tok.EOF) break;
      // an unclosed block ends where the next item starts at the beginning of a line
      if (closeIdx < 0 && this.isLineStart(this.pos) && this.isItemStartAt(this.pos)) break;
      if (k === Tok.Semi) { this.advance(); continue; }
      const before = this.pos;
      if (tail !== null) { stmts.push(this.exprStmt(tail)); tail = null; }
      tail = this.parseStatement(stmts);
      if (this.pos === before) { this.errorExpected('statement'); this.skipOne(); }
    }
    this.closeBrace(openIdx);
    this.noStruct = saved;
    this.depth--;
    return { kind: 'Block', span: this.span(start), stmts: stmts.take<Stmt>(mark), tail };
  }

  /** Consumes the `}` of the block opened by token `openIdx`, or reports it unclosed. */
  private closeBrace(openIdx: number): void {
    if (this.eat(Tok.RBrace)) return;
    if (this.match[openIdx] < 0) {
      // one unclosed `{` is reported (the innermost): the enclosing ones that the same
      // missing `}` leaves open are not separate mistakes
      if (this.reportedUnclosed) return;
      this.reportedUnclosed = true;
      this.report('E0001', { start: this.starts[openIdx], end: this.ends[openIdx] }, 'unclosed delimiter `{`', 'add the missing `}`');
    } else this.errorExpected('`}`');
  }

  private exprStmt(e: Expr): N<'ExprStmt'> {
    return { kind: 'ExprStmt', span: e.span, expr: e };
  }

  /** The `;` that ends a statement; without it, an error and recovery. */
  private endStatement(): void {
    if (this.eat(Tok.Semi)) return;
    this.errorExpected('`;`');
    this.syncStatement();
  }

  /**
   * Parses one statement into `stmts`; returns the block's tail instead when the statement
   * is an expression followed by the block's `}`.
   */
  private parseStatement(stmts: ListStack): Expr | null {
    const start = this.tokStart;
    switch (this.k()) {
      case Tok.Mut:
        if (this.k(1) === Tok.Ident && (this.k(2) === Tok.ColonEq || this.k(2) === Tok.Colon)) { stmts.push(this.parseLet()); return null; }
        break;
      case Tok.Ident:
        if (this.k(1) === Tok.ColonEq || this.k(1) === Tok.Colon) { stmts.push(this.parseLet()); return null; }
        if ((this.k(1) === Tok.Ident || this.k(1) === Tok.Mut) && this.text_(this.pos) === 'let') {
          // read the rest as if `let` were not there (a loop, not recursion: `let let let ...`)
          while (this.at(Tok.Ident) && (this.k(1) === Tok.Ident || this.k(1) === Tok.Mut) && this.text_(this.pos) === 'let') {
            this.error('Zeta has no `let`', 'declare a binding with `x := value;` or `mut x := value;`');
            this.advance();
          }
          return this.parseStatement(stmts);
        }
        break;
      case Tok.While: stmts.push(this.parseWhile()); return null;
      case Tok.For: stmts.push(this.parseFor()); return null;
      case Tok.Loop: {
        this.advance();
        const body = this.parseBlock();
        stmts.push({ kind: 'Loop', span: this.span(start), body });
        return null;
      }
      case Tok.Region: stmts.push(this.parseRegion()); return null;
      case Tok.Delete: {
        this.advance();
        const target = this.parseExpr();
        stmts.push({ kind: 'Delete', span: this.span(start), target });
        this.endStatement();
        return null;
      }
      case Tok.If: case Tok.LBrace: return this.blockLikeStatement(stmts);
      case Tok.Unsafe:
        if (this.k(1) === Tok.LBrace) return this.blockLikeStatement(stmts);
        break;
    }
    const e = this.parseExpr();
    const k = this.k();
    if (k === Tok.Eq || COMPOUND_OP[k] !== undefined) {
      this.advance();
      const value = this.parseExpr();
      stmts.push(k === Tok.Eq
        ? { kind: 'Assign', span: this.span(start), target: e, value }
        : { kind: 'CompoundAssign', span: this.span(start), op: COMPOUND_OP[k], target: e, value });
      this.endStatement();
      return null;
    }
    if (k === Tok.RBrace) return e;
    stmts.push(this.exprStmt(e));
    this.endStatement();
    return null;
  }

  /** if / block / unsafe at the start of a statement: no `;` needed; last in a block, the tail. */
  private blockLikeStatement(stmts: ListStack): Expr | null {
    const e = this.k() === Tok.If ? this.parseIf() : this.k() === Tok.LBrace ? this.parseBlock() : this.parseUnsafeBlock();
    if (this.at(Tok.RBrace)) return e;
    stmts.push(this.exprStmt(e));
    this.eat(Tok.Semi);
    return null;
  }

  private parseLet(): N<'Let'> {
    const start = this.tokStart;
    const mut = this.eat(Tok.Mut);
    this.checkDeclName(this.pos);
    const name = this.ident(this.pos);
    this.advance();
    let ty: Ty | null = null;
    if (this.eat(Tok.Colon)) ty = this.parseType();
    let init: Expr;
    if (this.eat(Tok.ColonEq)) init = this.parseExpr();
    else if (this.at(Tok.Eq)) {
      this.errorExpected('`:=`', `a binding is written \`${name}${ty ? ': T' : ''} := value;\``);
      this.advance();
      init = this.parseExpr();
    } else {
      this.errorExpected('`:=`');
      init = this.errorExpr();
    }
    const let_: N<'Let'> = { kind: 'Let', span: this.span(start), name, mut, ty, init };
    this.endStatement();
    return let_;
  }

  /** An expression where `Name {` is not a struct literal (the `{` opens the body). */
  private parseCondition(): Expr {
    const saved = this.noStruct;
    this.noStruct = true;
    const e = this.parseExpr();
    this.noStruct = saved;
    return e;
  }

  private atLetPattern(): boolean {
    return this.at(Tok.Ident) && this.k(1) === Tok.Ident && this.text_(this.pos) === 'let';
  }

  /** `let Some(name) = value` of if-let / while-let. */
  private parseLetSome(): { name: string; value: Expr } {
    this.advance();
    let name = '<error>';
    if (this.at(Tok.Ident) && this.text_(this.pos) === 'Some' && this.k(1) === Tok.LParen) {
      this.advance();
      this.advance();
      name = this.expectDeclName('a name') ?? name;
      this.expect(Tok.RParen);
    } else {
      this.errorExpected('`Some(name)`', '`if let` and `while let` match `Some(name)` only');
      while (!this.at(Tok.Eq) && !this.at(Tok.LBrace) && !this.at(Tok.Semi) && !this.at(Tok.RBrace) && !this.at(Tok.EOF)) this.skipOne();
    }
    if (!this.expect(Tok.Eq)) return { name, value: this.errorExpr() };
    return { name, value: this.parseCondition() };
  }

  private parseWhile(): N<'While'> | N<'WhileLet'> {
    const start = this.tokStart;
    this.advance();
    if (this.atLetPattern()) {
      const { name, value } = this.parseLetSome();
      const body = this.parseBlock();
      return { kind: 'WhileLet', span: this.span(start), name, value, body };
    }
    const cond = this.parseCondition();
    const body = this.parseBlock();
    return { kind: 'While', span: this.span(start), cond, body };
  }

  private parseFor(): N<'For'> {
    const start = this.tokStart;
    this.advance();
    const name = this.expectDeclName('a loop variable') ?? '<error>';
    this.expect(Tok.In);
    const from = this.parseCondition();
    let inclusive = false;
    let to: Expr;
    if (this.at(Tok.DotDot) || this.at(Tok.DotDotEq)) {
      inclusive = this.at(Tok.DotDotEq);
      this.advance();
      to = this.parseCondition();
    } else {
      this.errorExpected('`..` or `..=`', '`for` loops over a range of integers: `for i in 0..n { ... }`');
      to = this.errorExpr();
    }
    const body = this.parseBlock();
    return { kind: 'For', span: this.span(start), name, start: from, end: to, inclusive, body };
  }

  private parseRegion(): N<'RegionStmt'> {
    const start = this.tokStart;
    this.advance();
    const name = this.expectDeclName('a region name') ?? '<error>';
    let capacity: Expr | null = null;
    if (this.at(Tok.LParen)) {
      const saved = this.noStruct;
      this.noStruct = false;
      this.advance();
      capacity = this.parseExpr();
      this.expect(Tok.RParen);
      this.noStruct = saved;
    }
    const body = this.parseBlock();
    return { kind: 'RegionStmt', span: this.span(start), name, capacity, body };
  }

  // ------------------------------------------------------------------ block-like expressions
  /** `if c {..} else if let Some(x) = e {..} else {..}`: the chain is read in a loop, not recursively. */
  private parseIf(): Expr {
    // Each link is made as it is read, with its `else` and its span's end (the end of the
    // whole chain) filled in later: nobody has seen these nodes yet.
    type Link = { span: { start: number; end: number }; else: Expr | null };
    let first: Link | null = null;
    let prev: Link | null = null;
    let links = 0;
    for (;;) {
      const start = this.tokStart;
      this.advance(); // `if`
      let link: Link;
      if (this.atLetPattern()) {
        const { name, value } = this.parseLetSome();
        link = { kind: 'IfLet', span: { start, end: start }, name, value, then: this.parseBlock(), else: null } as Link;
      } else {
        const cond = this.parseCondition();
        link = { kind: 'If', span: { start, end: start }, cond, then: this.parseBlock(), else: null } as Link;
      }
      if (prev === null) first = link; else prev.else = link as unknown as Expr;
      prev = link;
      links++;
      if (!this.eat(Tok.Else)) break;
      if (this.at(Tok.If)) continue;
      if (this.at(Tok.LBrace)) prev.else = this.parseBlock();
      else this.errorExpected('`{` or `if` after `else`');
      break;
    }
    const end = this.prevEnd;
    let l = first!;
    for (let i = 0; i < links; i++, l = l.else as unknown as Link) l.span.end = end;
    return first as unknown as Expr;
  }

  private parseUnsafeBlock(): N<'Unsafe'> {
    const start = this.tokStart;
    this.advance();
    const body = this.parseBlock();
    return { kind: 'Unsafe', span: this.span(start), body };
  }

  // ------------------------------------------------------------------ expressions
  parseExpr(): Expr {
    if (++this.depth > MAX_DEPTH) {
      const e = this.errorExpr();
      this.tooDeep();
      this.depth--;
      return e;
    }
    const e = this.parseCoalesce();
    this.depth--;
    return e;
  }

  /** `a ?? b ?? c` is `a ?? (b ?? c)`; read in a loop so long chains do not recurse. */
  private parseCoalesce(): Expr {
    const first = this.parseBinary(1);
    if (!this.at(Tok.QQ)) return first;
    const operands = [first];
    while (this.eat(Tok.QQ)) operands.push(this.parseBinary(1));
    let acc = operands[operands.length - 1];
    for (let i = operands.length - 2; i >= 0; i--) {
      const left = operands[i];
      acc = { kind: 'Coalesce', span: { start: left.span.start, end: acc.span.end }, left, right: acc };
    }
    return acc;
  }

  /** Precedence climbing over the binary operators of precedence >= minPrec. */
  private parseBinary(minPrec: number): Expr {
    let left = this.parseCast();
    let lastPrec = 0;
    for (;;) {
      const k = this.kinds[this.pos];
      const prec = BINARY_PREC[k];
      if (prec === 0 || prec < minPrec) break;
      if (prec === COMPARISON && lastPrec === COMPARISON) {
        this.error('comparison operators cannot be chained', 'split the comparison: `a < b && b < c`');
      }
      lastPrec = prec;
      this.advance();
      const right = this.parseBinary(prec + 1);
      left = { kind: 'Binary', span: { start: left.span.start, end: right.span.end }, op: BINARY_OP[k], left, right };
    }
    return left;
  }

  private parseCast(): Expr {
    let e = this.parseUnary();
    while (this.eat(Tok.As)) {
      const ty = this.parseType();
      e = { kind: 'Cast', span: { start: e.span.start, end: this.prevEnd }, expr: e, ty };
    }
    return e;
  }

  private parseUnary(): Expr {
    const start = this.tokStart;
    const k = this.kinds[this.pos];
    switch (k) {
      case Tok.Minus: case Tok.Bang: case Tok.Tilde: {
        this.advance();
        const operand = this.parseUnaryOperand();
        return { kind: 'Unary', span: this.span(start), op: TOKEN_TEXT[k], operand };
      }
      case Tok.Star: {
        this.advance();
        const mut = this.eat(Tok.Mut);
        const operand = this.parseUnaryOperand();
        return { kind: 'Star', span: this.span(start), mut, operand };
      }
      case Tok.Amp: case Tok.AndAnd: {
        this.advance();
        const mut = this.eat(Tok.Mut);
        this.noReferences({ start, end: this.prevEnd });
        const operand = this.parseUnaryOperand();
        const inner: Expr = { kind: 'Star', span: this.span(start), mut, operand };
        // `&&x` is two `&`
        return k === Tok.AndAnd ? { kind: 'Star', span: this.span(start), mut: false, operand: inner } : inner;
      }
    }
    return this.parsePostfix();
  }

  private noReferences(span: Span): void {
    this.report('E0012', span, 'Zeta has no references', 'use `*x` for an immutable pointer or `*mut x` for a mutable one');
  }

  private parseUnaryOperand(): Expr {
    if (++this.depth > MAX_DEPTH) {
      const e = this.errorExpr();
      this.tooDeep();
      this.depth--;
      return e;
    }
    const e = this.parseUnary();
    this.depth--;
    return e;
  }

  private parsePostfix(): Expr {
    const parenthesized = this.at(Tok.LParen) && !this.isLambdaAt(this.pos);
    let e = this.parsePrimary();
    // these end where their operand or body ends; nothing applies to them, unless they are
    // in parentheses: `((x: i32) -> x + 1)(5)` calls the lambda
    if (!parenthesized && (e.kind === 'Return' || e.kind === 'Break' || e.kind === 'Continue' || e.kind === 'Lambda')) return e;
    // every postfix node starts where `e` does (read only when one follows: most primaries have none)
    const k = this.kinds[this.pos];
    if (k !== Tok.Dot && k !== Tok.LBracket && k !== Tok.LParen) return e;
    const start: number = e.span.start;
    for (;;) {
      switch (this.kinds[this.pos]) {
        case Tok.Dot: {
          this.advance();
          const name = this.expectIdent('a field or method name');
          if (name === null) return e;
          if (this.at(Tok.LParen)) {
            const args = this.parseList(Tok.RParen, this.exprItem);
            e = { kind: 'MethodCall', span: this.span(start), object: e, method: name, args };
          } else e = { kind: 'Field', span: this.span(start), object: e, name };
          continue;
        }
        case Tok.LBracket: {
          const saved = this.noStruct;
          this.noStruct = false;
          this.advance();
          const index = this.parseExpr();
          this.expect(Tok.RBracket);
          this.noStruct = saved;
          e = { kind: 'Index', span: this.span(start), object: e, index };
          continue;
        }
        case Tok.LParen: {
          const args = this.parseList(Tok.RParen, this.exprItem);
          e = { kind: 'Call', span: this.span(start), callee: e, args };
          continue;
        }
        default: return e;
      }
    }
  }

  private parsePrimary(): Expr {
    const start = this.tokStart;
    const k = this.kinds[this.pos];
    switch (k) {
      case Tok.Int: {
        const lit = this.t.lits[this.t.aux[this.pos]] as IntValue;
        this.advance();
        return { kind: 'IntLit', span: this.span(start), value: lit.value, suffix: lit.suffix };
      }
      case Tok.Float: {
        const lit = this.t.lits[this.t.aux[this.pos]] as FloatValue;
        this.advance();
        return { kind: 'FloatLit', span: this.span(start), value: lit.value, suffix: lit.suffix };
      }
      case Tok.Str: {
        const value = this.t.lits[this.t.aux[this.pos]] as string;
        this.advance();
        return { kind: 'StrLit', span: this.span(start), value };
      }
      case Tok.True: case Tok.False:
        this.advance();
        return { kind: 'BoolLit', span: this.span(start), value: k === Tok.True };
      case Tok.Ident: return this.parseNameOrPath();
      case Tok.LParen: return this.isLambdaAt(this.pos) ? this.parseLambda(start, false) : this.parseParenthesized();
      case Tok.LBracket: return this.parseArray();
      case Tok.LBrace: return this.parseBlock();
      case Tok.If: return this.parseIf();
      case Tok.Unsafe:
        if (this.k(1) === Tok.LBrace) return this.parseUnsafeBlock();
        if (this.isLambdaAt(this.pos + 1)) { this.advance(); return this.parseLambda(start, true); }
        this.advance();
        this.errorExpected('`{` or a lambda after `unsafe`');
        return this.errorExpr();
      case Tok.Return: {
        this.advance();
        const v = this.kinds[this.pos];
        const hasValue = !(v === Tok.Semi || v === Tok.RBrace || v === Tok.RParen || v === Tok.RBracket || v === Tok.Comma || v === Tok.EOF);
        const value = hasValue ? this.parseExpr() : null;
        return { kind: 'Return', span: this.span(start), value };
      }
      case Tok.Break: this.advance(); return { kind: 'Break', span: this.span(start) };
      case Tok.Continue: this.advance(); return { kind: 'Continue', span: this.span(start) };
      case Tok.While: case Tok.For: case Tok.Loop: case Tok.Region: case Tok.Delete:
        this.errorExpected('expression', `\`${TOKEN_TEXT[k]}\` is a statement and has no value`);
        return this.errorExpr();
    }
    this.errorExpected('expression');
    return this.errorExpr();
  }

  private isLambdaAt(i: number): boolean {
    if (this.kinds[i] !== Tok.LParen) return false;
    const m = this.match[i];
    return m > i && this.kinds[m + 1] === Tok.Arrow;
  }

  /** `(params) -> body` from its `(` (after `unsafe`, when there is one). */
  private parseLambda(start: number, isUnsafe: boolean): Expr {
    const params = this.parseList(Tok.RParen, () => this.parseParam(false));
    this.expect(Tok.Arrow);
    const body = this.at(Tok.LBrace) ? this.parseBlock() : this.parseExpr();
    return { kind: 'Lambda', span: this.span(start), params, ret: null, body, unsafe: isUnsafe };
  }

  private parseParenthesized(): Expr {
    const start = this.tokStart;
    const saved = this.noStruct;
    this.noStruct = false;
    this.advance();
    if (this.at(Tok.RParen)) {
      this.errorExpected('expression', 'Zeta has no `()` value');
      this.advance();
      this.noStruct = saved;
      return this.errorExpr();
    }
    const e = this.parseExpr();
    this.expect(Tok.RParen);
    this.noStruct = saved;
    // the parentheses belong to the expression's span; `e` was just made and nobody has
    // seen it yet, so its span is replaced in place rather than by a copy of the node
    (e as { span: Span }).span = this.span(start);
    return e;
  }

  private parseArray(): Expr {
    const start = this.tokStart;
    const closeIdx = this.match[this.pos];
    const saved = this.noStruct;
    this.noStruct = false;
    this.advance();
    if (this.eat(Tok.RBracket)) {
      this.noStruct = saved;
      return { kind: 'ArrayLit', span: this.span(start), elems: [] };
    }
    const first = this.parseExpr();
    if (this.eat(Tok.Semi)) {
      const count = this.parseArrayLength();
      this.expect(Tok.RBracket);
      this.noStruct = saved;
      return { kind: 'ArrayRepeat', span: this.span(start), value: first, count };
    }
    const elems = this.parseList(Tok.RBracket, this.exprItem, first, closeIdx);
    this.noStruct = saved;
    return { kind: 'ArrayLit', span: this.span(start), elems };
  }

  /** The `N` of `[v; N]` and `[T; N]`: an integer literal. */
  private parseArrayLength(): number {
    if (this.at(Tok.Int)) {
      const lit = this.t.lits[this.t.aux[this.pos]] as IntValue;
      const n = Number(lit.value);
      if (!Number.isSafeInteger(n)) this.error('array length is too large');
      this.advance();
      return Number.isSafeInteger(n) ? n : 0;
    }
    this.errorExpected('an array length', 'the length of an array is an integer literal: `[0; 16]`');
    if (!this.at(Tok.RBracket)) this.parseExpr();
    return 0;
  }

  private parseNameOrPath(): Expr {
    const start = this.tokStart;
    const name = this.ident(this.pos);
    const next = this.k(1);
    if (next === Tok.ColonColon) {
      this.advance();
      this.advance();
      const member = this.expectIdent('a name after `::`') ?? '<error>';
      return { kind: 'Path', span: this.span(start), owner: name, tyArgs: [], member };
    }
    if (next === Tok.Lt && GENERICS.has(name) && this.isGenericPathAt(this.pos)) {
      this.advance();
      this.advance();
      const tyArgs = [this.parseType()];
      while (this.eat(Tok.Comma)) tyArgs.push(this.parseType());
      this.expectCloseAngle();
      this.expect(Tok.ColonColon);
      const member = this.expectIdent('a name after `::`') ?? '<error>';
      return { kind: 'Path', span: this.span(start), owner: name, tyArgs, member };
    }
    if (next === Tok.LBrace && !this.noStruct && this.looksLikeStructBody(this.pos + 1)) return this.parseStructLit();
    this.advance();
    return { kind: 'Name', span: this.span(start), name };
  }

  /** `Vec <` at i begins type arguments when a balanced `<...>` of type tokens is followed by `::`. */
  private isGenericPathAt(i: number): boolean {
    let depth = 0;
    const limit = Math.min(this.count, i + 256);
    for (let j = i + 1; j < limit; j++) {
      const k = this.kinds[j];
      if (k === Tok.Lt) depth++;
      else if (k === Tok.Gt) depth--;
      else if (k === Tok.Shr) depth -= 2;
      else if (!TYPE_ARG_TOKENS.has(k)) return false;
      if (depth === 0) return this.kinds[j + 1] === Tok.ColonColon;
      if (depth < 0) return false;
    }
    return false;
  }

  private looksLikeStructBody(i: number): boolean {
    const a = this.kinds[i + 1];
    return a === Tok.RBrace || (a === Tok.Ident && this.kinds[i + 2] === Tok.Colon);
  }

  private parseStructLit(): Expr {
    const start = this.tokStart;
    const className = this.ident(this.pos);
    this.advance();
    const fields = this.parseList(Tok.RBrace, () => {
      const fstart = this.tokStart;
      const name = this.expectIdent('a field name');
      if (name === null) return null;
      let value: Expr;
      if (this.eat(Tok.Colon)) value = this.parseExpr();
      else { this.errorExpected('`:`', `write \`${name}: value\``); value = this.errorExpr(); }
      const field: N<'FieldInit'> = { kind: 'FieldInit', span: this.span(fstart), name, value };
      return field;
    });
    return { kind: 'StructLit', span: this.span(start), className, fields };
  }

  // ------------------------------------------------------------------ types
  parseType(): Ty {
    if (++this.depth > MAX_DEPTH) {
      this.tooDeep(true);
      this.depth--;
      return T.void;
    }
    const t = this.parseTypeInner();
    this.depth--;
    return t;
  }

  private parseTypeInner(): Ty {
    const k = this.kinds[this.pos];
    switch (k) {
      case Tok.Star: {
        this.advance();
        const mut = this.eat(Tok.Mut);
        return ptr(this.parseType(), mut);
      }
      case Tok.Amp: case Tok.AndAnd: {
        const start = this.tokStart;
        this.advance();
        const mut = this.eat(Tok.Mut);
        this.noReferences({ start, end: this.prevEnd });
        const to = ptr(this.parseType(), mut);
        return k === Tok.AndAnd ? ptr(to, false) : to;
      }
      case Tok.LBracket: {
        this.advance();
        const elem = this.parseType();
        let n = 0;
        if (this.expect(Tok.Semi, 'an array type is written `[T; N]`')) n = this.parseArrayLength();
        this.expect(Tok.RBracket);
        return arrayTy(elem, n);
      }
      case Tok.Fn: return this.parseFnType(false);
      case Tok.Concurrent:
        this.advance();
        if (!this.at(Tok.Fn)) { this.errorExpected('`fn`'); return T.void; }
        return this.parseFnType(true);
      case Tok.Ident: {
        const name = this.ident(this.pos);
        this.advance();
        const prim = PRIMITIVES.get(name);
        if (prim) return prim;
        const g = GENERICS.get(name);
        if (g === undefined) return classTy(name);
        if (!this.eat(Tok.Lt)) {
          this.errorExpected('`<`', `\`${name}\` takes a type argument: \`${name}<T>\``);
          return gen(g, T.void);
        }
        const of = this.parseType();
        this.expectCloseAngle();
        return gen(g, of);
      }
    }
    this.errorExpected('type');
    return T.void;
  }

  private parseFnType(concurrent: boolean): Ty {
    this.advance(); // `fn`
    let params: Ty[] = [];
    if (this.at(Tok.LParen)) params = this.parseList(Tok.RParen, this.typeItem);
    else this.errorExpected('`(`', 'a function type is written `fn(A, B) -> R`');
    const ret = this.eat(Tok.Arrow) ? this.parseType() : T.void;
    return fnTy(params, ret, concurrent);
  }

  /** The `>` closing type arguments; splits `>>`, `>=` and `>>=` (`Vec<Vec<i32>>`). */
  private expectCloseAngle(): void {
    let rest: number;
    switch (this.kinds[this.pos]) {
      case Tok.Gt: this.advance(); return;
      case Tok.Shr: rest = Tok.Gt; break;
      case Tok.Ge: rest = Tok.Eq; break;
      case Tok.ShrEq: rest = Tok.Ge; break;
      default: this.errorExpected('`>`'); return;
    }
    this.prevEnd = this.starts[this.pos] + 1;
    this.splits.push(this.pos, this.kinds[this.pos]);
    this.kinds[this.pos] = rest;
    this.starts[this.pos] += 1;
  }
}
