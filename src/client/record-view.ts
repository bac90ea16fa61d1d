/**
 * Reading the records of a batch without an object per record: one RecordView is moved from
 * record to record and tells where the key and value lie, so a reader that only needs lengths,
 * or a few bytes of the value, neither slices nor allocates. protocol/records/records.ts's
 * iterateRecords is the general reader (a KafkaRecord per record, with Buffer slices and
 * decoded headers); both parse the same layout:
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   | keyLength varint | key | valueLength varint | value | headerCount varint | headers
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { RecordBatchHeader } from '../protocol/records/batch-header.js';
import { recordsPayload } from '../protocol/records/records.js';

/** One record of a batch; valid only during the visitor call that receives it. */
export interface RecordView {
  /** The bytes the record lies in: the batch itself, or its inflated records section. */
  readonly buffer: Buffer;
  readonly offset: number;
  readonly timestamp: number;
  /** Where the key starts in `buffer`; keyLength -1 for a null key. */
  readonly keyOffset: number;
  readonly keyLength: number;
  readonly valueOffset: number;
  /** -1 for a null value. */
  readonly valueLength: number;
  readonly headerCount: number;
}

class MutableRecordView implements RecordView {
  buffer: Buffer = Buffer.alloc(0);
  offset = 0;
  timestamp = 0;
  keyOffset = 0;
  keyLength = -1;
  valueOffset = 0;
  valueLength = -1;
  headerCount = 0;
}

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, `INVALID_RECORD: ${message}`);
}

/** Position after the last readVarint (module state, so reading allocates nothing). */
let cursor = 0;

/** A zig-zag varint (up to 64 bits, as a double) at `position` of `buffer`, not beyond `end`. */
function readVarint(buffer: Buffer, position: number, end: number): number {
  let result = 0;
  let shift = 0;
  let multiplier = 1;
  for (;;) {
    if (position >= end) throw invalid('a varint runs past its record');
    const byte = buffer[position++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) break;
    shift += 7;
    multiplier = 2 ** shift;
    if (shift > 63) throw invalid('a varint is longer than 10 bytes');
  }
  cursor = position;
  if (shift < 28) {
    const unsigned = result >>> 0;
    return (unsigned >>> 1) ^ -(unsigned & 1);
  }
  // Beyond 32 bits: zig-zag decode with doubles (exact to 2^53).
  const unsigned = result < 0 ? result + 2 ** 32 : result;
  return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
}

/**
 * Calls `visitor` for each record of the batch at or after `fromOffset`, in order, and returns
 * how many it was called for. The batch's CRC is not checked here (the consumer did on fetch).
 */
export function forEachRecord(batch: Buffer, header: RecordBatchHeader, fromOffset: number, visitor: (record: RecordView) => void): number {
  const count = header.recordsCount;
  if (count <= 0) return 0;
  const payload = recordsPayload(batch, { verifyCrc: false });
  const baseOffset = header.baseOffset;
  const baseTimestamp = header.baseTimestamp;
  const logAppendTime = header.isLogAppendTime ? header.maxTimestamp : -1;
  const view = new MutableRecordView();
  view.buffer = payload;
  const length = payload.length;
  let position = 0;
  let visited = 0;
  for (let index = 0; index < count; index++) {
    const size = readVarint(payload, position, length);
    position = cursor;
    const end = position + size;
    if (size < 6 || end > length) throw invalid(`record ${index} declares ${size} bytes, ${length - position} remain`);
    position++; // attributes
    const timestampDelta = readVarint(payload, position, end);
    const offsetDelta = readVarint(payload, cursor, end);
    const keyLength = readVarint(payload, cursor, end);
    const keyOffset = cursor;
    position = keyLength > 0 ? keyOffset + keyLength : keyOffset;
    const valueLength = readVarint(payload, position, end);
    const valueOffset = cursor;
    position = valueLength > 0 ? valueOffset + valueLength : valueOffset;
    const headerCount = readVarint(payload, position, end);
    if (position > end || keyLength < -1 || valueLength < -1 || headerCount < 0) throw invalid(`record ${index} of the batch at offset ${baseOffset} is malformed`);
    position = end; // headers are not read: headerCount says how many there are
    const offset = baseOffset + offsetDelta;
    if (offset < fromOffset) continue;
    view.offset = offset;
    view.timestamp = logAppendTime >= 0 ? logAppendTime : baseTimestamp + timestampDelta;
    view.keyOffset = keyOffset;
    view.keyLength = keyLength;
    view.valueOffset = valueOffset;
    view.valueLength = valueLength;
    view.headerCount = headerCount;
    visitor(view);
    visited++;
  }
  return visited;
}
