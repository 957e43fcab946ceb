// check-unsafe: E0030 for the unsafe operations of spec §9 outside an unsafe context.
import { describe, expect, it } from 'vitest';
import { Diagnostics, lineCol, type Diagnostic } from '../ir/diagnostics.js';
import type { AnyNode } from '../ir/lang.js';
import { parseProgram } from '../passes/parse.js';
import { resolveNamesPass } from '../passes/resolve-names.js';
import { checkTypesPass } from '../passes/check-types.js';
import { checkUnsafePass } from '../passes/check-unsafe.js';

function check(text: string): { errors: string[]; diags: Diagnostic[]; input: AnyNode; output: AnyNode } {
  const src = { path: 't.zeta', text };
  const diag = new Diagnostics();
  const ctx = { src, diag, freshId: () => 1_000_000 };
  const parsed = parseProgram(src, diag);
  const typed = checkTypesPass.run(resolveNamesPass.run(parsed, ctx), ctx);
  expect(diag.list.map((d) => d.message), 'no errors before check-unsafe').toEqual([]);
  const output = checkUnsafePass.run(typed, ctx);
  return { errors: diag.list.map((d) => `${d.code}@${lineCol(src, d.span.start).line}`), diags: diag.list, input: typed, output };
}

describe('check-unsafe', () => {
  it('delete needs unsafe', () => {
    expect(check('main() {\n b := Box::new(1);\n delete b;\n c := Box::new(2);\n unsafe { delete c; }\n}').errors).toEqual(['E0030@3']);
  });
  it('pointer arithmetic needs unsafe, pointer-to-pointer does not', () => {
    const r = check('main() {\n mut a := [1, 2];\n mut p := *mut a[0];\n q := p + 1;\n p -= 1;\n r := unsafe { p + 1 };\n s := p as *i32;\n n := 1 + 2;\n}');
    expect(r.errors).toEqual(['E0030@4', 'E0030@5']);
    expect(r.diags[0].message).toBe('pointer arithmetic is unsafe');
    expect(r.diags[0].notes).toEqual(['help: wrap it in `unsafe { ... }`']);
  });
  it('casts between pointer types need unsafe, but for `*mut T` to `*T`', () => {
    const r = check('main() {\n x := 1;\n mut y := 2;\n p := *x as *mut i32;\n q := *mut y as *i64;\n r := *mut y as *i32;\n s := *x as *i32;\n t := unsafe { *x as *u8 };\n}');
    expect(r.errors).toEqual(['E0030@4', 'E0030@5']);
    expect(r.diags[0].message).toBe('casting a pointer to another pointer type is unsafe');
  });
  it('casts between pointers and integers need unsafe', () => {
    expect(check('main() {\n x := 1;\n p := *x;\n n := p as u64;\n q := n as *i32;\n m := unsafe { p as i64 };\n f := 1 as f64;\n}').errors)
      .toEqual(['E0030@4', 'E0030@5']);
  });
  it('calling an extern or unsafe function or method needs unsafe', () => {
    const src = `extern "C" abs(x: i32) -> i32;
unsafe danger() {}
class K(v: i32) { unsafe poke() {} unsafe static make() -> K { return K { v: 1 }; } }
main() {
  a := abs(-5);
  danger();
  k := K { v: 1 };
  k.poke();
  K::make();
  unsafe { abs(1); danger(); k.poke(); K::make(); }
}`;
    const r = check(src);
    expect(r.errors).toEqual(['E0030@5', 'E0030@6', 'E0030@8', 'E0030@9']);
    expect(r.diags[0].message).toBe('call to extern function `abs` is unsafe');
  });
  it('unsafe functions and unsafe lambdas are unsafe contexts; lambdas inherit an enclosing unsafe block', () => {
    const src = `extern "C" abs(x: i32) -> i32;
unsafe f() -> i32 { return abs(1); }
main() {
  g := unsafe () -> { abs(2); };
  unsafe { h := () -> { abs(3); }; h(); }
  k := () -> { abs(4); };
}`;
    expect(check(src).errors).toEqual(['E0030@6']);
  });
  it('returns its input unchanged', () => {
    const r = check('main() { x := 1; }');
    expect(r.output).toBe(r.input);
  });
});
