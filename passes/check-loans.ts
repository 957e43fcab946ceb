// check-loans: E0024 (spec §5.2) — while a pointer into a variable's heap content (a
// Box's value, a Vec element, a String byte) may still be used, that variable must not be
// reassigned, deleted or resized (`push`, `pop`, `clear`, `append`): the old heap block
// is freed or moved, and the pointer would dangle.
//
// It runs on Lcfg because "may still be used" is liveness on the control-flow graph, not
// lexical scope: a pointer whose last use comes before the `push` is fine, one used in a
// later loop iteration is not. Which locals may hold which pointers comes from
// ir/points-to.ts (flow-sensitive, through copies, Options, aggregates, stores and calls).
//
// At each operation that invalidates a place Q — a `vec.push`/`vec.pop`/`vec.clear`/
// `string.append` whose receiver points at Q, an assignment to Q, `delete Q` — the pass
// looks for a pointer, reachable from a local live after the operation, whose target
// lies inside Q and goes through heap content below Q. So `v[i] = x` (Q = an element) is
// fine while `*v[j]` is in use, and `v = w` is fine while `*v` (the Vec itself) is.
// A `delete` frees the value itself too: any pointer into or around Q then counts.

import type { Span } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import { lineCol } from '../ir/diagnostics.js';
import {
  liveBeforeEachStmt, stmtUsesDefs, successors, termUses, type FnDef, type Liveness, type Stmt,
} from '../ir/cfg.js';
import { crossesHeap, FnPointsTo, ModulePointsTo, ownedRoot, pathWithin, type PointsToState, type Target } from '../ir/points-to.js';
import { definePass, type PassContext } from './pass.js';

type Module = Node<typeof Lcfg, 'Module'>;

/** Builtins that change the size of their receiver (spec §5.2). */
const RESIZING = new Set(['vec.push', 'vec.pop', 'vec.clear', 'string.append']);

type Change = 'resized' | 'reassigned' | 'deleted';

/** Errors per function for which the line of the pointer's next use is searched (each search walks the function). */
const MAX_USE_SEARCHES = 16;

/** A pointer at `t` is invalidated by changing `q` that way. */
function invalidates(q: Target, t: Target, how: Change): boolean {
  if (q.root !== t.root) return false;
  if (how === 'deleted') return pathWithin(t.path, q.path) || pathWithin(q.path, t.path);
  return pathWithin(t.path, q.path) && crossesHeap(t.path.slice(q.path.length));
}

function checkFunction(pt: FnPointsTo, ctx: PassContext): void {
  const fn = pt.fn;
  // roots that some pointer may point into (through heap content), or at all
  const heapRoots = new Set<number>();
  const anyRoots = new Set<number>();
  for (let id = 0; id < pt.targetCount; id++) {
    const t = pt.target(id);
    anyRoots.add(t.root);
    if (crossesHeap(t.path)) heapRoots.add(t.root);
  }
  if (anyRoots.size === 0) return;
  const live: Liveness = pt.liveness();
  let searches = 0;

  for (const block of fn.blocks) {
    if (!pt.reachable[block.id]) continue;
    let liveBefore: Set<number>[] | null = null;
    pt.walkBlock(block, pt.entry[block.id], (s, i, st) => {
      const changes = changesOf(s, st);
      for (const { places, how, span } of changes) {
        if (places.length === 0) continue;
        liveBefore ??= liveBeforeEachStmt(fn, live, block.id);
        const after = liveBefore[i + 1];
        let found: { q: Target; holder: number; target: number } | null = null;
        pt.forEachReachableTarget(st, after, (holder, target) => {
          const t = pt.target(target);
          for (const q of places) if (invalidates(q, t, how)) { found = { q, holder, target }; return true; }
          return false;
        });
        if (found === null) continue;
        const { q, holder, target } = found as { q: Target; holder: number; target: number };
        const name = pt.describe(q);
        const taken = lineCol(ctx.src, pt.origin(target).start).line;
        const useLine = searches++ < MAX_USE_SEARCHES ? nextUseLine(fn, block.id, i + 1, holder, ctx) : null;
        ctx.diag.error('E0024', span, `cannot change \`${name}\` while a pointer into it is in use`, {
          label: `\`${name}\` is ${how} here`,
          help: 'finish using the pointer first, or copy the element out',
          notes: [`note: the pointer taken at line ${taken} is used later${useLine === null ? '' : ` at line ${useLine}`}`],
        });
        return;
      }
    });
  }

  /** The places a statement invalidates, as targets (only those some pointer may point into). */
  function changesOf(s: Stmt, st: PointsToState): { places: Target[]; how: Change; span: Span }[] {
    const out: { places: Target[]; how: Change; span: Span }[] = [];
    const placesOf = (ids: Iterable<number>, roots: Set<number>) => {
      const ts: Target[] = [];
      for (const id of ids) { const t = pt.target(id); if (roots.has(t.root)) ts.push(t); }
      return ts;
    };
    if (s.kind === 'Drop') return out;
    if (s.kind === 'Delete') {
      const r = ownedRoot(s.place);
      if (r === null || anyRoots.has(r)) out.push({ places: placesOf(pt.placeTargets(s.place, st), anyRoots), how: 'deleted', span: s.span });
      return out;
    }
    const rv = s.value;
    if (rv.kind === 'Builtin' && RESIZING.has(rv.op) && rv.args.length > 0) {
      out.push({ places: placesOf(pt.operandValue(rv.args[0], st), heapRoots), how: 'resized', span: s.span });
    }
    if (s.kind === 'Assign') {
      const r = ownedRoot(s.place);
      if (r === null || heapRoots.has(r)) out.push({ places: placesOf(pt.placeTargets(s.place, st), heapRoots), how: 'reassigned', span: s.span });
    }
    return out;
  }
}

/**
 * The line of the first read of `local` after statement `from` of block `b`, searching
 * the control-flow graph breadth-first and stopping on each path where it is overwritten.
 */
function nextUseLine(fn: FnDef, b: number, from: number, local: number, ctx: PassContext): number | null {
  const seen = new Uint8Array(fn.blocks.length);
  const queue: { b: number; from: number }[] = [{ b, from }];
  for (let h = 0; h < queue.length; h++) {
    const blk = fn.blocks[queue[h].b];
    let killed = false;
    for (let i = queue[h].from; i < blk.stmts.length && !killed; i++) {
      let used = false;
      const def = stmtUsesDefs(blk.stmts[i], (id) => { if (id === local) used = true; });
      if (used) return lineCol(ctx.src, blk.stmts[i].span.start).line;
      if (def === local) killed = true;
    }
    if (killed) continue;
    let used = false;
    termUses(blk.term, (id) => { if (id === local) used = true; });
    if (used) return lineCol(ctx.src, blk.term.span.start).line;
    for (const s of successors(blk.term)) if (!seen[s]) { seen[s] = 1; queue.push({ b: s, from: 0 }); }
  }
  return null;
}

export const checkLoansPass = definePass<Module, Module>({
  name: 'check-loans',
  description: 'E0024: no resizing, reassigning or deleting a variable while a pointer into its heap content is live',
  from: Lcfg,
  to: Lcfg,
  run(m, ctx) {
    const mp = ModulePointsTo.analyze(m);
    for (const fn of m.fns) {
      // most functions never point into heap content and delete nothing: nothing to check
      if (!FnPointsTo.mayPointIntoHeap(mp, fn) && !fn.blocks.some((b) => b.stmts.some((s) => s.kind === 'Delete'))) continue;
      checkFunction(mp.fn(fn), ctx);
    }
    return m;
  },
});
