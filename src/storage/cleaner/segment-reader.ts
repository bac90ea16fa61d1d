/**
 * Reading a rolled segment's `.log` file as the cleaner does (Kafka's Cleaner readInto plus
 * MemoryRecords.readableRecords): a chunk of about `chunkBytes` at a time, cut to whole
 * batches; a batch larger than the chunk comes alone in a chunk of its own size (Kafka grows its
 * I/O buffers the same way). The cleaner only reads segments below the recovery point, which
 * recovery has checked, so a batch that does not hold together is an error, not a torn tail.
 */
import { BATCH_LENGTH_OFFSET, CURRENT_MAGIC, LOG_OVERHEAD, MAGIC_OFFSET, RECORD_BATCH_OVERHEAD } from '../../protocol/records/batch-header.js';
import { KafkaStorageError } from '../errors.js';
import { MIN_BATCH_LENGTH, type LogSegment } from '../log-segment.js';

export interface BatchChunk {
  /** Whole batches back to back. */
  readonly buffer: Buffer;
  /** Where the chunk starts in the segment file. */
  readonly position: number;
}

/** The chunks of `segment` from file position `start` to its end (its size when called). */
export async function* readBatchChunks(segment: LogSegment, start: number, chunkBytes: number): AsyncGenerator<BatchChunk, void, undefined> {
  const end = segment.size;
  let position = start;
  while (position < end) {
    let buffer = await segment.log.read(position, Math.min(chunkBytes, end - position));
    let whole = wholeBatchesLength(buffer, position, segment);
    if (whole === 0) {
      // The first batch is larger than a chunk: read it alone.
      if (buffer.length < LOG_OVERHEAD) throw corrupt(segment, position, 'a torn batch header');
      const size = buffer.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
      if (position + size > end) throw corrupt(segment, position, `a batch of ${size} bytes past the end`);
      buffer = await segment.log.read(position, size);
      whole = wholeBatchesLength(buffer, position, segment);
      if (whole === 0) throw corrupt(segment, position, 'a short read');
    }
    yield { buffer: whole === buffer.length ? buffer : buffer.subarray(0, whole), position };
    position += whole;
  }
}

/** Bytes of the whole batches at the start of `buffer`. */
function wholeBatchesLength(buffer: Buffer, position: number, segment: LogSegment): number {
  let at = 0;
  while (at + LOG_OVERHEAD <= buffer.length) {
    const batchLength = buffer.readInt32BE(at + BATCH_LENGTH_OFFSET);
    if (batchLength < MIN_BATCH_LENGTH) throw corrupt(segment, position + at, `batchLength ${batchLength}`);
    const size = batchLength + LOG_OVERHEAD;
    if (at + size > buffer.length) break;
    if (buffer.readInt8(at + MAGIC_OFFSET) !== CURRENT_MAGIC) throw corrupt(segment, position + at, `magic ${buffer.readInt8(at + MAGIC_OFFSET)}`);
    at += size;
  }
  return at;
}

/** The batches of a chunk: their start in `buffer` and their size. */
export function* batchesIn(buffer: Buffer): Generator<{ at: number; size: number }, void, undefined> {
  for (let at = 0; at + RECORD_BATCH_OVERHEAD <= buffer.length; ) {
    const size = buffer.readInt32BE(at + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    yield { at, size };
    at += size;
  }
}

function corrupt(segment: LogSegment, position: number, what: string): KafkaStorageError {
  return new KafkaStorageError(`The log cleaner found ${what} at position ${position} of ${segment.log.path}`);
}
