/**
 * Record batches v2: header view, CRC-32C, codecs, record decoding, building, control batches
 * and produce-path validation. One import for the rest of the code base.
 */
export * from './batch-header.js';
export * from './crc32c.js';
export {
  COMPRESSION_TYPE_NAMES,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  isKnownCompressionType,
  isXerialFramed,
  zstdDecompressedSizeBound,
} from './compression/index.js';
export * from './records.js';
export * from './builder.js';
export * from './control-batch.js';
export * from './validate.js';
