/**
 * One step of a Node-client workload, run in its own process
 * (`node dist/bench/clients/node-worker.js JOB_JSON`) so that client and server compete for the
 * cores the way they would on separate machines' worth of processes, and so that the client's
 * CPU time is its own. Prints exactly one JSON result line on stdout, preceded for a latency
 * reader by a {"ready":true} line once its read is under way.
 */
import { STAMP_BYTES, Payloads, readStamp } from '../payload.js';
import { nowMs, percentile } from '../stats.js';
import type { Protocol } from '../system.js';
import { openDriver, type Driver } from './driver.js';

interface Target {
  protocol: Protocol;
  address: string;
  /** The log: a Kafka topic, a set of JetStream streams, Redis keys or RabbitMQ streams. */
  name: string;
}

/** Appends as fast as the window allows, round-robin over the partitions, until either bound is reached. */
export interface ProduceJob extends Target {
  op: 'produce';
  partitions: number;
  size: number;
  durationS: number;
  maxBytes: number;
  /** Values per append() call are batchBytes / size. */
  batchBytes: number;
  /** append() calls awaiting acknowledgement at once. */
  window: number;
}

export interface ProduceOutcome {
  records: number;
  bytes: number;
  /** Records acknowledged per partition, for the read that follows. */
  perPartition: number[];
  /** From the first append() to the last acknowledgement. */
  seconds: number;
  cpuS: number;
}

export interface ConsumeJob extends Target {
  op: 'consume';
  counts: number[];
}

export interface ConsumeOutcome {
  records: number;
  bytes: number;
  /** From the start of the read to its last record. */
  seconds: number;
  cpuS: number;
}

/** Creates a one-partition log and reads `count` stamped records from it as they arrive. */
export interface LatencyReadJob extends Target {
  op: 'latency-read';
  count: number;
  /** Records with a lower sequence number are warm-up and not counted. */
  warmup: number;
}

export interface LatencyReadOutcome {
  /** Records counted (after the warm-up). */
  records: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
  cpuS: number;
}

/** Appends `count` stamped records at a fixed rate: whatever is due at each timer tick goes in one append(). */
export interface LatencyWriteJob extends Target {
  op: 'latency-write';
  count: number;
  size: number;
  rate: number;
}

export interface LatencyWriteOutcome {
  records: number;
  seconds: number;
  /** How far behind its schedule the producer fell at worst: a sign the client, not the system, was the bottleneck. */
  maxLagMs: number;
  cpuS: number;
}

export type Job = ProduceJob | ConsumeJob | LatencyReadJob | LatencyWriteJob;

/** A read that receives nothing for this long has failed. */
const STALL_MS = 30_000;

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

async function produce(driver: Driver, job: ProduceJob): Promise<ProduceOutcome> {
  await driver.create(job.name, job.partitions);
  const payloads = new Payloads(job.size);
  const perBatch = Math.max(1, Math.floor(job.batchBytes / job.size));
  const perPartition = new Array<number>(job.partitions).fill(0);
  const cpu = process.cpuUsage();
  const start = nowMs();
  const deadline = start + job.durationS * 1000;
  let last = start;
  let offered = 0;
  let batches = 0;
  let inFlight = 0;
  let stopped = false;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (!stopped && inFlight < job.window) {
        if (nowMs() >= deadline || offered * job.size >= job.maxBytes) {
          stopped = true;
          break;
        }
        const partition = batches++ % job.partitions;
        const values = Array.from({ length: perBatch }, () => payloads.next());
        offered += values.length;
        inFlight++;
        driver.append(job.name, partition, values).then(() => {
          inFlight--;
          perPartition[partition]! += values.length;
          last = nowMs();
          pump();
        }, reject);
      }
      if (stopped && inFlight === 0) resolve();
    };
    pump();
  });
  const records = perPartition.reduce((a, b) => a + b, 0);
  return { records, bytes: records * job.size, perPartition, seconds: (last - start) / 1000, cpuS: cpuSince(cpu) };
}

async function consume(driver: Driver, job: ConsumeJob): Promise<ConsumeOutcome> {
  const cpu = process.cpuUsage();
  const start = nowMs();
  let records = 0;
  let bytes = 0;
  await watched(
    driver.read(job.name, job.counts, (value) => {
      records++;
      bytes += value.length;
    }),
    () => records,
  );
  return { records, bytes, seconds: (nowMs() - start) / 1000, cpuS: cpuSince(cpu) };
}

async function latencyRead(driver: Driver, job: LatencyReadJob): Promise<LatencyReadOutcome> {
  await driver.create(job.name, 1);
  const latencyMs = new Float64Array(job.count).fill(NaN);
  let received = 0;
  const cpu = process.cpuUsage();
  await watched(
    driver.read(
      job.name,
      [job.count],
      (value) => {
        const now = process.hrtime.bigint();
        const { seq, sentNs } = readStamp(value);
        latencyMs[seq] = Number(now - sentNs) / 1e6;
        received++;
      },
      () => process.stdout.write('{"ready":true}\n'),
    ),
    () => received,
  );
  const counted = Array.from(latencyMs.subarray(job.warmup)).filter((v) => !Number.isNaN(v));
  if (counted.length !== job.count - job.warmup) throw new Error(`${job.count - job.warmup - counted.length} stamped records missing or duplicated`);
  const sorted = counted.sort((a, b) => a - b);
  return {
    records: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    meanMs: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    cpuS: cpuSince(cpu),
  };
}

async function latencyWrite(driver: Driver, job: LatencyWriteJob): Promise<LatencyWriteOutcome> {
  if (job.size < STAMP_BYTES) throw new Error(`latency records need at least ${STAMP_BYTES} bytes`);
  const payloads = new Payloads(job.size);
  const appends: Promise<void>[] = [];
  const cpu = process.cpuUsage();
  const start = nowMs();
  let sent = 0;
  let maxLagMs = 0;
  // Timer ticks (about 1 ms apart), not a busy loop: a spinning producer would take a core from
  // the server on a small machine.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = nowMs();
      const due = Math.min(job.count, Math.floor(((now - start) / 1000) * job.rate) + 1);
      if (due > sent) {
        maxLagMs = Math.max(maxLagMs, now - (start + (sent / job.rate) * 1000));
        const values: Buffer[] = [];
        for (; sent < due; sent++) values.push(payloads.stamped(sent, process.hrtime.bigint()));
        appends.push(driver.append(job.name, 0, values));
      }
      if (sent < job.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(appends);
  return { records: sent, seconds: (nowMs() - start) / 1000, maxLagMs, cpuS: cpuSince(cpu) };
}

/** Fails a read that stops making progress instead of letting it hang the whole run. */
async function watched(reading: Promise<void>, progress: () => number): Promise<void> {
  let seen = -1;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now === seen) reject(new Error(`read made no progress for ${STALL_MS / 1000} s (${now} records)`));
      seen = now;
    }, STALL_MS);
  });
  try {
    await Promise.race([reading, stalled]);
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as Job;
  const driver = await openDriver(job.protocol, job.address);
  let outcome: unknown;
  switch (job.op) {
    case 'produce':
      outcome = await produce(driver, job);
      break;
    case 'consume':
      outcome = await consume(driver, job);
      break;
    case 'latency-read':
      outcome = await latencyRead(driver, job);
      break;
    case 'latency-write':
      outcome = await latencyWrite(driver, job);
      break;
  }
  await driver.close();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

main().then(
  // Some client libraries keep timers alive after close(); the result is out, so leave.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`node-worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
