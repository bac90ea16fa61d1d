/**
 * Helpers for the producer state tests: batches from a producer (id, epoch, sequence,
 * transactional), markers, and a log in a temporary directory that a test can "crash" (copy the
 * directory as it is, without the clean-shutdown marker, and open the copy).
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { buildEndTransactionMarkerBatch, buildRecordBatch, ControlRecordType } from '../../../src/protocol/records/index.js';
import { PartitionLog, type PartitionLogOptions } from '../../../src/storage/partition-log.js';
import type { LogConfig } from '../../../src/storage/log-config.js';
import { temporaryDirectory } from '../helpers.js';

export interface ProducerBatchSpec {
  readonly producerId: number;
  readonly producerEpoch?: number;
  readonly baseSequence: number;
  readonly records?: number;
  readonly transactional?: boolean;
  readonly timestamp?: number;
}

/** A batch of `records` records (default 1) from a producer. */
export function producerBatch(spec: ProducerBatchSpec): Buffer {
  const count = spec.records ?? 1;
  return buildRecordBatch({
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch ?? 0,
    baseSequence: spec.baseSequence,
    isTransactional: spec.transactional ?? false,
    records: Array.from({ length: count }, (_, i) => ({ key: `k${spec.baseSequence + i}`, value: `v${spec.baseSequence + i}`, timestamp: (spec.timestamp ?? Date.now()) + i })),
  });
}

export function markerBatch(spec: { producerId: number; producerEpoch?: number; coordinatorEpoch?: number; commit: boolean }): Buffer {
  return buildEndTransactionMarkerBatch({
    type: spec.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch ?? 0,
    coordinatorEpoch: spec.coordinatorEpoch ?? 0,
  });
}

export interface TestLog {
  log: PartitionLog;
  readonly path: string;
  /** Opens the log again (after close, or on a crash copy). */
  reopen(path?: string): Promise<PartitionLog>;
  /**
   * What a SIGKILL leaves: a copy of the directory as it is now (written data, no clean-shutdown
   * marker); returns the copy's path.
   */
  crashCopy(): string;
  remove(): Promise<void>;
}

export async function openTestLog(config: Partial<LogConfig> = {}, options: PartitionLogOptions = {}): Promise<TestLog> {
  const dir = temporaryDirectory();
  const path = join(dir.path, 'topic-0');
  let copies = 0;
  const opened: PartitionLog[] = [];
  const open = async (at: string) => {
    const log = await PartitionLog.open(at, config, options);
    opened.push(log);
    return log;
  };
  const testLog: TestLog = {
    log: await open(path),
    path,
    async reopen(at = path) {
      testLog.log = await open(at);
      return testLog.log;
    },
    crashCopy() {
      const copy = join(dir.path, `crash-${++copies}`, 'topic-0');
      cpSync(path, copy, { recursive: true });
      return copy;
    },
    async remove() {
      for (const log of opened) await log.close().catch(() => undefined);
      dir.remove();
    },
  };
  return testLog;
}
