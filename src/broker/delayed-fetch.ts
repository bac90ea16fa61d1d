/**
 * A long-poll fetch waiting in purgatory (Kafka's DelayedFetch): it completes when the bytes
 * appended to the partitions it reads, plus what the first read already found, reach
 * min_bytes, when max_wait_ms passes, or when its connection closes. Partitions notify their
 * waiters on every advance of what can be read; a waiter costs nothing while it waits.
 */
import type { Partition } from './partition.js';

export function waitForFetchableBytes(options: {
  partitions: readonly Partition[];
  alreadyAvailableBytes: number;
  minBytes: number;
  maxWaitMs: number;
  isClosed: () => boolean;
}): Promise<void> {
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
        partition.onReadableAdvance((bytes) => {
          accumulated += bytes;
          if (accumulated >= options.minBytes) finish();
        }),
      );
    }
  });
}
