import { describe, expect, it } from 'vitest';
import { PIPELINE, checkPipelineChain } from '../passes/pipeline.js';
import { LANGUAGES } from '../ir/languages.js';

describe('the pipeline', () => {
  it('chains languages: each pass reads what the previous one writes', () => {
    expect(checkPipelineChain()).toEqual([]);
    expect(PIPELINE[0].from.name).toBe('Lsource');
    expect(PIPELINE[PIPELINE.length - 1].to.name).toBe('Lcfg');
  });
  it('has unique pass names, each with a description, over declared languages', () => {
    const names = PIPELINE.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of PIPELINE) {
      expect(p.description.length).toBeGreaterThan(10);
      expect(LANGUAGES).toContain(p.from);
      expect(LANGUAGES).toContain(p.to);
    }
  });
  it('reports a broken chain', () => {
    expect(checkPipelineChain([PIPELINE[0], PIPELINE[PIPELINE.length - 1]])[0]).toMatch(/reads Lcfg but parse writes Lskimmed/);
  });
});
