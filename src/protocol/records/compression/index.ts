/**
 * The four record codecs behind one switch on the batch's codec bits (attributes bits 0-2).
 *
 * Every decompression takes `maxBytes`, the most it may inflate to; beyond it the call fails
 * with MESSAGE_TOO_LARGE before (gzip, snappy, zstd) or within one block of (lz4) allocating
 * more. Failures are CorruptRecordError, never a native library's own error.
 *
 * The async variants run the codec in libuv's thread pool. A thread-pool round trip costs tens
 * of microseconds, so they pay off for large payloads (hundreds of KiB, and for gzip/zstd, the
 * slow codecs); small batches are cheaper inline.
 */
import { CorruptRecordError } from '../../../errors.js';
import { ErrorCode } from '../../error-codes.js';
import { CompressionType } from '../batch-header.js';
import { checkMaxBytes } from './errors.js';
import { gzipCompress, gzipCompressAsync, gzipDecompress, gzipDecompressAsync } from './gzip.js';
import { lz4Compress, lz4CompressAsync, lz4Decompress, lz4DecompressAsync } from './lz4.js';
import { snappyCompress, snappyCompressAsync, snappyDecompress, snappyDecompressAsync } from './snappy.js';
import { zstdCompress, zstdCompressAsync, zstdDecompress, zstdDecompressAsync } from './zstd.js';

export { CompressionType };
export { zstdDecompressedSizeBound } from './zstd.js';
export { isXerialFramed } from './snappy.js';

/** Kafka's names, as in the `compression.type` config. */
export const COMPRESSION_TYPE_NAMES: Readonly<Record<CompressionType, string>> = {
  [CompressionType.NONE]: 'none',
  [CompressionType.GZIP]: 'gzip',
  [CompressionType.SNAPPY]: 'snappy',
  [CompressionType.LZ4]: 'lz4',
  [CompressionType.ZSTD]: 'zstd',
};

/** Whether `codec` (attributes & 0x07) names a codec; 5-7 are unassigned. */
export function isKnownCompressionType(codec: number): codec is CompressionType {
  return codec >= CompressionType.NONE && codec <= CompressionType.ZSTD && Number.isInteger(codec);
}

function unsupported(type: number): CorruptRecordError {
  return new CorruptRecordError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${type}`);
}

/**
 * Compresses a records section. `level` applies to gzip (0-9) and zstd (1-22) only, as Kafka's
 * compression.gzip.level / compression.zstd.level; each codec's default otherwise.
 */
export function compress(type: CompressionType, data: Buffer, level?: number): Buffer {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipCompress(data, level);
    case CompressionType.SNAPPY:
      return snappyCompress(data);
    case CompressionType.LZ4:
      return lz4Compress(data);
    case CompressionType.ZSTD:
      return zstdCompress(data, level);
    default:
      throw unsupported(type);
  }
}

export async function compressAsync(type: CompressionType, data: Buffer, level?: number): Promise<Buffer> {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipCompressAsync(data, level);
    case CompressionType.SNAPPY:
      return snappyCompressAsync(data);
    case CompressionType.LZ4:
      return lz4CompressAsync(data);
    case CompressionType.ZSTD:
      return zstdCompressAsync(data, level);
    default:
      throw unsupported(type);
  }
}

/**
 * Inflates a records section to at most `maxBytes`. NONE returns `data` itself: it is already
 * in memory, so there is nothing to bound.
 */
export function decompress(type: CompressionType, data: Buffer, maxBytes: number): Buffer {
  checkMaxBytes(maxBytes);
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipDecompress(data, maxBytes);
    case CompressionType.SNAPPY:
      return snappyDecompress(data, maxBytes);
    case CompressionType.LZ4:
      return lz4Decompress(data, maxBytes);
    case CompressionType.ZSTD:
      return zstdDecompress(data, maxBytes);
    default:
      throw unsupported(type);
  }
}

export async function decompressAsync(type: CompressionType, data: Buffer, maxBytes: number): Promise<Buffer> {
  checkMaxBytes(maxBytes);
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipDecompressAsync(data, maxBytes);
    case CompressionType.SNAPPY:
      return snappyDecompressAsync(data, maxBytes);
    case CompressionType.LZ4:
      return lz4DecompressAsync(data, maxBytes);
    case CompressionType.ZSTD:
      return zstdDecompressAsync(data, maxBytes);
    default:
      throw unsupported(type);
  }
}
