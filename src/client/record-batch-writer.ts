/**
 * The producer's open batch: records are written one at a time straight into the batch's
 * buffer, behind room left for the 61-byte header (layout in protocol/records/batch-header.ts,
 * record layout in protocol/records/records.ts), so the hot path allocates nothing per record
 * and copies each key and value once. `finish` fills the header and the CRC-32C; a compressed
 * batch compresses the records section and puts the header in front of the codec's output.
 *
 * protocol/records/builder.ts builds a batch from a list of record objects (tests, control
 * batches, broker rewrites); this is its incremental counterpart for the client. Both write the
 * same bytes for the same records (test/client/producer.test.ts checks it).
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_CODEC_MASK,
  CURRENT_MAGIC,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TRANSACTIONAL_FLAG_MASK,
} from '../protocol/records/batch-header.js';
import { compress, compressAsync } from '../protocol/records/compression/index.js';
import { writeBatchCrc } from '../protocol/records/crc32c.js';

/** A record header as the producer takes it; a string value is written as UTF-8. */
export interface ProducerRecordHeader {
  readonly key: string;
  readonly value: Buffer | string | null;
}

/** What the header of a finished batch says about its producer (idempotence, transactions). */
export interface BatchProducerFields {
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly isTransactional?: boolean;
}

const TWO_POW_32 = 2 ** 32;

