// infer-sync and ir/sync.ts: which types are Sync and which hold pointers (spec §8), and
// E0042 for a class that claims `Sync` without being it.
import { describe, expect, it } from 'vitest';
import { lineCol } from '../ir/diagnostics.js';
import { classTable, type ClassShape } from '../ir/needs-drop.js';
import { syncFacts } from '../ir/sync.js';
import { T, arrayTy, classTy, fnTy, gen, ptr, type Ty } from '../ir/types.js';
import { runPipeline } from '../tools/driver.js';

const cls = (name: string, fields: Ty[], traits: string[] = []): ClassShape & { kind: string } =>
  ({ kind: 'ClassDecl', name, traits, fields: fields.map((ty) => ({ ty })) });

/** (code@line) of every error, through the concurrency checks. */
function errors(text: string): string[] {
  const src = { path: 't.zeta', text };
  const r = runPipeline(src, { stopAfter: 'check-concurrency', verifyEach: true });
  return [...r.diagnostics].sort((a, b) => a.span.start - b.span.start).map((d) => `${d.code}@${lineCol(src, d.span.start).line}`);
}

describe('ir/sync: Sync', () => {
  const facts = syncFacts(classTable([
    cls('Counters', [gen('atomic', T.i64), gen('mutex', gen('vec', T.i32)), gen('channel', T.i64)]),
    cls('Nested', [classTy('Counters'), arrayTy(gen('atomic', T.u8), 4)]),
    cls('Plain', [T.i64]),
    cls('HasPlain', [classTy('Counters'), classTy('Plain')]),
    cls('Claimed', [T.i64], ['Sync']),
    cls('Trusted', [ptr(T.i32)], ['unsafe Sync']),
  ]));

  it('Atomic, Mutex and Channel are Sync whatever they hold', () => {
    expect(facts.isSync(gen('atomic', T.bool))).toBe(true);
    expect(facts.isSync(gen('mutex', ptr(T.i32)))).toBe(true);
    expect(facts.isSync(gen('channel', T.string))).toBe(true);
  });

  it('numbers, bool, pointers, Box, Vec, String, Option, lambdas, Region, Guard and Thread are not', () => {
    for (const t of [T.i64, T.f64, T.bool, T.str, T.string, ptr(gen('atomic', T.i64)), gen('box', gen('atomic', T.i64)),
      gen('vec', gen('atomic', T.i64)), gen('option', gen('atomic', T.i64)), fnTy([], T.void, true), T.region,
      gen('guard', T.i64), gen('thread', T.void)]) {
      expect(facts.isSync(t)).toBe(false);
    }
  });

  it('a class is Sync when all its fields are, through classes and arrays', () => {
    expect(facts.isSync(classTy('Counters'))).toBe(true);
    expect(facts.isSync(classTy('Nested'))).toBe(true);
    expect(facts.isSync(arrayTy(classTy('Counters'), 2))).toBe(true);
    expect(facts.isSync(classTy('Plain'))).toBe(false);
    expect(facts.isSync(classTy('HasPlain'))).toBe(false);
  });

  it('a declared Sync (checked elsewhere) or unsafe Sync class counts as Sync', () => {
    expect(facts.isSync(classTy('Claimed'))).toBe(true);
    expect(facts.isSync(classTy('Trusted'))).toBe(true);
  });

  it('is independent of declaration order and works for long chains and recursion', () => {
    // C0 contains C1 ... contains C199, whose field is not Sync: all are not Sync
    const n = 200;
    const chain = Array.from({ length: n }, (_, i) => cls(`C${i}`, [i + 1 < n ? classTy(`C${i + 1}`) : T.i32]));
    const f = syncFacts(classTable(chain));
    expect(f.isSync(classTy('C0'))).toBe(false);
    const g = syncFacts(classTable([...chain].reverse().map((c, i) => (i === 0 ? cls(c.name, [gen('atomic', T.i32)]) : c))));
    expect(g.isSync(classTy('C0'))).toBe(true);
    // a list node reaches itself through Box: not Sync, holds no pointer unless a field does
    const list = syncFacts(classTable([cls('Node', [T.i64, gen('option', gen('box', classTy('Node')))])]));
    expect(list.isSync(classTy('Node'))).toBe(false);
    expect(list.holdsPointer(classTy('Node'))).toBe(false);
  });
});

describe('ir/sync: holds a pointer', () => {
  it('pointers, Region, Guard, Thread and fn values do, and so does anything containing one', () => {
    const facts = syncFacts(classTable([
      cls('A', [gen('box', classTy('B'))]),
      cls('B', [gen('option', gen('box', classTy('A'))), ptr(T.i32)]),
      cls('Clean', [T.i64, gen('vec', T.string)]),
      cls('Vouched', [ptr(T.i64)], ['unsafe Sync']),
    ]));
    for (const t of [ptr(T.i32), T.region, gen('guard', T.i32), gen('thread', T.i32), fnTy([], T.i32),
      gen('option', ptr(T.i32)), gen('vec', gen('box', ptr(T.i32))), arrayTy(ptr(T.u8), 2), gen('mutex', ptr(T.i32))]) {
      expect(facts.holdsPointer(t)).toBe(true);
    }
    expect(facts.holdsPointer(T.i64)).toBe(false);
    expect(facts.holdsPointer(gen('channel', T.i64))).toBe(false);
    expect(facts.holdsPointer(classTy('Clean'))).toBe(false);
    // A reaches B's pointer field through a Box, and B reaches itself through A: both hold one
    expect(facts.holdsPointer(classTy('A'))).toBe(true);
    expect(facts.holdsPointer(classTy('B'))).toBe(true);
    expect(facts.holdsPointer(classTy('Vouched'))).toBe(false);
  });
});

describe('infer-sync: E0042', () => {
  it('reports the first non-Sync field of a class declared Sync, at the field', () => {
    expect(errors(`class Ok(hits: Atomic<i64>, log: Channel<i64>) : Sync {}
class Broken(hits: Atomic<i64>,
    last: i64) : Sync {}
class Trusted(last: i64) : unsafe Sync {}
class Inferred(a: Atomic<i64>, b: Ok) {}
class UsesInferred(inner: Inferred, m: Mutex<String>) : Sync {}
class UsesPlain(inner: Broken2) : Sync {}
class Broken2(v: Vec<i64>) {}
main() {}
`)).toEqual(['E0042@3', 'E0042@7']);
  });

  it('a field whose class is itself wrongly declared Sync is reported only there', () => {
    expect(errors(`class Outer(inner: Inner) : Sync {}
class Inner(p: String) : Sync {}
main() {}
`)).toEqual(['E0042@2']);
  });
});
