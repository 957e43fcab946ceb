// check-escapes: no pointer outlives what it points to (E0023), and no region data
// outlives its region (E0025), with lifetimes inferred, never written (spec §5.2, §6, §7).
//
// Each function (and each method, whose `this` points at the caller's receiver) is given
// to the points-to analysis of check-escapes/points-to.ts, which infers for every value
// that can hold a pointer the locations it may point into, and reports
//  - a `return` (or a function body's value) pointing into a local, a temporary or a
//    region block of the returning function or lambda, and
//  - a store (a `let`, an assignment to a variable, field, element or through a pointer,
//    a Vec push, a region allocation) of a value pointing into something that does not
//    outlive the destination: a local of an inner block stored into an outer variable, a
//    region pointer kept after its block, a pointer from one parameter stored into the
//    memory of another.
// A capturing lambda points at the variables it captures, and a Thread at what its lambda
// shares, so they obey the same rules. This runs after resolve-pointers, where `*e` is
// AddrOf or Deref and auto-deref is explicit, and before lower-methods, so methods are
// still checked with the receiver as their own parameter. It only reports.

import type { AnyNode } from '../ir/lang.js';
import { Lptr, type NameRef, type Node } from '../ir/languages.js';
import type { Code, Diagnostics } from '../ir/diagnostics.js';
import { classTable } from '../ir/needs-drop.js';
import { classTy, ptr, type Ty } from '../ir/types.js';
import { someNode } from '../ir/traverse.js';
import { defineItemPass } from './pass.js';
import { FunctionPointsTo, type EscapeReporter, type FunctionToAnalyze, type Loc } from './check-escapes/points-to.js';
import { PointerTypes } from './check-escapes/pointer-types.js';

type N<K extends string> = Node<typeof Lptr, K>;

/** The functions of a program as the analysis takes them: functions and methods. */
export function functionsOf(item: N<'Program'>['items'][number]): FunctionToAnalyze[] {
  const out: FunctionToAnalyze[] = [];
  if (item.kind === 'FnDecl') out.push({ params: item.params, body: item.body, thisTy: null });
  if (item.kind === 'ClassDecl') {
    for (const m of item.methods) {
      const mutThis = m.mutSelf || (m.name === 'drop' && item.traits.includes('Drop'));
      out.push({ params: m.params, body: m.body, thisTy: m.isStatic ? null : ptr(classTy(item.name), mutThis) });
    }
  }
  return out;
}

/**
 * Whether anything in a function can hold a pointer: `this`, a parameter, or an
 * expression whose type can (pointer-types.ts) other than a function's name (a Path, or a
 * Name of no local). If nothing can, the analysis would find nothing to report: what it
 * checks are the sets of expressions, and an expression whose type cannot hold a pointer,
 * or that names a function, has the empty set. So such a function (most are) is skipped.
 */
function mayMeetPointers(fn: FunctionToAnalyze, types: PointerTypes): boolean {
  if (fn.thisTy !== null || fn.params.some((p) => types.holdsPointers(p.ty))) return true;
  return someNode(Lptr, fn.body, (n) => {
    const ty = (n as { ty?: Ty }).ty;
    if (ty === undefined || n.kind === 'Path' || !types.holdsPointers(ty)) return false;
    return n.kind !== 'Name' || ((n as N<'Name'>).ref as NameRef).k === 'local';
  });
}

/** How a value refers to its target, for messages: `a pointer to local variable `x``. */
function refersTo(ty: Ty): string {
  if (ty.k === 'fn') return 'a lambda that captures';
  if (ty.k === 'thread') return 'a thread that shares';
  return 'a pointer to';
}

function targetName(t: Loc): string {
  switch (t.kind) {
    case 'local': return t.paramCopy ? `parameter \`${t.name}\` (a local copy)` : `local variable \`${t.name}\``;
    case 'temp': return t.name === 'a temporary' ? 'a temporary value' : t.name;
    case 'param': return `what parameter \`${t.name}\` points to`;
    case 'regionparam': return `region parameter \`${t.name}\``;
    default: return `region \`${t.name}\``;
  }
}

