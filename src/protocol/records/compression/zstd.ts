/**
 * zstd (codec 4), through @toondepauw/node-zstd (libzstd's streaming decoder): it reads frames
 * with or without a content size — Java's ZstdOutputStream writes them without — and several
 * frames back to back. Node 20 has no zstd in node:zlib.
 *
 * Bounding: the binding inflates to the end with no limit, so before calling it we walk the
 * frame and block headers (RFC 8878 §3.1.1) and add up the most each block can produce:
 *   raw block        its Block_Size
 *   RLE block        its Block_Size (the regenerated length)
 *   compressed block Block_Maximum_Size = min(Window_Size, 128 KiB)
 * and, for a frame that declares its content size, at least that size. libzstd's streaming
 * decoder refuses any block that inflates beyond Block_Maximum_Size ("Decompressed Block Size
 * Exceeds Maximum"). It decodes a frame with a content size in one pass instead, into output
 * space it has already reserved, and fails unless the frame yields exactly that size. So the
 * sum bounds what the decoder can allocate, and costs one pass over a few bytes per 128 KiB.
 *
 * The bound is exact except for compressed blocks shorter than the maximum: normally only the
 * last block of a frame, so a frame within ~128 KiB of the limit may be refused. At high levels
 * libzstd splits blocks and the bound grows: measured on JSON, ≤ 1.05× of 1 MB up to level 15,
 * 2.8× of 1 MB and 7.9× of 100 KB at level 19 (Kafka's default level is 3).
 * Limits should leave that headroom; an exact streaming limit would need a binding that exposes
 * ZSTD_decompressStream's output buffer (zstd-napi), or node:zlib zstd (Node 22.15+).
 */
import { Decoder, Encoder } from '@toondepauw/node-zstd';
import { checkMaxBytes, corruptCompressedData, decompressedTooLarge, messageOf } from './errors.js';

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC_BASE = 0x184d2a50;
/** ZSTD_BLOCKSIZE_MAX. */
const MAX_BLOCK_SIZE = 128 * 1024;
const BLOCK_HEADER_SIZE = 3;
const CHECKSUM_SIZE = 4;
const DICTIONARY_ID_SIZES = [0, 1, 2, 4] as const;
const BLOCK_TYPE_RAW = 0;
const BLOCK_TYPE_RLE = 1;
const BLOCK_TYPE_COMPRESSED = 2;

/** Kafka's default zstd level (compression.zstd.level = 3, zstd's own default). */
export const DEFAULT_ZSTD_LEVEL = 3;

const decoder = new Decoder();
const encoders = new Map<number, Encoder>();

function encoderFor(level: number): Encoder {
  let encoder = encoders.get(level);
  if (encoder === undefined) {
    encoder = new Encoder(level);
    encoders.set(level, encoder);
  }
  return encoder;
}

/**
 * The most bytes the frames in `data` can inflate to, from their headers alone. Throws
 * CORRUPT_MESSAGE for anything that is not a sequence of whole zstd (or skippable) frames.
 */
