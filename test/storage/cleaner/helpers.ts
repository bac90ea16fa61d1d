/**
 * Helpers for the log cleaner tests: a compacted log in a temporary directory, keyed appends,
 * reading every record back with its batch, and a cleaner over that one log with a fake clock.
 */
import { join } from 'node:path';
import { PartitionLog, type PartitionLogOptions } from '../../../src/storage/partition-log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { LogCleaner, type LogCleanerConfig, type LogCleanerOptions } from '../../../src/storage/cleaner/log-cleaner.js';
import type { CleanerLogSource } from '../../../src/storage/cleaner/log-cleaner-manager.js';
import { buildRecordBatch, type RecordBatchOptions, type RecordInput } from '../../../src/protocol/records/builder.js';
import { LOG_OVERHEAD, RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { decodeRecords, type KafkaRecord } from '../../../src/protocol/records/records.js';
import { temporaryDirectory } from '../helpers.js';

export const TOPIC_DIR = 'compacted-0';

/** A fake clock that tests move by hand. */
export class FakeClock {
  constructor(public now = 1_700_000_000_000) {}
  readonly time = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface CompactedLog {
  readonly log: PartitionLog;
  readonly directory: string;
  readonly dataDir: string;
  readonly clock: FakeClock;
  reopen(options?: PartitionLogOptions): Promise<PartitionLog>;
  cleanup(): Promise<void>;
}

export const COMPACT_CONFIG: Partial<LogConfig> = {
  segmentBytes: 2048,
  indexIntervalBytes: 256,
  cleanupPolicy: ['compact'],
  deleteRetentionMs: 1000,
  minCleanableDirtyRatio: 0,
  fileDeleteDelayMs: 0,
};

export async function openCompactedLog(config: Partial<LogConfig> = {}, options: PartitionLogOptions = {}): Promise<CompactedLog & { log: PartitionLog }> {
  const dir = temporaryDirectory();
  const clock = new FakeClock();
  const directory = join(dir.path, TOPIC_DIR);
  const fullConfig = { ...COMPACT_CONFIG, ...config };
  const state = { log: await PartitionLog.open(directory, fullConfig, { time: clock.time, ...options }) };
  return {
    get log() {
      return state.log;
    },
    directory,
    dataDir: dir.path,
    clock,
    async reopen(reopenOptions: PartitionLogOptions = {}) {
      await state.log.close().catch(() => undefined);
      state.log = await PartitionLog.open(directory, fullConfig, { time: clock.time, ...reopenOptions });
      return state.log;
    },
    async cleanup() {
      await state.log.close().catch(() => undefined);
      dir.remove();
    },
  };
}

/** Appends one batch of keyed records (string keys and values; null value = tombstone). */
export async function appendRecords(
  log: PartitionLog,
  records: readonly { key: string | null; value: string | null; timestamp?: number }[],
  options: Omit<RecordBatchOptions, 'records'> & { origin?: 'client' | 'coordinator' } = {},
): Promise<{ firstOffset: number; lastOffset: number }> {
  const { origin, ...batchOptions } = options;
  const inputs: RecordInput[] = records.map((record) => ({ key: record.key, value: record.value, timestamp: record.timestamp ?? batchOptions.now }));
  const batch = buildRecordBatch({ records: inputs, ...batchOptions });
  const info = log.append(batch, { leaderEpoch: 3, ...(origin ? { origin } : {}) });
  await info.written;
  return { firstOffset: info.firstOffset, lastOffset: info.lastOffset };
}

/** Rolls the active segment and flushes, so that everything before it is cleanable. */
export async function rollAndFlush(log: PartitionLog): Promise<void> {
  log.roll();
  await log.flush();
}

export interface ReadBatch {
  readonly header: RecordBatchHeader;
  readonly bytes: Buffer;
  readonly records: KafkaRecord[];
}

/** Every batch from the log start to the written end, with its records. */
export async function readBatches(log: PartitionLog): Promise<ReadBatch[]> {
  const batches: ReadBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.writtenEndOffset) {
    const result = await log.read(offset, 1 << 20, log.writtenEndOffset, true);
    if (result.records.length === 0) break;
    for (let at = 0; at < result.records.length; ) {
      const header = new RecordBatchHeader(result.records, at);
      const bytes = Buffer.from(result.records.subarray(at, at + header.batchLength + LOG_OVERHEAD));
      batches.push({ header: new RecordBatchHeader(bytes), bytes, records: decodeRecords(bytes) });
      at += bytes.length;
    }
    offset = result.nextOffset;
  }
  return batches;
}

/** Every record (not control records), in offset order. */
export async function readRecords(log: PartitionLog): Promise<{ offset: number; key: string | null; value: string | null }[]> {
  const records: { offset: number; key: string | null; value: string | null }[] = [];
  for (const batch of await readBatches(log)) {
    if (batch.header.isControl) continue;
    for (const record of batch.records) {
      records.push({ offset: record.offset, key: record.key?.toString() ?? null, value: record.value?.toString() ?? null });
    }
  }
  return records;
}

/** The last value of each key, replaying records in order (a tombstone removes the key). */
export function foldLatest(records: readonly { key: string | null; value: string | null }[]): Map<string, string> {
  const state = new Map<string, string>();
  for (const record of records) {
    if (record.key === null) continue;
    if (record.value === null) state.delete(record.key);
    else state.set(record.key, record.value);
  }
  return state;
}

export function sourceOf(log: () => PartitionLog): CleanerLogSource {
  return {
    get log() {
      return log();
    },
    get lastStableOffset() {
      return log().writtenEndOffset;
    },
    get highWatermark() {
      return log().writtenEndOffset;
    },
  };
}

/** A cleaner over the one log of `compacted`, on its fake clock; not started (tests call cleanFilthiestLog). */
export function cleanerFor(compacted: CompactedLog, config: Partial<LogCleanerConfig> = {}, options: LogCleanerOptions = {}): LogCleaner {
  return new LogCleaner({ backoffMs: 10, dedupeBufferSize: 1 << 20, ...config }, () => [sourceOf(() => compacted.log)], { time: compacted.clock.time, ...options });
}
