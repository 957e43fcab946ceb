import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { zeta, writeProgram } from './helpers.js';
// @ts-expect-error -- a plain .mjs script (the benchmark's program generator), without types
import { generateProgram } from '../tools/gen-program.mjs';
import { PIPELINE } from '../passes/pipeline.js';

const hello = 'main() {\n    x := 40;\n    println(x + 2);\n}\n';

describe('zeta-nano CLI', () => {
  it('prints help for the program and each command', () => {
    const top = zeta(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['compile', 'run', 'check', 'passes']) expect(top.stdout).toContain(c);
    const comp = zeta(['compile', '--help']);
    expect(comp.stdout).toMatch(/--backend/);
    expect(comp.stdout).toMatch(/--emit/);
    expect(comp.stdout).toMatch(/--error-format/);
    expect(comp.stdout).toMatch(/--dump-after/);
  });

  it('shows progress on long work: each stage once it runs long (here at once), none by default off a terminal', () => {
    const file = writeProgram(hello);
    const env = { ...process.env, ZETA_NANO_PROGRESS: '0' };
    const r = zeta(['run', file, '--backend=c'], { env });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('42\n');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      // the pipeline and the C backend's own pass (the emitter)
      `zeta-nano: prog.zeta: front end and ${PIPELINE.length + 1} passes (5 lines)...`,
      'zeta-nano: building with the C backend (cc -O2)...',
    ]);
    const { ZETA_NANO_PROGRESS: _, ...quiet } = process.env;
    expect(zeta(['run', file], { env: quiet }).stderr).toBe('');
  });

  it('lists the pipeline with languages, and how each pass runs', () => {
    const r = zeta(['passes']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^parse\s+Lsource -> Lskimmed\s+module\s/m);
    expect(r.stdout).toMatch(/^check-types\s+Lresolved -> Ltyped\s+sweep 1\s/m);
    expect(r.stdout).toMatch(/^check-unsafe\s+Ltyped -> Ltyped\s+sweep 1\s/m);
    expect(r.stdout).toMatch(/^explicate-control\s+Lnoregions -> Lcfg\s+sweep 1\s/m);
    expect(r.stdout).toMatch(/^emit-c\s+Lcfg -> Lcsource\s+sweep 1\s.*\(--backend=c\)$/m);
  });

  it('compiles and runs a program, writing the executable', () => {
    const file = writeProgram(hello);
    const out = join(dirname(file), 'hello');
    const c = zeta(['compile', file, '-o', out, '--verify-each']);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const r = spawnSync(out, [], { encoding: 'utf8' });
    expect(r.stdout).toBe('42\n');
    const run = zeta(['run', file]);
    expect(run.stdout).toBe('42\n');
    expect(run.status).toBe(0);
  });

  it('passes arguments through `run` and forwards the exit status', () => {
    const file = writeProgram('main() -> i32 {\n    println(arg(0));\n    return 7;\n}\n');
    const r = zeta(['run', file, '--', 'hello']);
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(7);
  });

  it('reports errors with codes, carets and JSON lines, exit 1, and writes no executable', () => {
    const file = writeProgram('main() {\n    x := 1;\n    x = 2;\n    println(nope);\n}\n');
    const out = join(dirname(file), 'bad');
    const human = zeta(['compile', file, '-o', out]);
    expect(human.status).toBe(1);
    expect(human.stderr).toMatch(/error\[E0005\]/);
    expect(human.stderr).toMatch(/error\[E0002\]/);
    expect(human.stderr).toMatch(/--> .*prog\.zeta:3:5/);
    expect(human.stderr).toMatch(/\n3 \|     x = 2;\n/);
    expect(human.stderr).toMatch(/\^/);
    expect(existsSync(out)).toBe(false);
    const json = zeta(['compile', file, '-o', out, '--error-format=json']);
    const ds = json.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(ds.map((d) => [d.code, d.line])).toEqual([['E0005', 3], ['E0002', 4]]);
    expect(ds[1]).toMatchObject({ severity: 'error', column: 13, endLine: 4, endColumn: 17 });
  });

  it('emits C, IR dumps and pass timings', () => {
    const file = writeProgram(hello);
    const c = zeta(['compile', file, '--emit=c']);
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/int main\(/);
    const ir = zeta(['compile', file, '--emit=ir']);
    expect(ir.stdout).toMatch(/^\(Module/);
    const dump = zeta(['check', file, '--dump-after=parse,check-types', '--time-passes']);
    expect(dump.status).toBe(0);
    expect(dump.stderr).toMatch(/IR after parse/);
    expect(dump.stderr).toMatch(/IR after check-types/);
    expect(dump.stderr).toMatch(/ms\s+explicate-control/);
    const bad = zeta(['check', file, '--dump-after=nonsense']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no pass named `nonsense`/);
  });

  it('splits a large file\'s compile between two threads (--jobs) with the same C', () => {
    const file = writeProgram(generateProgram(10_000)); // (~250 KB: over the size that is split)
    const one = zeta(['compile', file, '--emit=c', '-o', `${file}.1.c`, '--jobs', '1', '--time-passes']);
    const two = zeta(['compile', file, '--emit=c', '-o', `${file}.2.c`, '--jobs', '2', '--time-passes']);
    expect(one.status).toBe(0);
    expect(two.status).toBe(0);
    expect(readFileSync(`${file}.2.c`, 'utf8')).toBe(readFileSync(`${file}.1.c`, 'utf8'));
    expect(one.stderr).not.toMatch(/split between/);
    expect(two.stderr).toMatch(/split between 2 threads/);
    const bad = zeta(['compile', file, '--emit=c', '--jobs', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--jobs.*positive whole number/);
  });

  it('says clearly when a file cannot be read', () => {
    const r = zeta(['compile', '/nonexistent/x.zeta']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot read/);
  });

  it('never crashes on garbage input', () => {
    const file = writeProgram('\u0000\u0001 class ( ) -> {{{ ]] "unterminated');
    const r = zeta(['check', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/E0001/);
    expect(r.stderr).not.toMatch(/internal compiler error/);
  });

  it('stops quietly when the reader closes the pipe early (`zeta-nano passes | head -1`)', () => {
    const bin = join(dirname(new URL(import.meta.url).pathname), '..', 'bin', 'zeta-nano.mjs');
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" passes | head -1`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^parse\s/);
    expect(r.stderr).toBe('');
  });

  it('keeps the output file intact when a later compile fails', () => {
    const good = writeProgram(hello);
    const out = join(dirname(good), 'keep');
    expect(zeta(['compile', good, '-o', out]).status).toBe(0);
    const before = readFileSync(out);
    const bad = writeProgram('main() { oops }');
    expect(zeta(['compile', bad, '-o', out]).status).toBe(1);
    expect(readFileSync(out).equals(before)).toBe(true);
  });
});
