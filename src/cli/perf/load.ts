/**
 * The two halves of a perf run, used alone (`perf produce`, `perf consume`) or together
 * (`perf e2e`):
 * - ProduceLoad: N producers (one Producer, so one set of connections, each) share the records
 *   and the target throughput. Each loop produces in short synchronous runs, as many records as
 *   the throttle allows (Kafka's ThroughputThrottler: keep to `throughput` records/sec over the
 *   whole run, catching up after a stall), then yields to the event loop; it waits when the
 *   producer's buffer is full. Every record is the same random A–Z payload of --record-size
 *   bytes, as kafka-producer-perf-test sends; for e2e the first 8 bytes carry the send time.
 *   Latency is send → acknowledgement, per record (from the batch's append times).
 * - ConsumeLoad: N consumers (one Consumer each) split the topic's partitions and read them
 *   without a group; each record's value bytes are counted, and for e2e the send time in its
 *   first 8 bytes gives the end-to-end latency.
 * Times for e2e are wall-clock milliseconds with a sub-millisecond part
 * (performance.timeOrigin + performance.now()), so producer and consumer may be different
 * processes on one machine.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Consumer, type OffsetSpec } from '../../client/consumer.js';
import { Producer, type BatchDelivery } from '../../client/producer.js';
import { LatencyHistogram, LatencyWindow } from './histogram.js';
import type { PerfOptions } from './options.js';

/** Records produced in one synchronous run before yielding to the event loop. */
const CHUNK_RECORDS = 2_000;

export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** kafka-producer-perf-test's payload: random upper-case letters. */
export function randomPayload(size: number): Buffer {
  const payload = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  return payload;
}

/** Splits `total` into `parts` shares that differ by at most one. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, index) => Math.floor(total / parts) + (index < total % parts ? 1 : 0));
}

/** Counters a load keeps; a reporter reads and resets the window. */
export class LoadStats {
  records = 0;
  bytes = 0;
  failed = 0;
  firstError: string | null = null;
  readonly latency = new LatencyHistogram();
  readonly window = new LatencyWindow();
  windowRecords = 0;
  windowBytes = 0;

  count(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
    this.windowRecords += records;
    this.windowBytes += bytes;
  }

  latencyOf(milliseconds: number): void {
    this.latency.record(milliseconds);
    this.window.record(milliseconds);
  }

  error(records: number, message: string): void {
    this.failed += records;
    this.firstError ??= message;
  }

  resetWindow(): void {
    this.windowRecords = 0;
    this.windowBytes = 0;
    this.window.reset();
  }
}

export class ProduceLoad {
  readonly stats = new LoadStats();
  /** Records handed to produce() so far. */
  produced = 0;
  private readonly producers: Producer[];
  private stopped = false;

  constructor(
    private readonly options: PerfOptions,
    /** Stamp the send time in each value's first 8 bytes (e2e). */
    private readonly stamp: boolean,
  ) {
    const recordBytes = options.recordSize;
    this.producers = Array.from(
      { length: options.producers },
      (_, index) =>
        new Producer({
          bootstrapServers: options.bootstrapServers,
          clientId: `tidelog-perf-producer-${index}`,
          requestTimeoutMs: options.timeoutMs,
          acks: options.acks,
          compression: options.compression,
          batchSize: options.batchSize,
          lingerMs: options.lingerMs,
          maxInFlightRequestsPerConnection: options.maxInFlight,
          bufferMemory: options.bufferMemory,
          idempotent: options.idempotent,
          partitioner: options.partitioner,
          recordAppendTimes: true,
          onBatchDelivered: (delivery: BatchDelivery) => this.onBatch(delivery, recordBytes),
        }),
    );
  }

  private onBatch(delivery: BatchDelivery, recordBytes: number): void {
    const stats = this.stats;
    if (delivery.error !== null) {
      stats.error(delivery.recordCount, delivery.error.message);
      return;
    }
    stats.count(delivery.recordCount, delivery.recordCount * recordBytes);
    const appendTimes = delivery.appendTimes!;
    const completedAt = delivery.completedAt;
    for (let i = 0; i < appendTimes.length; i++) stats.latencyOf(completedAt - appendTimes[i]!);
  }

