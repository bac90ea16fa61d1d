/**
 * The record batch v2 header (magic 2), read and patched in place on the wire bytes.
 * Layout (big-endian; DefaultRecordBatch.java):
 *
 *   0  baseOffset int64          broker assigns it by patching these bytes
 *   8  batchLength int32         bytes after this field (total size - 12)
 *  12  partitionLeaderEpoch int32 set by the broker; not covered by the CRC
 *  16  magic int8 = 2
 *  17  crc uint32                CRC-32C of bytes 21..end
 *  21  attributes int16          bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
 *  23  lastOffsetDelta int32
 *  27  baseTimestamp int64
 *  35  maxTimestamp int64
 *  43  producerId int64          -1 = none
 *  51  producerEpoch int16
 *  53  baseSequence int32        -1 = none
 *  57  recordsCount int32
 *  61  records (compressed as one blob when the codec is not none)
 */

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
/** RECORD_BATCH_OVERHEAD: the header size; records start here. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the part that precedes what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Bytes needed to read magic (the same position in v0/v1 messages and v2 batches). */
export const HEADER_SIZE_UP_TO_MAGIC = MAGIC_OFFSET + 1;

export const CURRENT_MAGIC = 2;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export enum CompressionType {
  NONE = 0,
  GZIP = 1,
  SNAPPY = 2,
  LZ4 = 3,
  ZSTD = 4,
}

/** Attributes bit 3: who set the timestamps (the producer, or the broker on append). */
export enum TimestampType {
  CREATE_TIME = 0,
  LOG_APPEND_TIME = 1,
}

/** A batch or record without a timestamp (Kafka's RecordBatch.NO_TIMESTAMP). */
export const NO_TIMESTAMP = -1;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

const TWO_POW_32 = 2 ** 32;

function readInt64(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

function writeInt64(buffer: Buffer, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(high, at);
  buffer.writeUInt32BE(value - high * TWO_POW_32, at + 4);
}

/**
 * A view over one batch's header bytes at `position` in `buffer`. It does not check anything
 * by itself: callers check `batchLength` against the bytes they have before using a view.
 */
export class RecordBatchHeader {
  constructor(
    readonly buffer: Buffer,
    readonly position = 0,
  ) {}

  get baseOffset(): number {
    return readInt64(this.buffer, this.position + BASE_OFFSET_OFFSET);
  }
  set baseOffset(value: number) {
    writeInt64(this.buffer, this.position + BASE_OFFSET_OFFSET, value);
  }
  get batchLength(): number {
    return this.buffer.readInt32BE(this.position + BATCH_LENGTH_OFFSET);
  }
  /** Total bytes of the batch on the wire and on disk. */
  get sizeInBytes(): number {
    return this.batchLength + LOG_OVERHEAD;
  }
  get partitionLeaderEpoch(): number {
    return this.buffer.readInt32BE(this.position + PARTITION_LEADER_EPOCH_OFFSET);
  }
  set partitionLeaderEpoch(value: number) {
    this.buffer.writeInt32BE(value, this.position + PARTITION_LEADER_EPOCH_OFFSET);
  }
  get magic(): number {
    return this.buffer.readInt8(this.position + MAGIC_OFFSET);
  }
  get crc(): number {
    return this.buffer.readUInt32BE(this.position + CRC_OFFSET);
  }
  get attributes(): number {
    return this.buffer.readInt16BE(this.position + ATTRIBUTES_OFFSET);
  }
  get compressionType(): CompressionType {
    return this.attributes & COMPRESSION_CODEC_MASK;
  }
  get isLogAppendTime(): boolean {
    return (this.attributes & TIMESTAMP_TYPE_MASK) !== 0;
  }
  get isTransactional(): boolean {
    return (this.attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & CONTROL_FLAG_MASK) !== 0;
  }
  get lastOffsetDelta(): number {
    return this.buffer.readInt32BE(this.position + LAST_OFFSET_DELTA_OFFSET);
  }
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }
  get baseTimestamp(): number {
    return readInt64(this.buffer, this.position + BASE_TIMESTAMP_OFFSET);
  }
  get maxTimestamp(): number {
    return readInt64(this.buffer, this.position + MAX_TIMESTAMP_OFFSET);
  }
  set maxTimestamp(value: number) {
    writeInt64(this.buffer, this.position + MAX_TIMESTAMP_OFFSET, value);
  }
  get producerId(): number {
    return readInt64(this.buffer, this.position + PRODUCER_ID_OFFSET);
  }
  get producerEpoch(): number {
    return this.buffer.readInt16BE(this.position + PRODUCER_EPOCH_OFFSET);
  }
  get baseSequence(): number {
    return this.buffer.readInt32BE(this.position + BASE_SEQUENCE_OFFSET);
  }
  get lastSequence(): number {
    const base = this.baseSequence;
    if (base < 0) return -1;
    const last = base + this.lastOffsetDelta;
    return last > 0x7fffffff ? last - 0x80000000 : last;
  }
  get recordsCount(): number {
    return this.buffer.readInt32BE(this.position + RECORDS_COUNT_OFFSET);
  }
  /** The whole batch as a slice of the underlying buffer (no copy). */
  bytes(): Buffer {
    return this.buffer.subarray(this.position, this.position + this.sizeInBytes);
  }
}
