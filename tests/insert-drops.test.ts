// The drops explicate-control schedules (spec §5.3), before elaborate-drops decides which
// run: at every exit of a variable's scope in reverse order of declaration, at the end of
// a temporary's statement, on both edges of a condition, between computing and storing a
// new value, after a returned value is computed, before a region is freed; none on panic.

import { describe, expect, it } from 'vitest';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import { formatFnDef, lcfgTypeErrors } from '../ir/cfg.js';
import { runPipeline } from '../tools/driver.js';

type Module = Node<typeof Lcfg, 'Module'>;

const NOISY = `class N(name: str) : Drop {
  drop() { println(name); }
  get() -> str { return name; }
}
mk(s: str) -> N { return N { name: s }; }
opt() -> Option<N> { return None; }
`;

/** The text of function `f` after explicate-control, temporaries renamed _t1, _t2, ... in order of appearance. */
function scheduled(src: string, f = 'f'): string {
  const r = runPipeline({ path: 't.zeta', text: NOISY + src + '\nmain() {}\n' }, { verifyEach: true, stopAfter: 'explicate-control' });
  expect(r.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const m = r.ir as unknown as Module;
  expect(validate(Lcfg, m as unknown as AnyNode)).toEqual([]);
  expect(lcfgTypeErrors(m)).toEqual([]);
  const text = formatFnDef(m.fns.find((x) => x.name === f)!);
  const names = new Map<string, string>();
  return text.replace(/_t\d+/g, (t) => names.get(t) ?? (names.set(t, `_t${names.size + 1}`), names.get(t)!));
}
const lines = (...ls: string[]) => ls.join('\n');

describe('insert drops (explicate-control)', () => {
  it('drops at every exit of a scope, innermost first, in reverse order of declaration; parameters last', () => {
    expect(scheduled(`f(p: N, flag: bool) {
      a := mk("a");
      b := mk("b");
      if flag { c := mk("c"); return; }
      println("end");
    }`)).toBe(lines(
      'bb0:',
      '  a = mk("a")',
      '  b = mk("b")',
      '  branch copy flag ? bb1 : bb2',
      'bb1:',
      '  c = mk("c")',
      '  drop c',
      '  drop b',
      '  drop a',
      '  drop p',
      '  return',
      'bb2:',
      '  println!("end")',
      '  drop b',
      '  drop a',
      '  drop p',
      '  return',
    ));
  });

  it('computes a returned value before the drops, in a temporary nobody drops', () => {
    expect(scheduled(`f() -> N {
      a := mk("a");
      return a;
    }`)).toBe(lines(
      'bb0:',
      '  a = mk("a")',
      '  _t1 = copy a',
      '  drop a',
      '  return move _t1',
    ));
  });

  it('break and continue drop the loop body\'s values; the return inside ?? drops what exists so far', () => {
    expect(scheduled(`f() -> i32 {
      a := mk("a");
      loop {
        b := mk("b");
        if b.get() == "x" { continue; }
        v := opt() ?? return 1;
        break;
      }
      return 0;
    }`)).toMatch(new RegExp([
      'bb\\d+:\\n  drop b\\n  goto bb\\d+', // continue
      'drop v\\n  drop b\\n  drop a\\n  return 0', // break, then the function's end
      // ?? return; the `??`'s value is the statement's temporary, not made on this path
      // (elaborate-drops removes that drop)
      'drop __opt\\n  drop _t\\d+\\n  drop b\\n  drop a\\n  return 1',
    ].join('[^]*')));
  });

  it('drops temporaries at the end of their statement, a receiver too; a condition\'s on both edges', () => {
    expect(scheduled(`f() {
      println(mk("t").get());
      mk("d");
      if opt().is_some() { println("y"); }
    }`)).toBe(lines(
      'bb0:',
      '  __recv = mk("t")',
      '  _t1 = &__recv',
      '  _t2 = N.get(move _t1)',
      '  println!(move _t2)',
      '  drop __recv',
      '  _t3 = mk("d")',
      '  drop _t3',
      '  _t4 = opt()',
      '  _t5 = is_some(move _t4)',
      '  branch move _t5 ? bb2 : bb3',
      'bb1:',
      '  return',
      'bb2:',
      '  drop _t4',
      '  println!("y")',
      '  goto bb1',
      'bb3:',
      '  drop _t4',
      '  goto bb1',
    ));
  });

  it('stores a new value after computing it and dropping the old one (variables, elements, fields)', () => {
    expect(scheduled(`class H(n: N) {}
    f() {
      mut x := mk("x");
      x = mk("y");
      mut h := H { n: mk("h") };
      h.n = N { name: x.get() };
      mut arr := [mk("e0")];
      arr[0] = mk("e1");
    }`)).toMatch(new RegExp([
      '_t1 = mk\\("y"\\)\\n  drop x\\n  x = move _t1',
      'drop h.n\\n  h.n = move _t\\d+',
      '_t\\d+ = mk\\("e1"\\)\\n  drop arr\\[0\\]\\n  arr\\[0\\] = move _t\\d+',
    ].join('[^]*')));
  });

  it('drops the values of a region\'s block before freeing it, and runs no drops on panic', () => {
    const text = scheduled(`f() {
      a := mk("a");
      region r(64) { c := mk("c"); if c.get() == "c" { panic("stop"); } }
    }`);
    expect(text).toMatch(/drop c\n  region\.free!\(copy r\)\n  drop a/);
    expect(text).toMatch(/panic!\("stop"\)\n  unreachable/);
    expect(text.match(/drop /g)?.length).toBe(2);
  });

  it('keeps the user\'s delete as a Delete statement, with the scope-end drop still scheduled', () => {
    const r = runPipeline({ path: 't.zeta', text: NOISY + 'f() { a := mk("a"); unsafe { delete a; } }\nmain() {}' }, { stopAfter: 'explicate-control' });
    const f = (r.ir as unknown as Module).fns.find((x) => x.name === 'f')!;
    expect(f.blocks[0].stmts.map((s) => s.kind)).toEqual(['Assign', 'Delete', 'Drop']);
  });
});
