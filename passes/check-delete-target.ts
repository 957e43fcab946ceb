// check-delete-target: `delete` only of what the deleting code owns (E0027, spec §5.4).
//
// `delete x` drops x now and frees its heap memory; x must be a whole local variable. A pointer owns nothing: deleting one
// (or a Region handle, or anything reached through a pointer, such as `delete *p` or
// `delete p.items`) would free memory that a variable, the caller or a region still owns,
// and that owner would free it again or keep using it. Region memory is freed only with
// its whole block. A lambda reaches the variables it captures through its environment, so
// deleting one inside the lambda is a delete through a pointer too (and a second call would
// drop it again). So the target must be a place reached from a variable without going
// through a pointer (a Box's value is the Box holder's own). When the target is reached
// through a pointer, the points-to analysis of check-escapes says whether that pointer
// points into a region, for a precise message; it runs only for functions with such a
// `delete`. The check only reports.

import type { AnyNode } from '../ir/lang.js';
import { Lptr, type Node } from '../ir/languages.js';
import { forEachNode } from '../ir/traverse.js';
import type { Diagnostics } from '../ir/diagnostics.js';
import { classTable } from '../ir/needs-drop.js';
import { showTy, type Ty } from '../ir/types.js';
import { defineItemPass } from './pass.js';
import { functionsOf } from './check-escapes.js';
import { FunctionPointsTo, type FunctionToAnalyze } from './check-escapes/points-to.js';
import { capturesOf } from './desugar-lambdas.js';
import { PointerTypes } from './check-escapes/pointer-types.js';

type N<K extends string> = Node<typeof Lptr, K>;
type Expr = AnyNode & { readonly ty: Ty };

const HELP = 'only owned values (Box, Vec, String, Drop classes) can be deleted';

/** The pointer a place is reached through (`p` in `*p`, `p.f`, `p[i]`, a Guard's value), or null. */
function throughPointer(place: Expr): Expr | null {
  for (;;) {
    switch (place.kind) {
      case 'Field': {
        const f = place as N<'Field'>;
        if (f.object.ty.k === 'guard') return f.object;
        place = f.object;
        continue;
      }
      case 'Index': place = (place as N<'Index'>).object; continue;
      case 'Deref': {
        const d = place as N<'Deref'>;
        if (d.ptr.ty.k !== 'box') return d.ptr;
        place = d.ptr;
        continue;
      }
      default: return null;
    }
  }
}

/**
 * The deletes of captured variables inside lambdas: a lambda reaches what it captures
 * through its environment (a pointer, or a copy the environment owns and drops), so such
 * a delete is a delete through a pointer, and calling the lambda twice would drop twice.
 */
function capturedDeletes(body: AnyNode): Map<N<'Delete'>, string> {
  const out = new Map<N<'Delete'>, string>();
  forEachNode(Lptr, body, (n) => {
    if (n.kind !== 'Lambda') return;
    const captured = new Set(capturesOf(n as N<'Lambda'>).map((c) => c.id));
    if (captured.size === 0) return;
    forEachNode(Lptr, n, (d) => {
      if (d.kind !== 'Delete') return;
      const t = (d as N<'Delete'>).target;
      const ref = t.kind === 'Name' ? (t as N<'Name'>).ref as { k: string; id?: number } : null;
      if (ref?.k === 'local' && captured.has(ref.id as number)) out.set(d as N<'Delete'>, (t as N<'Name'>).name);
    });
  });
  return out;
}

function checkFunction(fn: FunctionToAnalyze, types: PointerTypes, diag: Diagnostics): void {
  // only deletes are checked: most functions have none, and need no more than this walk
  let deletes: N<'Delete'>[] | null = null;
  forEachNode(Lptr, fn.body, (n) => { if (n.kind === 'Delete') (deletes ??= []).push(n as N<'Delete'>); });
  if (deletes === null) return;
  const viaPointer = new Map<N<'Delete'>, Expr>();
  const captured = capturedDeletes(fn.body);
  for (const del of deletes as N<'Delete'>[]) {
    const name = captured.get(del);
    if (name !== undefined) {
      diag.error('E0027', del.span, `cannot delete \`${name}\` inside a lambda that captures it: the lambda only refers to it`, {
        label: 'deletes a captured variable',
        help: `delete \`${name}\` outside the lambda, where it is declared`,
      });
      continue;
    }
    const t = del.target.ty;
    if (t.k === 'ptr' || t.k === 'region') {
      diag.error('E0027', del.span, t.k === 'ptr'
        ? `cannot delete a pointer (\`${showTy(t)}\`): it does not own what it points to`
        : 'cannot delete a region handle: region memory is freed when its block ends', { label: 'not an owned value', help: HELP });
      continue;
    }
    const p = throughPointer(del.target);
    if (p) { viaPointer.set(del, p); continue; }
    // Drop tracking is per variable: deleting a part (`x.f`, `v[i]`, `*b`) would leave the
    // variable's own drop to free that part again, and a static is never tracked at all.
    const ref = del.target.kind === 'Name' ? (del.target as N<'Name'>).ref as { k: string } : null;
    if (ref?.k !== 'local') {
      diag.error('E0027', del.span, ref ? 'cannot delete a global: only local variables can be deleted'
        : 'cannot delete part of a value: only a whole local variable can be deleted',
      { label: 'not a whole local variable', help: 'delete the variable that owns it, or assign the part a new value' });
    }
  }
  if (viaPointer.size === 0) return;
  const analysis = new FunctionPointsTo(types, null, new Set(viaPointer.values()));
  analysis.analyze(fn);
  for (const [del, p] of viaPointer) {
    const targets = analysis.recorded.get(p) ?? new Set<number>();
    const inRegion = [...targets].some((t) => analysis.locs[t].kind === 'region' || analysis.locs[t].kind === 'regionparam');
    diag.error('E0027', del.span, inRegion
      ? 'cannot delete region memory: it is freed when its region\'s block ends'
      : 'cannot delete through a pointer: the memory belongs to the pointer\'s target', { label: 'not an owned value', help: HELP });
  }
}

export const checkDeleteTargetPass = defineItemPass({
  name: 'check-delete-target',
  description: '`delete` of a pointer or of region memory (E0027)',
  from: Lptr,
  to: Lptr,
  prepare: (program) => new PointerTypes(classTable(program.items as N<'Program'>['items'])),
  appliesTo: (c) => c.hasKind('Delete'),
  runFunction(item, types, ctx) {
    for (const fn of functionsOf(item as N<'Program'>['items'][number])) checkFunction(fn, types, ctx.diag);
    return item;
  },
});
