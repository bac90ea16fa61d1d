/**
 * Producer state snapshots: `<offset, 20 digits>.snapshot` in the partition directory holds the
 * producer state for every offset below <offset> (Kafka's ProducerStateManager snapshot files).
 *
 * Layout (big-endian). Kafka's version 1 has the same frame (version, CRC-32C of what follows,
 * entries) but keeps only the last batch of each producer; this layout keeps all retained
 * batches, so that a retry of any batch still in flight is recognised after a restart:
 *
 *   version int16 (1) | crc uint32 (CRC-32C of every byte after it) | count int32 | entries
 *   entry: producerId int64 | producerEpoch int16 | coordinatorEpoch int32 | lastTimestamp int64
 *          | currentTxnFirstOffset int64 (-1 none) | batchCount int32 (0-5)
 *          | batches: lastSeq int32 | lastOffset int64 | offsetDelta int32 | timestamp int64
 *
 * A snapshot is written to `<name>.tmp`, fdatasync'ed and renamed into place, so a file with the
 * final name is whole; a file failing any check (version, CRC, lengths) is corrupt, and the
 * manager ignores it and rebuilds the state from the log.
 */
import { crc32c } from '@node-rs/crc32';
import { readInt64, writeInt64 } from '../abstract-index.js';
import { BatchMetadata, NUM_BATCHES_TO_RETAIN, ProducerStateEntry } from './producer-state-entry.js';

export const PRODUCER_SNAPSHOT_VERSION = 1;
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = '.snapshot';
export const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;

const VERSION_OFFSET = 0;
const CRC_OFFSET = 2;
const COUNT_OFFSET = 6;
const ENTRIES_OFFSET = 10;
const ENTRY_FIXED_SIZE = 8 + 2 + 4 + 8 + 8 + 4;
const BATCH_SIZE = 4 + 8 + 4 + 8;

export class CorruptSnapshotError extends Error {
  override name = 'CorruptSnapshotError';
}

export function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${PRODUCER_SNAPSHOT_FILE_SUFFIX}`;
}

export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries];
  let size = ENTRIES_OFFSET;
  for (const entry of list) size += ENTRY_FIXED_SIZE + entry.batches.length * BATCH_SIZE;
  const bytes = Buffer.alloc(size);
  bytes.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, VERSION_OFFSET);
  bytes.writeInt32BE(list.length, COUNT_OFFSET);
  let at = ENTRIES_OFFSET;
  for (const entry of list) {
    writeInt64(bytes, at, entry.producerId);
    bytes.writeInt16BE(entry.producerEpoch, at + 8);
    bytes.writeInt32BE(entry.coordinatorEpoch, at + 10);
    writeInt64(bytes, at + 14, entry.lastTimestamp);
    writeInt64(bytes, at + 22, entry.currentTxnFirstOffset);
    bytes.writeInt32BE(entry.batches.length, at + 30);
    at += ENTRY_FIXED_SIZE;
    for (const batch of entry.batches) {
      bytes.writeInt32BE(batch.lastSeq, at);
      writeInt64(bytes, at + 4, batch.lastOffset);
      bytes.writeInt32BE(batch.offsetDelta, at + 12);
      writeInt64(bytes, at + 16, batch.timestamp);
      at += BATCH_SIZE;
    }
  }
  bytes.writeUInt32BE(crc32c(bytes.subarray(COUNT_OFFSET)) >>> 0, CRC_OFFSET);
  return bytes;
}

export function decodeSnapshot(bytes: Buffer): ProducerStateEntry[] {
  if (bytes.length < ENTRIES_OFFSET) throw new CorruptSnapshotError(`snapshot of ${bytes.length} bytes is shorter than its header`);
  const version = bytes.readInt16BE(VERSION_OFFSET);
  if (version !== PRODUCER_SNAPSHOT_VERSION) throw new CorruptSnapshotError(`Snapshot contained an unknown file version ${version}`);
  const stored = bytes.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(bytes.subarray(COUNT_OFFSET)) >>> 0;
  if (stored !== computed) throw new CorruptSnapshotError(`Snapshot is corrupt (CRC is no longer valid). Stored crc: ${stored}. Computed crc: ${computed}`);
  const count = bytes.readInt32BE(COUNT_OFFSET);
  if (count < 0 || count * ENTRY_FIXED_SIZE > bytes.length - ENTRIES_OFFSET) throw new CorruptSnapshotError(`snapshot claims ${count} entries`);
  const entries: ProducerStateEntry[] = [];
  let at = ENTRIES_OFFSET;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_FIXED_SIZE > bytes.length) throw new CorruptSnapshotError(`snapshot entry ${i} runs past the end`);
    const producerId = readInt64(bytes, at);
    const producerEpoch = bytes.readInt16BE(at + 8);
    const coordinatorEpoch = bytes.readInt32BE(at + 10);
    const lastTimestamp = readInt64(bytes, at + 14);
    const currentTxnFirstOffset = readInt64(bytes, at + 22);
    const batchCount = bytes.readInt32BE(at + 30);
    at += ENTRY_FIXED_SIZE;
    if (batchCount < 0 || batchCount > NUM_BATCHES_TO_RETAIN || at + batchCount * BATCH_SIZE > bytes.length) {
      throw new CorruptSnapshotError(`snapshot entry ${i} claims ${batchCount} batches`);
    }
    const batches: BatchMetadata[] = [];
    for (let b = 0; b < batchCount; b++) {
      batches.push(new BatchMetadata(bytes.readInt32BE(at), readInt64(bytes, at + 4), bytes.readInt32BE(at + 12), readInt64(bytes, at + 16)));
      at += BATCH_SIZE;
    }
    entries.push(new ProducerStateEntry(producerId, producerEpoch, coordinatorEpoch, lastTimestamp, currentTxnFirstOffset, batches));
  }
  if (at !== bytes.length) throw new CorruptSnapshotError(`${bytes.length - at} bytes after the last snapshot entry`);
  return entries;
}
