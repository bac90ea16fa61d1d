/**
 * Keeping the cleaner in the background.
 *
 * Throttler (Kafka's Throttler, for log.cleaner.io.max.bytes.per.second): the cleaner reports
 * the bytes it reads and writes; every check interval (300 ms) the observed rate is compared
 * with the desired one and the cleaner sleeps long enough to bring it back. One throttler is
 * shared by every cleaner task, as in Kafka. The default rate (Kafka's Double.MaxValue) never
 * sleeps.
 *
 * EventLoopSlicer: the cleaner runs on the event loop that also serves produce and fetch, so it
 * works in slices of about `sliceMs` (1 ms; DESIGN.md §8: long work in the event loop is a bug) and
 * yields to pending I/O between them (setImmediate). Its callers check after every record and
 * every batch; compression and decompression go to the thread pool.
 */
import { yieldToEventLoop } from '../abstract-index.js';

export const DEFAULT_SLICE_MS = 1;
const CHECK_INTERVAL_MS = 300;

export class Throttler {
  private periodStart: number;
  private observedSoFar = 0;

  constructor(
    private desiredRatePerSec: number,
    private readonly time: () => number = Date.now,
    private readonly checkIntervalMs = CHECK_INTERVAL_MS,
  ) {
    this.periodStart = time();
  }

  get rate(): number {
    return this.desiredRatePerSec;
  }

  updateDesiredRatePerSec(rate: number): void {
    this.desiredRatePerSec = rate;
  }

  /** Counts `bytes` of I/O and sleeps when the rate over the current period is too high. */
  async maybeThrottle(bytes: number, signal?: AbortSignal): Promise<void> {
    if (!(this.desiredRatePerSec > 0) || !Number.isFinite(this.desiredRatePerSec)) return;
    this.observedSoFar += bytes;
    const now = this.time();
    const elapsedMs = now - this.periodStart;
    if (elapsedMs <= this.checkIntervalMs || this.observedSoFar <= 0) return;
    const rate = (this.observedSoFar * 1000) / elapsedMs;
    if (rate > this.desiredRatePerSec) {
      const desiredElapsedMs = (this.observedSoFar * 1000) / this.desiredRatePerSec;
      const sleepMs = Math.round(desiredElapsedMs - elapsedMs);
      if (sleepMs > 0) await sleep(sleepMs, signal);
    }
    this.periodStart = this.time();
    this.observedSoFar = 0;
  }
}

/** Yields to the event loop once `sliceMs` of work have run since the last yield. */
export class EventLoopSlicer {
  private sliceStart = performance.now();

  constructor(readonly sliceMs = DEFAULT_SLICE_MS) {}

  async maybeYield(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await yieldToEventLoop();
    this.sliceStart = performance.now();
  }
}

/** setTimeout as a promise that an abort ends early (resolving, not rejecting). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
