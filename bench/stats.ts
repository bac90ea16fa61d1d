/** Clocks, units and order statistics shared by the benchmark's parts. */

export const MiB = 1024 * 1024;
/** Throughput is reported in MB/s (10^6 bytes per second), for limits and workloads alike. */
export const MB = 1_000_000;

/** A monotonic clock in milliseconds: wall-clock time can jump while a run is measured. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Bytes moved in a measured interval; rates are derived only when shown, so nothing is rounded twice. */
export interface Transfer {
  bytes: number;
  seconds: number;
}

export function mbPerS(transfer: Transfer): number {
  return transfer.bytes / MB / transfer.seconds;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))]!;
}

/** The median is what a limit is reported as: one slow repetition (another tenant, writeback) must not set it. */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}
