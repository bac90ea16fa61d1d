/**
 * snappy (codec 2). Two framings reach a broker (NOTES.md §3.5):
 * - raw snappy, one block: `uvarint uncompressedLength | elements…` — librdkafka, kafkajs
 *   (kafkajs-snappy) and @platformatic/kafka write it;
 * - xerial framing — the Java client and kafka-python write it:
 *     magic 82 53 4E 41 50 50 59 00 | int32 version | int32 minCompatibleVersion
 *     then repeated [int32 BE blockLength | raw snappy block] (32 KiB input blocks).
 * Both are read; raw is written, like librdkafka and kafkajs (every client reads raw; Java's
 * SnappyInputStream falls back to raw when the magic is absent).
 *
 * Bounding: a raw block declares its uncompressed length up front and the native decoder
 * (Rust `snap`) refuses output of any other length, so the declared length is checked against
 * the remaining budget before anything is inflated.
 */
import * as snappy from 'snappy';
import { checkMaxBytes, concatChunks, corruptCompressedData, decompressedTooLarge, messageOf } from './errors.js';

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** magic(8) + version int32 + minCompatibleVersion int32. */
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_LENGTH_SIZE = 4;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && XERIAL_MAGIC.equals(data.subarray(0, XERIAL_MAGIC.length));
}

/**
 * The uncompressed length a raw snappy block declares (a little-endian base-128 varint of at
 * most 32 bits).
 */
function declaredLength(block: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return value;
    }
  }
  throw corruptCompressedData('snappy', 'invalid uncompressed-length preamble');
}

/** The [start, end) ranges of the raw blocks inside `data`, whichever framing it uses. */
function rawBlocks(data: Buffer): Array<[number, number]> {
  if (!isXerialFramed(data)) return [[0, data.length]];
  const blocks: Array<[number, number]> = [];
  let position = XERIAL_HEADER_SIZE;
  while (position < data.length) {
    if (data.length - position < XERIAL_BLOCK_LENGTH_SIZE) {
      throw corruptCompressedData('snappy', 'truncated xerial block length');
    }
    const length = data.readInt32BE(position);
    position += XERIAL_BLOCK_LENGTH_SIZE;
    if (length < 0 || length > data.length - position) {
      throw corruptCompressedData('snappy', `xerial block of ${length} bytes does not fit in ${data.length - position}`);
    }
    blocks.push([position, position + length]);
    position += length;
  }
  return blocks;
}

/** Checks each block's declared length against the budget; returns the total. */
function plannedLength(data: Buffer, blocks: Array<[number, number]>, maxBytes: number): number {
  let total = 0;
  for (const [start, end] of blocks) {
    total += declaredLength(data.subarray(start, end));
    if (total > maxBytes) throw decompressedTooLarge('snappy', maxBytes, `the blocks declare at least ${total} bytes`);
  }
  return total;
}

/** The binding's messages already start with "snappy: ". */
function nativeMessage(error: unknown): string {
  return messageOf(error).replace(/^snappy: /, '');
}

function uncompressBlock(block: Buffer): Buffer {
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw corruptCompressedData('snappy', nativeMessage(error), error);
  }
}

async function uncompressBlockAsync(block: Buffer): Promise<Buffer> {
  try {
    return (await snappy.uncompress(block, { asBuffer: true })) as Buffer;
  } catch (error) {
    throw corruptCompressedData('snappy', nativeMessage(error), error);
  }
}

/** Raw snappy (one block), as librdkafka and kafkajs write it. */
export function snappyCompress(data: Buffer): Buffer {
  return snappy.compressSync(data);
}

export function snappyCompressAsync(data: Buffer): Promise<Buffer> {
  return snappy.compress(data);
}

export function snappyDecompress(data: Buffer, maxBytes: number): Buffer {
  checkMaxBytes(maxBytes);
  const blocks = rawBlocks(data);
  const total = plannedLength(data, blocks, maxBytes);
  const chunks = blocks.map(([start, end]) => uncompressBlock(data.subarray(start, end)));
  return concatChunks(chunks, total);
}

export async function snappyDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  checkMaxBytes(maxBytes);
  const blocks = rawBlocks(data);
  const total = plannedLength(data, blocks, maxBytes);
  const chunks: Buffer[] = [];
  for (const [start, end] of blocks) chunks.push(await uncompressBlockAsync(data.subarray(start, end)));
  return concatChunks(chunks, total);
}
