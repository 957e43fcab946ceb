// check-deletes: E0020 (use after delete) and E0021 (double delete), spec §5.4.
//
// `delete x` drops x's value now; until x is assigned again, any use of it — a read, a
// method call or any other pointer to it or into it, a store into part of it, a second
// `delete` — on a path where it may be deleted would touch freed memory. Whether x "may
// be deleted" at a point is a forward dataflow over the control-flow graph (a may
// analysis: deleted on some path reaching the point), so it runs on Lcfg, before drops
// are inserted; Drop statements (scope-end drops) are not uses.
//
// Facts are the Delete statements themselves (like reaching definitions): the state is
// the set of deletes that may have happened with no assignment since, so an error can
// name the line of the delete. A delete's place is tracked as a root local plus a path
// (`delete x` is the whole x; `delete x.f` only x.f; Box contents `*b` belong to b;
// indices are "any element"), so:
// - a use of a place overlapping a deleted one (x.f after `delete x`, or x after
//   `delete x.f`) is E0020, a delete of one is E0021;
// - storing into the deleted place or around it (`x = v` after `delete x.f`) revives it,
//   while storing into part of it (`x.f = v` after `delete x`) is E0020; a store to an
//   element (`v[i] = e`) never revives, since the index may differ.
// Deletes through pointers (`delete *p`) and of pointers or Region handles are E0027's
// concern and are not tracked here.

import type { Span } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import { lineCol } from '../ir/diagnostics.js';
import { reversePostorder, solveDataflow, type FnDef, type Operand, type Place, type Stmt } from '../ir/cfg.js';
import { ownedRoot, pathWithin } from '../ir/points-to.js';
import { defineCfgFunctionPass, type PassContext } from './pass.js';

type Module = Node<typeof Lcfg, 'Module'>;

/** A place named without following a pointer: a local and the steps into it (ir/points-to.ts path syntax). */
interface OwnedPlace { root: number; path: string }

/** The owned place a place denotes, or null when it goes through a pointer or names a global. */
function ownedPlace(p: Place): OwnedPlace | null {
  switch (p.kind) {
    case 'LocalPlace': return { root: p.id, path: '' };
    case 'GlobalPlace': return null;
    case 'FieldPlace': return extend(ownedPlace(p.base), `.${p.field}`);
    case 'PayloadPlace': return extend(ownedPlace(p.base), '.?');
    case 'IndexPlace': return extend(ownedPlace(p.base), p.base.ty.k === 'vec' ? '[v]' : '[]');
    case 'DerefPlace': {
      const op = p.ptr;
      return (op.kind === 'Copy' || op.kind === 'Move') && op.place.ty.k === 'box' ? extend(ownedPlace(op.place), '.*') : null;
    }
  }
}
const extend = (o: OwnedPlace | null, step: string): OwnedPlace | null => (o ? { root: o.root, path: o.path + step } : null);

/** Calls `f` on the operands a place reads to find its location (indices, pointers), not on the place itself. */
function innerOperands(p: Place, f: (op: Operand) => void): void {
  switch (p.kind) {
    case 'FieldPlace': case 'PayloadPlace': innerOperands(p.base, f); break;
    case 'IndexPlace': innerOperands(p.base, f); f(p.index); break;
    case 'DerefPlace': {
      const op = p.ptr;
      // a Box's content is part of the Box's place, which the access itself covers
      if ((op.kind === 'Copy' || op.kind === 'Move') && op.place.ty.k === 'box') innerOperands(op.place, f);
      else f(op);
      break;
    }
    default: break;
  }
}

type AccessKind = 'read' | 'store' | 'delete';
interface Access { kind: AccessKind; place: Place; span: Span }

/** The reads an operand makes: the operands locating its place, then the place. */
function operandAccesses(op: Operand, out: Access[]): void {
  if (op.kind !== 'Copy' && op.kind !== 'Move') return;
  innerOperands(op.place, (x) => operandAccesses(x, out));
  out.push({ kind: 'read', place: op.place, span: op.span });
}