function destName(d: Loc): string {
  switch (d.kind) {
    case 'local': return `\`${d.name}\``;
    case 'temp': return 'a temporary';
    case 'region': return `region \`${d.name}\``;
    case 'param': return `the memory parameter \`${d.name}\` points to`;
    case 'regionparam': return `region parameter \`${d.name}\``;
    case 'static': return 'a static';
  }
}

/** Turns what the analysis finds into diagnostics, one per code and site. */
class EscapeDiagnostics implements EscapeReporter {
  constructor(private readonly diag: Diagnostics) {}

  private report(code: Code, site: AnyNode, message: string, label: string, help: string): void {
    this.diag.error(code, site.span, message, { label, help });
  }

  escapesByReturn(site: AnyNode, value: AnyNode & { ty: Ty }, target: Loc, fromLambda: boolean): void {
    const owner = fromLambda ? 'lambda' : 'function';
    if (target.kind === 'region') {
      this.report('E0025', site, `returns a pointer into region \`${target.name}\`, which is freed when its block ends`,
        'region data escapes its region',
        'allocate from a `Region` parameter instead (`r: Region`), so that the data lives in the caller\'s region');
      return;
    }
    const what = target.kind === 'temp' ? 'a temporary value' : targetName(target);
    this.report('E0023', site, `returns ${refersTo(value.ty)} ${what}, which is dropped when the ${owner} returns`,
      'outlives its target', 'return the value itself, or take the target as a parameter');
  }

  escapesCopyByReturn(site: AnyNode, value: AnyNode & { ty: Ty }, copied: Loc): void {
    this.report('E0023', site, `returns ${refersTo(value.ty)} the concurrent lambda's copy of \`${copied.name}\`, which is dropped when the lambda returns`,
      'outlives its target', `a concurrent lambda copies the variables it captures (spec §8): return a copy of the value, or share a Sync one`);
  }

  escapesByStore(site: AnyNode, value: AnyNode & { ty: Ty }, target: Loc, dest: Loc, droppedFirst: boolean): void {
    if (droppedFirst) {
      this.report('E0023', site, `${refersTo(value.ty)} ${targetName(target)} is stored in \`${dest.name}\`, whose drop may use it after ${target.kind === 'local' ? `\`${target.name}\`` : 'it'} is dropped`,
        'outlives its target', `declare \`${dest.name}\` after what it points to: variables of a block are dropped in reverse order`);
      return;
    }
    if (target.kind === 'region') {
      this.report('E0025', site, `data of region \`${target.name}\` escapes into ${destName(dest)}, which outlives the region`,
        'region data escapes its region',
        dest.kind === 'local'
          ? `use pointers into region \`${target.name}\` only inside its block, or declare \`${dest.name}\` inside the block`
          : `use pointers into region \`${target.name}\` only inside its block`);
      return;
    }
    const toParam = dest.kind === 'param' || dest.kind === 'regionparam';
    if ((target.kind === 'param' || target.kind === 'regionparam') && toParam) {
      this.report('E0023', site, `${refersTo(value.ty)} ${targetName(target)} is stored in ${destName(dest)}; the two are unrelated`,
        'may outlive its target',
        `a function may store what a parameter points to only into the memory of that same parameter`);
      return;
    }
    const help = toParam || dest.kind === 'static'
      ? 'only data the caller owns, that outlives the call, may be stored there'
      : target.kind === 'local'
        ? `declare \`${target.name}\` in an enclosing block, so that it lives as long as ${destName(dest)}, or store a copy of the value`
        : 'store a copy of the value instead';
    this.report('E0023', site, `${refersTo(value.ty)} ${targetName(target)} is stored in ${destName(dest)}, which outlives it`,
      'outlives its target', help);
  }
}

export const checkEscapesPass = defineItemPass({
  name: 'check-escapes',
  description: 'pointers, capturing lambdas and threads that outlive their target (E0023), region data escaping its region (E0025)',
  from: Lptr,
  to: Lptr,
  prepare: (program, ctx) => ({
    types: new PointerTypes(classTable(program.items as N<'Program'>['items'])),
    reporter: new EscapeDiagnostics(ctx.diag),
  }),
  runFunction(item, { types, reporter }) {
    for (const fn of functionsOf(item as N<'Program'>['items'][number])) if (mayMeetPointers(fn, types)) new FunctionPointsTo(types, reporter).analyze(fn);
    return item;
  },
});
