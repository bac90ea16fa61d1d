/**
 * Time for the coordinators: the clock and keyed timers, injectable so that state-machine
 * tests drive session timeouts and rebalance delays without waiting.
 */
export interface Scheduler {
  now(): number;
  /** Schedules `callback` after `delayMs`, replacing any timer with the same key. */
  schedule(key: string, delayMs: number, callback: () => void): void;
  cancel(key: string): void;
  cancelAll(): void;
}

export class SystemScheduler implements Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  schedule(key: string, delayMs: number, callback: () => void): void {
    this.cancel(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      callback();
    }, Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    timer.unref();
    this.timers.set(key, timer);
  }

  cancel(key: string): void {
    const timer = this.timers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** A clock that moves only when told to; due timers run in deadline order. For tests. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private readonly timers = new Map<string, { deadline: number; callback: () => void; sequence: number }>();
  private sequence = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(key: string, delayMs: number, callback: () => void): void {
    this.timers.set(key, { deadline: this.time + delayMs, callback, sequence: this.sequence++ });
  }

  cancel(key: string): void {
    this.timers.delete(key);
  }

  cancelAll(): void {
    this.timers.clear();
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  /** Moves the clock forward, running every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      let next: [string, { deadline: number; callback: () => void; sequence: number }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].deadline > target) continue;
        if (!next || entry[1].deadline < next[1].deadline || (entry[1].deadline === next[1].deadline && entry[1].sequence < next[1].sequence)) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = Math.max(this.time, next[1].deadline);
      next[1].callback();
    }
    this.time = target;
  }
}