/** The accesses a statement makes, in evaluation order (the rvalue, then the place stored into). */
function accessesOf(s: Stmt, out: Access[]): void {
  const operand = (op: Operand) => operandAccesses(op, out);
  const read = (p: Place, span: Span) => { innerOperands(p, operand); out.push({ kind: 'read', place: p, span }); };
  switch (s.kind) {
    case 'Drop': return;
    case 'Delete':
      innerOperands(s.place, operand);
      out.push({ kind: 'delete', place: s.place, span: s.span });
      return;
    case 'Assign': case 'Eval': {
      const rv = s.value;
      switch (rv.kind) {
        // a pointer to the place, or into it (method receivers are such pointers)
        case 'Ref': read(rv.place, rv.place.span); break;
        case 'Use': case 'CastOp': case 'Repeat': case 'MakeSome': case 'IsSome': operand(rv.op); break;
        case 'BinOp': operand(rv.left); operand(rv.right); break;
        case 'UnOp': operand(rv.operand); break;
        case 'CallFn': case 'Builtin': rv.args.forEach(operand); break;
        case 'CallValue': operand(rv.callee); rv.args.forEach(operand); break;
        case 'Closure': operand(rv.env); break;
        case 'Aggregate': rv.ops.forEach(operand); break;
        case 'MakeNone': break;
      }
      if (s.kind === 'Assign') {
        innerOperands(s.place, operand);
        out.push({ kind: 'store', place: s.place, span: s.place.span });
      }
      return;
    }
  }
}

/** A fixed-size set of small integers (delete sites). */
class Bits {
  constructor(readonly words: Uint32Array) {}
  static empty(n: number): Bits { return new Bits(new Uint32Array((n + 31) >>> 5)); }
  has(i: number): boolean { return (this.words[i >>> 5] & (1 << (i & 31))) !== 0; }
  add(i: number): void { this.words[i >>> 5] |= 1 << (i & 31); }
  remove(i: number): void { this.words[i >>> 5] &= ~(1 << (i & 31)); }
  copy(): Bits { return new Bits(this.words.slice()); }
  unionWith(o: Bits): boolean {
    let changed = false;
    for (let w = 0; w < this.words.length; w++) {
      const v = (this.words[w] | o.words[w]) >>> 0;
      if (v !== this.words[w]) { this.words[w] = v; changed = true; }
    }
    return changed;
  }
}

interface DeleteSite { index: number; place: OwnedPlace; span: Span }

const isDelete = (s: Stmt): boolean => s.kind === 'Delete';

