// Every node a pass outputs has exactly its kind's declared fields, in declared order. Not a
// matter of correctness but of speed: V8 gives objects with the same keys in the same order
// (built the same way) one hidden class, so field reads in later passes stay monomorphic; a
// node built by a spread or with its fields in another order makes every walk slower
// (docs/DECISIONS.md, "Compile speed").

import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE } from '../passes/pipeline.js';
import { runPipeline } from '../tools/driver.js';
import { forEachNode } from '../ir/traverse.js';
import type { AnyNode } from '../ir/lang.js';
import type { Pass } from '../passes/pass.js';

const programs = [
  ...readdirSync('examples').filter((f) => f.endsWith('.zeta')).map((f) => join('examples', f)),
  ...['core', 'memory', 'regions', 'lambdas', 'concurrency', 'unsafe'].flatMap((area) =>
    readdirSync(join('tests/spec', area)).filter((f) => f.endsWith('.zeta')).map((f) => join('tests/spec', area, f))),
];

/** `pass kind: keys` for every node whose keys differ from its declaration (one per pass and kind). */
function misshapenNodes(pass: Pass, root: AnyNode, out: Map<string, string>): void {
  forEachNode(pass.to, root, (n) => {
    const declared = ['kind', 'span', ...(pass.to.fields.get(n.kind) ?? []).map((f) => f.name)];
    const keys = Object.keys(n);
    const key = `${pass.name} ${n.kind}`;
    if (!out.has(key) && keys.join() !== declared.join()) out.set(key, `${keys.join()} (declared ${declared.join()})`);
  });
}

describe('node shapes', () => {
  it('every pass builds nodes with exactly the declared fields, in declared order', () => {
    const bad = new Map<string, string>();
    const passes = PIPELINE.map((p): Pass => ({
      ...p,
      run(ir, ctx) { const out = p.run(ir, ctx); misshapenNodes(p, out, bad); return out; },
    }));
    for (const file of programs) runPipeline({ path: file, text: readFileSync(file, 'utf8') }, { passes });
    expect([...bad].map(([k, v]) => `${k}: ${v}`)).toEqual([]);
  });
});
