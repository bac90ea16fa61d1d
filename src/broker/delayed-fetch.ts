/**
 * A long-poll fetch waiting in purgatory (Kafka's DelayedFetch): it completes when the bytes
 * appended to the partitions it reads, plus what the first read already found, reach
 * min_bytes, when max_wait_ms passes, or when its connection closes. Partitions notify their
 * waiters on every advance of what can be read; a waiter costs nothing while it waits. A
 * read_committed fetch counts only bytes that became stable (the last stable offset passed
 * them), so it waits for the transactions it would read to be decided, as Kafka's does.
 */
import type { Partition } from './partition.js';

export function waitForFetchableBytes(options: {
  partitions: readonly Partition[];
  alreadyAvailableBytes: number;
  minBytes: number;
  maxWaitMs: number;
  /** 1 (read_committed): only bytes below the last stable offset count. */
  isolationLevel?: number;
  isClosed: () => boolean;
}): Promise<void> {
  const readCommitted = options.isolationLevel === 1;
  return new Promise((resolve) => {
    let accumulated = options.alreadyAvailableBytes;
    const unsubscribers: (() => void)[] = [];
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(closedCheck);
      for (const unsubscribe of unsubscribers) unsubscribe();
      resolve();
    };
    const timer = setTimeout(finish, options.maxWaitMs);
    // A closed connection will never read the answer: stop holding the partitions' listeners.
    const closedCheck = setInterval(() => options.isClosed() && finish(), 1000);
    closedCheck.unref();
    for (const partition of new Set(options.partitions)) {
      unsubscribers.push(
        partition.onReadableAdvance((bytes, stableBytes) => {
          accumulated += readCommitted ? stableBytes : bytes;
          if (accumulated >= options.minBytes) finish();
        }),
      );
    }
  });
}
