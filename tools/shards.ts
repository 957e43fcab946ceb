// A compile split between two threads: the machine has (at least) two cores, and after
// parse every pass is a function pass in one sweep (tools/sweep.ts), so each function can go
// through all of them on either thread. The main thread posts the source to a worker before
// it parses; both parse it (parse reads declarations only, ~3% of a compile) and split the
// functions the same way, by size (`splitUnits`); each runs the sweep over its half, and the
// main thread takes the worker's C (the emitter's `shard` parts: backends/c/emit-c.ts,
// ModuleEmitter.merge) after its own and assembles the file. Sending IR between threads
// would cost more than the work it moves (docs/DECISIONS.md): only source text and C go.
//
// It is an optimization, never a change of output: the C is byte for byte what one thread
// writes (tests/shards.test.ts), and a compile with any diagnostic is redone in one thread,
// so diagnostics come out as they always do. The wait for the worker is synchronous
// (Atomics.wait, receiveMessageOnPort), so runPipeline stays a plain function.

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { unitNodes } from '../passes/pass.js';
import type { SweepShard } from './sweep.js';

/** Below this many bytes of source a compile stays on one thread (a worker's start and its cold JIT would cost more). */
export const SHARD_MIN_BYTES = 200_000;

/** What the worker is asked to compile (tools/shard-worker.ts). */
export interface ShardJob {
  id: number;
  path: string;
  text: string;
  backend: string;
  verifyEach: boolean;
  /** the share of the source the main thread takes (splitUnits) */
  share: number;
}

/** The worker's answer: its part of the sweep, saved, or why it gave up (a diagnostic, or a failure to redo in one thread). */
export type ShardReply = { id: number; saved: unknown } | { id: number; gaveUp: string };

/** Signal words shared with the worker: replies sent; the last job the main thread gave up (every earlier one is given up too); the last job the worker gave up. */
export const REPLIES = 0, GIVE_UP = 1, GAVE_UP = 2;

/**
 * Which units the main thread runs (the others are the worker's): the first ones, up to
 * `share` of the bytes of source, so both threads have about as much to do. Statics go to
 * the worker, which runs the statics' initializers (held back to the end by the bridge).
 */
export function splitUnits(units: readonly unknown[], share: number): Uint8Array {
  const size = (u: unknown) => { const n = unitNodes(u)[0]; return n?.span ? n.span.end - n.span.start : 0; };
  const isStatic = (u: unknown) => unitNodes(u)[0]?.kind === 'StaticDecl';
  let total = 0;
  for (const u of units) total += size(u);
  const main = new Uint8Array(units.length);
  let sum = 0;
  for (let i = 0; i < units.length && sum < total * share; i++) {
    if (isStatic(units[i])) continue;
    main[i] = 1;
    sum += size(units[i]);
  }
  return main;
}

/** SweepShard.mine of the main thread (`main`) or the worker: splitUnits' answer, one side of it. */
const sideOf = (share: number, main: boolean) => (units: readonly unknown[]) => {
  const toMain = splitUnits(units, share);
  return (u: number) => (toMain[u] === 1) === main;
};

/** The worker's side of a split sweep: the units splitUnits does not give the main thread, and the statics' initializers. */
export function workerShard(share: number, givenUp: () => boolean): SweepShard {
  return {
    mine: sideOf(share, false),
    end: true,
    givenUp,
  };
}

/** The compile worker, started on first use and kept for the next compiles (it does not keep the process alive). */
class ShardWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(12));
  private nextId = 1;
  dead = false;

  constructor(file: URL) {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(file, {
      workerData: { port: port2, signal: this.signal },
      transferList: [port2],
      // as the CLI's own compile thread (bin/zeta-nano.mjs): deep programs need a deep stack
      resourceLimits: { stackSizeMb: 512, maxYoungGenerationSizeMb: 192 },
    });
    this.worker.unref();
    this.worker.on('error', () => { this.dead = true; });
    this.worker.on('exit', () => { this.dead = true; });
    this.port = port1;
  }

  /** Posts a job; gives its id. */
  start(job: ShardRequest): number {
    const id = this.nextId++;
    this.port.postMessage({ ...job, id } satisfies ShardJob);
    return id;
  }

  giveUp(id: number): void { Atomics.store(this.signal, GIVE_UP, id); }

  gaveUp(id: number): boolean { return Atomics.load(this.signal, GAVE_UP) === id; }

  /**
   * Waits for job `id`'s reply (replies to jobs given up before are dropped). Null when the
   * worker gave up, or has not answered `patienceMs` after its last sign of life: it is then
   * ended, and the next compile starts another.
   */
  join(id: number, patienceMs: number): unknown {
    const deadline = performance.now() + patienceMs;
    for (;;) {
      const seen = Atomics.load(this.signal, REPLIES);
      for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
        const reply = m.message as ShardReply;
        if (reply.id === id) return 'saved' in reply ? reply.saved : null;
      }
      const left = deadline - performance.now();
      if (this.dead || left <= 0) { this.end(); return null; }
      Atomics.wait(this.signal, REPLIES, seen, Math.min(left, 1000));
    }
  }

  end(): void {
    this.dead = true;
    void this.worker.terminate();
    if (worker === this) worker = null;
  }
}

let worker: ShardWorker | null = null;

/** How a compile is split, as the driver asks for it: the worker's job, but for its id. */
export type ShardRequest = Omit<ShardJob, 'id'>;

/**
 * Starts the worker's half of a compile now (before the main thread parses), and gives the
 * main thread's side of the split sweep. The worker works on until the main thread joins it
 * or gives up.
 */
export function startShard(req: ShardRequest): SweepShard | null {
  if (worker === null || worker.dead) {
    // (the bundle beside dist/cli.mjs and dist/api.mjs, and beside tools/ for the sources)
    const file = new URL('../dist/shard-worker.mjs', import.meta.url);
    if (!existsSync(file)) return null; // (not built: one thread it is)
    try {
      worker = new ShardWorker(file);
    } catch {
      return null;
    }
  }
  const w = worker;
  const id = w.start(req);
  const t0 = performance.now();
  let over = false;
  const giveUp = () => { if (!over) { over = true; w.giveUp(id); } };
  return {
    mine: sideOf(req.share, true),
    end: false,
    givenUp: () => w.gaveUp(id),
    giveUp,
    // the worker has as much to do: wait up to 4x as long as this side took, and 30 s more
    join: () => { over = true; return w.join(id, 4 * (performance.now() - t0) + 30_000); },
  };
}

/** Whether a compile of `bytes` bytes of source is split with `jobs` threads asked for (undefined: as many as the machine has). */
export function splits(bytes: number, jobs: number | undefined, minBytes = SHARD_MIN_BYTES): boolean {
  return (jobs ?? availableParallelism()) >= 2 && bytes >= minBytes;
}
