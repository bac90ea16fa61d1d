/**
 * Runs steps of the Node-client workloads (node-worker.ts) as child processes and reads their
 * results: the Node counterpart of rdkafka.ts.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { track } from '../children.js';
import type { Job } from './node-worker.js';

const WORKER = join(import.meta.dirname, 'node-worker.js');

export interface RunningJob<T> {
  /** Resolves when the worker prints {"ready":true}: only latency readers do. */
  ready: Promise<void>;
  result: Promise<T>;
  /** Ends the worker if it still runs: for a reader whose producer failed. */
  kill(): void;
}

export function startJob<T>(job: Job): RunningJob<T> {
  const child = track(spawn(process.execPath, [WORKER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
    if (stdout.includes('{"ready":true}')) markReady();
  });
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const result = new Promise<T>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{') || line === '{"ready":true}') {
        reject(new Error(`node-worker ${job.op} (${job.protocol}) exited with ${code ?? signal}${stderr ? `:\n${stderr.trim()}` : ''}`));
        return;
      }
      resolve(JSON.parse(line) as T);
    });
  });
  // A worker that dies before it is ready must fail whoever waits for it to be ready.
  const readyOrFailed = Promise.race([ready, result.then(() => undefined)]);
  // Only latency readers are waited on to be ready: for any other job its failure reaches the
  // caller through `result` alone, and must not also surface here as an unhandled rejection.
  readyOrFailed.catch(() => undefined);
  return {
    ready: readyOrFailed,
    result,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export function runJob<T>(job: Job): Promise<T> {
  return startJob<T>(job).result;
}
