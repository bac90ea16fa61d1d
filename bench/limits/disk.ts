/**
 * The disk limit: how fast this filesystem takes sequential writes. The broker appends each
 * produced batch to a segment with a plain write(2) and, by default, never fsyncs, so buffered
 * sequential write speed is the ceiling for produce throughput. The fdatasync'ed variants show
 * what the device itself sustains and what one fdatasync costs (the price of flush.messages=1).
 *
 * The writes are synchronous on purpose: nothing else runs in this process while they are timed,
 * and the thread pool would only add scheduling noise.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fdatasyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MiB, nowMs, percentile, type Transfer } from '../stats.js';

export interface DiskLimits {
  /** Plain write(2)s of 1 MiB, no sync: one entry per repetition. */
  buffered: Transfer[];
  /** The same write, with one fdatasync at the end inside the timing. */
  bufferedThenFdatasync: Transfer;
  /** 64 KiB write(2) + fdatasync(2) pairs, for a fixed time. */
  synced: Transfer & { writes: number; fdatasyncP50Ms: number; fdatasyncP99Ms: number };
  /**
   * The kernel's dirty-page limit (vm.dirty_bytes or vm.dirty_ratio). Buffered writes that stay
   * below it run at page-cache speed; only beyond it does writeback throttle them to the device.
   */
  writebackLimit: string;
}

const CHUNK = MiB;
const SYNCED_CHUNK = 64 * 1024;

export function measureDisk(
  dir: string,
  settings: { totalMiB: number; repeat: number; syncedProbeS: number },
  log: (message: string) => void,
): DiskLimits {
  // Random bytes, so a compressing or deduplicating filesystem cannot flatter the figure.
  const chunk = randomBytes(CHUNK);
  const buffered: Transfer[] = [];
  for (let i = 0; i < settings.repeat; i++) {
    log(`disk: ${settings.totalMiB} MiB in 1 MiB writes, no sync (${i + 1}/${settings.repeat})`);
    buffered.push(sequentialWrite(dir, settings.totalMiB, false, chunk));
  }
  // Last, so its dirty pages are on disk before the broker starts; the unsynced files above were
  // deleted, which drops their dirty pages without writing them back.
  log(`disk: ${settings.totalMiB} MiB in 1 MiB writes, then fdatasync`);
  const bufferedThenFdatasync = sequentialWrite(dir, settings.totalMiB, true, chunk);
  log(`disk: 64 KiB write + fdatasync pairs for ${settings.syncedProbeS} s`);
  const synced = syncedWrites(dir, settings.syncedProbeS, chunk);
  return { buffered, bufferedThenFdatasync, synced, writebackLimit: writebackLimit() };
}

function writebackLimit(): string {
  try {
    const read = (name: string): string => readFileSync(`/proc/sys/vm/${name}`, 'utf8').trim();
    const bytes = Number(read('dirty_bytes'));
    return bytes > 0 ? `vm.dirty_bytes=${bytes}` : `vm.dirty_ratio=${read('dirty_ratio')}% of available memory`;
  } catch {
    return 'unknown';
  }
}

function sequentialWrite(dir: string, totalMiB: number, fdatasyncAtEnd: boolean, chunk: Buffer): Transfer {
  const path = join(dir, 'sequential.bin');
  const fd = openSync(path, 'w');
  try {
    const start = nowMs();
    for (let i = 0; i < totalMiB; i++) writeSync(fd, chunk, 0, CHUNK);
    if (fdatasyncAtEnd) fdatasyncSync(fd);
    return { bytes: totalMiB * MiB, seconds: (nowMs() - start) / 1000 };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

function syncedWrites(dir: string, seconds: number, chunk: Buffer): DiskLimits['synced'] {
  const path = join(dir, 'synced.bin');
  const fd = openSync(path, 'w');
  const latencies: number[] = [];
  try {
    const start = nowMs();
    let writes = 0;
    while (nowMs() - start < seconds * 1000) {
      writeSync(fd, chunk, (writes * SYNCED_CHUNK) % (chunk.length - SYNCED_CHUNK), SYNCED_CHUNK);
      const before = nowMs();
      fdatasyncSync(fd);
      latencies.push(nowMs() - before);
      writes++;
    }
    const elapsed = (nowMs() - start) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      bytes: writes * SYNCED_CHUNK,
      seconds: elapsed,
      writes,
      fdatasyncP50Ms: percentile(latencies, 0.5),
      fdatasyncP99Ms: percentile(latencies, 0.99),
    };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}
