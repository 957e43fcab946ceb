#!/usr/bin/env node
// Run-time benchmarks (issue 5): each program in bench/*.zeta is compiled by zeta-nano with
// both backends at -O2, and its hand-written C counterpart tools/bench/NAME.c with `cc -O2`.
// Every executable runs several times (15: this machine's speed drifts by a few per cent
// within a minute, and the best of 5 still moved by ±3%), the three taking turns so that a
// change in machine load hits them alike, and the best wall time counts. All three must print the same checksum (the
// run fails otherwise). The times are printed as markdown tables, never asserted, since wall
// time depends on the machine and its load; a second table gives the best CPU time (user +
// sys, from wait4), which a loaded machine disturbs less than wall time. With --instructions,
// each executable also runs once under valgrind's callgrind, and a third table gives the
// instructions it executed: a count that machine load does not disturb at all (but that
// weighs a division like an add, so it is no stand-in for time).
//
//   node tools/bench-run.mjs [--runs 15] [--only binary_trees,fib] [--instructions]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const root = join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : dflt; };
const runs = Number(opt('--runs', '15'));
const only = opt('--only', undefined)?.split(',');
const instructions = argv.includes('--instructions');

const programs = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.zeta'))
  .map((f) => f.slice(0, -'.zeta'.length))
  .filter((name) => !only || only.includes(name))
  .sort();

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
};

// Runs a program and reports its wall and CPU time with microsecond resolution, measured
// around fork/exec/wait4 so that neither Node's spawn overhead nor dash's 10 ms `times`
// clock blurs programs that run for a tenth of a second.
const TIMER_C = `
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  (void)argc;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 127; }
  if (pid == 0) { execv(argv[1], argv + 1); perror("execv"); _exit(127); }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 127; }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
             + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  fprintf(stderr, "zeta-bench-time %.6f %.6f\\n", wall, cpu);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
`;

// One timed run of `exe`, which must print `expected`: { wall, cpu } in seconds.
const timedRun = (timer, exe, expected) => {
  const r = spawnSync(timer, [exe], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${exe} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  if (r.stdout !== expected) throw new Error(`${exe} printed ${JSON.stringify(r.stdout)}, expected ${JSON.stringify(expected)}`);
  const m = /zeta-bench-time (\S+) (\S+)\n$/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${exe}:\n${r.stderr}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) };
};

// The instructions `exe` executes, counted by callgrind (the program must print `expected`).
const instructionCount = (exe, expected) => {
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', exe], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`--instructions needs valgrind: ${r.error.message}`);
  if (r.status !== 0 || r.stdout !== expected) throw new Error(`${exe} under callgrind failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (!m) throw new Error(`no instruction count from callgrind for ${exe}:\n${r.stderr}`);
  return Number(m[1].replaceAll(',', ''));
};

const dir = mkdtempSync(join(tmpdir(), 'zeta-bench-run-'));
try {
  const timer = join(dir, 'timer');
  writeFileSync(`${timer}.c`, TIMER_C);
  run(process.env.CC ?? 'cc', ['-O2', `${timer}.c`, '-o', timer]);

  const rows = [];
  for (const name of programs) {
    const exes = {
      c: join(dir, `${name}-c`),
      llvm: join(dir, `${name}-llvm`),
      hand: join(dir, `${name}-hand`),
    };
    for (const backend of ['c', 'llvm']) {
      run(process.execPath, [join(root, 'bin/zeta-nano.mjs'), 'compile', join(root, 'bench', `${name}.zeta`),
        '-o', exes[backend], `--backend=${backend}`, '-O', '2']);
    }
    run(process.env.CC ?? 'cc', ['-O2', join(root, 'tools/bench', `${name}.c`), '-o', exes.hand, '-lm']);

    // The hand-written C defines the checksum; both backends must agree with it.
    const expected = run(exes.hand, []);
    const best = { c: { wall: Infinity, cpu: Infinity }, llvm: { wall: Infinity, cpu: Infinity }, hand: { wall: Infinity, cpu: Infinity } };
    for (let i = 0; i < runs; i++) {
      for (const kind of ['c', 'llvm', 'hand']) {
        const t = timedRun(timer, exes[kind], expected);
        best[kind] = { wall: Math.min(best[kind].wall, t.wall), cpu: Math.min(best[kind].cpu, t.cpu) };
      }
    }
    const row = { name, ...best };
    if (instructions) for (const kind of ['c', 'llvm', 'hand']) row[kind].instructions = instructionCount(exes[kind], expected);
    rows.push(row);
    process.stderr.write(`${name}: done\n`);
  }

  const r = (x) => `${x.toFixed(2)}×`;
  const table = (what) => {
    const unit = what === 'instructions' ? '(G instructions)' : '(s)';
    const s = what === 'instructions' ? (x) => (x / 1e9).toFixed(3) : (x) => x.toFixed(3);
    console.log(`| program | C backend ${unit} | LLVM backend ${unit} | hand-written C ${unit} | LLVM/C-backend ratio | C-backend/hand-C ratio |`);
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      const [c, llvm, hand] = [row.c[what], row.llvm[what], row.hand[what]];
      console.log(`| ${row.name} | ${s(c)} | ${s(llvm)} | ${s(hand)} | ${r(llvm / c)} | ${r(c / hand)} |`);
    }
    const slower = rows.filter((row) => row.llvm[what] > row.c[what]);
    const measure = what === 'instructions' ? 'instruction count' : `${what} time`;
    console.log('');
    console.log(slower.length === 0
      ? `LLVM backend >= C backend speed on every program (${measure}): yes.`
      : `LLVM backend >= C backend speed on every program (${measure}): no (slower on ${slower.map((row) => `${row.name} ${r(row.llvm[what] / row.c[what])}`).join(', ')}).`);
  };
  console.log(`Best of ${runs} runs; -O2 everywhere; checksums agree on all three.\n`);
  console.log('Wall time:\n');
  table('wall');
  console.log('\nCPU time (user + sys):\n');
  table('cpu');
  if (instructions) {
    console.log('\nInstructions executed (callgrind, one run each):\n');
    table('instructions');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
