/** The machine's limits, measured in the same run as the figures they bound. */
import { mbPerS, type Transfer } from '../stats.js';
import { limitFigures } from './context.js';
import { fmt, fmtInt } from './format.js';
import type { BenchResult } from './result.js';

const all = (transfers: Transfer[]): string => transfers.map((t) => fmt(mbPerS(t), 0)).join(', ');

export function limitsText(result: BenchResult): string[] {
  if (!result.limits) return [];
  const { disk, loopback } = result.limits;
  const l = limitFigures(result);
  return [
    `disk buffered write        ${fmt(l.diskMBps).padStart(9)} MB/s  (median of ${all(disk.buffered)})`,
    `disk write + fdatasync     ${fmt(l.diskFdatasyncMBps).padStart(9)} MB/s  (dirty-page limit ${disk.writebackLimit})`,
    `disk 64 KiB + fdatasync    ${fmt(mbPerS(disk.synced)).padStart(9)} MB/s  (fdatasync p50 ${fmt(disk.synced.fdatasyncP50Ms, 2)} ms, p99 ${fmt(disk.synced.fdatasyncP99Ms, 2)} ms)`,
    `loopback TCP node -> node  ${fmt(l.loopbackMBps).padStart(9)} MB/s  (median of ${all(loopback)})`,
  ];
}

export function limitsMarkdown(result: BenchResult): string[] {
  if (!result.limits) return [];
  const { disk, loopback } = result.limits;
  const o = result.options;
  const l = limitFigures(result);
  return [
    '### Limits of the machine',
    '',
    '| limit | MB/s | how |',
    '|---|---:|---|',
    `| disk, buffered sequential write | **${fmt(l.diskMBps)}** | ${o.diskMiB} MiB in 1 MiB write(2)s to the data directories' filesystem, no sync; median of ${all(disk.buffered)} |`,
    `| disk, the same then fdatasync | ${fmt(l.diskFdatasyncMBps)} | one fdatasync at the end, inside the timing |`,
    `| disk, 64 KiB write + fdatasync | ${fmt(mbPerS(disk.synced))} | ${fmtInt(disk.synced.writes)} pairs in ${fmt(disk.synced.seconds)} s; fdatasync p50 ${fmt(disk.synced.fdatasyncP50Ms, 2)} ms, p99 ${fmt(disk.synced.fdatasyncP99Ms, 2)} ms |`,
    `| loopback TCP | **${fmt(l.loopbackMBps)}** | ${o.loopbackMiB} MiB in 1 MiB writes, one Node process to another over 127.0.0.1; median of ${all(loopback)} |`,
    '',
    `Produce is bounded by buffered disk writes (no system here fsyncs each write; below the kernel's dirty-page limit, ${disk.writebackLimit}, ` +
      'they run at page-cache speed), reads of a log still in the page cache by the loopback socket.',
  ];
}
