/**
 * CRC-32C (Castagnoli) of record batches v2. The batch CRC covers bytes 21..end: attributes
 * through the last record. baseOffset, batchLength and partitionLeaderEpoch come before it, so
 * the broker can patch them in place without recomputing anything; magic and the CRC itself are
 * outside too. Native code (@node-rs/crc32, SSE4.2/ARMv8 instructions) runs at 11–15 GB/s here,
 * against ~1.7 GB/s for the best table-driven JavaScript (DESIGN.md §10).
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, LOG_OVERHEAD } from './batch-header.js';

/** CRC-32C of `bytes` (init and final xor 0xFFFFFFFF, as Kafka's Crc32C), as an unsigned int. */
export function crc32c(bytes: Uint8Array): number {
  // The binding returns the value as a signed or unsigned 32-bit number depending on the
  // platform build; `>>> 0` makes the comparison with readUInt32BE safe either way.
  return nativeCrc32c(bytes) >>> 0;
}

/**
 * The CRC the batch at `position` should carry, computed over its bytes 21..end. The caller
 * has checked that the whole batch (batchLength + 12 bytes) lies inside `buffer`.
 */
export function computeBatchCrc(buffer: Buffer, position = 0): number {
  const end = position + LOG_OVERHEAD + buffer.readInt32BE(position + BATCH_LENGTH_OFFSET);
  return crc32c(buffer.subarray(position + ATTRIBUTES_OFFSET, end));
}

/** Whether the stored CRC of the batch at `position` matches its bytes. */
export function isBatchCrcValid(buffer: Buffer, position = 0): boolean {
  return buffer.readUInt32BE(position + CRC_OFFSET) === computeBatchCrc(buffer, position);
}

/**
 * Recomputes and stores the CRC of the batch at `position`: after building a batch, or after
 * a change inside the covered range (LogAppendTime rewrites maxTimestamp and attributes).
 */
export function writeBatchCrc(buffer: Buffer, position = 0): void {
  buffer.writeUInt32BE(computeBatchCrc(buffer, position), position + CRC_OFFSET);
}
