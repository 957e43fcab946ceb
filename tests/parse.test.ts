// Tests of the parse pass (passes/parse.ts): the whole surface syntax, precedence, the
// ambiguities the parser resolves (lambda vs parentheses, generics vs less-than, struct
// literal vs block), spans, error recovery, and robustness on arbitrary input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProgram, parsePass, MAX_DEPTH } from '../passes/parse.js';
import { parseBodiesPass } from '../passes/parse-bodies.js';
import { Lskimmed, Lsrc, type Node } from '../ir/languages.js';
import { printIR } from '../ir/print.js';
import { validate, type AnyNode, type Cat } from '../ir/lang.js';
import { Diagnostics, lineCol } from '../ir/diagnostics.js';
import { showTy, type Ty } from '../ir/types.js';
import { CONFORMANCE, zetaFiles } from './helpers.js';

type Expr = Cat<typeof Lsrc.decl, 'Expr'>;
type Stmt = Cat<typeof Lsrc.decl, 'Stmt'>;
type Program = Node<typeof Lsrc, 'Program'>;

function parse(text: string): { program: Program; diag: Diagnostics } {
  const diag = new Diagnostics();
  return { program: parseProgram({ path: 't.zeta', text }, diag), diag };
}

/** Parses a program that must have no errors and a well-formed tree. */
function ok(text: string): Program {
  const { program, diag } = parse(text);
  expect(diag.list.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(validate(Lsrc, program as AnyNode)).toEqual([]);
  return program;
}

/** Errors as `CODE@line:col message`. */
function errors(text: string): string[] {
  const { program, diag } = parse(text);
  expect(validate(Lsrc, program as AnyNode)).toEqual([]);
  return diag.list.map((d) => {
    const { line, column } = lineCol({ path: '', text }, d.span.start);
    return `${d.code}@${line}:${column} ${d.message}`;
  });
}

/** The statements of `main` in `main() { body }`. */
function body(src: string): Node<typeof Lsrc, 'Block'> {
  const p = ok(`main() { ${src} }`);
  const main = p.items[0];
  if (main.kind !== 'FnDecl') throw new Error('expected a function');
  return main.body;
}

/** A compact, fully parenthesised rendering of an expression. */
function show(e: Expr | null): string {
  if (e === null) return '_';
  switch (e.kind) {
    case 'IntLit': return e.value + (e.suffix ?? '');
    case 'FloatLit': return `${e.value}${e.suffix ?? ''}f`;
    case 'StrLit': return JSON.stringify(e.value);
    case 'BoolLit': return String(e.value);
    case 'Name': return e.name;
    case 'Path': return `${e.owner}${e.tyArgs.length ? `<${e.tyArgs.map(showTy).join(', ')}>` : ''}::${e.member}`;
    case 'Unary': return `(${e.op} ${show(e.operand)})`;
    case 'Star': return `(${e.mut ? '*mut' : '*'} ${show(e.operand)})`;
    case 'Binary': return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case 'Coalesce': return `(?? ${show(e.left)} ${show(e.right)})`;
    case 'Cast': return `(as ${show(e.expr)} ${showTy(e.ty)})`;
    case 'Field': return `(. ${show(e.object)} ${e.name})`;
    case 'Index': return `(index ${show(e.object)} ${show(e.index)})`;
    case 'Call': return `(call ${show(e.callee)}${e.args.map((a) => ' ' + show(a)).join('')})`;
    case 'MethodCall': return `(.${e.method} ${show(e.object)}${e.args.map((a) => ' ' + show(a)).join('')})`;
    case 'StructLit': return `(struct ${e.className}${e.fields.map((f) => ` ${f.name}=${show(f.value)}`).join('')})`;
    case 'ArrayLit': return `[${e.elems.map(show).join(' ')}]`;
    case 'ArrayRepeat': return `[${show(e.value)}; ${e.count}]`;
    case 'Lambda': return `(${e.unsafe ? 'unsafe ' : ''}lambda (${e.params.map((p) => (p.mut ? 'mut ' : '') + p.name + (p.ty ? ': ' + showTy(p.ty) : '')).join(', ')}) ${show(e.body)})`;
    case 'If': return `(if ${show(e.cond)} ${show(e.then)} ${show(e.else)})`;
    case 'IfLet': return `(iflet ${e.name} ${show(e.value)} ${show(e.then)} ${show(e.else)})`;
    case 'Block': return `{${e.stmts.map((s) => showStmt(s) + '; ').join('')}${e.tail ? show(e.tail) : ''}}`;
    case 'Unsafe': return `(unsafe ${show(e.body)})`;
    case 'Return': return e.value ? `(return ${show(e.value)})` : '(return)';
    case 'Break': return '(break)';
    case 'Continue': return '(continue)';
  }
}

function showStmt(s: Stmt): string {
  switch (s.kind) {
    case 'Let': return `(let ${s.mut ? 'mut ' : ''}${s.name}${s.ty ? ': ' + showTy(s.ty) : ''} ${show(s.init)})`;
    case 'Assign': return `(= ${show(s.target)} ${show(s.value)})`;
    case 'CompoundAssign': return `(${s.op}= ${show(s.target)} ${show(s.value)})`;
    case 'ExprStmt': return show(s.expr);
    case 'While': return `(while ${show(s.cond)} ${show(s.body)})`;
    case 'WhileLet': return `(whilelet ${s.name} ${show(s.value)} ${show(s.body)})`;
    case 'For': return `(for ${s.name} ${show(s.start)} ${s.inclusive ? '..=' : '..'} ${show(s.end)} ${show(s.body)})`;
    case 'Loop': return `(loop ${show(s.body)})`;
    case 'Delete': return `(delete ${show(s.target)})`;
    case 'RegionStmt': return `(region ${s.name} ${show(s.capacity)} ${show(s.body)})`;
  }
}

/** The init of `x := EXPR;`, rendered. */
function expr(src: string): string {
  const b = body(`x := ${src};`);
  const s = b.stmts[0];
  if (s.kind !== 'Let') throw new Error('expected a Let');
  return show(s.init);
}

/** The statements (and tail) of a body, rendered. */
function stmts(src: string): string {
  return show(body(src));
}

/** The type written in `x: TYPE := 0;`. */
function ty(src: string): string {
  const s = body(`x: ${src} := 0;`).stmts[0];
  if (s.kind !== 'Let' || !s.ty) throw new Error('expected a typed Let');
  return showTy(s.ty as Ty);
}

describe('conformance samples', () => {
  const files = zetaFiles(CONFORMANCE);
  it('finds the samples', () => expect(files.length).toBeGreaterThan(40));
  for (const file of files) {
    it(`parses ${file.slice(CONFORMANCE.length + 1)}`, () => {
      const text = readFileSync(file, 'utf8');
      const { program, diag } = parse(text);
      expect(validate(Lsrc, program as AnyNode)).toEqual([]);
      const annotated = new Set<string>();
      text.split('\n').forEach((line, i) => {
        const m = line.match(/\/\/~\s*ERROR\s+(E\d{4})/);
        if (m) annotated.add(`${m[1]}@${i + 1}`);
      });
      const got = diag.list.map((d) => `${d.code}@${lineCol({ path: '', text }, d.span.start).line}`);
      // the parser reports only errors that are annotated in the sample...
      for (const g of got) expect(annotated).toContain(g);
      // ...and every annotated error that is the parser's to find
      for (const a of annotated) if (a.startsWith('E0001') || a.startsWith('E0012')) expect(got).toContain(a);
      if (![...annotated].some((a) => a.startsWith('E0001'))) expect(program.items.length).toBeGreaterThan(0);
    });
  }
  it('diag/81_syntax.zeta: E0001 on line 2, at the `;`', () => {
    const text = readFileSync(join(CONFORMANCE, 'diag/81_syntax.zeta'), 'utf8');
    expect(errors(text)).toEqual(['E0001@2:15 expected expression, found `;`']);
  });
});

describe('operator precedence (spec §4)', () => {
  it.each([
    ['a + b * c', '(+ a (* b c))'],
    ['a * b + c', '(+ (* a b) c)'],
    ['a - b - c', '(- (- a b) c)'],
    ['a / b % c', '(% (/ a b) c)'],
    ['a ?? b ?? c', '(?? a (?? b c))'],
    ['a ?? b || c', '(?? a (|| b c))'],
    ['a || b && c', '(|| a (&& b c))'],
    ['a && b == c', '(&& a (== b c))'],
    ['a == b | c', '(== a (| b c))'],
    ['a < b ^ c', '(< a (^ b c))'],
    ['a | b ^ c & d', '(| a (^ b (& c d)))'],
    ['a & b << c', '(& a (<< b c))'],
    ['a >> b + c', '(>> a (+ b c))'],
    ['a + b as i64', '(+ a (as b i64))'],
    ['a * b as i64', '(* a (as b i64))'],
    ['-1 as u32', '(as (- 1) u32)'],
    ['-a / b', '(/ (- a) b)'],
    ['!(a == 7)', '(! (== a 7))'],
    ['~0', '(~ 0)'],
    ['*p.x', '(* (. p x))'],
    ['*mut v[0]', '(*mut (index v 0))'],
    ['*a.b().c', '(* (. (.b a) c))'],
    ['x as f64 * 0.5', '(* (as x f64) 0.5f)'],
    ['x as i64 as f32', '(as (as x i64) f32)'],
    ['f(a)(b)[c].d', '(. (index (call (call f a) b) c) d)'],
    ['(a + b) * 3', '(* (+ a b) 3)'],
    ['a >= b && c <= d || e != f', '(|| (&& (>= a b) (<= c d)) (!= e f))'],
    ['x & 4', '(& x 4)'],
    ['a - -b', '(- a (- b))'],
    ['first_even(v) ?? return None', '(?? (call first_even v) (return None))'],
    ['v.pop() ?? -1', '(?? (.pop v) (- 1))'],
    ['r.alloc(x) ?? panic("full")', '(?? (.alloc r x) (call panic "full"))'],
  ])('%s', (src, want) => expect(expr(src)).toBe(want));

  it('`?? break` and `?? continue` in loops', () => {
    expect(stmts('loop { x := f() ?? break; y := g() ?? continue; }'))
      .toBe('{(loop {(let x (?? (call f) (break))); (let y (?? (call g) (continue))); }); }');
  });

  it('comparisons do not chain', () => {
    expect(errors('main() { x := a < b < c; }')).toEqual(['E0001@1:21 comparison operators cannot be chained']);
  });
});

describe('literals', () => {
  it.each([
    ['42', '42'], ['1_000', '1000'], ['0xff', '255'], ['0xFF_FF', '65535'], ['0b1010', '10'], ['42i64', '42i64'],
    ['7u8', '7u8'], ['0xffu8', '255u8'], ['007', '7'], ['18446744073709551615u64', '18446744073709551615u64'],
    ['3.14', '3.14f'], ['1e9', '1000000000f'], ['2.5e-3', '0.0025f'], ['4.8e+00', '4.8f'], ['1.5f32', '1.5f32f'],
    ['2f64', '2f64f'], ['1_000.5', '1000.5f'], ['true', 'true'], ['false', 'false'],
  ])('%s', (src, want) => expect(expr(src)).toBe(want));

  it('`1..=3` and `0..n` are int, range, int', () => {
    expect(stmts('for i in 1..=3 {} for j in 0..n {} for k in 0..5i64 {}'))
      .toBe('{(for i 1 ..= 3 {}); (for j 0 .. n {}); (for k 0 .. 5i64 {}); }');
  });

  it('strings decode their escapes', () => {
    const s = body(String.raw`x := "a\nb\tc\rd\\e\"f\0g\x41";`).stmts[0];
    expect(s.kind === 'Let' && s.init.kind === 'StrLit' && s.init.value).toBe('a\nb\tc\rd\\e"f\0gA');
  });

  it('this, None and Some(x) are names and calls', () => {
    expect(expr('this.count')).toBe('(. this count)');
    expect(expr('None')).toBe('None');
    expect(expr('Some(x)')).toBe('(call Some x)');
  });

  it('an integer too large for u64 is E0003 and does not crash', () => {
    expect(errors('main() { x := 18446744073709551616; }')).toEqual(['E0003@1:15 integer literal is too large']);
    expect(errors(`main() { x := ${'9'.repeat(5000)}; y := 0x${'f'.repeat(17)}; }`).map((e) => e.slice(0, 5))).toEqual(['E0003', 'E0003']);
  });

  it('bad literals are E0001', () => {
    expect(errors('main() { a := 12abc; b := 0b102; c := 0x; d := 1.5u8; }')).toEqual([
      'E0001@1:17 invalid suffix `abc` for an integer literal',
      'E0001@1:27 invalid digit for a binary literal',
      'E0001@1:39 missing digits after the hexadecimal prefix',
      'E0001@1:51 invalid suffix `u8` for a float literal',
    ]);
    expect(errors(String.raw`main() { s := "\q\x4"; t := "\xff"; }`)).toEqual([
      'E0001@1:16 unknown character escape `\\q`',
      'E0001@1:18 invalid hex escape',
      'E0001@1:30 out of range hex escape',
    ]);
  });
});

describe('names, paths and generics', () => {
  it.each([
    ['Person::new(1, "a")', '(call Person::new 1 "a")'],
    ['String::from("x")', '(call String::from "x")'],
    ['Vec<i32>::new()', '(call Vec<i32>::new)'],
    ['Channel<i64>::new(8)', '(call Channel<i64>::new 8)'],
    ['Vec<Thread<void>>::new()', '(call Vec<Thread<void>>::new)'],
    ['Vec<Vec<Vec<i32>>>::new()', '(call Vec<Vec<Vec<i32>>>::new)'],
    ['Vec<*mut [i32; 4]>::new()', '(call Vec<*mut [i32; 4]>::new)'],
    ['Vec<fn(i32) -> bool>::new()', '(call Vec<fn(i32) -> bool>::new)'],
    ['Vec::filled(3, 1)', '(call Vec::filled 3 1)'],
    ['Atomic::new(0i64)', '(call Atomic::new 0i64)'],
    ['Ordering::Relaxed', 'Ordering::Relaxed'],
    ['a < b', '(< a b)'],
    ['Vec < c', '(< Vec c)'],
    ['Vec < c && d > e', '(&& (< Vec c) (> d e))'],
    ['Foo<i32>::new', 'error'],
  ])('%s', (src, want) => {
    if (want === 'error') expect(errors(`main() { x := ${src}; }`)[0]).toMatch(/^E0001/);
    else expect(expr(src)).toBe(want);
  });

  it('splits `>=` after type arguments: `static X: Option<i32>= None;`', () => {
    const p = ok('static X: Option<Option<i32>>= None;');
    const s = p.items[0];
    expect(s.kind === 'StaticDecl' && showTy(s.ty)).toBe('Option<Option<i32>>');
  });
});

describe('lambdas and parentheses', () => {
  it.each([
    ['(x: i32) -> x * 2', '(lambda (x: i32) (* x 2))'],
    ['(x) -> x + 3', '(lambda (x) (+ x 3))'],
    ['(n: i32) -> { total += n; }', '(lambda (n: i32) {(+= total n); })'],
    ['() -> {}', '(lambda () {})'],
    ['unsafe () -> { slots[0] = 10; }', '(unsafe lambda () {(= (index slots 0) 10); })'],
    ['(mut a: i64, b) -> a', '(lambda (mut a: i64, b) a)'],
    ['(a + b) * c', '(* (+ a b) c)'],
    ['(a)', 'a'],
    ['((x))(y)', '(call x y)'],
    ['twice((x) -> x + 3, 1)', '(call twice (lambda (x) (+ x 3)) 1)'],
    ['spawn(() -> { for k in 0..1000 { c.fetch_add(1); } })', '(call spawn (lambda () {(for k 0 .. 1000 {(.fetch_add c 1); }); }))'],
    ['(x: i32) -> (y: i32) -> x + y', '(lambda (x: i32) (lambda (y: i32) (+ x y)))'],
    ['(f)(1) + 2', '(+ (call f 1) 2)'],
    ['((x: i32) -> x - 1)(10)', '(call (lambda (x: i32) (- x 1)) 10)'],
    ['(() -> 5)().foo', '(. (call (lambda () 5)) foo)'],
    ['(x) -> x(1)', '(lambda (x) (call x 1))'],
    ['unsafe { 1 }', '(unsafe {1})'],
  ])('%s', (src, want) => expect(expr(src)).toBe(want));

  it('lambda parameters may have types; `ret` is null', () => {
    const s = body('f := (x: fn(i32) -> i32) -> x(1);').stmts[0];
    expect(s.kind === 'Let' && s.init.kind === 'Lambda' && s.init.ret).toBe(null);
    expect(s.kind === 'Let' && s.init.kind === 'Lambda' && showTy(s.init.params[0].ty!)).toBe('fn(i32) -> i32');
  });
});

describe('struct literals and blocks', () => {
  it.each([
    ['Person { id: 1, name: x, }', '(struct Person id=1 name=x)'],
    ['Pair { b: 2, a: 40 }', '(struct Pair b=2 a=40)'],
    ['Stats {}', '(struct Stats)'],
    ['Box::new(Person { id: personData.id, name: String::from(n), })', '(call Box::new (struct Person id=(. personData id) name=(call String::from n)))'],
    ['if c { P { a: 1 } } else { P { a: 2 } }', '(if c {(struct P a=1)} {(struct P a=2)})'],
    ['{ a := 1; a }', '{(let a 1); a}'],
  ])('%s', (src, want) => expect(expr(src)).toBe(want));

  it('no struct literal directly in a condition (Rust rule)', () => {
    expect(stmts('if x == y { }')).toBe('{(if (== x y) {} _)}');
    expect(stmts('while x { }')).toBe('{(while x {}); }');
    expect(stmts('for i in 0..n { }')).toBe('{(for i 0 .. n {}); }');
    expect(stmts('if let Some(p) = outer { }')).toBe('{(iflet p outer {} _)}');
    expect(stmts('while let Some(c) = cur { }')).toBe('{(whilelet c cur {}); }');
    expect(stmts('if ok { } x()')).toBe('{(if ok {} _); (call x)}');
  });

  it('struct literals inside parentheses or calls in a condition', () => {
    expect(stmts('if f(P { a: 1 }) { }')).toBe('{(if (call f (struct P a=1)) {} _)}');
    expect(stmts('if (P { a: 1 }).a == 1 { }')).toBe('{(if (== (. (struct P a=1) a) 1) {} _)}');
  });
});

describe('statements', () => {
  it('bindings', () => {
    expect(stmts('x := 5; mut y := 6; z: i64 := 7; mut p: *mut i32 := *mut y;'))
      .toBe('{(let x 5); (let mut y 6); (let z: i64 7); (let mut p: *mut i32 (*mut y)); }');
  });

  it('assignment and every compound assignment', () => {
    expect(stmts('y = 8; *p = 7; g.value.count += 1; a -= 1; a *= 2; a /= 3; a %= 4; a &= 5; a |= 6; a ^= 7; a <<= 8; a >>= 9;'))
      .toBe('{(= y 8); (= (* p) 7); (+= (. (. g value) count) 1); (-= a 1); (*= a 2); (/= a 3); (%= a 4); (&= a 5); (|= a 6); (^= a 7); (<<= a 8); (>>= a 9); }');
  });

  it('if / else if / else, if-let chains', () => {
    expect(stmts('if a < b { x(); } else if c { y(); } else if let Some(v) = o { z(v); } else { w(); }'))
      .toBe('{(if (< a b) {(call x); } (if c {(call y); } (iflet v o {(call z v); } {(call w); })))}');
    expect(expr('if a > b { a } else { b }')).toBe('(if (> a b) {a} {b})');
  });

  it('a long else-if chain does not hit the nesting limit', () => {
    const chain = 'if a { } ' + 'else if a { } '.repeat(MAX_DEPTH * 4);
    expect(body(chain).tail?.kind).toBe('If');
  });

  it('loops, return, break, continue', () => {
    expect(stmts('while i < n { i += 1; if i % 2 == 0 { continue; } if i > 7 { break; } } loop { return; }'))
      .toBe('{(while (< i n) {(+= i 1); (if (== (% i 2) 0) {(continue); } _); (if (> i 7) {(break); } _)}); (loop {(return); }); }');
    expect(stmts('for i in 1..=limit { ch.send(i); }')).toBe('{(for i 1 ..= limit {(.send ch i); }); }');
    expect(stmts('return x + 1;')).toBe('{(return (+ x 1)); }');
  });

  it('unsafe, region, delete, nested blocks', () => {
    expect(stmts('unsafe { delete b; } region r(64 * 1024) { p := r.alloc(5); } region s { } { { x := 1; } }'))
      .toBe('{(unsafe {(delete b); }); (region r (* 64 1024) {(let p (.alloc r 5)); }); (region s _ {}); {{(let x 1); }}}');
  });

  it('block-like expressions need no `;`; the last expression is the tail', () => {
    expect(stmts('if a { 1 } else { 2 } x := 3; x')).toBe('{(if a {1} {2}); (let x 3); x}');
    expect(stmts('unsafe { f(); } unsafe { g() }')).toBe('{(unsafe {(call f); }); (unsafe {(call g)})}');
    expect(stmts('a := 1;;; b()')).toBe('{(let a 1); (call b)}');
    expect(stmts('while x {}; loop {}')).toBe('{(while x {}); (loop {}); }');
  });
});

describe('items', () => {
  it('functions, unsafe functions, main -> i32', () => {
    const p = ok('add(a: i32, mut b: i32) -> i32 { return a + b; } unsafe raw(p: *mut u8) {} main() -> i32 { return 3; }');
    expect(p.items.map((i) => i.kind === 'FnDecl' && `${i.unsafe ? 'unsafe ' : ''}${i.name}(${i.params.map((q) => `${q.mut ? 'mut ' : ''}${q.name}: ${showTy(q.ty!)}`).join(', ')}) -> ${showTy(i.ret)}`))
      .toEqual(['add(a: i32, mut b: i32) -> i32', 'unsafe raw(p: *mut u8) -> void', 'main() -> i32']);
  });

  it('classes: fields, traits, methods with modifiers', () => {
    const p = ok(`
      class Person(id: u32, name: String) : Drop, Sync {
        greet() { println(name); }
        mut birthday() { age = age + 1; }
        static new(id: u32) -> Person { return Person { id: id, name: String::from("a") }; }
        static unsafe raw() {}
        drop() {}
      }
      class Trusted(last: i64) : unsafe Sync {}
      class Empty {}`);
    const [person, trusted, empty] = p.items;
    expect(person.kind === 'ClassDecl' && person.fields.map((f) => `${f.name}: ${showTy(f.ty!)}`)).toEqual(['id: u32', 'name: String']);
    expect(person.kind === 'ClassDecl' && person.traits).toEqual(['Drop', 'Sync']);
    expect(person.kind === 'ClassDecl' && person.methods.map((m) => [m.name, m.mutSelf, m.isStatic, m.unsafe, showTy(m.ret)])).toEqual([
      ['greet', false, false, false, 'void'], ['birthday', true, false, false, 'void'], ['new', false, true, false, 'Person'],
      ['raw', false, true, true, 'void'], ['drop', false, false, false, 'void'],
    ]);
    expect(trusted.kind === 'ClassDecl' && trusted.traits).toEqual(['unsafe Sync']);
    expect(empty.kind === 'ClassDecl' && empty.fields).toEqual([]);
  });

  it('extern "C" and statics', () => {
    const p = ok('extern "C" puts(s: *u8) -> i32; extern "C" srand(seed: u32); static LIMIT: i64 = 100; static mut COUNT: Atomic<i64> = Atomic::new(0);');
    expect(p.items.map((i) => i.kind)).toEqual(['ExternFn', 'ExternFn', 'StaticDecl', 'StaticDecl']);
    const [puts, srand, limit, count] = p.items;
    expect(puts.kind === 'ExternFn' && [puts.name, puts.abi, showTy(puts.ret), showTy(puts.params[0].ty!)]).toEqual(['puts', 'C', 'i32', '*u8']);
    expect(srand.kind === 'ExternFn' && showTy(srand.ret)).toBe('void');
    expect(limit.kind === 'StaticDecl' && [limit.mut, showTy(limit.ty), show(limit.init)]).toEqual([false, 'i64', '100']);
    expect(count.kind === 'StaticDecl' && [count.mut, showTy(count.ty), show(count.init)]).toEqual([true, 'Atomic<i64>', '(call Atomic::new 0)']);
  });

  it('comments, including nested block comments', () => {
    const p = ok('// line\n/* outer /* inner */ still comment */ main() { /* c */ x := 1; // end\n }');
    expect(p.items.length).toBe(1);
  });
});

describe('types', () => {
  it.each([
    'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f32', 'f64', 'bool', 'str', 'String', 'void', 'Region',
    '*i32', '*mut i32', '*mut *Point', '[i32; 4]', '[[f64; 2]; 3]', 'Option<i32>', 'Box<Person>', 'Vec<Row>',
    'Thread<void>', 'Channel<i64>', 'Mutex<Stats>', 'Atomic<bool>', 'Guard<i32>', 'Option<*Cell>',
    'Vec<Vec<i32>>', 'Option<Box<Option<i32>>>', 'fn(i32, bool) -> i32', 'fn() -> void', 'concurrent fn(i64) -> i64',
    'fn(fn(i32) -> i32) -> fn() -> i32', 'Person',
  ])('%s', (t) => expect(ty(t)).toBe(t));

  it('`fn()` without an arrow returns void', () => expect(ty('fn(i32)')).toBe('fn(i32) -> void'));
  it('`&T` is E0012, read as a pointer', () => {
    expect(errors('main() { x: &mut i32 := 0; }')).toEqual(['E0012@1:13 Zeta has no references']);
  });
  it('a generic type needs its argument', () => {
    expect(errors('main() { x: Vec := 0; }')).toEqual(['E0001@1:17 expected `<`, found `:=`']);
  });
});

describe('spans', () => {
  const text = 'main() {\n    total := a + b * 2;\n    if x { y = 1; }\n    f(1)\n}';
  const p = ok(text);
  const main = p.items[0] as Node<typeof Lsrc, 'FnDecl'>;
  const src = (n: { span: { start: number; end: number } }) => text.slice(n.span.start, n.span.end);

  it('an item spans from its name to its closing brace', () => expect(src(main)).toBe(text));
  it('a statement spans its text without the `;`', () => {
    expect(main.body.stmts.map(src)).toEqual(['total := a + b * 2', 'if x { y = 1; }']);
  });
  it('a Binary spans from its left to its right operand', () => {
    const let_ = main.body.stmts[0] as Node<typeof Lsrc, 'Let'>;
    const add = let_.init as Node<typeof Lsrc, 'Binary'>;
    expect([src(add), src(add.left), src(add.right)]).toEqual(['a + b * 2', 'a', 'b * 2']);
  });
  it('the tail and calls', () => expect(src(main.body.tail!)).toBe('f(1)'));
  it('parentheses, casts, paths, method calls, lambdas', () => {
    const b = body('x := (a + b) * c as i64; y := Vec<i32>::new().len(); z := (q) -> q + 1;');
    const lens = b.stmts.map((s) => {
      const init = (s as Node<typeof Lsrc, 'Let'>).init;
      return init.span.end - init.span.start;
    });
    // `(a + b) * c as i64` (the parentheses are part of the left operand), `Vec<i32>::new().len()`, `(q) -> q + 1`
    expect(lens).toEqual([18, 21, 12]);
  });
  it('error spans cover the offending token', () => {
    const d = parse('main() {\n    x := 1 * 2 + 3;\n    y := 2 3;\n}').diag.list[0];
    expect([d.code, d.message, d.span]).toEqual(['E0001', 'expected `;`, found literal `3`', { start: 40, end: 41 }]);
  });
  it('a missing `;` or `{` at the end of a line is reported after the last token of that line', () => {
    const d = parse('main() {\n    x := 1\n    y := 2;\n}').diag.list[0];
    expect([d.code, d.message, d.span]).toEqual(['E0001', 'expected `;`, found `y`', { start: 19, end: 19 }]);
    const e = parse('main() {\n    if x\n    y := 2;\n}').diag.list[0];
    expect([e.code, e.message, e.span]).toEqual(['E0001', 'expected `{`, found `y`', { start: 17, end: 17 }]);
  });
  it('E0012 covers `&mut`', () => {
    const d = parse('main() { r := &mut x; }').diag.list[0];
    expect([d.code, d.span, d.notes]).toEqual(['E0012', { start: 14, end: 18 }, ['help: use `*x` for an immutable pointer or `*mut x` for a mutable one']]);
  });
});

describe('references (E0012)', () => {
  it('unary `&` and `&mut` are E0012 and parse as Star', () => {
    const { program, diag } = parse('main() { r := &x; m := &mut y; d := &&z; b := x & 4; }');
    expect(diag.list.map((d) => d.code)).toEqual(['E0012', 'E0012', 'E0012']);
    const main = program.items[0] as Node<typeof Lsrc, 'FnDecl'>;
    expect(main.body.stmts.map(showStmt)).toEqual(['(let r (* x))', '(let m (*mut y))', '(let d (* (* z)))', '(let b (& x 4))']);
  });
});

describe('syntax errors and recovery', () => {
  it('reports several independent errors in one run', () => {
    expect(errors([
      'main() {',
      '    x := (1 + ;',
      '    y := 2',
      '    w := foo(1 2, 3);',
      '    ok := 1;',
      '}',
      'f(a: i32, b: ) -> i32 { return a; }',
      'class P(x: i32) {',
      '    y: i32;',
      '    mut bump() { x += 1 }',
      '}',
      'g() { if { } }',
      'static N: i64 := 0;',
    ].join('\n'))).toEqual([
      'E0001@2:15 expected expression, found `;`',
      'E0001@3:11 expected `;`, found `w`',
      'E0001@7:14 expected type, found `)`',
      'E0001@9:5 expected a method, found `y`',
      'E0001@10:25 expected `;`, found `}`',
      'E0001@12:14 expected `{`, found `}`',
      'E0001@13:15 expected `=`, found `:=`',
    ]);
  });

  it('recovers inside argument lists', () => {
    expect(errors('main() { f(1 2, 3); g(, 4); h(5); }')).toEqual([
      'E0001@1:14 expected `,` or `)`, found literal `2`',
      'E0001@1:23 expected expression, found `,`',
    ]);
  });

  it('one unclosed `{` is reported, the innermost', () => {
    expect(errors('main() {\n    if x {\n')).toEqual(['E0001@2:10 unclosed delimiter `{`']);
  });

  it('an unclosed block ends at the next item', () => {
    expect(errors('main() {\n    x := 1;\nf() {}\n')).toEqual(['E0001@1:8 unclosed delimiter `{`']);
    const { program } = parse('main() {\n    x := 1;\nf() {}\n');
    expect(program.items.map((i) => i.kind === 'FnDecl' && i.name)).toEqual(['main', 'f']);
  });

  it('unterminated strings and comments are E0001', () => {
    // what the string swallowed (the `;` and `}`) is not reported again
    expect(errors('main() { s := "abc; }')).toEqual(['E0001@1:15 unterminated string literal']);
    expect(errors('main() { x := 1 2; s := "abc; }')).toEqual(['E0001@1:25 unterminated string literal', 'E0001@1:17 expected `;`, found literal `2`']);
    expect(errors('main() { } /* open /* nested */')).toEqual(['E0001@1:12 unterminated block comment']);
  });

  it('unexpected characters', () => {
    expect(errors('main() { x := 1 @ 2; y := a?; }')).toEqual([
      'E0001@1:17 unexpected character `@`',
      'E0001@1:28 unexpected character `?`',
      'E0001@1:19 expected `;`, found literal `2`',
    ]);
  });

  it('helpful errors for habits from other languages', () => {
    expect(errors('fn main() { let x = 5; for v in items { } }')).toEqual([
      'E0001@1:1 functions are declared without `fn`',
      'E0001@1:13 Zeta has no `let`',
      'E0001@1:39 expected `..` or `..=`, found `{`',
    ]);
  });

  it('statements are not expressions; items need a body', () => {
    expect(errors('main() { x := while a {}; } f();')).toEqual([
      'E0001@1:15 expected expression, found `while`',
      'E0001@1:32 expected `{`, found `;`',
    ]);
  });

  it('nesting too deep is an error, not a stack overflow', () => {
    const n = 100_000;
    for (const text of [
      `main() { x := ${'('.repeat(n)}1${')'.repeat(n)}; }`,
      `main() { x := ${'('.repeat(n)}`,
      `main() { x := ${'-'.repeat(n)}1; }`,
      `main() ${'{'.repeat(n)}${'}'.repeat(n)}`,
      `main() { x: ${'*'.repeat(n)}i32 := 1; }`,
      `main() { x: ${'Vec<'.repeat(n)}i32${'>'.repeat(n)} := 1; }`,
      `main() { x := ${'[' .repeat(n)}${']'.repeat(n)}; }`,
      `main() { x := ${'(x) -> '.repeat(n)}1; }`,
      `main() { ${'return '.repeat(n)}1; }`,
      `main() { x := f${'(f'.repeat(n)}${')'.repeat(n)}; }`,
    ]) {
      const errs = errors(text);
      expect(errs[0]).toMatch(/^E0001@1:\d+ nesting too deep$/);
      expect(errs.length).toBeLessThan(5);
    }
  });

  it('long flat chains are not nesting', () => {
    const n = 50_000;
    // (not validated: the validator recurses as deep as the tree)
    const { diag } = parse(`main() { x := a${' + a'.repeat(n)}; y := a${' ?? a'.repeat(n)}; z := a${'.f()'.repeat(n)}; }`);
    expect(diag.list).toEqual([]);
  });

  it('never reports more than a bounded number of errors', () => {
    expect(errors('main() { ' + '@ x y z; '.repeat(10_000) + '}').length).toBeLessThanOrEqual(200);
  });
});

/**
 * parse then parse-bodies, as the pipeline runs them (each over the whole module): the
 * syntax tree, what they report, and whether one of them stopped the pipeline.
 */
function parseInTwo(text: string): { skimmed: AnyNode; program: AnyNode | null; diag: Diagnostics; stopped: boolean } {
  const diag = new Diagnostics();
  let stopped = false;
  const ctx = { src: { path: 'p.zeta', text }, diag, freshId: () => 0, stop: () => { stopped = true; } };
  const skimmed = parsePass.run({ kind: 'SourceText', span: { start: 0, end: text.length }, path: 'p.zeta', text }, ctx);
  const program = stopped ? null : parseBodiesPass.run(skimmed, ctx);
  return { skimmed, program, diag, stopped };
}

describe('the passes', () => {
  it('parse reads Lsource and writes Lskimmed, leaving bodies to parse-bodies, which writes Lsrc', () => {
    const { skimmed, program, stopped } = parseInTwo('class P(x: i32) { get() -> i32 { return x; } }\nmain() { println(1); }');
    expect(validate(Lskimmed, skimmed)).toEqual([]);
    expect(printIR(Lskimmed, skimmed)).toMatch(/UnparsedBody/);
    expect(validate(Lsrc, program!)).toEqual([]);
    expect([parsePass.from.name, parsePass.to.name, parseBodiesPass.from.name, parseBodiesPass.to.name, stopped])
      .toEqual(['Lsource', 'Lskimmed', 'Lskimmed', 'Lsrc', false]);
  });
  it('a file with an error in its tokens or declarations is parsed whole (ParsedBody), so its diagnostics come in order', () => {
    for (const text of ['main() { x := 1 @ 2; }', 'f(p: &i32) {}\nmain() { x := 1; }', 'main() { x := (1; }']) {
      const { skimmed } = parseInTwo(text);
      expect(printIR(Lskimmed, skimmed)).toMatch(/ParsedBody/);
      expect(printIR(Lskimmed, skimmed)).not.toMatch(/UnparsedBody/);
    }
    // an error inside a body is parse-bodies' to find
    const { skimmed } = parseInTwo('main() { x := &y; }');
    expect(printIR(Lskimmed, skimmed)).toMatch(/UnparsedBody/);
  });
  it('parses a body the same way twice (the tokens it splits, `>>` in `Vec<Vec<i32>>`, are restored)', () => {
    const text = 'f() -> Vec<Vec<i32>> { v: Vec<Vec<i32>> := Vec::new(); return v; }\nmain() { x := f(); }';
    const diag = new Diagnostics();
    const ctx = { src: { path: 'p.zeta', text }, diag, freshId: () => 0 };
    const skimmed = parsePass.run({ kind: 'SourceText', span: { start: 0, end: text.length }, path: 'p.zeta', text }, ctx);
    const once = printIR(Lsrc, parseBodiesPass.run(skimmed, ctx));
    expect(printIR(Lsrc, parseBodiesPass.run(skimmed, ctx))).toEqual(once);
    expect(once).toEqual(printIR(Lsrc, parseProgram({ path: 'p.zeta', text }, new Diagnostics()) as AnyNode));
    expect(diag.list).toEqual([]);
  });
  it('stops the pipeline after a syntax error only (spec §11: as many errors as possible)', () => {
    const stops = (text: string) => {
      const { diag, stopped } = parseInTwo(text);
      return [diag.list.map((d) => d.code), stopped];
    };
    expect(stops('main() { x := 1; }')).toEqual([[], false]);
    expect(stops('main() { x := ; }')).toEqual([['E0001'], true]);
    expect(stops('main() { mut x := 1; p := &x; }')).toEqual([['E0012'], false]);
    expect(stops('main() { x := 99999999999999999999999; }')).toEqual([['E0003'], false]);
  });
});

// ---------------------------------------------------------------------------- robustness
const SAMPLES = zetaFiles(CONFORMANCE).map((f) => readFileSync(f, 'utf8'));

/**
 * Parsing never throws and always yields a tree valid in Lsrc; parsing the bodies one at a
 * time (parse, then parse-bodies) gives the same tree and the same diagnostics.
 */
function survives(text: string): boolean {
  const diag = new Diagnostics();
  const program = parseProgram({ path: 'fuzz.zeta', text }, diag);
  const problems = validate(Lsrc, program as AnyNode);
  if (problems.length) throw new Error(`invalid tree for ${JSON.stringify(text)}: ${problems[0].message}`);
  const inTwo = parseInTwo(text);
  const shown = (d: Diagnostics) => d.list.map((e) => `${e.code} ${e.span.start}..${e.span.end} ${e.message}`);
  expect(shown(inTwo.diag), JSON.stringify(text)).toEqual(shown(diag));
  if (inTwo.program) expect(printIR(Lsrc, inTwo.program), JSON.stringify(text)).toEqual(printIR(Lsrc, program as AnyNode));
  for (const d of diag.list) {
    if (!(d.span.start >= 0 && d.span.end >= d.span.start && d.span.end <= text.length)) {
      throw new Error(`bad span ${JSON.stringify(d.span)} for ${d.message} in ${JSON.stringify(text)}`);
    }
  }
  return true;
}

const TOKENS = ['main', '(', ')', '{', '}', '[', ']', ',', ';', ':', '::', ':=', '.', '..', '..=', '->', '+', '-', '*', '/',
  '%', '&', '|', '^', '~', '!', '=', '==', '!=', '<', '<=', '>', '>=', '<<', '>>', '&&', '||', '??', '+=', '<<=', '>>=',
  'mut', 'class', 'if', 'else', 'while', 'for', 'in', 'loop', 'break', 'continue', 'return', 'true', 'false', 'unsafe',
  'delete', 'region', 'extern', 'static', 'as', 'concurrent', 'fn', 'let', 'Some', 'None', 'this', 'Vec', 'Option',
  'i32', 'x', 'y', 'P', '0', '42i64', '1.5', '"s"', '"\\n"', '//c\n', '/* c */', '\n', ' ', '"open', '/*', '@', '0x', '1e'];

describe('robustness (property tests)', () => {
  it('never throws on token soup', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200, size: 'max' }), (toks) => survives(toks.join(' '))),
      { numRuns: 600 });
  });

  it('never throws on token soup without separating spaces', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 200, size: 'max' }), (toks) => survives(toks.join(''))),
      { numRuns: 300 });
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), survives), { numRuns: 500 });
  });

  it('never throws on mutated sample programs', () => {
    const mutation = fc.record({
      sample: fc.nat({ max: SAMPLES.length - 1 }),
      edits: fc.array(fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        len: fc.nat({ max: 12 }),
        insert: fc.oneof(fc.constantFrom('', ...TOKENS), fc.string({ maxLength: 4 })),
      }), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(fc.property(mutation, ({ sample, edits }) => {
      let text = SAMPLES[sample];
      for (const e of edits) {
        const at = Math.floor(e.at * text.length);
        text = text.slice(0, at) + e.insert + text.slice(at + e.len);
      }
      return survives(text);
    }), { numRuns: 500 });
  });

  it('never throws on truncated sample programs', () => {
    for (const s of SAMPLES) for (let cut = 0; cut < s.length; cut += 7) survives(s.slice(0, cut));
  });
});

describe('speed', () => {
  it('parses 200k lines in linear time', () => {
    const corpus = SAMPLES.filter((s) => !s.includes('ERROR E0001') && !s.includes('ERROR E0012')).join('\n');
    const lines = corpus.split('\n').length;
    const small = corpus.repeat(Math.ceil(25_000 / lines));
    const big = small.repeat(8);
    const time = (text: string) => {
      const t0 = performance.now();
      const { diag } = parse(text);
      expect(diag.list).toEqual([]);
      return performance.now() - t0;
    };
    time(small); // warm up
    const tSmall = Math.min(time(small), time(small));
    const tBig = Math.min(time(big), time(big));
    // 8x the input: a linear parser takes ~8x the time, a quadratic one 64x (wide slack: GC and
    // a loaded machine move single timings by 2x)
    expect(tBig).toBeLessThan(Math.max(24 * tSmall, 1000));
    // a generous bound (20k lines/s), so a loaded machine still passes
    expect(tBig).toBeLessThan(10_000);
  });
});
