// A census of one function: the node kinds in it and the type constructors anywhere in its
// types (every `type` field of every node, walked into: `Vec<Channel<*i32>>` counts vec,
// channel, ptr and int).
//
// Why: most passes act on constructs most functions never use (regions, lambdas, `delete`,
// channels, unsafe operations), yet each walked every function to find out. A pass that
// declares what it acts on (FunctionPassParts.appliesTo) is skipped, in a sweep, for the
// functions whose census says they have none of it: one walk per function instead of one
// per pass. The census is taken once per function, at the first pass that asks, and serves
// the passes after it; --verify-each checks every skip (tools/sweep.ts).

import type { AnyNode, Language } from './lang.js';
import type { Ty } from './types.js';

const TYPE_KINDS = [
  'int', 'float', 'bool', 'str', 'string', 'void', 'never', 'region', 'ptr', 'array',
  'option', 'box', 'vec', 'thread', 'channel', 'mutex', 'atomic', 'guard', 'fn', 'class', 'infer',
] as const satisfies readonly Ty['k'][];
const TYPE_BIT = new Map<string, number>(TYPE_KINDS.map((k, i) => [k, 1 << i]));

export class Census {
  constructor(private readonly index: ReadonlyMap<string, number>, private readonly seen: Uint8Array, private readonly types: number) {}
  /** whether a node of `kind` is in the function */
  hasKind(kind: string): boolean {
    const i = this.index.get(kind);
    return i !== undefined && this.seen[i] === 1;
  }
  /** whether some type in the function is built with `k` (at any depth) */
  hasType(k: Ty['k']): boolean { return (this.types & TYPE_BIT.get(k)!) !== 0; }
}

/** The constructors of a type, at any depth, as a bit set (types are small: no memo, which costs more than the walk). */
function typeMask(t: Ty): number {
  switch (t.k) {
    case 'int': return INT;
    case 'bool': return BOOL;
    case 'class': return CLASS;
    case 'ptr': return PTR | typeMask(t.to);
    case 'array': return ARRAY | typeMask(t.elem);
    case 'fn': {
      let m = FN | typeMask(t.ret);
      for (const p of t.params) m |= typeMask(p);
      return m;
    }
    case 'option': case 'box': case 'vec': case 'thread': case 'channel': case 'mutex': case 'atomic': case 'guard':
      return TYPE_BIT.get(t.k)! | typeMask(t.of);
    default: return TYPE_BIT.get(t.k)!;
  }
}
const [INT, BOOL, CLASS, PTR, ARRAY, FN] = (['int', 'bool', 'class', 'ptr', 'array', 'fn'] as const).map((k) => TYPE_BIT.get(k)!);

/**
 * Per kind (generated once per language): marks its kind seen, reads its type fields into a
 * mask and calls `go` on its children.
 */
type KindCensus = (node: AnyNode, seen: Uint8Array, go: (n: AnyNode) => void, mask: (t: Ty) => number) => number;
interface Plan { readonly index: ReadonlyMap<string, number>; readonly perKind: ReadonlyMap<string, KindCensus> }
const plans = new WeakMap<Language, Plan>();

function planFor(lang: Language): Plan {
  let plan = plans.get(lang);
  if (plan) return plan;
  const index = new Map([...lang.fields.keys()].map((k, i) => [k, i]));
  const perKind = new Map<string, KindCensus>();
  for (const [kind, fields] of lang.fields) {
    const lines = [`seen[${index.get(kind)}] = 1;`, 'let m = 0;'];
    for (const f of fields) {
      const name = JSON.stringify(f.name);
      if (f.scalar && f.base !== 'type') continue;
      const one = f.scalar ? 'm |= mask(x);' : 'go(x);';
      lines.push(f.many
        ? `{ const v = node[${name}]; if (v != null) for (let i = 0; i < v.length; i++) { const x = v[i]; ${one} } }`
        : `{ const x = node[${name}]; if (x != null) { ${one} } }`);
    }
    lines.push('return m;');
    perKind.set(kind, new Function(`return function census_${kind}(node, seen, go, mask) {\n${lines.join('\n')}\n};`)() as KindCensus);
  }
  plan = { index, perKind };
  plans.set(lang, plan);
  return plan;
}

/** The census of the trees `roots` (one function, or what one function became) of `lang`. */
export function takeCensus(lang: Language, roots: readonly AnyNode[]): Census {
  const { index, perKind } = planFor(lang);
  const seen = new Uint8Array(index.size);
  let types = 0;
  const go = (n: AnyNode): void => {
    const f = perKind.get(n.kind);
    if (f === undefined) throw new Error(`census: kind ${n.kind} is not in language ${lang.name}`);
    const m = f(n, seen, go, typeMask); // (before `types` is read: the call adds its children's)
    types |= m;
  };
  for (const r of roots) go(r);
  return new Census(index, seen, types);
}
