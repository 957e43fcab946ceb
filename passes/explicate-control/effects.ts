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

export class EffectOracle {
  private readonly memo = new Map<AnyNode, boolean>();

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
    const known = this.memo.get(e);
    if (known !== undefined) return known;
    const r = this.compute(e);
    this.memo.set(e, r);
    return r;
  }

  private compute(e: AnyNode): boolean {
    const any = (xs: readonly AnyNode[]) => xs.some((x) => this.mayWrite(x));
    const sub = (x: unknown) => x !== null && x !== undefined && this.mayWrite(x as AnyNode);
    switch (e.kind) {
      case 'Builtin': return !READ_ONLY_BUILTINS.has(e.op as string) || any(e.args as AnyNode[]);
      // a block's statements may assign anything (`let` alone would not, but is rare in operands)
      case 'Block': return (e.stmts as AnyNode[]).length > 0 || sub(e.tail);
      case 'If': return sub(e.cond) || sub(e.then) || sub(e.else);
      case 'Return': return sub(e.value);
      case 'Unary': return sub(e.operand);
      case 'Binary': return sub(e.left) || sub(e.right);
      case 'Cast': return sub(e.expr);
      case 'Field': return sub(e.object);
      case 'Index': return sub(e.object) || sub(e.index);
      case 'StructLit': return (e.fields as AnyNode[]).some((f) => sub(f.value));
      case 'ArrayLit': return any(e.elems as AnyNode[]);
      case 'ArrayRepeat': case 'OptSome': case 'OptIsSome': case 'OptPayload': return sub(e.value);
      case 'AddrOf': return sub(e.place);
      case 'Closure': return sub(e.env);
      case 'Deref': return sub(e.ptr);
      default: return true;
    }
  }
}
