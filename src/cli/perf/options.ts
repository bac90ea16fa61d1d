/**
 * The options of `tidelog perf`, parsed and checked once. Names follow Kafka's perf tools where
 * they have one (--num-records, --record-size, --throughput, --topic, --bootstrap-server) and
 * the producer/consumer config they set otherwise (--acks, --batch-size, --linger-ms, …).
 */
import type { Acks, CompressionName } from '../../client/producer.js';
import type { IsolationLevel, OffsetSpec } from '../../client/consumer.js';
import { checkOptionNames, integerOption, lastOption, parseArguments, UsageError } from '../arguments.js';

export type PerfMode = 'produce' | 'consume' | 'e2e';

export interface PerfOptions {
  readonly mode: PerfMode;
  readonly bootstrapServers: string;
  readonly topic: string;
  readonly jsonPath: string | undefined;
  readonly reportingIntervalMs: number;
  /** Time allowed for admin operations and for each request. */
  readonly timeoutMs: number;
  readonly numRecords: number | undefined;
  readonly durationMs: number | undefined;
  readonly recordSize: number;
  /** Records per second over all producers; -1 unthrottled. */
  readonly throughput: number;
  readonly acks: Acks;
  readonly compression: CompressionName;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxInFlight: number;
  readonly bufferMemory: number;
  readonly partitions: number | undefined;
  readonly replicationFactor: number | undefined;
  readonly producers: number;
  /** Distinct keys cycled through (keyed partitioning); 0 for records without a key. */
  readonly keys: number;
  readonly partitioner: 'sticky' | 'round-robin';
  readonly idempotent: boolean;
  readonly consumers: number;
  readonly from: OffsetSpec;
  readonly isolationLevel: IsolationLevel;
  readonly fetchMaxWaitMs: number;
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly maxPartitionFetchBytes: number;
  /** Consumers stop after this long without a record. */
  readonly idleTimeoutMs: number;
}

const COMMON = ['bootstrap-server', 'topic', 'json', 'reporting-interval', 'timeout', 'num-records', 'duration', 'partitions', 'replication-factor'];
const PRODUCER = ['record-size', 'throughput', 'acks', 'compression', 'batch-size', 'linger-ms', 'max-in-flight', 'buffer-memory', 'producers', 'keys', 'partitioner'];
const CONSUMER = ['consumers', 'from', 'isolation-level', 'fetch-max-wait-ms', 'fetch-min-bytes', 'fetch-max-bytes', 'max-partition-fetch-bytes', 'idle-timeout'];

const VALUED: Record<PerfMode, readonly string[]> = {
  produce: [...COMMON, ...PRODUCER],
  consume: [...COMMON, ...CONSUMER],
  e2e: [...COMMON, ...PRODUCER, ...CONSUMER.filter((name) => name !== 'from')],
};
const FLAGS: Record<PerfMode, readonly string[]> = { produce: ['idempotent'], consume: [], e2e: ['idempotent'] };

export function parsePerfOptions(mode: PerfMode, argv: readonly string[]): PerfOptions {
  const flags = FLAGS[mode];
  checkOptionNames(argv, VALUED[mode], flags, `perf ${mode}`, true);
  const args = parseArguments(argv, flags);
  const last = (name: string): string | undefined => lastOption(args, name);
  const integer = (name: string, fallback: number | undefined, minimum: number): number | undefined => {
    const value = integerOption(args, name);
    if (value === undefined) return fallback;
    if (value < minimum) throw new UsageError(`--${name} must be at least ${minimum}, got ${value}`);
    return value;
  };
  const required = (name: string, fallback: number, minimum: number): number => integer(name, fallback, minimum)!;
  const choice = <T extends string>(name: string, fallback: T, choices: readonly T[]): T => {
    const text = last(name) ?? fallback;
    if (!(choices as readonly string[]).includes(text)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${text}'`);
    return text as T;
  };

  const topic = last('topic');
  if (topic === undefined || topic === '') throw new UsageError('--topic is required');
  const numRecords = integer('num-records', undefined, 1);
  const durationText = last('duration');
  let durationMs: number | undefined;
  if (durationText !== undefined) {
    const seconds = Number(durationText);
    if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`--duration expects seconds (> 0), got '${durationText}'`);
    durationMs = seconds * 1000;
  }
  if (mode !== 'consume' && numRecords === undefined && durationMs === undefined) throw new UsageError('give --num-records or --duration');

  const throughputText = last('throughput');
  let throughput = mode === 'e2e' ? 10_000 : -1;
  if (throughputText !== undefined) {
    throughput = Number(throughputText);
    if (!Number.isFinite(throughput) || (throughput <= 0 && throughput !== -1)) throw new UsageError(`--throughput expects records/sec (> 0) or -1 for unthrottled, got '${throughputText}'`);
  }
  if (mode === 'e2e' && throughput === -1) throw new UsageError('perf e2e measures latency at a fixed --throughput (records/sec); -1 is not allowed');

  const acksText = choice('acks', 'all', ['0', '1', '-1', 'all']);
  const acks: Acks = acksText === 'all' ? 'all' : (Number(acksText) as 0 | 1 | -1);
  const idempotent = args.flags.has('idempotent');
  const recordSize = required('record-size', 100, mode === 'e2e' ? 8 : 0);

  let from: OffsetSpec = mode === 'e2e' ? 'latest' : 'earliest';
  const fromText = last('from');
  if (fromText !== undefined) {
    if (fromText === 'earliest' || fromText === 'latest') from = fromText;
    else if (/^\d+$/.test(fromText) && Number.isSafeInteger(Number(fromText))) from = Number(fromText);
    else throw new UsageError(`--from expects earliest, latest or an offset, got '${fromText}'`);
  }

  return {
    mode,
    bootstrapServers: last('bootstrap-server') ?? '127.0.0.1:9092',
    topic,
    jsonPath: last('json'),
    reportingIntervalMs: required('reporting-interval', 5_000, 1),
    timeoutMs: required('timeout', 30_000, 1),
    numRecords,
    durationMs,
    recordSize,
    throughput,
    acks,
    compression: choice('compression', 'none', ['none', 'gzip', 'snappy', 'lz4', 'zstd']),
    batchSize: required('batch-size', 16_384, 1),
    lingerMs: required('linger-ms', 5, 0),
    maxInFlight: required('max-in-flight', 5, 1),
    bufferMemory: required('buffer-memory', 33_554_432, 1),
    partitions: integer('partitions', undefined, 1),
    replicationFactor: integer('replication-factor', undefined, 1),
    producers: required('producers', 1, 1),
    keys: required('keys', 0, 0),
    partitioner: choice('partitioner', 'sticky', ['sticky', 'round-robin']),
    idempotent,
    consumers: required('consumers', 1, 1),
    from,
    isolationLevel: choice('isolation-level', 'read_uncommitted', ['read_uncommitted', 'read_committed']),
    fetchMaxWaitMs: required('fetch-max-wait-ms', 500, 0),
    fetchMinBytes: required('fetch-min-bytes', 1, 0),
    fetchMaxBytes: required('fetch-max-bytes', 52_428_800, 1),
    maxPartitionFetchBytes: required('max-partition-fetch-bytes', 1_048_576, 1),
    idleTimeoutMs: required('idle-timeout', 10_000, 1),
  };
}
