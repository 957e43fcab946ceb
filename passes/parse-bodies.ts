// parse-bodies: parses the function bodies that parse left as source (UnparsedBody), one
// item at a time, so that every pass after it can run function by function.
//
// Why: a whole program's syntax tree is the largest thing a compile holds (about 500 bytes
// per line), and parse's output lived until the last pass had read it, so the collector
// copied and promoted all of it and then traced it again and again. Parsed in the sweep, a
// body's tree is garbage once the passes after this one are done with it, and compile time
// grows linearly with the program.
//
// A syntax error still ends the pipeline before any later pass reports anything (spec §11
// asks for all syntax errors, and only those, when there is one): from the first E0001 the
// sweep stops running the passes after this one (`goesOn`) and drops what they found, and
// `finish` ends the pipeline.

import type { AnyNode } from '../ir/lang.js';
import { Lskimmed, Lsrc, type Node } from '../ir/languages.js';
import type { Diagnostics } from '../ir/diagnostics.js';
import { defineItemPass, type PassContext } from './pass.js';
import { bodySource, parseBody, type BodySource, type ParseBudget } from './parse.js';

type FnDecl = Node<typeof Lskimmed, 'FnDecl'>;
type Facts = { source: BodySource; budget: ParseBudget };

function parsed(fn: FnDecl, { source, budget }: Facts, diag: Diagnostics): AnyNode {
  const body = fn.body.kind === 'ParsedBody' ? fn.body.block : parseBody(source, fn.body.span, diag, budget);
  return { kind: 'FnDecl', span: fn.span, name: fn.name, params: fn.params, ret: fn.ret, body, unsafe: fn.unsafe, mutSelf: fn.mutSelf, isStatic: fn.isStatic };
}

const hasSyntaxError = (ctx: PassContext) => ctx.diag.list.some((d) => d.code === 'E0001');

export const parseBodiesPass = defineItemPass<Facts>({
  name: 'parse-bodies',
  description: 'parses each function body that parse left as source (Lskimmed → Lsrc), reporting syntax errors',
  from: Lskimmed,
  to: Lsrc,
  // an UnparsedBody holds the span of its text in the program's source; the budget caps the
  // syntax errors reported in the file, as one parser would
  prepare: (program, ctx) => ({ source: bodySource(program as Node<typeof Lskimmed, 'Program'>, ctx.src), budget: { reported: 0 } }),
  runFunction(item, facts, ctx) {
    switch (item.kind) {
      case 'FnDecl': return parsed(item as FnDecl, facts, ctx.diag);
      case 'ClassDecl': {
        const cls = item as Node<typeof Lskimmed, 'ClassDecl'>;
        return { ...cls, methods: cls.methods.map((m) => parsed(m, facts, ctx.diag)) };
      }
      default: return item;
    }
  },
  goesOn: (_facts, ctx) => !hasSyntaxError(ctx),
  finish(_program, _facts, ctx) {
    if (hasSyntaxError(ctx)) ctx.stop?.();
  },
});
