/**
 * lz4 (codec 3): Kafka uses the LZ4 *frame* format, and clients fill it differently
 * (NOTES.md §3.5): Java and librdkafka write 64 KiB independent blocks without checksums,
 * kafkajs-lz4 writes 4 MiB blocks with a content checksum, @platformatic/kafka 256 KiB blocks.
 *
 * Frame layout (lz4 frame format spec 1.6.x, all integers little-endian):
 *   magic u32 = 0x184D2204
 *   FLG u8   bits 7-6 version (01), 5 block independence, 4 block checksum, 3 content size,
 *            2 content checksum, 1 reserved, 0 dictionary id
 *   BD u8    bits 6-4 block maximum size (4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB), rest reserved
 *   [content size u64] [dictionary id u32]  HC u8 (header checksum)
 *   blocks:  u32 size (bit 31 set = stored uncompressed; 0 = end mark), data, [block checksum u32]
 *   [content checksum u32]
 * Skippable frames (magic 0x184D2A50-0x184D2A5F, u32 size, data) are skipped.
 *
 * We parse the frame here and hand each block to lz4-napi's raw block decoder, because
 * lz4-napi's own frame decoder inflates to the end without a limit. Each block is decoded into
 * at most the frame's block maximum size (at most 4 MiB) and the running total is checked
 * against the caller's limit after every block, so a bomb stops within one block of the limit.
 *
 * Checksums (HC, block, content; xxHash-32) are not verified: the batch's CRC-32C already
 * covers every compressed byte, which is the check Kafka relies on. Dependent (linked) blocks
 * are refused, as Kafka's reader refuses them; no client writes them.
 */
import * as lz4 from 'lz4-napi';
import { checkMaxBytes, concatChunks, corruptCompressedData, decompressedTooLarge, messageOf } from './errors.js';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC_BASE = 0x184d2a50;

const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICTIONARY_ID = 0x01;
const BD_RESERVED = 0x8f;

const BLOCK_UNCOMPRESSED_FLAG = 0x80000000;
const END_MARK = 0;
const CHECKSUM_SIZE = 4;

/** One data block: where its bytes are, and whether they are stored as is. */
interface Lz4Block {
  start: number;
  end: number;
  stored: boolean;
  /** The block maximum size of its frame: the most it may inflate to. */
  maxSize: number;
}

interface Lz4Layout {
  blocks: Lz4Block[];
  /** Sum of the content sizes the frames declare, or -1 if any frame omits it. */
  declaredContentSize: number;
}

function blockMaximumSize(bd: number): number {
  if ((bd & BD_RESERVED) !== 0) throw corruptCompressedData('lz4', `reserved bits set in block descriptor 0x${bd.toString(16)}`);
  const code = (bd >> 4) & 0x07;
  if (code < 4) throw corruptCompressedData('lz4', `invalid block maximum size code ${code}`);
  // 4 → 64 KiB, 5 → 256 KiB, 6 → 1 MiB, 7 → 4 MiB
  return 1 << (8 + 2 * code);
}

/** Walks the frames without inflating anything; every length is checked against the input. */
function parseFrames(data: Buffer): Lz4Layout {
  const blocks: Lz4Block[] = [];
  let declaredContentSize = 0;
  let frames = 0;
  let position = 0;
  const need = (bytes: number, what: string): void => {
    if (data.length - position < bytes) throw corruptCompressedData('lz4', `truncated frame: ${what}`);
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
    if (magic !== FRAME_MAGIC) throw corruptCompressedData('lz4', `unknown frame magic 0x${magic.toString(16)}`);
    frames++;
    need(3, 'frame descriptor');
    const flg = data[position]!;
    const bd = data[position + 1]!;
    position += 2;
    if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corruptCompressedData('lz4', `unsupported frame version in FLG 0x${flg.toString(16)}`);
    if ((flg & FLG_RESERVED) !== 0) throw corruptCompressedData('lz4', 'reserved FLG bit set');
    if ((flg & FLG_BLOCK_INDEPENDENCE) === 0) {
      throw corruptCompressedData('lz4', 'dependent blocks are not supported (Kafka requires independent blocks)');
    }
    if ((flg & FLG_DICTIONARY_ID) !== 0) throw corruptCompressedData('lz4', 'frames with a dictionary id are not supported');
    const maxSize = blockMaximumSize(bd);
    if ((flg & FLG_CONTENT_SIZE) !== 0) {
      need(8, 'content size');
      const size = data.readUInt32LE(position) + data.readUInt32LE(position + 4) * 2 ** 32;
      position += 8;
      if (declaredContentSize >= 0) declaredContentSize += size;
    } else {
      declaredContentSize = -1;
    }
    need(1, 'header checksum');
    position += 1;
    const blockChecksumSize = (flg & FLG_BLOCK_CHECKSUM) !== 0 ? CHECKSUM_SIZE : 0;
    for (;;) {
      need(4, 'block size');
      const word = data.readUInt32LE(position);
      position += 4;
      if (word === END_MARK) break;
      const stored = (word & BLOCK_UNCOMPRESSED_FLAG) !== 0;
      const size = (word & ~BLOCK_UNCOMPRESSED_FLAG) >>> 0;
      if (size > maxSize) throw corruptCompressedData('lz4', `block of ${size} bytes exceeds the frame's block maximum ${maxSize}`);
      need(size + blockChecksumSize, 'block data');
      blocks.push({ start: position, end: position + size, stored, maxSize });
      position += size + blockChecksumSize;
    }
    if ((flg & FLG_CONTENT_CHECKSUM) !== 0) {
      need(CHECKSUM_SIZE, 'content checksum');
      position += CHECKSUM_SIZE;
    }
  }
  if (frames === 0) throw corruptCompressedData('lz4', 'no frame');
  return { blocks, declaredContentSize };
}