export function zstdDecompressedSizeBound(data: Buffer): number {
  let bound = 0;
  let frames = 0;
  let position = 0;
  const need = (bytes: number, what: string): void => {
    if (data.length - position < bytes) throw corruptCompressedData('zstd', `truncated frame: ${what}`);
  };
  while (position < data.length) {
    need(4, 'magic');
    const magic = data.readUInt32LE(position);
    position += 4;
    if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC_BASE) {
      need(4, 'skippable frame size');
      const size = data.readUInt32LE(position);
      position += 4;
      need(size, 'skippable frame');
      position += size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corruptCompressedData('zstd', `unknown frame magic 0x${magic.toString(16)}`);
    frames++;
    need(1, 'frame header descriptor');
    const descriptor = data[position++]!;
    const contentSizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const hasChecksum = (descriptor & 0x04) !== 0;
    if ((descriptor & 0x08) !== 0) throw corruptCompressedData('zstd', 'reserved frame header bit set');
    let windowSize = 0;
    if (!singleSegment) {
      need(1, 'window descriptor');
      const windowDescriptor = data[position++]!;
      const windowBase = 2 ** (10 + (windowDescriptor >> 3));
      windowSize = windowBase + (windowBase / 8) * (windowDescriptor & 0x07);
    }
    const dictionaryIdSize = DICTIONARY_ID_SIZES[descriptor & 0x03]!;
    need(dictionaryIdSize, 'dictionary id');
    position += dictionaryIdSize;
    const contentSizeBytes = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag;
    need(contentSizeBytes, 'content size');
    let contentSize = -1;
    if (contentSizeBytes === 1) contentSize = data[position]!;
    else if (contentSizeBytes === 2) contentSize = data.readUInt16LE(position) + 256;
    else if (contentSizeBytes === 4) contentSize = data.readUInt32LE(position);
    else if (contentSizeBytes === 8) contentSize = data.readUInt32LE(position) + data.readUInt32LE(position + 4) * 2 ** 32;
    position += contentSizeBytes;
    // A single-segment frame has no window descriptor: its window is the whole content.
    if (singleSegment) windowSize = contentSize;
    const blockMaximumSize = Math.min(windowSize, MAX_BLOCK_SIZE);
    let frameBound = 0;
    for (;;) {
      need(BLOCK_HEADER_SIZE, 'block header');
      const header = data[position]! | (data[position + 1]! << 8) | (data[position + 2]! << 16);
      position += BLOCK_HEADER_SIZE;
      const lastBlock = (header & 1) !== 0;
      const blockType = (header >> 1) & 0x03;
      const blockSize = header >>> 3;
      if (blockSize > blockMaximumSize) {
        throw corruptCompressedData('zstd', `block of ${blockSize} bytes exceeds the frame's block maximum ${blockMaximumSize}`);
      }
      if (blockType === BLOCK_TYPE_RAW) {
        need(blockSize, 'raw block');
        position += blockSize;
        frameBound += blockSize;
      } else if (blockType === BLOCK_TYPE_RLE) {
        need(1, 'RLE block');
        position += 1;
        frameBound += blockSize;
      } else if (blockType === BLOCK_TYPE_COMPRESSED) {
        need(blockSize, 'compressed block');
        position += blockSize;
        frameBound += blockMaximumSize;
      } else {
        throw corruptCompressedData('zstd', 'reserved block type');
      }
      if (lastBlock) break;
    }
    if (hasChecksum) {
      need(CHECKSUM_SIZE, 'content checksum');
      position += CHECKSUM_SIZE;
    }
    bound += Math.max(frameBound, contentSize);
  }
  if (frames === 0) throw corruptCompressedData('zstd', 'no frame');
  return bound;
}

function checkBound(data: Buffer, maxBytes: number): void {
  checkMaxBytes(maxBytes);
  const bound = zstdDecompressedSizeBound(data);
  if (bound > maxBytes) throw decompressedTooLarge('zstd', maxBytes, `the frames may inflate to ${bound} bytes`);
}

/** A frame without content size, as Java's streaming writer produces. */
export function zstdCompress(data: Buffer, level = DEFAULT_ZSTD_LEVEL): Buffer {
  return encoderFor(level).encodeSync(data);
}

export function zstdCompressAsync(data: Buffer, level = DEFAULT_ZSTD_LEVEL): Promise<Buffer> {
  return encoderFor(level).encode(data);
}

export function zstdDecompress(data: Buffer, maxBytes: number): Buffer {
  checkBound(data, maxBytes);
  try {
    return decoder.decodeSync(data);
  } catch (error) {
    throw corruptCompressedData('zstd', messageOf(error), error);
  }
}

export async function zstdDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  checkBound(data, maxBytes);
  try {
    return await decoder.decode(data);
  } catch (error) {
    throw corruptCompressedData('zstd', messageOf(error), error);
  }
}
