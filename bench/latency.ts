/**
 * End-to-end latency at a fixed rate: a producer process appends stamped records (sequence
 * number and send time, CLOCK_MONOTONIC, which every process on the machine shares) at `rate`
 * records per second into a fresh one-partition log, acks=1 or its equivalent, and a reader
 * process that was already waiting on the log notes when each arrives. The same Node-client
 * workload (node-worker.ts) drives every system, the relay (limits/relay.ts) included, whose
 * figures are the floor no broker can go below here. The first part of each run is warm-up
 * (connections, JIT, the system's first segment) and is not counted.
 */
import { startJob, runJob } from './clients/node.js';
import type { LatencyReadOutcome, LatencyWriteOutcome } from './clients/node-worker.js';
import { RUN_TAG, SIZES, type RecordSize } from './sizes.js';
import type { System } from './system.js';

export interface LatencySettings {
  rate: number;
  seconds: number;
  warmupS: number;
}

export interface LatencyResult {
  size: RecordSize;
  read: LatencyReadOutcome;
  write: LatencyWriteOutcome;
  serverCpuS: number;
}

export interface LatencyRun {
  system: string;
  results: LatencyResult[];
  error?: string;
}

export async function runLatency(system: System, settings: LatencySettings, log: (message: string) => void): Promise<LatencyRun> {
  const run: LatencyRun = { system: system.name, results: [] };
  const count = Math.round(settings.rate * settings.seconds);
  const warmup = Math.min(count - 1, Math.round(settings.rate * settings.warmupS));
  try {
    for (const size of SIZES) {
      const name = `tl-lat-${size.tag}-${RUN_TAG}`;
      const target = { protocol: system.protocol, address: system.address, name };
      log(`${system.name}: ${size.name} records at ${settings.rate}/s for ${settings.seconds} s, end to end`);
      const reader = startJob<LatencyReadOutcome>({ op: 'latency-read', ...target, count, warmup });
      // A failed reader would otherwise leave its result's rejection unobserved while the writer runs.
      reader.result.catch(() => undefined);
      try {
        await reader.ready;
        const before = system.cpuSeconds();
        const write = await runJob<LatencyWriteOutcome>({ op: 'latency-write', ...target, count, size: size.bytes, rate: settings.rate });
        const read = await reader.result;
        run.results.push({ size, read, write, serverCpuS: system.cpuSeconds() - before });
      } finally {
        reader.kill();
      }
    }
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    log(`${system.name}: latency stopped: ${run.error}`);
  }
  return run;
}
