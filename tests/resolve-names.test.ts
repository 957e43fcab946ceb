// resolve-names: source text → the refs and ids of names, and E0002.
import { describe, expect, it } from 'vitest';
import { Diagnostics, lineCol, type Diagnostic } from '../ir/diagnostics.js';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lresolved } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { printIR } from '../ir/print.js';
import { parseProgram } from '../passes/parse.js';
import { resolveNamesPass, closestName } from '../passes/resolve-names.js';

function resolve(text: string): { out: AnyNode; diags: Diagnostic[]; errors: string[] } {
  const src = { path: 't.zeta', text };
  const diag = new Diagnostics();
  const parsed = parseProgram(src, diag);
  expect(diag.list.map((d) => d.message), 'no syntax errors').toEqual([]);
  const out = resolveNamesPass.run(parsed, { src, diag, freshId: () => 1_000_000 });
  expect(validate(Lresolved, out)).toEqual([]);
  return { out, diags: diag.list, errors: diag.list.map((d) => `${d.code}@${lineCol(src, d.span.start).line}`) };
}

/** Every Name node as `name=ref`, in source order. */
function names(out: AnyNode): string[] {
  const r: string[] = [];
  forEachNode(Lresolved, out, (n) => {
    if (n.kind !== 'Name') return;
    const ref = n.ref as { k: string; id?: number; name?: string };
    r.push(`${n.name as string}=${ref.k}${ref.k === 'local' ? `#${ref.id}` : ''}`);
  });
  return r;
}

/** Every binding as `name#id`, in source order. */
function bindings(out: AnyNode): string[] {
  const r: string[] = [];
  forEachNode(Lresolved, out, (n) => {
    if (['Let', 'Param', 'For', 'IfLet', 'WhileLet', 'RegionStmt'].includes(n.kind)) r.push(`${n.name as string}#${n.id as number}`);
  });
  return r;
}

function fnNamed(out: AnyNode, name: string): AnyNode {
  let found: AnyNode | null = null;
  forEachNode(Lresolved, out, (n) => { if (n.kind === 'FnDecl' && n.name === name) found = n; });
  expect(found).not.toBeNull();
  return found!;
}

describe('locals', () => {
  it('ids start at 1 in each function, parameters first, unique within the function', () => {
    const { out, errors } = resolve('f(a: i32, b: i32) { x := a; y := b; }\ng(a: i32) { z := a; }\nmain() {}');
    expect(errors).toEqual([]);
    expect(bindings(fnNamed(out, 'f'))).toEqual(['a#1', 'b#2', 'x#3', 'y#4']);
    expect(bindings(fnNamed(out, 'g'))).toEqual(['a#1', 'z#2']);
  });
  it('shadowing gives a new id; the initializer sees the old binding', () => {
    const { out } = resolve('main() { x := 1; x := x + 1; { x := 5; println(x); } println(x); }');
    expect(bindings(out)).toEqual(['x#1', 'x#2', 'x#3']);
    expect(names(out).filter((n) => n.startsWith('x='))).toEqual(['x=local#1', 'x=local#3', 'x=local#2']);
  });
  it('for, if let, while let and region bind in their body only', () => {
    const { out, errors } = resolve(`main() {
  for i in 0..3 { println(i); }
  if let Some(v) = Some(1) { println(v); } else { println(v); }
  region r(64) { p := r.alloc(1); }
  println(i);
}`);
    expect(errors).toEqual(['E0002@3', 'E0002@5']);
    expect(bindings(out)).toEqual(['i#1', 'v#2', 'r#3', 'p#4']);
  });
  it('lambdas share their function\'s ids, so captures keep their id', () => {
    const { out, errors } = resolve('main() { mut total := 0; add := (n: i32) -> { total += n; }; add(1); }');
    expect(errors).toEqual([]);
    expect(bindings(out)).toEqual(['total#1', 'add#3', 'n#2']); // tree order: the Let before its lambda
    expect(names(out)).toEqual(['total=local#1', 'n=local#2', 'add=local#3']);
  });
});

describe('globals', () => {
  it('functions, statics, externs and built-ins are visible everywhere, before their definition', () => {
    const { out, errors } = resolve('main() { f(); x := N; println(x); y := None; z := Some(1); }\nf() {}\nstatic N: i64 = 1;');
    expect(errors).toEqual([]);
    expect(names(out)).toEqual(['f=fn', 'N=global', 'println=builtin', 'x=local#1', 'None=builtin', 'Some=builtin']);
  });
  it('a user function or extern wins over a built-in of the same name', () => {
    const { out } = resolve('extern "C" abs(x: i32) -> i32;\nmax(a: i32, b: i32) -> i32 { return a; }\nmain() { unsafe { abs(1); } max(1, 2); min(1, 2); }');
    expect(names(out)).toEqual(['a=local#1', 'abs=extern', 'max=fn', 'min=builtin']);
  });
  it('a name defined twice is E0002', () => {
    expect(resolve('f() {}\nf() {}\nmain() {}').errors).toEqual(['E0002@2']);
    expect(resolve('f(a: i32, a: i32) {}\nmain() {}').errors).toEqual(['E0002@1']);
  });
});

describe('unknown names', () => {
  it('are E0002 with a "did you mean" help when a name is close', () => {
    const { diags, errors, out } = resolve('main() {\n counter := 1;\n println(countr);\n println(zzzzzz);\n}');
    expect(errors).toEqual(['E0002@3', 'E0002@4']);
    expect(diags[0].notes).toContain('help: did you mean `counter`?');
    expect(diags[1].notes).toEqual([]);
    expect(names(out)).toContain('countr=unknown');
  });
  it('unknown types and classes are E0002', () => {
    expect(resolve('f(p: Pointt) {}\nclass Point(x: i32) {}\nmain() {\n q := Pont { x: 1 };\n r := Foo::new();\n}').errors)
      .toEqual(['E0002@1', 'E0002@4', 'E0002@5']);
  });
  it('unknown static methods and orderings are E0002', () => {
    expect(resolve('class P(x: i32) { get() -> i32 { return x; } }\nmain() {\n a := P::nope();\n b := P::get();\n c := Ordering::Weird;\n d := Ordering::SeqCst;\n}').errors)
      .toEqual(['E0002@3', 'E0002@4', 'E0002@5']);
  });
  it('`this` outside a method is E0002', () => {
    expect(resolve('main() { x := this; }').errors).toEqual(['E0002@1']);
  });
  it('closestName picks a close candidate only', () => {
    expect(closestName('lenght', ['length', 'len', 'other'])).toBe('length');
    expect(closestName('abc', ['xyz'])).toBeNull();
  });
});

describe('methods', () => {
  const CLASS = `class Counter(count: i64) {
  show() { println(count); greet(); println(this.count); }
  greet() {}
  mut add(n: i64) { count = count + n; }
  static make() -> Counter { return fresh(); }
  static fresh() -> Counter { return Counter { count: 0 }; }
  static bad() { println(count); }
}
main() {}`;
  it('`this` is local 0; bare fields and method calls go through `this`', () => {
    const { out, errors } = resolve(CLASS);
    expect(errors).toEqual(['E0002@7']);
    const show = fnNamed(out, 'show');
    const text = printIR(Lresolved, show, 1000);
    expect(text).toContain('(Field (Name name="this" ref={"k":"local","id":0}) name="count")');
    expect(text).toContain('(MethodCall (Name name="this" ref={"k":"local","id":0}) method="greet" [])');
    const add = printIR(Lresolved, fnNamed(out, 'add'), 1000);
    expect(add).toContain('(Assign (Field (Name name="this"');
    expect(bindings(fnNamed(out, 'add'))).toEqual(['n#1']);
  });
  it('a bare call of a static method becomes `Class::m()`', () => {
    const { out } = resolve(CLASS);
    expect(printIR(Lresolved, fnNamed(out, 'make'), 1000)).toContain('(Path owner="Counter" tyArgs=[] member="fresh")');
  });
  it('static methods have no `this`: a bare field there is E0002 with a note', () => {
    const { diags } = resolve(CLASS);
    expect(diags[0].notes.join()).toMatch(/static method has no `this`/);
  });
  it('locals shadow fields', () => {
    const { out } = resolve('class P(x: i32) { get(x: i32) -> i32 { return x; } }\nmain() {}');
    expect(names(fnNamed(out, 'get'))).toEqual(['x=local#1']);
  });
  it('class fields get ids 1..n', () => {
    const { out } = resolve('class P(x: i32, y: i32) {}\nmain() {}');
    expect(bindings(out)).toEqual(['x#1', 'y#2']);
  });
});