/**
 * lz4-napi's block decoder takes the output capacity as a little-endian u32 prefix and fails if
 * the block inflates beyond it (lz4_flex `decompress_size_prepended`).
 */
function withCapacityPrefix(data: Buffer, block: Lz4Block): Buffer {
  const input = Buffer.allocUnsafe(4 + block.end - block.start);
  input.writeUInt32LE(block.maxSize, 0);
  data.copy(input, 4, block.start, block.end);
  return input;
}

function checkDeclaredSize(layout: Lz4Layout, maxBytes: number): void {
  if (layout.declaredContentSize > maxBytes) {
    throw decompressedTooLarge('lz4', maxBytes, `the frames declare ${layout.declaredContentSize} bytes`);
  }
}

function checkTotal(layout: Lz4Layout, total: number): void {
  if (layout.declaredContentSize >= 0 && total !== layout.declaredContentSize) {
    throw corruptCompressedData('lz4', `frames declare ${layout.declaredContentSize} bytes but hold ${total}`);
  }
}

/**
 * A standard frame: independent blocks, no checksums, as Java and librdkafka write it. lz4-napi
 * (lz4_flex) sizes the blocks from the input: 64 KiB blocks up to 64 KiB of input, 256 KiB up
 * to 256 KiB, 4 MiB beyond; every client reads all three (kafkajs-lz4 itself writes 4 MiB).
 */
export function lz4Compress(data: Buffer): Buffer {
  return lz4.compressFrameSync(data);
}

export function lz4CompressAsync(data: Buffer): Promise<Buffer> {
  return lz4.compressFrame(data);
}

export function lz4Decompress(data: Buffer, maxBytes: number): Buffer {
  checkMaxBytes(maxBytes);
  const layout = parseFrames(data);
  checkDeclaredSize(layout, maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for (const block of layout.blocks) {
    let chunk: Buffer;
    if (block.stored) {
      chunk = data.subarray(block.start, block.end);
    } else {
      try {
        chunk = lz4.uncompressSync(withCapacityPrefix(data, block));
      } catch (error) {
        throw corruptCompressedData('lz4', messageOf(error), error);
      }
    }
    total += chunk.length;
    if (total > maxBytes) throw decompressedTooLarge('lz4', maxBytes);
    chunks.push(chunk);
  }
  checkTotal(layout, total);
  return concatChunks(chunks, total);
}

export async function lz4DecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  checkMaxBytes(maxBytes);
  const layout = parseFrames(data);
  checkDeclaredSize(layout, maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  for (const block of layout.blocks) {
    let chunk: Buffer;
    if (block.stored) {
      chunk = data.subarray(block.start, block.end);
    } else {
      try {
        chunk = await lz4.uncompress(withCapacityPrefix(data, block));
      } catch (error) {
        throw corruptCompressedData('lz4', messageOf(error), error);
      }
    }
    total += chunk.length;
    if (total > maxBytes) throw decompressedTooLarge('lz4', maxBytes);
    chunks.push(chunk);
  }
  checkTotal(layout, total);
  return concatChunks(chunks, total);
}
