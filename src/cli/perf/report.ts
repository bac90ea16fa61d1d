/**
 * What `tidelog perf` prints and writes. Lines follow Kafka's perf tools, so a reader of
 * kafka-producer-perf-test output knows them:
 *   50000 records sent, 24975.0 records/sec (2.38 MB/sec), 3.1 ms avg latency, 15.0 ms max latency.
 *   100000 records sent, 24987.506247 records/sec (2.38 MB/sec), 2.95 ms avg latency, 15.00 ms max latency, 2.61 ms 50th, 6.13 ms 95th, 9.87 ms 99th, 14.20 ms 99.9th.
 * As in Kafka's tools, MB is 2^20 bytes and counts record values only. Percentiles are printed
 * with two decimals (Kafka's tool prints whole milliseconds).
 */
import { writeFileSync } from 'node:fs';
import type { LatencySummary } from './histogram.js';

const MIB = 1024 * 1024;

export interface WindowReport {
  /** ms since the start of the run. */
  readonly atMs: number;
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
}

export interface ThroughputReport {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
  readonly recordsPerSec: number;
  /** MiB of record values per second, as Kafka's perf tools count. */
  readonly mbPerSec: number;
  readonly bytesPerSec: number;
}

export function throughput(records: number, bytes: number, elapsedMs: number): ThroughputReport {
  const seconds = Math.max(elapsedMs, 1e-3) / 1000;
  return {
    records,
    bytes,
    elapsedMs: round(elapsedMs, 3),
    recordsPerSec: round(records / seconds, 3),
    mbPerSec: round(bytes / MIB / seconds, 3),
    bytesPerSec: round(bytes / seconds, 0),
  };
}

export function windowReport(atMs: number, records: number, bytes: number, elapsedMs: number, latencySum: number, latencyCount: number, latencyMax: number): WindowReport {
  const rate = throughput(records, bytes, elapsedMs);
  return {
    atMs: round(atMs, 0),
    records,
    recordsPerSec: rate.recordsPerSec,
    mbPerSec: rate.mbPerSec,
    avgLatencyMs: round(latencyCount > 0 ? latencySum / latencyCount : 0, 3),
    maxLatencyMs: round(latencyMax, 3),
  };
}

/** kafka-producer-perf-test's window line; `verb` is "sent", "consumed" or "received". */
export function windowLine(window: WindowReport, verb: string, withLatency: boolean): string {
  const head = `${window.records} records ${verb}, ${window.recordsPerSec.toFixed(1)} records/sec (${window.mbPerSec.toFixed(2)} MB/sec)`;
  return withLatency ? `${head}, ${window.avgLatencyMs.toFixed(1)} ms avg latency, ${window.maxLatencyMs.toFixed(1)} ms max latency.` : `${head}.`;
}

/** kafka-producer-perf-test's final line. */
export function totalLine(rate: ThroughputReport, verb: string, latency: LatencySummary | null): string {
  const head = `${rate.records} records ${verb}, ${rate.recordsPerSec.toFixed(6)} records/sec (${rate.mbPerSec.toFixed(2)} MB/sec)`;
  if (latency === null) return `${head}.`;
  return (
    `${head}, ${latency.avg.toFixed(2)} ms avg latency, ${latency.max.toFixed(2)} ms max latency, ` +
    `${latency.p50.toFixed(2)} ms 50th, ${latency.p95.toFixed(2)} ms 95th, ${latency.p99.toFixed(2)} ms 99th, ${latency.p999.toFixed(2)} ms 99.9th.`
  );
}

export function roundedLatency(latency: LatencySummary): LatencySummary {
  return {
    count: latency.count,
    avg: round(latency.avg, 3),
    min: round(latency.min, 3),
    max: round(latency.max, 3),
    p50: round(latency.p50, 3),
    p95: round(latency.p95, 3),
    p99: round(latency.p99, 3),
    p999: round(latency.p999, 3),
  };
}

export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

export function writeJson(path: string, report: unknown): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
