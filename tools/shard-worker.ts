// The worker thread of a split compile (tools/shards.ts), bundled as dist/shard-worker.mjs:
// for each job it runs the pipeline with the worker's side of the split sweep and answers
// with what its last pass made of its functions (or that it gave up: any diagnostic, or
// a failure, which the main thread's one-thread compile then meets and reports itself).

import { workerData, type MessagePort } from 'node:worker_threads';
import { runPipeline } from './driver.js';
import { PIPELINE } from '../passes/pipeline.js';
import { getBackend, type BackendName } from '../backends/index.js';
import '../backends/register.js';
import { GAVE_UP, GIVE_UP, REPLIES, workerShard, type ShardJob, type ShardReply } from './shards.js';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

port.on('message', (job: ShardJob) => {
  const givenUp = () => Atomics.load(signal, GIVE_UP) >= job.id;
  let reply: ShardReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const res = runPipeline({ path: job.path, text: job.text }, {
      verifyEach: job.verifyEach,
      passes: [...PIPELINE, ...getBackend(job.backend as BackendName).passes],
      shardOf: workerShard(job.share, givenUp),
    });
    if (res.shardSaved === undefined) {
      reply = { id: job.id, gaveUp: 'the compile has diagnostics, or was given up' };
    } else {
      reply = { id: job.id, saved: res.shardSaved };
      const code = (res.shardSaved as { code?: unknown }).code;
      // (the C's own buffer, never a pooled one: the emitter allocates it, far above the pool's size)
      if (code instanceof Uint8Array && code.buffer.byteLength > 1 << 16) transfer.push(code.buffer as ArrayBuffer);
    }
  } catch (e) {
    reply = { id: job.id, gaveUp: e instanceof Error ? e.message : String(e) };
  }
  if ('gaveUp' in reply) Atomics.store(signal, GAVE_UP, job.id);
  port.postMessage(reply, transfer);
  Atomics.add(signal, REPLIES, 1);
  Atomics.notify(signal, REPLIES);
});
