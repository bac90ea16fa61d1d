/**
 * Builds one record batch v2 (layout in batch-header.ts, records in records.ts): for tests, for
 * our own client's producer, for control batches and for broker-side rewrites.
 *
 * The records are sized first and then written into one exactly-sized buffer, so an
 * uncompressed batch is a single allocation; a compressed one adds the codec's output and one
 * copy of it behind the header.
 *
 * Defaults follow the Java producer: no producer (-1 / -1 / -1), partitionLeaderEpoch -1 (the
 * broker sets it), CreateTime, baseTimestamp = the first record's timestamp, offset deltas
 * 0, 1, 2, …
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CURRENT_MAGIC,
  CompressionType,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  TimestampType,
} from './batch-header.js';
import { compress, compressAsync, isKnownCompressionType } from './compression/index.js';
import { writeBatchCrc } from './crc32c.js';

export type RecordBytes = Buffer | Uint8Array | string | null | undefined;

export interface RecordHeaderInput {
  key: string;
  value?: RecordBytes;
}

export interface RecordInput {
  /** null or absent = null key; strings are written as UTF-8. */
  key?: RecordBytes;
  /** null or absent = null value (a tombstone on compacted topics). */
  value?: RecordBytes;
  headers?: readonly RecordHeaderInput[];
  /** Epoch milliseconds; defaults to the batch's `now`. */
  timestamp?: number;
  /** Defaults to the record's index; must increase (gaps are what compaction leaves). */
  offsetDelta?: number;
}

export interface RecordBatchOptions {
  records: readonly RecordInput[];
  baseOffset?: number;
  compression?: CompressionType;
  /** gzip 0-9, zstd 1-22 (compression.gzip.level / compression.zstd.level). */
  compressionLevel?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /** With LOG_APPEND_TIME: the batch maxTimestamp, which every record reads as its timestamp. */
  logAppendTime?: number;
  /** The timestamp of records that carry none (and the default logAppendTime); Date.now(). */
  now?: number;
  /**
   * The batch's last offset delta when it is not the last record's: an empty batch left by
   * compaction (no records, lastOffsetDelta kept) or records with a gap at the end.
   */
  lastOffsetDelta?: number;
  /**
   * KIP-534: when the log cleaner may drop this batch's tombstones (and transaction markers).
   * Sets attributes bit 6 and becomes the baseTimestamp; record timestamps are kept as deltas
   * from it (Kafka's MemoryRecordsBuilder with deleteHorizonMs).
   */
  deleteHorizonMs?: number;
}

interface EncodedRecord {
  bodySize: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: Buffer; value: Buffer | null }>;
}