function checkFunction(fn: FnDef, ctx: PassContext): void {
  if (!fn.blocks.some((b) => b.stmts.some(isDelete))) return; // (most functions delete nothing)
  // the delete sites, and for each root local the sites that delete (part of) it
  const sites: DeleteSite[] = [];
  const siteOf = new Map<Stmt, DeleteSite>();
  const sitesByRoot = new Map<number, DeleteSite[]>();
  for (const b of fn.blocks) for (const s of b.stmts) {
    if (s.kind !== 'Delete') continue;
    // A delete of a pointer or a Region handle is E0027 and deletes nothing: tracking it
    // would add a use-after-delete error at every later use of the same mistake.
    const tk = s.place.ty.k;
    if (tk === 'ptr' || tk === 'region') continue;
    const place = ownedPlace(s.place);
    if (place === null) continue;
    const site = { index: sites.length, place, span: s.span };
    sites.push(site);
    siteOf.set(s, site);
    if (!sitesByRoot.has(place.root)) sitesByRoot.set(place.root, []);
    sitesByRoot.get(place.root)!.push(site);
  }
  if (sites.length === 0) return;
  const names = new Map(fn.locals.map((l) => [l.id, l.name]));
  const accesses: Access[] = [];

  /** Applies an access to the state; calls `report` with the deleted sites it conflicts with. */
  const step = (a: Access, st: Bits, report: ((a: Access, hit: DeleteSite[]) => void) | null) => {
    const root = ownedRoot(a.place);
    const candidates = root === null ? undefined : sitesByRoot.get(root);
    if (candidates === undefined) return;
    const o = ownedPlace(a.place)!;
    const hit: DeleteSite[] = [];
    // a store into the whole deleted place (or around it) revives it, unless an index is involved
    const revives = a.kind === 'store' && !o.path.includes('[');
    for (const site of candidates) {
      if (!st.has(site.index)) continue;
      const d = site.place.path;
      if (revives && pathWithin(d, o.path)) { st.remove(site.index); continue; }
      if (pathWithin(d, o.path) || pathWithin(o.path, d)) hit.push(site);
    }
    if (hit.length > 0 && report) report(a, hit);
  };
  const applyStmt = (s: Stmt, st: Bits, report: ((a: Access, hit: DeleteSite[]) => void) | null) => {
    accesses.length = 0;
    accessesOf(s, accesses);
    for (const a of accesses) step(a, st, report);
    const site = s.kind === 'Delete' ? siteOf.get(s) : undefined;
    if (site) st.add(site.index);
  };

  const r = solveDataflow<Bits>(fn, {
    direction: 'forward',
    boundary: () => Bits.empty(sites.length),
    bottom: () => Bits.empty(sites.length),
    join: (into, from) => into.unionWith(from),
    copy: (s) => s.copy(),
    transfer: (block, input) => {
      const st = input.copy();
      for (const s of block.stmts) applyStmt(s, st, null);
      return st;
    },
  });

  const describe = (p: OwnedPlace) => {
    let s = names.get(p.root) ?? `_${p.root}`;
    for (const st of p.path.match(/\.[^.[]+|\[v?\]/g) ?? []) {
      if (st === '.*') s = `*${s}`;
      else if (st === '.?') continue;
      else s = `${s.startsWith('*') ? `(${s})` : s}${st.startsWith('[') ? '[_]' : st}`;
    }
    return s;
  };
  const linesOf = (hit: DeleteSite[]) => {
    const lines = [...new Set(hit.map((h) => lineCol(ctx.src, h.span.start).line))].sort((a, b) => a - b);
    return lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.slice(0, -1).join(', ')} and ${lines[lines.length - 1]}`;
  };
  const report = (a: Access, hit: DeleteSite[]) => {
    const name = describe(hit[0].place);
    if (a.kind === 'delete') {
      ctx.diag.error('E0021', a.span, `\`${name}\` is deleted twice`, {
        label: `\`${name}\` may already be deleted here`,
        help: `\`${name}\` was deleted at ${linesOf(hit)}; delete it once, or assign it a new value in between`,
      });
    } else {
      ctx.diag.error('E0020', a.span, `use of \`${name}\` after it was deleted`, {
        label: 'used here after `delete`',
        help: `\`${name}\` was deleted at ${linesOf(hit)}; assign it a new value before using it again`,
      });
    }
  };

  for (const b of reversePostorder(fn)) {
    const st = r.entry[b].copy();
    const block = fn.blocks[b];
    for (const s of block.stmts) applyStmt(s, st, report);
    const t = block.term;
    const op = t.kind === 'Branch' ? t.cond : t.kind === 'Return' ? t.value : null;
    if (op) {
      accesses.length = 0;
      operandAccesses(op, accesses);
      for (const a of accesses) step(a, st, report);
    }
  }
}

export const checkDeletesPass = defineCfgFunctionPass({
  name: 'check-deletes',
  description: 'E0020/E0021: no use or second delete of a variable after `delete` until it is assigned again',
  prepare: () => null,
  appliesTo: (c) => c.hasKind('Delete'),
  runFunction(fn, _facts, ctx) {
    checkFunction(fn, ctx);
    return fn;
  },
});
