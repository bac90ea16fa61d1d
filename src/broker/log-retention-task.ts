/**
 * The broker's retention task (Kafka's LogManager.cleanupLogs, scheduled as
 * "kafka-log-retention"): log.initial.task.delay.ms after start-up, then every
 * log.retention.check.interval.ms, each hosted partition whose cleanup.policy does not include
 * `compact` runs one retention pass (PartitionLog.deleteOldSegments: the segments below the
 * log start offset, and with `delete` those beyond retention.bytes or older than retention.ms).
 *
 * Compacted logs (`compact` and `compact,delete`) are skipped, as Kafka's LogManager skips them:
 * the log cleaner runs the same pass on them after cleaning, so the cleaner and retention never
 * work on one log's segments at once.
 *
 * Passes never overlap: the next one is scheduled when one ends. Stopping waits for the pass
 * under way, which stops after the partition it is on.
 */
import { Logger } from '../logger.js';
import type { Partition } from './partition.js';

const log = new Logger('log-retention');

/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LogRetentionOptions {
  /** log.initial.task.delay.ms */
  readonly initialDelayMs: number;
  /** log.retention.check.interval.ms */
  readonly checkIntervalMs: number;
}

export class LogRetentionTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly partitions: () => Iterable<Partition>,
    private readonly options: LogRetentionOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.options.initialDelayMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().finally(() => {
        this.running = null;
        this.schedule(this.options.checkIntervalMs);
      });
    }, Math.max(0, Math.min(delayMs, MAX_TIMER_MS)));
    this.timer.unref();
  }

  /** One pass over every non-compacted partition; resolves to how many segments were deleted. */
  async runOnce(): Promise<number> {
    const started = Date.now();
    let total = 0;
    for (const partition of [...this.partitions()]) {
      if (this.stopped) break;
      const partitionLog = partition.log;
      if (partitionLog.config.cleanupPolicy.includes('compact')) continue;
      try {
        total += await partitionLog.deleteOldSegments({ highWatermark: partition.highWatermark });
      } catch (error) {
        // The log went offline (it says so itself); the others carry on.
        log.error(`Retention failed for ${partition.topicName}-${partition.partitionIndex}`, error);
      }
    }
    if (total > 0) log.info(`Log cleanup completed: ${total} segment(s) deleted in ${Date.now() - started} ms`);
    return total;
  }

  /** Cancels the next pass and waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
