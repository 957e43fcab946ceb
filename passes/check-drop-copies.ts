// check-drop-copies: E0050, a copy of a value whose class implements Drop (spec §5.1).
//
// Values are copied by default, deeply; but a class that implements Drop stands for a
// resource (a file, a connection, a lock) that must be released once: a copy would run its
// `drop()` twice. So such a value, or one holding it (an Option, array, Box, Vec or class
// around it), may only be moved: from a temporary, or from a variable at its last use.
// elaborate-drops has already turned every such copy into a Move; any `Copy` left that
// hands the value to a new owner (stored, passed, returned) is an error. Copies that only
// read the value (a comparison, `is_some`, a place inside a bigger one) copy nothing.
// A Guard is never copied either (it would unlock its mutex twice): same error.
// The check only reports; it runs after elaborate-drops.

import type { Span } from '../ir/lang.js';
import { Lcfg, type Node } from '../ir/languages.js';
import type { PassContext } from './pass.js';
import { defineCfgFunctionPass } from './pass.js';
import { classTable, declareClass, dropClassIn, type ClassTable } from '../ir/needs-drop.js';
import { showTy, type Ty } from '../ir/types.js';
import type { FnDef, Operand } from '../ir/cfg.js';
import { forEachOperand, type OperandVisit } from './elaborate-drops.js';

type Module = Node<typeof Lcfg, 'Module'>;

/** How the copied value is written in the source, for the help note (`x` when unclear). */
function sourceText(ctx: PassContext, span: Span): string {
  const text = ctx.src.text.slice(span.start, span.end);
  return text.length > 0 && text.length <= 40 && !/[\n;{}]/.test(text) ? text : 'x';
}

/**
 * Whether a value of type `t` is or holds a Guard (by value or through owned memory): a
 * copy would unlock its mutex twice, so a Guard, like a Drop class, is only ever moved.
 */
function holdsGuard(t: Ty, classes: ClassTable, seen: Set<string> | null = null): boolean {
  for (;;) {
    switch (t.k) {
      case 'guard': return true;
      case 'option': case 'box': case 'vec': t = t.of; continue;
      case 'array': t = t.elem; continue;
      case 'class': {
        if (seen?.has(t.name)) return false;
        (seen ??= new Set()).add(t.name);
        const visited = seen;
        return (classes.get(t.name)?.fields ?? []).some((f) => holdsGuard(f.ty, classes, visited));
      }
      default: return false;
    }
  }
}

/**
 * Whether a value of type `t` can lead to a Guard anywhere: inside it, behind a pointer or in
 * a fn type, given the classes that can (`viaClass`).
 */
function reachesGuard(t: Ty, viaClass: ReadonlySet<string>): boolean {
  switch (t.k) {
    case 'guard': return true;
    case 'ptr': return reachesGuard(t.to, viaClass);
    case 'array': return reachesGuard(t.elem, viaClass);
    case 'class': return viaClass.has(t.name);
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic':
      return reachesGuard(t.of, viaClass);
    case 'fn': {
      for (const p of t.params) if (reachesGuard(p, viaClass)) return true;
      return reachesGuard(t.ret, viaClass);
    }
    default: return false;
  }
}

/** Whether one of the function's locals can lead to a Guard. */
function localsReachGuard(fn: FnDef, viaClass: ReadonlySet<string>): boolean {
  for (const l of fn.locals) if (reachesGuard(l.ty, viaClass)) return true;
  return false;
}

/** The classes from which a Guard can be reached (a fixpoint: classes may refer to each other in cycles). */
function classesReachingGuard(classes: ClassTable): Set<string> {
  const found = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const c of classes.values()) {
      if (!found.has(c.name) && c.fields.some((f) => reachesGuard(f.ty, found))) { found.add(c.name); grew = true; }
    }
  }
  return found;
}

/** `t` in a message, as a Drop class (`cls`, found in it by dropClassIn) or as holding one. */
function dropValue(t: Ty, cls: string): string {
  return t.k === 'class' && t.name === cls ? `\`${cls}\`, which implements Drop` : `\`${showTy(t)}\`, which holds a \`${cls}\` (it implements Drop)`;
}