function toBytes(value: RecordBytes): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function zigZag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Bytes of an unsigned base-128 varint holding `value` (a non-negative integer below 2^64). */
function sizeOfUnsigned(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function sizeOfVarint(value: number): number {
  return sizeOfUnsigned(zigZag(value));
}

function sizeOfVarintBytes(bytes: Buffer | null): number {
  return bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length;
}

function writeUnsigned(buffer: Buffer, position: number, value: number): number {
  while (value >= 128) {
    buffer[position++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[position++] = value;
  return position;
}

function writeVarint(buffer: Buffer, position: number, value: number): number {
  return writeUnsigned(buffer, position, zigZag(value));
}

function writeVarintBytes(buffer: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buffer, position, -1);
  position = writeVarint(buffer, position, bytes.length);
  bytes.copy(buffer, position);
  return position + bytes.length;
}

function checkInt32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${name} must be an int32, got ${value}`);
  }
}

interface PreparedBatch {
  records: EncodedRecord[];
  recordsSize: number;
  baseTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
}

function prepare(options: RecordBatchOptions): PreparedBatch {
  const now = options.now ?? Date.now();
  const inputs = options.records;
  let baseTimestamp = NO_TIMESTAMP;
  let maxTimestamp = NO_TIMESTAMP;
  let previousOffsetDelta = -1;
  let recordsSize = 0;
  const records: EncodedRecord[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const timestamp = input.timestamp ?? now;
    if (i === 0) baseTimestamp = options.deleteHorizonMs ?? timestamp;
    if (i === 0 || timestamp > maxTimestamp) maxTimestamp = timestamp;
    const offsetDelta = input.offsetDelta ?? i;
    checkInt32('offsetDelta', offsetDelta);
    if (offsetDelta <= previousOffsetDelta) {
      throw new RangeError(`offsetDelta ${offsetDelta} of record ${i} does not increase`);
    }
    previousOffsetDelta = offsetDelta;
    const key = toBytes(input.key);
    const value = toBytes(input.value);
    const headers = (input.headers ?? []).map((header) => ({
      key: Buffer.from(header.key, 'utf8'),
      value: toBytes(header.value),
    }));
    const timestampDelta = timestamp - baseTimestamp;
    let bodySize =
      1 + // attributes
      sizeOfVarint(timestampDelta) +
      sizeOfVarint(offsetDelta) +
      sizeOfVarintBytes(key) +
      sizeOfVarintBytes(value) +
      sizeOfVarint(headers.length);
    for (const header of headers) bodySize += sizeOfVarintBytes(header.key) + sizeOfVarintBytes(header.value);
    records[i] = { bodySize, timestampDelta, offsetDelta, key, value, headers };
    recordsSize += sizeOfVarint(bodySize) + bodySize;
  }
  let lastOffsetDelta = previousOffsetDelta;
  if (options.lastOffsetDelta !== undefined) {
    checkInt32('lastOffsetDelta', options.lastOffsetDelta);
    if (options.lastOffsetDelta < previousOffsetDelta) {
      throw new RangeError(`lastOffsetDelta ${options.lastOffsetDelta} is below the last record's ${previousOffsetDelta}`);
    }
    lastOffsetDelta = options.lastOffsetDelta;
  }
  if (lastOffsetDelta < 0) lastOffsetDelta = 0;
  if (options.timestampType === TimestampType.LOG_APPEND_TIME) maxTimestamp = options.logAppendTime ?? now;
  return { records, recordsSize, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

/** Writes the records back to back into `buffer` from `position`. */
function writeRecords(buffer: Buffer, position: number, records: readonly EncodedRecord[]): number {
  for (const record of records) {
    position = writeVarint(buffer, position, record.bodySize);
    buffer[position++] = 0; // attributes: unused
    position = writeVarint(buffer, position, record.timestampDelta);
    position = writeVarint(buffer, position, record.offsetDelta);
    position = writeVarintBytes(buffer, position, record.key);
    position = writeVarintBytes(buffer, position, record.value);
    position = writeVarint(buffer, position, record.headers.length);
    for (const header of record.headers) {
      position = writeVarintBytes(buffer, position, header.key);
      position = writeVarintBytes(buffer, position, header.value);
    }
  }
  return position;
}

function encodeRecords(prepared: PreparedBatch): Buffer {
  const buffer = Buffer.allocUnsafe(prepared.recordsSize);
  writeRecords(buffer, 0, prepared.records);
  return buffer;
}

function compressionOf(options: RecordBatchOptions): CompressionType {
  const compression = options.compression ?? CompressionType.NONE;
  if (!isKnownCompressionType(compression)) throw new RangeError(`unknown compression type ${compression}`);
  return compression;
}

function int64(buffer: Buffer, at: number, value: number): void {
  const high = Math.floor(value / 2 ** 32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * 2 ** 32, at + 4);
}

/** Fills the 61-byte header of a batch whose records section is already in place, then the CRC. */
function writeHeader(batch: Buffer, options: RecordBatchOptions, prepared: PreparedBatch, compression: CompressionType): void {
  let attributes = compression & COMPRESSION_CODEC_MASK;
  if (options.timestampType === TimestampType.LOG_APPEND_TIME) attributes |= TIMESTAMP_TYPE_MASK;
  if (options.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (options.isControl) attributes |= CONTROL_FLAG_MASK;
  if (options.deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_FLAG_MASK;
  const producerEpoch = options.producerEpoch ?? NO_PRODUCER_EPOCH;
  const baseSequence = options.baseSequence ?? NO_SEQUENCE;
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH;
  checkInt32('baseSequence', baseSequence);
  checkInt32('partitionLeaderEpoch', partitionLeaderEpoch);
  int64(batch, BASE_OFFSET_OFFSET, options.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(prepared.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  int64(batch, BASE_TIMESTAMP_OFFSET, prepared.baseTimestamp);
  int64(batch, MAX_TIMESTAMP_OFFSET, prepared.maxTimestamp);
  int64(batch, PRODUCER_ID_OFFSET, options.producerId ?? NO_PRODUCER_ID);
  batch.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
  batch.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
  batch.writeInt32BE(prepared.records.length, RECORDS_COUNT_OFFSET);
  writeBatchCrc(batch);
}

function assemble(options: RecordBatchOptions, prepared: PreparedBatch, compression: CompressionType, compressed: Buffer): Buffer {
  const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
  compressed.copy(batch, RECORD_BATCH_OVERHEAD);
  writeHeader(batch, options, prepared, compression);
  return batch;
}

export function buildRecordBatch(options: RecordBatchOptions): Buffer {
  const compression = compressionOf(options);
  const prepared = prepare(options);
  if (compression === CompressionType.NONE || prepared.records.length === 0) {
    // Uncompressed (and empty batches, which have no records section to compress even when
    // their codec bits say otherwise, as compaction leaves them): one buffer, written in place.
    const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + prepared.recordsSize);
    writeRecords(batch, RECORD_BATCH_OVERHEAD, prepared.records);
    writeHeader(batch, options, prepared, compression);
    return batch;
  }
  return assemble(options, prepared, compression, compress(compression, encodeRecords(prepared), options.compressionLevel));
}

/** As buildRecordBatch, with the compression in the thread pool. */
export async function buildRecordBatchAsync(options: RecordBatchOptions): Promise<Buffer> {
  const compression = compressionOf(options);
  if (compression === CompressionType.NONE) return buildRecordBatch(options);
  const prepared = prepare(options);
  if (prepared.records.length === 0) return buildRecordBatch(options);
  const compressed = await compressAsync(compression, encodeRecords(prepared), options.compressionLevel);
  return assemble(options, prepared, compression, compressed);
}