/** Bytes of the zig-zag varint of an int32. */
function sizeOfVarint32(value: number): number {
  const v = ((value << 1) ^ (value >> 31)) >>> 0;
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of the zig-zag varlong of any safe integer (timestamp deltas). */
function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint32(value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

function writeVarint32(buffer: Buffer, position: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buffer[position++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[position++] = v;
  return position;
}

function writeVarlong(buffer: Buffer, position: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint32(buffer, position, value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 128) {
    buffer[position++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buffer[position++] = v;
  return position;
}

function writeInt64(buffer: Buffer, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * TWO_POW_32, at + 4);
}

function headerValueBytes(value: Buffer | string | null): Buffer | null {
  return value === null || value === undefined ? null : typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** Size of the headers part of a record: count varint, then key and value of each header. */
function sizeOfHeaders(headers: readonly ProducerRecordHeader[] | null): number {
  if (headers === null || headers.length === 0) return 1;
  let size = sizeOfVarint32(headers.length);
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    const keyLength = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarint32(keyLength) + keyLength;
    const value = header.value;
    if (value === null || value === undefined) size += 1;
    else {
      const valueLength = typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
      size += sizeOfVarint32(valueLength) + valueLength;
    }
  }
  return size;
}

/**
 * The most bytes one record can take in a batch, the length prefix included (a timestamp
 * delta of up to 10 bytes): what a batch must have room for to take the record.
 */
export function maxRecordSize(keyLength: number, valueLength: number, headers: readonly ProducerRecordHeader[] | null): number {
  return 5 + 1 + 10 + 5 + 5 + (keyLength < 0 ? 0 : keyLength) + 5 + (valueLength < 0 ? 0 : valueLength) + sizeOfHeaders(headers);
}

export class RecordBatchWriter {
  /** The batch under construction: header room, then the records written so far. */
  readonly buffer: Buffer;
  /** Where the next record goes. */
  private position = RECORD_BATCH_OVERHEAD;
  private count = 0;
  private baseTimestamp = 0;
  private maxTimestamp = 0;

  /** `capacity`: bytes of the whole batch, header included; the batch never grows. */
  constructor(capacity: number) {
    if (!(capacity > RECORD_BATCH_OVERHEAD)) throw new RangeError(`a batch needs more than ${RECORD_BATCH_OVERHEAD} bytes, got ${capacity}`);
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  get recordCount(): number {
    return this.count;
  }

  /** Bytes of the uncompressed batch so far, header included. */
  get sizeInBytes(): number {
    return this.position;
  }

  get capacity(): number {
    return this.buffer.length;
  }

  get firstTimestamp(): number {
    return this.baseTimestamp;
  }

  /**
   * Appends one record if it fits and returns true; returns false, writing nothing, if it does
   * not (the caller finishes this batch and starts another). Keys, values and header values are
   * copied, so the caller may reuse its buffers at once.
   */
  append(timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly ProducerRecordHeader[] | null): boolean {
    const count = this.count;
    if (count === 0) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    const timestampDelta = timestamp - this.baseTimestamp;
    const keyLength = key === null ? -1 : key.length;
    const valueLength = value === null ? -1 : value.length;
    const hasHeaders = headers !== null && headers.length > 0;
    const bodySize =
      1 + // attributes
      sizeOfVarlong(timestampDelta) +
      sizeOfVarint32(count) +
      sizeOfVarint32(keyLength) +
      (keyLength > 0 ? keyLength : 0) +
      sizeOfVarint32(valueLength) +
      (valueLength > 0 ? valueLength : 0) +
      (hasHeaders ? sizeOfHeaders(headers) : 1);
    const buffer = this.buffer;
    let position = this.position;
    if (position + sizeOfVarint32(bodySize) + bodySize > buffer.length) {
      if (count === 0) {
        this.baseTimestamp = 0;
        this.maxTimestamp = 0;
      }
      return false;
    }
    position = writeVarint32(buffer, position, bodySize);
    buffer[position++] = 0; // attributes: unused since magic 2
    position = writeVarlong(buffer, position, timestampDelta);
    position = writeVarint32(buffer, position, count); // offsetDelta
    position = writeVarint32(buffer, position, keyLength);
    if (keyLength > 0) position += key!.copy(buffer, position);
    position = writeVarint32(buffer, position, valueLength);
    if (valueLength > 0) position += value!.copy(buffer, position);
    if (!hasHeaders) buffer[position++] = 0;
    else {
      position = writeVarint32(buffer, position, headers.length);
      for (let i = 0; i < headers.length; i++) {
        const header = headers[i]!;
        const keyBytes = Buffer.byteLength(header.key, 'utf8');
        position = writeVarint32(buffer, position, keyBytes);
        position += buffer.write(header.key, position, keyBytes, 'utf8');
        const headerValue = headerValueBytes(header.value);
        if (headerValue === null) position = writeVarint32(buffer, position, -1);
        else {
          position = writeVarint32(buffer, position, headerValue.length);
          position += headerValue.copy(buffer, position);
        }
      }
    }
    this.position = position;
    this.count = count + 1;
    return true;
  }

  /** The records section written so far (a view, not a copy). */
  private recordsSection(): Buffer {
    return this.buffer.subarray(RECORD_BATCH_OVERHEAD, this.position);
  }

  /**
   * The finished batch. Uncompressed, it is a view of this writer's buffer (no copy); otherwise
   * the compressed records behind a new header. Call once, after the last append.
   */
  finish(compression: CompressionType, producer: BatchProducerFields = {}, compressionLevel?: number): Buffer {
    if (compression === CompressionType.NONE || this.count === 0) {
      const batch = this.buffer.subarray(0, this.position);
      this.writeHeader(batch, CompressionType.NONE, producer);
      return batch;
    }
    return this.assemble(compress(compression, this.recordsSection(), compressionLevel), compression, producer);
  }

  /** As finish, with the compression in libuv's thread pool (worth it for large batches). */
  async finishAsync(compression: CompressionType, producer: BatchProducerFields = {}, compressionLevel?: number): Promise<Buffer> {
    if (compression === CompressionType.NONE || this.count === 0) return this.finish(compression, producer, compressionLevel);
    return this.assemble(await compressAsync(compression, this.recordsSection(), compressionLevel), compression, producer);
  }

  private assemble(compressed: Buffer, compression: CompressionType, producer: BatchProducerFields): Buffer {
    const batch = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + compressed.length);
    compressed.copy(batch, RECORD_BATCH_OVERHEAD);
    this.writeHeader(batch, compression, producer);
    return batch;
  }

  private writeHeader(batch: Buffer, compression: CompressionType, producer: BatchProducerFields): void {
    let attributes = compression & COMPRESSION_CODEC_MASK;
    if (producer.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK;
    writeInt64(batch, BASE_OFFSET_OFFSET, 0);
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
    batch.writeInt32BE(NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
    batch.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
    batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
    batch.writeInt32BE(this.count > 0 ? this.count - 1 : 0, LAST_OFFSET_DELTA_OFFSET);
    writeInt64(batch, BASE_TIMESTAMP_OFFSET, this.count > 0 ? this.baseTimestamp : -1);
    writeInt64(batch, MAX_TIMESTAMP_OFFSET, this.count > 0 ? this.maxTimestamp : -1);
    writeInt64(batch, PRODUCER_ID_OFFSET, producer.producerId ?? NO_PRODUCER_ID);
    batch.writeInt16BE(producer.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
    batch.writeInt32BE(producer.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
    batch.writeInt32BE(this.count, RECORDS_COUNT_OFFSET);
    writeBatchCrc(batch);
  }
}
