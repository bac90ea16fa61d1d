/**
 * A long-poll fetch waiting in purgatory (Kafka's DelayedFetch): it completes when the bytes
 * appended to the partitions it reads, plus what the first read already found, reach
 * min_bytes, when max_wait_ms passes, or when its connection closes. Partitions notify their
 * waiters on every advance of what can be read; a waiter costs nothing while it waits. A
 * read_committed fetch counts only bytes that became stable (the last stable offset passed
 * them), so it waits for the transactions it would read to be decided, as Kafka's does.
 *
 * Timers: one per waiting fetch (max_wait_ms). Closed connections are noticed by one sweep a
 * second shared by every waiter, not by a timer of each.
 */
import type { Partition } from './partition.js';

/** How often waiters are checked for a closed connection. */
const CLOSED_CHECK_MS = 1000;

interface Waiter {
  readonly isClosed: () => boolean;
  readonly finish: () => void;
}

const waiters = new Set<Waiter>();
let sweeper: NodeJS.Timeout | null = null;

function sweepClosed(): void {
  for (const waiter of waiters) if (waiter.isClosed()) waiter.finish();
  if (waiters.size === 0 && sweeper !== null) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

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
  const minBytes = options.minBytes;
  return new Promise((resolve) => {
    let accumulated = options.alreadyAvailableBytes;
    const unsubscribers: (() => void)[] = [];
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      waiters.delete(waiter);
      for (const unsubscribe of unsubscribers) unsubscribe();
      resolve();
    };
    const waiter: Waiter = { isClosed: options.isClosed, finish };
    const timer = setTimeout(finish, options.maxWaitMs);
    // A closed connection will never read the answer: stop holding the partitions' listeners.
    waiters.add(waiter);
    if (sweeper === null) {
      sweeper = setInterval(sweepClosed, CLOSED_CHECK_MS);
      sweeper.unref();
    }
    const listener = (bytes: number, stableBytes: number): void => {
      accumulated += readCommitted ? stableBytes : bytes;
      if (accumulated >= minBytes) finish();
    };
    const partitions = options.partitions;
    const distinct = partitions.length === 1 ? partitions : new Set(partitions);
    for (const partition of distinct) unsubscribers.push(partition.onReadableAdvance(listener));
  });
}
