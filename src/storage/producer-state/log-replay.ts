/**
 * Reads batch headers from a segment's .log file for the producer state rebuild: block reads
 * (1 MiB), a header walk inside each block, and the whole batch only for control batches,
 * whose one record (the marker) is needed. The data has been through recovery, so lengths are
 * trusted and CRCs are not checked again; a walk stops quietly at anything that does not parse.
 */
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, RecordBatchHeader } from '../../protocol/records/batch-header.js';
import type { LogSegment } from '../log-segment.js';

const BLOCK_BYTES = 1024 * 1024;

/**
 * Calls `visit` for every batch of `segment` whose last offset is >= fromOffset and whose base
 * offset is < toOffset, in order. The header view is valid only during the call; for a control
 * batch it covers the whole batch.
 */
export async function forEachBatchHeader(
  segment: LogSegment,
  fromOffset: number,
  toOffset: number,
  visit: (header: RecordBatchHeader) => void,
): Promise<void> {
  let position = 0;
  if (fromOffset > segment.baseOffset) {
    await segment.loadIndexes();
    position = segment.offsetIndex.lookup(fromOffset).position;
  }
  const end = segment.size;
  let block = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, Math.max(end - position, RECORD_BATCH_OVERHEAD)));
  let blockStart = position;
  let blockLength = 0;
  const refill = async (length: number): Promise<void> => {
    if (block.length < length) block = Buffer.allocUnsafe(length);
    blockStart = position;
    blockLength = await segment.log.readInto(block, Math.min(length, end - position), position);
  };
  while (position + RECORD_BATCH_OVERHEAD <= end) {
    let at = position - blockStart;
    if (at < 0 || at + RECORD_BATCH_OVERHEAD > blockLength) {
      await refill(BLOCK_BYTES);
      at = 0;
      if (blockLength < RECORD_BATCH_OVERHEAD) return;
    }
    let header = new RecordBatchHeader(block, at);
    const size = header.batchLength + LOG_OVERHEAD;
    if (size < RECORD_BATCH_OVERHEAD || size > end - position) return;
    if (header.isControl && at + size > blockLength) {
      await refill(Math.max(BLOCK_BYTES, size));
      at = 0;
      if (blockLength < size) return;
      header = new RecordBatchHeader(block, 0);
    }
    const baseOffset = header.baseOffset;
    if (baseOffset >= toOffset) return;
    if (header.lastOffset >= fromOffset) visit(header);
    position += size;
  }
}
