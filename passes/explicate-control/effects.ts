// Which Lcore expressions may write memory when evaluated. explicate-control reads a
// place (`Copy x`) where the operand is used, not where it was written; when a later
// sibling operand may write (`x + f(*mut x)`), the read must happen first, into a
// temporary. This answers "may it write?" conservatively, memoized, so the question
// costs linear time over a whole function.

import type { AnyNode } from '../../ir/lang.js';

/** Builtins that only read their arguments (they may still panic, which does not matter here). */
const READ_ONLY_BUILTINS = new Set([
  'sqrt', 'floor', 'ceil', 'abs', 'min', 'max', 'arg_count', 'arg', 'str.len', 'vec.len', 'string.len',
  'string.parse_i64', 'option.unwrap', 'guard.value', 'atomic.load',
]);

/**
 * Subtrees that take at most this many nodes to answer are answered again when asked again
 * rather than remembered: the memo stays small (most operands are small), and the total
 * cost stays linear (a query stops at the remembered answers of larger subtrees).
 */
const MEMO_MIN_NODES = 8;

export class EffectOracle {
  /** (made on the first answer worth remembering: many functions need none) */
  private memo: Map<AnyNode, boolean> | null = null;
  /** nodes examined so far (to tell how large a subtree's answer was) */
  private examined = 0;

  /** May evaluating `e` change memory that a place read elsewhere could observe? */
  mayWrite(e: AnyNode): boolean {
    switch (e.kind) {
      case 'IntLit': case 'FloatLit': case 'StrLit': case 'BoolLit': case 'Name': case 'OptNone':
      case 'Lambda': case 'Break': case 'Continue':
        return false;
      case 'Call':
        return true;
      default: break;
    }
    const known = this.memo?.get(e);
    if (known !== undefined) return known;
    const before = this.examined++;
    const r = this.compute(e);
    if (this.examined - before > MEMO_MIN_NODES) (this.memo ??= new Map()).set(e, r);
    return r;
  }

  private sub(x: unknown): boolean {
    return x !== null && x !== undefined && this.mayWrite(x as AnyNode);
  }

  private any(xs: readonly AnyNode[]): boolean {
    for (const x of xs) if (this.mayWrite(x)) return true;
    return false;
  }

  private compute(e: AnyNode): boolean {
    switch (e.kind) {
      case 'Builtin': return !READ_ONLY_BUILTINS.has(e.op as string) || this.any(e.args as AnyNode[]);
      // a block's statements may assign anything (`let` alone would not, but is rare in operands)
      case 'Block': return (e.stmts as AnyNode[]).length > 0 || this.sub(e.tail);
      case 'If': return this.sub(e.cond) || this.sub(e.then) || this.sub(e.else);
      case 'Return': return this.sub(e.value);
      case 'Unary': return this.sub(e.operand);
      case 'Binary': return this.sub(e.left) || this.sub(e.right);
      case 'Cast': return this.sub(e.expr);
      case 'Field': return this.sub(e.object);
      case 'Index': return this.sub(e.object) || this.sub(e.index);
      case 'StructLit': {
        for (const f of e.fields as AnyNode[]) if (this.sub(f.value)) return true;
        return false;
      }
      case 'ArrayLit': return this.any(e.elems as AnyNode[]);
      case 'ArrayRepeat': case 'OptSome': case 'OptIsSome': case 'OptPayload': return this.sub(e.value);
      case 'AddrOf': return this.sub(e.place);
      case 'Closure': return this.sub(e.env);
      case 'Deref': return this.sub(e.ptr);
      default: return true;
    }
  }
}
