/**
 * Loaded into the broker under profile (`node --import …/monitor.js`): it watches the broker
 * from the inside, one phase at a time, so each workload gets its own figures:
 *   - a CPU profile (V8's sampling profiler through an in-process inspector session),
 *   - event loop delay (perf_hooks.monitorEventLoopDelay at 1 ms resolution) and utilisation,
 *   - garbage collections by kind with their pause times (PerformanceObserver 'gc' entries),
 *   - resident and heap memory at the end of the phase.
 * SIGUSR2 ends the current phase: its figures go to `<dir>/phase-<n>.json` and
 * `<dir>/phase-<n>.cpuprofile` (written synchronously, then a `.done` marker), and the next phase
 * starts. The broker itself has no SIGUSR2 handler; this is bench-only code, never part of it.
 */
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type PerformanceEntry } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one phase file holds (besides its .cpuprofile). */
export interface PhaseStats {
  phase: number;
  seconds: number;
  eventLoopDelayMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  /** Share of wall time the event loop was running callbacks (not waiting for I/O). */
  eventLoopUtilization: number;
  /** Per GC kind (minor, major, incremental, weakcb): how many and their total and longest pause. */
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

const outputDir = process.env.TIDELOG_PROFILE_DIR;
if (outputDir === undefined) throw new Error('monitor.js needs TIDELOG_PROFILE_DIR');

const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

const session = new Session();
session.connect();

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
}

let phase = 0;
let started = performance.now();
let utilizationAtStart: EventLoopUtilization = performance.eventLoopUtilization();
let gc: PhaseStats['gc'] = {};
const delay = monitorEventLoopDelay({ resolution: 1 });

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    const slot = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    slot.count += 1;
    slot.totalMs += entry.duration;
    slot.maxMs = Math.max(slot.maxMs, entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

async function startPhase(): Promise<void> {
  started = performance.now();
  utilizationAtStart = performance.eventLoopUtilization();
  gc = {};
  delay.reset();
  delay.enable();
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
}

async function endPhase(): Promise<void> {
  const { profile } = (await post('Profiler.stop')) as { profile: unknown };
  delay.disable();
  const memory = process.memoryUsage();
  const ms = (nanoseconds: number): number => nanoseconds / 1e6;
  const stats: PhaseStats = {
    phase,
    seconds: (performance.now() - started) / 1000,
    eventLoopDelayMs: {
      p50: ms(delay.percentile(50)),
      p99: ms(delay.percentile(99)),
      p999: ms(delay.percentile(99.9)),
      max: ms(delay.max),
      mean: ms(delay.mean),
    },
    eventLoopUtilization: performance.eventLoopUtilization(utilizationAtStart).utilization,
    gc,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
  };
  const base = join(outputDir!, `phase-${phase}`);
  writeFileSync(`${base}.cpuprofile`, JSON.stringify(profile));
  writeFileSync(`${base}.json`, JSON.stringify(stats));
  writeFileSync(`${base}.done`, '');
  phase += 1;
}

let busy = Promise.resolve();
process.on('SIGUSR2', () => {
  busy = busy.then(endPhase).then(startPhase).catch((error: unknown) => console.error('profile monitor:', error));
});

await post('Profiler.enable');
await startPhase();
