// check-region-values: a value that needs drop cannot be allocated in a region (E0026).
//
// A region is freed as a whole when its block ends and runs no destructors (spec §6), so
// a Box, Vec, String, Drop class (or anything holding one) put there would leak its heap
// memory or skip its `drop()`. `r.alloc(v)` is checked on the type of `v` with the shared
// needs-drop predicate (ir/needs-drop.ts). The check only reports; it returns its input.

import { Lptr, type Node } from '../ir/languages.js';
import { rewriter } from '../ir/traverse.js';
import { classTable, needsDrop } from '../ir/needs-drop.js';
import { showTy } from '../ir/types.js';
import { defineItemPass } from './pass.js';

type N<K extends string> = Node<typeof Lptr, K>;

export const checkRegionValuesPass = defineItemPass({
  name: 'check-region-values',
  description: 'values that need drop allocated in a region (E0026)',
  from: Lptr,
  to: Lptr,
  prepare: (program, ctx) => {
    const classes = classTable(program.items as N<'Program'>['items']);
    return rewriter(Lptr, {
      MethodCall: (node: N<'MethodCall'>, next) => {
        const value = node.args[0];
        if (node.method === 'alloc' && node.object.ty.k === 'region' && value && needsDrop(value.ty, classes)) {
          ctx.diag.error('E0026', node.span, `a value of type \`${showTy(value.ty)}\`, which needs drop, cannot be allocated in a region`, {
            label: 'needs drop',
            help: 'a region runs no destructors: keep values with Box, Vec, String or Drop parts on the stack or the heap',
          });
        }
        return next(node);
      },
    });
  },
  appliesTo: (c) => c.hasType('region'),
  runFunction(item, walk) {
    walk(item);
    return item;
  },
});
