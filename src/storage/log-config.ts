/**
 * The per-partition log settings, Kafka's topic config names camelCased (`segment.bytes` ->
 * `segmentBytes`) with Kafka's defaults. The broker resolves topic overrides and broker synonyms
 * (config/topic-config.ts) and hands the result here; storage only reads the values.
 *
 * retentionMs, retentionBytes and cleanupPolicy drive PartitionLog.deleteOldSegments (see
 * retention.ts); fileDeleteDelayMs is how long deleted segments linger as `.deleted` files.
 * deleteRetentionMs, min/maxCompactionLagMs and minCleanableDirtyRatio drive the log cleaner
 * (cleaner/) for logs whose cleanupPolicy includes 'compact'.
 */
import { ConfigError } from '../errors.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact';

export interface LogConfig {
  /** segment.bytes: roll the active segment before it would grow past this size. */
  readonly segmentBytes: number;
  /** segment.ms: roll the active segment once its first batch is this old. */
  readonly segmentMs: number;
  /** segment.jitter.ms: subtracted from segmentMs so that partitions do not all roll at once. */
  readonly segmentJitterMs: number;
  /** segment.index.bytes: the most bytes the offset index (and time index) of one segment may hold. */
  readonly segmentIndexBytes: number;
  /** index.interval.bytes: log bytes between two offset index entries. */
  readonly indexIntervalBytes: number;
  /** flush.messages: fdatasync once this many messages are written and not yet flushed. */
  readonly flushMessages: number;
  /** flush.ms: fdatasync at least this often while there is unflushed data. */
  readonly flushMs: number;
  /** message.timestamp.type: LogAppendTime makes the broker stamp each batch's maxTimestamp. */
  readonly messageTimestampType: TimestampType;
  /** retention.ms: segments whose newest record is older go (a negative value, -1, = forever). */
  readonly retentionMs: number;
  /** retention.bytes: oldest segments go while the log stays at or above this size (-1 = no limit). */
  readonly retentionBytes: number;
  /** cleanup.policy: retention by time and size applies only when it includes 'delete'. */
  readonly cleanupPolicy: readonly CleanupPolicy[];
  /** file.delete.delay.ms: a deleted segment's files are renamed to `.deleted` and removed this much later. */
  readonly fileDeleteDelayMs: number;
  /** delete.retention.ms: how long the log cleaner keeps a tombstone after the round that first kept it. */
  readonly deleteRetentionMs: number;
  /** min.compaction.lag.ms: a record stays uncompacted at least this long. */
  readonly minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty record older than this makes its log cleanable whatever its dirty ratio. */
  readonly maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: the log cleaner takes a log once its dirty bytes are above this share. */
  readonly minCleanableDirtyRatio: number;
}

/** Kafka's Long.MAX_VALUE defaults ("never") as the largest exact JS number. */
const NEVER = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  flushMessages: NEVER,
  flushMs: NEVER,
  messageTimestampType: 'CreateTime',
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze(['delete'] as CleanupPolicy[]),
  fileDeleteDelayMs: 60_000,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  minCleanableDirtyRatio: 0.5,
});

/** Positions in a segment are int32 in the offset index, so a segment cannot pass 2 GiB. */
const MAX_SEGMENT_BYTES = 0x7fffffff;

/** The defaults with `overrides` applied, checked against the limits Kafka enforces. */
export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, ...overrides };
  const atLeast = (name: keyof LogConfig, value: number, minimum: number, maximum = Number.MAX_VALUE) => {
    if (!Number.isFinite(value) && value !== Infinity) throw new ConfigError(`${name} must be a number`);
    if (value < minimum || value > maximum) throw new ConfigError(`${name}=${value} is outside [${minimum}, ${maximum}]`);
  };
  // The minimums are Kafka's (LogConfig.java): segment.bytes >= 14 (a legacy record header).
  atLeast('segmentBytes', config.segmentBytes, 14, MAX_SEGMENT_BYTES);
  atLeast('segmentMs', config.segmentMs, 1);
  atLeast('segmentJitterMs', config.segmentJitterMs, 0);
  atLeast('segmentIndexBytes', config.segmentIndexBytes, 4, MAX_SEGMENT_BYTES);
  atLeast('indexIntervalBytes', config.indexIntervalBytes, 0, MAX_SEGMENT_BYTES);
  atLeast('flushMessages', config.flushMessages, 1);
  atLeast('flushMs', config.flushMs, 0);
  atLeast('retentionMs', config.retentionMs, -1);
  atLeast('retentionBytes', config.retentionBytes, -1);
  atLeast('fileDeleteDelayMs', config.fileDeleteDelayMs, 0);
  atLeast('deleteRetentionMs', config.deleteRetentionMs, 0);
  atLeast('minCompactionLagMs', config.minCompactionLagMs, 0);
  atLeast('maxCompactionLagMs', config.maxCompactionLagMs, 1);
  atLeast('minCleanableDirtyRatio', config.minCleanableDirtyRatio, 0, 1);
  if (config.messageTimestampType !== 'CreateTime' && config.messageTimestampType !== 'LogAppendTime') {
    throw new ConfigError(`messageTimestampType must be CreateTime or LogAppendTime, not ${String(config.messageTimestampType)}`);
  }
  for (const policy of config.cleanupPolicy) {
    if (policy !== 'delete' && policy !== 'compact') throw new ConfigError(`Unknown cleanupPolicy ${String(policy)}`);
  }
  return config;
}