function checkFunction(fn: FnDef, classes: ClassTable, ctx: PassContext): void {
  const report: OperandVisit = (op: Operand, consumed: boolean) => {
    if (!consumed || op.kind !== 'Copy') return;
    const t = op.place.ty;
    const cls = dropClassIn(t, classes);
    if (cls === null) {
      if (holdsGuard(t, classes)) {
        ctx.diag.error('E0050', op.span, t.k === 'guard' ? `copy of a mutex guard (\`${showTy(t)}\`)` : `copy of \`${showTy(t)}\`, which holds a mutex guard`, {
          label: 'copied here, and still used afterwards',
          help: `a guard unlocks its mutex when dropped, so it is never copied: take a pointer with \`*${sourceText(ctx, op.span)}\` instead, or use it only once`,
        });
      }
      return;
    }
    const what = `copy of ${dropValue(t, cls)}`;
    // a variable can give its value away at its last use; any other place only copies
    const whole = op.place.kind === 'LocalPlace' || (op.place.kind === 'PayloadPlace' && op.place.base.kind === 'LocalPlace');
    ctx.diag.error('E0050', op.span, what, {
      label: whole ? 'copied here, and still used afterwards' : 'copied out of a place it stays in',
      help: `take a pointer with \`*${sourceText(ctx, op.span)}\` instead, or use the value only once`,
    });
  };
  const repeated = (elem: Ty, form: string, span: Span) => {
    const cls = dropClassIn(elem, classes);
    if (cls === null && !holdsGuard(elem, classes)) return;
    const what = cls === null ? `\`${showTy(elem)}\`, which is or holds a mutex guard` : dropValue(elem, cls);
    ctx.diag.error('E0050', span, `\`${form}\` copies its element, ${what}`, {
      label: 'copied here',
      help: form === '[v; n]' ? 'write the elements out one by one (`[a, b, c]`), so that each is made once'
        : 'push each element on its own (in a loop), so that each is made once',
    });
  };
  for (const b of fn.blocks) {
    for (const s of b.stmts) {
      forEachOperand(s, report);
      // `[v; n]` and `Vec::filled(n, v)` copy their element n times, moved or not
      if ((s.kind === 'Assign' || s.kind === 'Eval') && (s.value.kind === 'Repeat' || (s.value.kind === 'Builtin' && s.value.op === 'vec.filled'))) {
        const rv = s.value;
        const elem = rv.ty.k === 'array' ? rv.ty.elem : rv.ty.k === 'vec' ? rv.ty.of : null;
        if (elem !== null) repeated(elem, rv.kind === 'Repeat' ? '[v; n]' : 'Vec::filled(n, v)', rv.span);
      }
      // `t.join()` hands out a copy of the result the thread keeps (joining again gives it again)
      if (s.kind === 'Assign' && s.value.kind === 'Builtin' && s.value.op === 'thread.join') {
        const cls = dropClassIn(s.value.ty, classes);
        if (cls !== null) {
          ctx.diag.error('E0050', s.value.span, `joining a thread copies its result, ${dropValue(s.value.ty, cls)}`, {
            label: 'copied here',
            help: 'return a value without a Drop class from the thread, or send the resource over a channel',
          });
        }
      }
    }
    forEachOperand(b.term, report);
  }
}

export const checkDropCopiesPass = defineCfgFunctionPass({
  name: 'check-drop-copies',
  description: 'copies of values whose class implements Drop (E0050)',
  prepare(m) {
    const classes = classTable(m.classes);
    // Without a Drop class dropClassIn is always null, so only a Copy of a value holding a
    // Guard is reported; every place is a part of a local or a global (through fields,
    // payloads, indexes and pointers), so a function none of whose locals can reach a Guard
    // (nor any global) has nothing to report.
    let viaClass: Set<string> | null = null; // set when functions may be skipped
    if (!m.classes.some((c) => c.traits.includes('Drop'))) {
      const reaching = classesReachingGuard(classes);
      if (!m.globals.some((g) => reachesGuard(g.ty, reaching))) viaClass = reaching;
    }
    return { classes, viaClass };
  },
  // (a closure environment has no Drop; it reaches a Guard through its fields, and no class
  // reaches it)
  declare(m, { classes, viaClass }) {
    for (const c of m.classes) {
      declareClass(classes, c);
      if (viaClass !== null && c.fields.some((f) => reachesGuard(f.ty, viaClass))) viaClass.add(c.name);
    }
  },
  runFunction(fn, { classes, viaClass }, ctx) {
    if (viaClass === null || localsReachGuard(fn, viaClass)) checkFunction(fn, classes, ctx);
    return fn;
  },
});
