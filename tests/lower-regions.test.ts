// lower-regions (Lcore → Lnoregions): a region statement becomes `r := region.new(cap)`
// and a `Finally` body whose cleanup frees it; checked on hand-built trees and, as a
// property, on random nestings of regions, and end to end (the block is freed once on
// every way out, as the runtime's allocation trace shows).

import { describe, expect, it } from 'vitest';
import { test as fcTest, fc } from '@fast-check/vitest';
import { validate, type AnyNode } from '../ir/lang.js';
import { Lcore, Lnoregions } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import { Diagnostics } from '../ir/diagnostics.js';
import { T, type Ty } from '../ir/types.js';
import { lowerRegionsPass, DEFAULT_REGION_CAPACITY } from '../passes/lower-regions.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir, zeta, writeProgram } from './helpers.js';

const sp = { start: 1, end: 2 };
type E = AnyNode & { ty: Ty };
const n = (kind: string, fields: Record<string, unknown>): any => ({ kind, span: sp, ...fields });
const int = (v: number, ty: Ty = T.i64): E => n('IntLit', { value: String(v), suffix: null, ty });
const block = (stmts: AnyNode[]): E => n('Block', { stmts, tail: null, ty: T.void });
const region = (id: number, body: E, capacity: E | null = null) => n('RegionStmt', { name: `r${id}`, capacity, body, id });
const println = (v: E) => n('ExprStmt', { expr: n('Builtin', { op: 'println', args: [v], ty: T.void }) });
const program = (...stmts: AnyNode[]) => n('Program', {
  items: [n('FnDecl', { name: 'main', params: [], ret: T.void, body: block(stmts), unsafe: false, mutSelf: false, isStatic: false })],
});

function lower(prog: AnyNode): AnyNode {
  const out = lowerRegionsPass.run(prog, { src: { path: 't.zeta', text: '' }, diag: new Diagnostics(), freshId: () => 1 });
  expect(validate(Lnoregions, out)).toEqual([]);
  return out;
}
const kinds = (root: AnyNode, kind: string) => {
  const out: AnyNode[] = [];
  forEachNode(Lnoregions, root, (x) => { if (x.kind === kind) out.push(x); });
  return out;
};
const bodyOf = (p: AnyNode) => ((p.items as AnyNode[])[0].body as AnyNode).stmts as AnyNode[];

describe('lower-regions', () => {
  it('turns a region into region.new, then a Finally that frees it', () => {
    const out = lower(program(region(5, block([println(int(1))]), int(64, T.i32)), println(int(2))));
    const [let_, fin, after] = bodyOf(out);
    expect(let_).toMatchObject({ kind: 'Let', id: 5, name: 'r5', ty: T.region, init: { kind: 'Builtin', op: 'region.new' } });
    // a capacity of another integer type is converted to i64, the runtime's size type
    expect((let_.init as AnyNode).args).toMatchObject([{ kind: 'Cast', ty: T.i64, expr: { value: '64' } }]);
    expect(fin).toMatchObject({
      kind: 'Finally', body: { stmts: [{ kind: 'ExprStmt' }] },
      cleanup: { kind: 'Builtin', op: 'region.free', args: [{ kind: 'Name', ref: { k: 'local', id: 5 } }] },
    });
    expect(after).toMatchObject({ kind: 'ExprStmt' });
  });

  it('gives a region without a capacity the default 1 MiB', () => {
    const [let_] = bodyOf(lower(program(region(1, block([])))));
    expect((let_.init as AnyNode).args).toMatchObject([{ kind: 'IntLit', value: String(DEFAULT_REGION_CAPACITY), ty: T.i64 }]);
  });

  it('leaves a program without regions as it is (the same tree)', () => {
    const p = program(println(int(3)));
    expect(lower(p)).toBe(p);
  });

  // any nesting of regions: none is left, and each becomes one region.new and one Finally
  // freeing the same binding, the Finally right after its Let, the body's regions inside it
  const nested: fc.Arbitrary<AnyNode[]> = fc.letrec<{ stmts: AnyNode[] }>((tie) => ({
    stmts: fc.array(fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: 0, max: 9 }).map((v) => println(int(v))),
      fc.tuple(fc.constant(0), tie('stmts')).map(([, body]) => region(0, block(body as AnyNode[]))),
    ), { maxLength: 4 }),
  })).stmts;
  fcTest.prop([nested], { numRuns: 200 })('every region becomes region.new + Finally freeing it', (stmts) => {
    let id = 100;
    const numbered = JSON.parse(JSON.stringify(program(...stmts)), (k, v) => (v && v.kind === 'RegionStmt' ? { ...v, id: id, name: `r${id++}` } : v));
    const regions = id - 100;
    const out = lower(numbered);
    expect(validate(Lcore, numbered)).toEqual([]);
    expect(kinds(out, 'RegionStmt')).toEqual([]);
    const finals = kinds(out, 'Finally');
    expect(finals).toHaveLength(regions);
    const check = (list: AnyNode[]) => list.forEach((s, i) => {
      if (s.kind === 'Let' && (s.init as AnyNode).kind === 'Builtin') {
        const next = list[i + 1];
        expect(next.kind).toBe('Finally');
        expect(((next.cleanup as AnyNode).args as AnyNode[])[0]).toMatchObject({ ref: { k: 'local', id: s.id } });
      }
      if (s.kind === 'Finally') check((s.body as AnyNode).stmts as AnyNode[]);
    });
    check(bodyOf(out));
  });
});

describe('regions end to end', () => {
  it('frees each region block once on every way out (break, continue, return, falling off the end)', () => {
    const file = writeProgram(`
class Node(v: i64, next: Option<*mut Node>) {}
walk(n: i64) -> i64 {
    mut total: i64 := 0;
    for i in 0..n {
        region r(4096) {
            p := r.alloc(Node { v: i, next: None }).unwrap();
            if i % 3 == 0 { continue; }
            if i == 7 { return total + p.v; }
            total += p.v;
        }
    }
    return total;
}
main() {
    println(walk(5));
    println(walk(100));
}`, 'regions_exits.zeta');
    const exe = join(tempDir(), 'regions_exits');
    const c = zeta(['compile', file, '-o', exe]);
    expect(c.status, c.stderr).toBe(0);
    const r = spawnSync(exe, { env: { ...process.env, ZETA_TRACE_ALLOC: '1' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('7\n19\n');
    // walk(5) opens 5 regions, walk(100) 8 before returning; a region is two heap blocks
    // (its header and its memory), each freed once
    expect(r.stderr).toContain('zeta-trace: allocs=26 frees=26');
  });
});
