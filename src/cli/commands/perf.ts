/**
 * `tidelog perf produce|consume|e2e`: the counterpart of Kafka's kafka-producer-perf-test and
 * kafka-consumer-perf-test, on Tidelog's own client (src/client), against any broker that speaks
 * Kafka's protocol — so one command measures Tidelog and a peer alike.
 *
 * produce  N producers send --num-records (or for --duration) records of --record-size bytes at
 *          --throughput records/s (-1: as fast as they can); reports throughput and the
 *          send → acknowledgement latency of every record.
 * consume  N consumers read the topic's partitions (no group) from --from; reports throughput.
 * e2e      both at once at a fixed --throughput: each value carries its send time, and the
 *          consumer reports send → receive latency.
 * The topic is created (CreateTopics, --partitions / --replication-factor, the broker's defaults
 * otherwise) when it does not exist. Every --reporting-interval a window line goes to stdout, at
 * the end the totals (see perf/report.ts for the format), and with --json FILE the whole report.
 *
 * Exit status: 0 done, 1 some records failed or a broker error, 2 usage error.
 */
import { performance } from 'node:perf_hooks';
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { createAdmin } from '../admin-command.js';
import { requireAction } from '../arguments.js';
import { ConsumeLoad, ProduceLoad, type LoadStats } from '../perf/load.js';
import { parsePerfOptions, type PerfMode, type PerfOptions } from '../perf/options.js';
import { roundedLatency, throughput, totalLine, windowLine, windowReport, writeJson, type WindowReport } from '../perf/report.js';

export const perfUsage = `Usage: tidelog perf <produce|consume|e2e> --topic T [--bootstrap-server HOST:PORT] [options]

Measures producer and consumer throughput and latency against any Kafka-compatible broker.

  produce   like kafka-producer-perf-test: send records, report records/s, MB/s and
            send -> ack latency (avg, max, 50th, 95th, 99th, 99.9th percentiles)
  consume   like kafka-consumer-perf-test: read the topic, report records/s and MB/s
  e2e       produce at a fixed --throughput and consume at once; report send -> receive latency

Common options:
  --bootstrap-server HOST:PORT[,...]  default 127.0.0.1:9092
  --topic T                     created if missing (with --partitions, --replication-factor)
  --num-records N | --duration S   how much to send (produce/e2e: one is required) or read
  --partitions N, --replication-factor N   for a topic that does not exist yet
  --json FILE                   write the report as JSON
  --reporting-interval MS       window lines every MS (default 5000)
  --timeout MS                  admin operations and request timeout (default 30000)

Producer options (produce, e2e):
  --record-size B               value size in bytes (default 100; e2e at least 8)
  --throughput R                target records/s over all producers, -1 unthrottled
                                (produce default -1; e2e default 10000)
  --acks 0|1|all                default all
  --compression none|gzip|snappy|lz4|zstd   default none
  --batch-size B                batch.size (default 16384)
  --linger-ms MS                linger.ms (default 5)
  --max-in-flight N             requests in flight per connection (default 5)
  --buffer-memory B             buffer.memory per producer (default 33554432)
  --producers N                 producers, each with its own connections (default 1)
  --keys K                      cycle through K keys (keyed partitioning); default no key
  --partitioner sticky|round-robin   for records without a key (default sticky)
  --idempotent                  enable.idempotence (needs --acks all)

Consumer options (consume, e2e):
  --consumers N                 consumers splitting the partitions (default 1)
  --from earliest|latest|OFFSET  consume only; default earliest (e2e reads from the end)
  --isolation-level read_uncommitted|read_committed
  --fetch-max-wait-ms MS (500)  --fetch-min-bytes B (1)  --fetch-max-bytes B (52428800)
  --max-partition-fetch-bytes B (1048576)
  --idle-timeout MS             stop after MS without a record (default 10000)

Run with 'node --cpu-prof dist/src/cli/main.js perf ...' to profile the client.`;

const MODES: readonly PerfMode[] = ['produce', 'consume', 'e2e'];

export async function runPerf(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const mode = requireAction('perf', first, MODES, 'mode') as PerfMode;
  const options = parsePerfOptions(mode, rest);
  try {
    const partitions = await prepareTopic(options);
    const report = mode === 'produce' ? await runProduce(options) : mode === 'consume' ? await runConsume(options, partitions) : await runEndToEnd(options, partitions);
    if (options.jsonPath !== undefined) writeJson(options.jsonPath, report);
    return report.failedRecords > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    process.stderr.write(`tidelog perf: ${error.message}\n`);
    return 1;
  }
}

