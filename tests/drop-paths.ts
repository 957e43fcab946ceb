// An independent check of the drops in an Lcfg module after elaborate-drops, for the
// tests: it explores the control-flow graph of each function state by state (not with the
// pass's dataflow) and reports, for every local whose type needs drop, on every path:
// a drop of a value that is not there (double drop, drop after a move), a use of a local
// after its drop or move, a whole-local store over a value still owned (a leak), a value
// still owned at a `Return` (a leak), and any `Delete` left.
//
// A state is, per tracked local, "holds a value" or not, plus the known values of the bool
// locals that are only ever assigned constants (drop flags, and user flags), so a drop
// guarded by a flag is explored only on the paths where the flag is true. States are
// finite, and each (block, state) is explored once.

import { needsDrop, classTable } from '../ir/needs-drop.js';
import { stmtUsesDefs, termUses, type FnDef, type Module, type Operand, type Stmt } from '../ir/cfg.js';

function movedLocal(op: Operand): number | null {
  if (op.kind !== 'Move') return null;
  const p = op.place;
  if (p.kind === 'LocalPlace') return p.id;
  if (p.kind === 'PayloadPlace' && p.base.kind === 'LocalPlace') return p.base.id;
  return null;
}

/** Every Move operand of a statement, wherever it is. */
function movesIn(node: unknown, out: number[]): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) { for (const x of node) movesIn(x, out); return; }
  const n = node as { kind?: string; [k: string]: unknown };
  if (n.kind === 'Move') { const x = movedLocal(n as Operand); if (x !== null) out.push(x); }
  for (const [k, v] of Object.entries(n)) if (k !== 'span' && k !== 'ty' && typeof v === 'object') movesIn(v, out);
}

export function dropPathProblems(m: Module, maxStates = 200_000): string[] {
  const classes = classTable(m.classes);
  const problems: string[] = [];
  for (const fn of m.fns) problems.push(...checkFn(fn, (t) => needsDrop(t, classes), maxStates));
  return problems;
}

function checkFn(fn: FnDef, needs: (t: FnDef['locals'][number]['ty']) => boolean, maxStates: number): string[] {
  const tracked = fn.locals.filter((l) => needs(l.ty)).map((l) => l.id);
  const tIndex = new Map(tracked.map((id, i) => [id, i]));
  const names = new Map(fn.locals.map((l) => [l.id, l.name]));
  // bool locals assigned only constants
  const constBools = new Set(fn.locals.filter((l) => l.ty.k === 'bool').map((l) => l.id));
  for (const b of fn.blocks) for (const s of b.stmts) {
    if (s.kind === 'Assign' && s.place.kind === 'LocalPlace' && constBools.has(s.place.id)
      && !(s.value.kind === 'Use' && s.value.op.kind === 'Const')) constBools.delete(s.place.id);
  }
  const bIndex = new Map([...constBools].map((id, i) => [id, i]));
  const problems = new Set<string>();
  const report = (b: number, i: number, what: string, id: number) =>
    problems.add(`${fn.name} bb${b}${i >= 0 ? `[${i}]` : ' term'}: ${what} ${names.get(id) ?? id}`);

  interface State { held: Uint8Array; flags: Int8Array }
  const key = (b: number, s: State) => `${b}:${s.held.join('')}:${s.flags.join(',')}`;
  const seen = new Set<string>();
  const start: State = { held: new Uint8Array(tracked.length), flags: new Int8Array(bIndex.size).fill(-1) };
  for (const p of fn.params) { const i = tIndex.get(p); if (i !== undefined) start.held[i] = 1; }
  const work: [number, State][] = [[0, start]];
  while (work.length > 0) {
    const [b, s0] = work.pop()!;
    const k = key(b, s0);
    if (seen.has(k)) continue;
    seen.add(k);
    if (seen.size > maxStates) { problems.add(`${fn.name}: too many states`); break; }
    const s: State = { held: s0.held.slice(), flags: s0.flags.slice() };
    const block = fn.blocks[b];
    const checkUse = (i: number) => (id: number) => {
      const t = tIndex.get(id);
      if (t !== undefined && !s.held[t]) report(b, i, 'use of a dropped, moved or unassigned', id);
    };
    block.stmts.forEach((st: Stmt, i) => {
      if (st.kind === 'Delete') { problems.add(`${fn.name} bb${b}[${i}]: Delete left`); return; }
      if (st.kind === 'Drop' && st.place.kind === 'LocalPlace') {
        const t = tIndex.get(st.place.id);
        if (t === undefined) return;
        if (!s.held[t]) report(b, i, 'drop of nothing (double drop, or after a move):', st.place.id);
        s.held[t] = 0;
        return;
      }
      const def = stmtUsesDefs(st, checkUse(i));
      const moved: number[] = [];
      movesIn(st, moved);
      for (const x of moved) { const t = tIndex.get(x); if (t !== undefined) s.held[t] = 0; }
      if (def !== null) {
        const t = tIndex.get(def);
        if (t !== undefined) {
          if (s.held[t]) report(b, i, 'store over a value still owned (leak):', def);
          s.held[t] = 1;
        }
        const f = bIndex.get(def);
        if (f !== undefined && st.kind === 'Assign' && st.value.kind === 'Use' && st.value.op.kind === 'Const') s.flags[f] = st.value.op.value ? 1 : 0;
      }
    });
    const t = block.term;
    termUses(t, checkUse(-1));
    switch (t.kind) {
      case 'Goto': work.push([t.target, s]); break;
      case 'Branch': {
        const c = t.cond;
        const f = (c.kind === 'Copy' || c.kind === 'Move') && c.place.kind === 'LocalPlace' ? bIndex.get(c.place.id) : undefined;
        const v = f === undefined ? -1 : s.flags[f];
        if (v !== 0) work.push([t.then, s]);
        if (v !== 1) work.push([t.else, { held: s.held.slice(), flags: s.flags.slice() }]);
        break;
      }
      case 'Return': {
        const moved: number[] = [];
        movesIn(t, moved);
        for (const x of moved) { const i = tIndex.get(x); if (i !== undefined) s.held[i] = 0; }
        tracked.forEach((id, i) => { if (s.held[i]) report(b, -1, 'still owned at return (leak):', id); });
        break;
      }
      case 'Unreachable': break; // panic / exit: no drops run (spec §5.3)
    }
  }
  return [...problems];
}
