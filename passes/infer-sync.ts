// infer-sync: decides which classes are Sync (spec §8) and checks the classes that claim it.
//
// Whether a value may be shared between threads decides how a concurrent lambda captures
// it (by reference when Sync, by copy otherwise) and what it may do with it, so every
// class gets an answer: Sync when declared `Sync` or `unsafe Sync`, or when all its fields
// are Sync (inferred structurally, for any order of declarations and any recursion; the
// computation is ir/sync.ts, shared with check-concurrency and desugar-lambdas). A class
// that lists `Sync` is checked: its first non-Sync field is E0042. `unsafe Sync` is the
// programmer's assertion and is not checked. This pass only reports.

import { Lptr, type Node } from '../ir/languages.js';
import { classTable } from '../ir/needs-drop.js';
import { syncFacts } from '../ir/sync.js';
import { showTy } from '../ir/types.js';
import { defineItemPass } from './pass.js';

type N<K extends string> = Node<typeof Lptr, K>;

export const inferSyncPass = defineItemPass({
  name: 'infer-sync',
  description: 'which classes are Sync (inferred from their fields); a class declared `Sync` with a non-Sync field is E0042',
  from: Lptr,
  to: Lptr,
  prepare: (program) => syncFacts(classTable(program.items as N<'Program'>['items'])),
  runFunction(item, facts, ctx) {
    if (item.kind !== 'ClassDecl') return item;
    const cls = item as N<'ClassDecl'>;
    const field = cls.traits.includes('Sync') ? facts.nonSyncField(cls) : null;
    if (field !== null) {
      ctx.diag.error('E0042', field.span,
        `class \`${cls.name}\` is declared \`Sync\` but its field \`${field.name}\` has type \`${showTy(field.ty)}\`, which is not Sync`,
        {
          label: 'not Sync',
          help: 'share it through `Atomic`, `Mutex` or `Channel`, or write `: unsafe Sync` to assert that the class is safe to share',
        });
    }
    return item;
  },
});