/** Creates the topic when it does not exist; returns its partition count. */
async function prepareTopic(options: PerfOptions): Promise<number> {
  const admin = createAdmin({ bootstrapServers: options.bootstrapServers, clientId: 'tidelog-perf-admin', apiTimeoutMs: options.timeoutMs, requestTimeoutMs: options.timeoutMs });
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(options.topic)) {
      if (options.mode === 'consume') throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `UNKNOWN_TOPIC_OR_PARTITION: topic '${options.topic}' does not exist`);
      const [result] = await admin.createTopics([
        {
          name: options.topic,
          ...(options.partitions === undefined ? {} : { numPartitions: options.partitions }),
          ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
        },
      ]);
      if (result!.error && result!.error.code !== ErrorCode.TOPIC_ALREADY_EXISTS) throw result!.error;
    }
    // A new topic's leaders may take a moment to be elected.
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const [topic] = await admin.describeTopics([options.topic]);
      const partitions = topic!.partitions;
      if (options.partitions !== undefined && partitions.length !== options.partitions) {
        process.stderr.write(`WARNING: topic '${options.topic}' exists with ${partitions.length} partitions; --partitions ${options.partitions} applies only to a new topic\n`);
      }
      if (partitions.length > 0 && partitions.every((partition) => partition.leader >= 0)) return partitions.length;
      if (Date.now() > deadline) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `LEADER_NOT_AVAILABLE: topic '${options.topic}' has partitions without a leader`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.close();
  }
}

/** Prints a window line every reporting interval from what a load counted since the last one. */
function startReporter(options: PerfOptions, stats: LoadStats, verb: string, withLatency: boolean, started: number): { stop(): void; windows: WindowReport[] } {
  const windows: WindowReport[] = [];
  let windowStart = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const window = windowReport(now - started, stats.windowRecords, stats.windowBytes, now - windowStart, stats.window.sum, stats.window.count, stats.window.max);
    windows.push(window);
    process.stdout.write(`${windowLine(window, verb, withLatency)}\n`);
    stats.resetWindow();
    windowStart = now;
  }, options.reportingIntervalMs);
  return { stop: () => clearInterval(timer), windows };
}

function producerSettings(options: PerfOptions): Record<string, unknown> {
  return {
    numRecords: options.numRecords ?? null,
    durationMs: options.durationMs ?? null,
    recordSize: options.recordSize,
    throughput: options.throughput,
    acks: options.acks,
    compression: options.compression,
    batchSize: options.batchSize,
    lingerMs: options.lingerMs,
    maxInFlight: options.maxInFlight,
    bufferMemory: options.bufferMemory,
    producers: options.producers,
    keys: options.keys,
    partitioner: options.partitioner,
    idempotent: options.idempotent,
  };
}

function consumerSettings(options: PerfOptions): Record<string, unknown> {
  return {
    consumers: options.consumers,
    from: options.from,
    isolationLevel: options.isolationLevel,
    fetchMaxWaitMs: options.fetchMaxWaitMs,
    fetchMinBytes: options.fetchMinBytes,
    fetchMaxBytes: options.fetchMaxBytes,
    maxPartitionFetchBytes: options.maxPartitionFetchBytes,
    idleTimeoutMs: options.idleTimeoutMs,
  };
}

interface PerfReport {
  readonly failedRecords: number;
  readonly [key: string]: unknown;
}

function header(options: PerfOptions, partitions?: number): Record<string, unknown> {
  return {
    tool: 'tidelog perf',
    mode: options.mode,
    bootstrapServers: options.bootstrapServers,
    topic: options.topic,
    ...(partitions === undefined ? {} : { partitions }),
    startTime: new Date().toISOString(),
  };
}

function failures(stats: LoadStats): { failedRecords: number; firstError: string | null } {
  return { failedRecords: stats.failed, firstError: stats.firstError };
}

