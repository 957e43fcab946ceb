// A printer for any language: S-expressions driven by the language declaration,
// so a new language prints without new code. Types print in Zeta syntax.

import { type AnyNode, type Language } from './lang.js';
import { showTy, type Ty } from './types.js';

function scalar(base: string, v: unknown): string {
  if (v === null || v === undefined) return '_';
  if (base === 'type') return showTy(v as Ty);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Prints a tree of `lang`, one node per line when it does not fit in `width` columns. */
export function printIR(lang: Language, root: AnyNode, width = 100): string {
  const flat = (n: AnyNode): string => {
    const fs = lang.fields.get(n.kind) ?? [];
    const parts = [n.kind];
    for (const f of fs) {
      const v = n[f.name];
      if (f.scalar) {
        const s = f.many && Array.isArray(v) ? `[${v.map((x) => scalar(f.base, x)).join(' ')}]` : scalar(f.base, v);
        parts.push(`${f.name}=${s}`);
      } else if (f.many) parts.push(`[${(v as AnyNode[]).map(flat).join(' ')}]`);
      else parts.push(v ? flat(v as AnyNode) : '_');
    }
    return `(${parts.join(' ')})`;
  };
  const out: string[] = [];
  const go = (n: AnyNode, indent: string) => {
    const f = flat(n);
    if (indent.length + f.length <= width) { out.push(indent + f); return; }
    const fs = lang.fields.get(n.kind) ?? [];
    const head = [n.kind, ...fs.filter((x) => x.scalar).map((x) => {
      const v = n[x.name];
      return `${x.name}=${x.many && Array.isArray(v) ? `[${v.map((y) => scalar(x.base, y)).join(' ')}]` : scalar(x.base, v)}`;
    })];
    out.push(`${indent}(${head.join(' ')}`);
    for (const x of fs.filter((y) => !y.scalar)) {
      const v = n[x.name];
      if (x.many) {
        const list = v as AnyNode[];
        out.push(`${indent}  ${x.name}: [${list.length === 0 ? ']' : ''}`);
        for (const c of list) go(c, indent + '    ');
        if (list.length) out.push(`${indent}  ]`);
      } else if (v) {
        out.push(`${indent}  ${x.name}:`);
        go(v as AnyNode, indent + '    ');
      } else out.push(`${indent}  ${x.name}: _`);
    }
    out[out.length - 1] += ')';
  };
  go(root, '');
  return out.join('\n');
}
