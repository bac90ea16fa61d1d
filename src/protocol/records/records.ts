/**
 * Decoding the records inside one record batch v2 (NOTES.md §3.2). The produce path never
 * does this (DESIGN.md §3); it is for features that need the records themselves: compaction,
 * coordinator replay, broker-side recompression, and our own client's consumer.
 *
 * Record (zig-zag varints; `length` counts the bytes after itself):
 *   length varint | attributes int8 (unused) | timestampDelta varlong | offsetDelta varint
 *   | keyLength varint | key | valueLength varint | value
 *   | headerCount varint | [headerKeyLength varint | headerKey utf8 | headerValueLength varint | headerValue]
 * A length of -1 is null (key, value, header value); header keys are never null.
 *
 * offset = baseOffset + offsetDelta. timestamp = baseTimestamp + timestampDelta, except that
 * with LogAppendTime (attributes bit 3) every record's timestamp is the batch's maxTimestamp,
 * the time the broker appended it (Java DefaultRecord.readFrom, kafkajs record decoder).
 *
 * Keys, values and header values are slices of the batch (uncompressed) or of the inflated
 * records section (compressed): no copy, and they keep that memory alive.
 *
 * Errors, as Kafka's DefaultRecordBatch / DefaultRecord raise them: a batch frame that does not
 * hold together is CORRUPT_MESSAGE; a record that does not parse, or a record count that does
 * not match the records, is INVALID_RECORD.
 */