  async connect(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.connect([this.options.topic])));
  }

  /** Produces every record (or until the duration is over), then waits for every delivery. */
  async run(): Promise<void> {
    const { numRecords, durationMs, throughput } = this.options;
    const deadline = durationMs === undefined ? Infinity : performance.now() + durationMs;
    const counts = numRecords === undefined ? this.producers.map(() => Infinity) : shares(numRecords, this.producers.length);
    const rate = throughput > 0 ? throughput / this.producers.length : -1;
    await Promise.all(this.producers.map((producer, index) => this.loop(producer, counts[index]!, rate, deadline)));
    await Promise.all(this.producers.map((producer) => producer.flush()));
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.close()));
  }

  private async loop(producer: Producer, count: number, rate: number, deadline: number): Promise<void> {
    const { topic, keys: keyCount } = this.options;
    const payload = randomPayload(this.options.recordSize);
    const keys = keyCount > 0 ? Array.from({ length: keyCount }, (_, index) => Buffer.from(`key-${index}`)) : null;
    const record: { topic: string; value: Buffer; key: Buffer | null; timestamp: number } = { topic, value: payload, key: null, timestamp: 0 };
    const stamp = this.stamp;
    const start = performance.now();
    let sent = 0;
    while (sent < count && !this.stopped) {
      const now = performance.now();
      if (now >= deadline) break;
      let allowed = Math.min(CHUNK_RECORDS, count - sent);
      if (rate > 0) {
        const due = Math.floor(((now - start) * rate) / 1000) + 1 - sent;
        if (due <= 0) {
          await sleep(Math.max(1, Math.floor((sent * 1000) / rate - (now - start))));
          continue;
        }
        allowed = Math.min(allowed, due);
      }
      record.timestamp = Date.now();
      let room = true;
      for (let i = 0; i < allowed; i++) {
        if (keys !== null) record.key = keys[(sent + i) % keys.length]!;
        if (stamp) payload.writeDoubleLE(wallClockMs(), 0);
        room = producer.produce(record);
      }
      sent += allowed;
      this.produced += allowed;
      if (!room) await producer.waitForBufferSpace();
      else await yieldToLoop();
    }
  }
}

export class ConsumeLoad {
  readonly stats = new LoadStats();
  private readonly consumers: Consumer[];
  private stopped = false;
  /** performance.now() of the last record received. */
  lastRecordAt = 0;
  firstRecordAt = 0;

  constructor(
    private readonly options: PerfOptions,
    /** Read the send time from each value's first 8 bytes (e2e). */
    private readonly stamped: boolean,
  ) {
    this.consumers = Array.from(
      { length: options.consumers },
      (_, index) =>
        new Consumer({
          bootstrapServers: options.bootstrapServers,
          clientId: `tidelog-perf-consumer-${index}`,
          requestTimeoutMs: options.timeoutMs,
          isolationLevel: options.isolationLevel,
          fetchMaxWaitMs: options.fetchMaxWaitMs,
          fetchMinBytes: options.fetchMinBytes,
          fetchMaxBytes: options.fetchMaxBytes,
          maxPartitionFetchBytes: options.maxPartitionFetchBytes,
          autoOffsetReset: 'earliest',
        }),
    );
  }

  /** Assigns the topic's partitions round-robin over the consumers, each from `from`. */
  async assign(partitionCount: number, from: OffsetSpec): Promise<void> {
    await Promise.all(
      this.consumers.map((consumer, index) => {
        const assignments = [];
        for (let partition = index; partition < partitionCount; partition += this.consumers.length) assignments.push({ topic: this.options.topic, partition, offset: from });
        return consumer.assign(assignments);
      }),
    );
  }

  /**
   * Reads until `expected` records came (Infinity: no limit), the deadline passed, stop() was
   * called, or no record came for idleTimeoutMs (counted from `idleFrom()`, e.g. the end of
   * producing).
   */
  async run(expected: number, deadline: number, idleFrom: () => number): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => this.loop(consumer, expected, deadline, idleFrom)));
  }

  stop(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.close()));
  }

  private async loop(consumer: Consumer, expected: number, deadline: number, idleFrom: () => number): Promise<void> {
    const stats = this.stats;
    const stamped = this.stamped;
    let bytes = 0;
    let records = 0;
    const visit = stamped
      ? (record: { buffer: Buffer; valueOffset: number; valueLength: number }) => {
          records++;
          if (record.valueLength > 0) bytes += record.valueLength;
          if (record.valueLength >= 8) stats.latencyOf(wallClockMs() - record.buffer.readDoubleLE(record.valueOffset));
        }
      : (record: { valueLength: number }) => {
          records++;
          if (record.valueLength > 0) bytes += record.valueLength;
        };
    while (!this.stopped && stats.records < expected) {
      const now = performance.now();
      if (now >= deadline) break;
      if (now - Math.max(this.lastRecordAt, idleFrom()) >= this.options.idleTimeoutMs) break;
      const batches = await consumer.poll(Math.min(200, Math.max(1, deadline - now)));
      for (const batch of batches) {
        records = 0;
        bytes = 0;
        batch.forEachRecord(visit);
        if (records > 0) {
          stats.count(records, bytes);
          this.lastRecordAt = performance.now();
          if (this.firstRecordAt === 0) this.firstRecordAt = this.lastRecordAt;
        }
      }
    }
    // Another consumer may still wait in poll(): the shared count is reached, so stop them all.
    if (stats.records >= expected) this.stopped = true;
  }
}
