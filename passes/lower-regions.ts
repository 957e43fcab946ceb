// lower-regions: a region statement becomes the bump-allocator calls it stands for
// (Lcore → Lnoregions, spec §6):
//   region r(cap) { body }   ⇒   r := region.new(cap as i64); finally { body } then region.free(r)
// `region.new` reserves one block of `cap` bytes (1 MiB when no capacity is written),
// `region.alloc` (already a Builtin) bumps a pointer in it, and `region.free` releases the
// whole block at once, on every way out of the body (`Finally`: falling off its end,
// `break`, `continue`, `return`), after the body's own values are dropped.
//
// Why a pass: explicate-control then knows no regions, only the general "run this on every
// exit of that block" it already needs for drops, and how regions are represented (one
// block, a chain of blocks, a free list) is decided here and in the runtime alone.

import type { AnyNode } from '../ir/lang.js';
import { Lcore, Lnoregions, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { T, tyEq, type Ty } from '../ir/types.js';
import { defineBodyPass } from './bodies.js';

type N<K extends string> = Node<typeof Lcore, K>;
type Expr = AnyNode & { readonly ty: Ty };

/** The capacity of a region without one (spec §6): 1 MiB. */
export const DEFAULT_REGION_CAPACITY = 1 << 20;

const lower = rewriter(Lcore, {
  RegionStmt: (node: N<'RegionStmt'>, next) => {
    const { name, id, capacity, body, span } = next(node);
    const cap: Expr = capacity === null ? { kind: 'IntLit', span, value: String(DEFAULT_REGION_CAPACITY), suffix: null, ty: T.i64 }
      : tyEq(capacity.ty, T.i64) ? capacity : { kind: 'Cast', span: capacity.span, expr: capacity, ty: T.i64 };
    const handle: Expr = { kind: 'Name', span, name, ref: { k: 'local', id }, ty: T.region };
    return [
      { kind: 'Let', span, name, mut: false, ty: T.region, init: { kind: 'Builtin', span, op: 'region.new', args: [cap], ty: T.region }, id },
      { kind: 'Finally', span, body, cleanup: { kind: 'Builtin', span, op: 'region.free', args: [handle], ty: T.void } },
    ];
  },
});

export const lowerRegionsPass = defineBodyPass({
  name: 'lower-regions',
  description: 'regions become region.new, a Finally body and region.free on every exit',
  from: Lcore,
  to: Lnoregions,
  prepare: () => null,
  appliesTo: (c) => c.hasKind('RegionStmt'),
  lower: (fnOrStatic) => lower(fnOrStatic, undefined),
});