import { CorruptRecordError, ProtocolDecodeError } from '../../errors.js';
import { ErrorCode } from '../error-codes.js';
import { Reader } from '../reader.js';
import {
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
} from './batch-header.js';
import { computeBatchCrc } from './crc32c.js';
import { decompress, decompressAsync, isKnownCompressionType } from './compression/index.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record as read from a batch (Kafka's `Record`; named so it does not hide TypeScript's). */
export interface KafkaRecord {
  offset: number;
  offsetDelta: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface DecodeRecordsOptions {
  /**
   * The most a compressed records section may inflate to (MESSAGE_TOO_LARGE beyond it).
   * The broker derives it from message.max.bytes; see DEFAULT_MAX_DECOMPRESSED_BYTES.
   */
  maxDecompressedBytes?: number;
  /** Check the batch CRC-32C first (default true; Java's consumer check.crcs is true too). */
  verifyCrc?: boolean;
}

/**
 * 64 MiB: about 64 × the default message.max.bytes (1 MiB). Codecs rarely exceed 10:1 on real data, and the
 * zstd bound is conservative (compression/zstd.ts), so honest batches stay well below it.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * The smallest record: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength
 * and headerCount, one byte each.
 */
export const MIN_RECORD_SIZE = 7;
/** The smallest header: empty key (length byte) and a null value (length byte). */
const MIN_HEADER_SIZE = 2;
const MIN_RECORD_BODY_SIZE = MIN_RECORD_SIZE - 1;

function corrupt(message: string): CorruptRecordError {
  return new CorruptRecordError(ErrorCode.CORRUPT_MESSAGE, message);
}

function invalid(message: string, cause?: unknown): CorruptRecordError {
  return new CorruptRecordError(ErrorCode.INVALID_RECORD, message, { cause });
}

/**
 * Checks that `batch` starts with one whole v2 batch and returns a header view over exactly
 * that batch. Bytes after it are ignored (a caller may pass a slice of a longer buffer).
 */
export function readBatchHeader(batch: Buffer, verifyCrc = true): RecordBatchHeader {
  if (batch.length < RECORD_BATCH_OVERHEAD) {
    if (batch.length > MAGIC_OFFSET && batch[MAGIC_OFFSET] !== CURRENT_MAGIC) {
      throw invalid(`record batch magic ${batch.readInt8(MAGIC_OFFSET)} is not supported (only magic 2)`);
    }
    throw corrupt(`record batch of ${batch.length} bytes is shorter than the ${RECORD_BATCH_OVERHEAD}-byte header`);
  }
  const magic = batch.readInt8(MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) throw invalid(`record batch magic ${magic} is not supported (only magic 2)`);
  const batchLength = batch.readInt32BE(BATCH_LENGTH_OFFSET);
  if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
    throw corrupt(`batchLength ${batchLength} is smaller than the record batch header`);
  }
  if (batchLength > batch.length - LOG_OVERHEAD) {
    throw corrupt(`batchLength ${batchLength} runs past the ${batch.length - LOG_OVERHEAD} bytes available`);
  }
  const bytes = batch.length === batchLength + LOG_OVERHEAD ? batch : batch.subarray(0, batchLength + LOG_OVERHEAD);
  if (verifyCrc) {
    const stored = bytes.readUInt32BE(CRC_OFFSET);
    const computed = computeBatchCrc(bytes);
    if (stored !== computed) {
      throw corrupt(`record batch is corrupt (stored crc = ${stored}, computed crc = ${computed})`);
    }
  }
  const header = new RecordBatchHeader(bytes);
  if (!isKnownCompressionType(header.compressionType)) {
    throw new CorruptRecordError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${header.compressionType}`);
  }
  return header;
}

function maxBytesOf(options: DecodeRecordsOptions | undefined): number {
  return options?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
}

/** The records section as stored: compressed, or the records themselves. */
function storedRecords(header: RecordBatchHeader): Buffer {
  return header.buffer.subarray(RECORD_BATCH_OVERHEAD, header.sizeInBytes);
}

/**
 * The batch's records section, inflated. An empty batch (count 0, left by compaction) may keep
 * its codec bits with nothing to inflate, so a count of 0 yields an empty section.
 */
export function recordsPayload(batch: Buffer, options?: DecodeRecordsOptions): Buffer {
  return payloadOf(readBatchHeader(batch, options?.verifyCrc ?? true), maxBytesOf(options));
}

// A count of 0 or less never inflates anything (RecordCursor refuses a negative one).
function payloadOf(header: RecordBatchHeader, maxBytes: number): Buffer {
  if (header.recordsCount <= 0) return Buffer.alloc(0);
  return decompress(header.compressionType, storedRecords(header), maxBytes);
}

async function payloadOfAsync(header: RecordBatchHeader, maxBytes: number): Promise<Buffer> {
  if (header.recordsCount <= 0) return Buffer.alloc(0);
  return decompressAsync(header.compressionType, storedRecords(header), maxBytes);
}

/** Reads the records of one batch from its (inflated) records section, in order. */
class RecordCursor {
  private position = 0;
  private read = 0;
  private readonly count: number;
  private readonly baseOffset: number;
  private readonly baseTimestamp: number;
  /** With LogAppendTime, the batch maxTimestamp that every record takes; otherwise null. */
  private readonly logAppendTime: number | null;

  constructor(
    header: RecordBatchHeader,
    private readonly payload: Buffer,
  ) {
    const count = header.recordsCount;
    if (count < 0) throw invalid(`negative record count ${count}`);
    if (count * MIN_RECORD_SIZE > payload.length) {
      throw invalid(`record count ${count} cannot fit in ${payload.length} bytes of records`);
    }
    this.count = count;
    this.baseOffset = header.baseOffset;
    this.baseTimestamp = header.baseTimestamp;
    this.logAppendTime = header.isLogAppendTime ? header.maxTimestamp : null;
  }

  next(): KafkaRecord | null {
    if (this.read === this.count) {
      if (this.position !== this.payload.length) {
        throw invalid(`${this.payload.length - this.position} bytes remain after the batch's ${this.count} records`);
      }
      return null;
    }
    try {
      return this.readRecord();
    } catch (error) {
      if (error instanceof CorruptRecordError || !(error instanceof ProtocolDecodeError)) throw error;
      throw invalid(`record ${this.read} of the batch is malformed: ${error.message}`, error);
    }
  }

  private readRecord(): KafkaRecord {
    const lengthReader = new Reader(this.payload, this.position);
    const length = lengthReader.readVarint();
    if (length < MIN_RECORD_BODY_SIZE || length > lengthReader.remaining) {
      throw invalid(`record ${this.read} declares ${length} bytes, ${lengthReader.remaining} remain`);
    }
    const end = lengthReader.offset + length;
    const reader = new Reader(this.payload, lengthReader.offset, end);
    reader.readInt8(); // attributes: unused since magic 2
    const timestampDelta = reader.readVarlong();
    const offsetDelta = reader.readVarint();
    const key = readVarintBytes(reader);
    const value = readVarintBytes(reader);
    const headerCount = reader.readVarint();
    if (headerCount < 0) throw invalid(`record ${this.read} has ${headerCount} headers`);
    if (headerCount * MIN_HEADER_SIZE > reader.remaining) {
      throw invalid(`record ${this.read} declares ${headerCount} headers in ${reader.remaining} bytes`);
    }
    const headers: RecordHeader[] = new Array(headerCount);
    for (let i = 0; i < headerCount; i++) {
      const keyLength = reader.readVarint();
      if (keyLength < 0) throw invalid(`record ${this.read} has a header key of length ${keyLength}`);
      const headerKey = reader.readBytesOfLength(keyLength).toString('utf8');
      headers[i] = { key: headerKey, value: readVarintBytes(reader) };
    }
    if (reader.offset !== end) {
      throw invalid(`record ${this.read} declares ${length} bytes but its fields take ${reader.offset - lengthReader.offset}`);
    }
    this.position = end;
    this.read++;
    return {
      offset: this.baseOffset + offsetDelta,
      offsetDelta,
      timestamp: this.logAppendTime ?? this.baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
}

function readVarintBytes(reader: Reader): Buffer | null {
  const length = reader.readVarint();
  if (length === -1) return null;
  if (length < -1) throw invalid(`byte array length ${length}`);
  return reader.readBytesOfLength(length);
}

/** The records of the batch at the start of `batch`, one at a time (inflated up front). */
export function* iterateRecords(batch: Buffer, options?: DecodeRecordsOptions): Generator<KafkaRecord, void, undefined> {
  const header = readBatchHeader(batch, options?.verifyCrc ?? true);
  const cursor = new RecordCursor(header, payloadOf(header, maxBytesOf(options)));
  for (let record = cursor.next(); record !== null; record = cursor.next()) yield record;
}

/** All records of the batch at the start of `batch`. */
export function decodeRecords(batch: Buffer, options?: DecodeRecordsOptions): KafkaRecord[] {
  const header = readBatchHeader(batch, options?.verifyCrc ?? true);
  return readAll(new RecordCursor(header, payloadOf(header, maxBytesOf(options))));
}

/** As decodeRecords, with the inflation in the thread pool (for large compressed batches). */
export async function decodeRecordsAsync(batch: Buffer, options?: DecodeRecordsOptions): Promise<KafkaRecord[]> {
  const header = readBatchHeader(batch, options?.verifyCrc ?? true);
  return readAll(new RecordCursor(header, await payloadOfAsync(header, maxBytesOf(options))));
}

function readAll(cursor: RecordCursor): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  for (let record = cursor.next(); record !== null; record = cursor.next()) records.push(record);
  return records;
}