async function runProduce(options: PerfOptions): Promise<PerfReport> {
  const head = header(options);
  const load = new ProduceLoad(options, false);
  try {
    await load.connect();
    const started = performance.now();
    const reporter = startReporter(options, load.stats, 'sent', true, started);
    try {
      await load.run();
    } finally {
      reporter.stop();
    }
    const elapsed = performance.now() - started;
    const stats = load.stats;
    const rate = throughput(stats.records, stats.bytes, elapsed);
    const latency = roundedLatency(stats.latency.summary());
    process.stdout.write(`${totalLine(rate, 'sent', latency)}\n`);
    if (stats.failed > 0) process.stderr.write(`${stats.failed} records failed; first error: ${stats.firstError}\n`);
    return { ...head, settings: producerSettings(options), ...rate, latencyMs: latency, ...failures(stats), windows: reporter.windows };
  } finally {
    await load.close();
  }
}

async function runConsume(options: PerfOptions, partitions: number): Promise<PerfReport> {
  const head = header(options, partitions);
  const load = new ConsumeLoad(options, false);
  try {
    await load.assign(partitions, options.from);
    const started = performance.now();
    const reporter = startReporter(options, load.stats, 'consumed', false, started);
    const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
    try {
      await load.run(options.numRecords ?? Infinity, deadline, () => started);
    } finally {
      reporter.stop();
    }
    // Without a record limit or duration, the run ends after idle-timeout without records: that
    // wait is not reading time (kafka-consumer-perf-test also stops its clock at the last record).
    const end = options.numRecords === undefined && options.durationMs === undefined && load.lastRecordAt > 0 ? load.lastRecordAt : performance.now();
    const stats = load.stats;
    const rate = throughput(stats.records, stats.bytes, end - started);
    process.stdout.write(`${totalLine(rate, 'consumed', null)}\n`);
    if (options.numRecords !== undefined && stats.records < options.numRecords) {
      stats.error(options.numRecords - stats.records, `only ${stats.records} of ${options.numRecords} records came within --idle-timeout ${options.idleTimeoutMs} ms`);
      process.stderr.write(`${stats.firstError}\n`);
    }
    return { ...head, settings: consumerSettings(options), ...rate, ...failures(stats), windows: reporter.windows };
  } finally {
    await load.close();
  }
}

async function runEndToEnd(options: PerfOptions, partitions: number): Promise<PerfReport> {
  const head = header(options, partitions);
  const producer = new ProduceLoad(options, true);
  const consumer = new ConsumeLoad(options, true);
  try {
    await consumer.assign(partitions, 'latest');
    await producer.connect();
    const started = performance.now();
    const reporter = startReporter(options, consumer.stats, 'received', true, started);
    let producedAt = Infinity;
    try {
      const consuming = consumer.run(Infinity, Infinity, () => producedAt);
      await producer.run();
      producedAt = performance.now();
      // Every acknowledged record should arrive; the consumer stops when they all have, or
      // after idle-timeout without one.
      const expected = producer.stats.records;
      while (consumer.stats.records < expected && performance.now() - Math.max(consumer.lastRecordAt, producedAt) < options.idleTimeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      consumer.stop();
      await consuming;
    } finally {
      reporter.stop();
    }
    const received = consumer.stats;
    const sent = producer.stats;
    const end = received.records > 0 ? consumer.lastRecordAt : performance.now();
    const rate = throughput(received.records, received.bytes, end - started);
    const latency = roundedLatency(received.latency.summary());
    process.stdout.write(`${totalLine(rate, 'received', latency)}\n`);
    const produceRate = throughput(sent.records, sent.bytes, (producedAt === Infinity ? performance.now() : producedAt) - started);
    const missing = sent.records - received.records;
    if (missing > 0) {
      received.error(missing, `${missing} of ${sent.records} acknowledged records were not received within --idle-timeout ${options.idleTimeoutMs} ms`);
      process.stderr.write(`${received.firstError}\n`);
    }
    if (sent.failed > 0) process.stderr.write(`${sent.failed} records failed to produce; first error: ${sent.firstError}\n`);
    return {
      ...head,
      settings: { ...producerSettings(options), ...consumerSettings(options) },
      ...rate,
      latencyMs: latency,
      produce: { ...produceRate, latencyMs: roundedLatency(sent.latency.summary()), failedRecords: sent.failed, firstError: sent.firstError },
      failedRecords: sent.failed + Math.max(0, missing),
      firstError: sent.firstError ?? received.firstError,
      windows: reporter.windows,
    };
  } finally {
    await Promise.all([producer.close(), consumer.close()]);
  }
}
