// Type questions the escape analysis asks (spec §5.2, §8): which values can hold a pointer
// (and so need their targets tracked), and which are Sync (shared by reference with a
// concurrent lambda rather than copied into it).

import { needsDrop, type ClassTable } from '../../ir/needs-drop.js';
import type { Ty } from '../../ir/types.js';
import { syncFacts } from '../../ir/sync.js';

/** Answers per class are memoized; a class met again while being decided counts as "no". */
export class PointerTypes {
  private readonly holding = new Map<string, boolean>();
  private readonly dropUse = new Map<string, boolean>();

  constructor(private readonly classes: ClassTable) {}

  /**
   * Whether a value of type `t` can hold a pointer: a pointer, a Region handle (it points
   * at its region), a Guard (it points at its mutex), a function value (a lambda may
   * capture by reference), a Thread (its lambda's captures), or a container or class of one.
   * Answering "no" for a class met in a cycle can only hide targets of values of
   * infinite size, which check-types does not let exist.
   */
  holdsPointers(t: Ty): boolean {
    for (;;) {
      switch (t.k) {
        case 'ptr': case 'region': case 'guard': case 'fn': case 'thread': return true;
        case 'option': case 'box': case 'vec': case 'mutex': case 'channel': case 'atomic': t = t.of; continue;
        case 'array': t = t.elem; continue;
        case 'class': return this.classHolds(t.name);
        default: return false;
      }
    }
  }

  private classHolds(name: string): boolean {
    const known = this.holding.get(name);
    if (known !== undefined) return known;
    this.holding.set(name, false);
    const holds = this.classes.get(name)?.fields.some((f) => this.holdsPointers(f.ty)) ?? false;
    this.holding.set(name, holds);
    return holds;
  }

  /**
   * Whether dropping a value of type `t` may run code that uses the pointers it holds: a
   * Thread is joined (its lambda still runs until then), a Drop class runs `drop()`. Such a
   * value must not hold a pointer to a variable dropped before it, even in its own block.
   */
  dropMayUsePointers(t: Ty): boolean {
    for (;;) {
      switch (t.k) {
        case 'thread': return true;
        case 'option': case 'box': case 'vec': case 'mutex': t = t.of; continue;
        case 'array': t = t.elem; continue;
        case 'class': {
          const known = this.dropUse.get(t.name);
          if (known !== undefined) return known;
          this.dropUse.set(t.name, false);
          const cls = this.classes.get(t.name);
          const uses = cls !== undefined && (cls.traits.includes('Drop')
            ? this.holdsPointers(t)
            : cls.fields.some((f) => this.dropMayUsePointers(f.ty)));
          this.dropUse.set(t.name, uses);
          return uses;
        }
        default: return false;
      }
    }
  }

  /** Whether a value of type `t` needs drop (spec §5.3): a temporary of such a type is dropped at the end of its statement. */
  needsDrop(t: Ty): boolean {
    return needsDrop(t, this.classes);
  }

  /**
   * Whether `t` is Sync (spec §8): Atomic, Mutex, Channel, arrays of Sync elements, and
   * classes declared Sync or whose fields all are.
   */
  isSync(t: Ty): boolean {
    // the same answer desugar-lambdas uses to decide between sharing and copying (ir/sync.ts)
    return syncFacts(this.classes).isSync(t);
  }
}
