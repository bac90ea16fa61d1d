import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  zstdCompress,
  zstdCompressAsync,
  zstdDecompress,
  zstdDecompressAsync,
  zstdDecompressedSizeBound,
} from '../../../../src/protocol/records/compression/zstd.js';
import { assertRecordError, assertRecordErrorAsync, randomBytesFrom, sampleText, seededRandom } from '../helpers.js';

const MIB = 1 << 20;
const MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const RAW = 0;
const RLE = 1;
const COMPRESSED = 2;

function blockHeader(size: number, type: number, last: boolean): Buffer {
  const value = (size << 3) | (type << 1) | (last ? 1 : 0);
  return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff]);
}

interface Block {
  type: number;
  size: number;
  content: Buffer;
}
const raw = (content: Buffer): Block => ({ type: RAW, size: content.length, content });
const rle = (byte: number, size: number): Block => ({ type: RLE, size, content: Buffer.from([byte]) });

/**
 * A zstd frame assembled by hand (RFC 8878 §3.1.1). Without `contentSize` it is what Java's
 * streaming writer produces: no content size, a window descriptor (here 2^windowLog).
 */
function frame(blocks: Block[], options: { contentSize?: number; windowLog?: number; descriptor?: number } = {}): Buffer {
  const parts: Buffer[] = [MAGIC];
  if (options.contentSize !== undefined) {
    // single segment, 4-byte content size
    parts.push(Buffer.from([options.descriptor ?? 0xa0]));
    const size = Buffer.alloc(4);
    size.writeUInt32LE(options.contentSize);
    parts.push(size);
  } else {
    parts.push(Buffer.from([options.descriptor ?? 0x00, ((options.windowLog ?? 17) - 10) << 3]));
  }
  blocks.forEach((block, index) => parts.push(blockHeader(block.size, block.type, index === blocks.length - 1), block.content));
  return Buffer.concat(parts);
}

test('zstd round-trips, sync and async, at several levels', async () => {
  const data = sampleText(400_000);
  for (const level of [1, 3, 19]) {
    assert.deepEqual(zstdDecompress(zstdCompress(data, level), MIB), data);
    assert.deepEqual(await zstdDecompressAsync(await zstdCompressAsync(data, level), MIB), data);
  }
});

test('frames without content size decode (as Java writes them)', () => {
  const data = sampleText(300_000, 2);
  const compressed = zstdCompress(data);
  const descriptor = compressed[4]!;
  assert.equal(descriptor >> 6, 0, 'no content-size field');
  assert.equal(descriptor & 0x20, 0, 'not single-segment, so no implied content size');
  assert.deepEqual(zstdDecompress(compressed, MIB), data);
});

test('hand-made frames decode: raw and RLE blocks, content size, skippable and several frames', async () => {
  const tail = Buffer.from('xyz');
  const expected = Buffer.concat([Buffer.alloc(3000, 'a'), tail]);
  const withoutSize = frame([rle(0x61, 1000), rle(0x61, 1000), rle(0x61, 1000), raw(tail)]);
  assert.deepEqual(zstdDecompress(withoutSize, MIB), expected);
  assert.equal(zstdDecompressedSizeBound(withoutSize), 3003);
  const withSize = frame([raw(tail)], { contentSize: 3 });
  assert.deepEqual(zstdDecompress(withSize, MIB), tail);
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 0xaa, 0xbb]);
  const several = Buffer.concat([skippable, withoutSize, zstdCompress(tail), withSize]);
  assert.deepEqual(zstdDecompress(several, MIB), Buffer.concat([expected, tail, tail]));
  assert.deepEqual(await zstdDecompressAsync(several, MIB), Buffer.concat([expected, tail, tail]));
});

test('the header bound is never below the real size', () => {
  const random = seededRandom(42);
  const inputs = [sampleText(1), sampleText(131_072), sampleText(1_000_000, 5), randomBytesFrom(random, 300_000), Buffer.alloc(2 * MIB)];
  for (const input of inputs) {
    for (const level of [1, 3, 19]) {
      const bound = zstdDecompressedSizeBound(zstdCompress(input, level));
      assert.ok(bound >= input.length, `bound ${bound} < ${input.length} at level ${level}`);
      // Full 128 KiB blocks are counted exactly at the default level; only the last one is rounded up.
      if (level === 3) assert.ok(bound < input.length + 128 * 1024, `bound ${bound} for ${input.length}`);
    }
  }
});

test('a zstd bomb is refused from its headers, before inflating (MESSAGE_TOO_LARGE)', async () => {
  // 4 bytes per 128 KiB RLE block: 8192 blocks inflate to 1 GiB from 32 KiB.
  const blocks = Array.from({ length: 8192 }, () => rle(0, 128 * 1024));
  const bomb = frame(blocks);
  assert.ok(bomb.length < 40_000);
  assertRecordError(() => zstdDecompress(bomb, MIB), ErrorCode.MESSAGE_TOO_LARGE, /may inflate to 1073741824/);
  await assertRecordErrorAsync(() => zstdDecompressAsync(bomb, MIB), ErrorCode.MESSAGE_TOO_LARGE);
  const real = zstdCompress(Buffer.alloc(64 * MIB));
  assert.ok(real.length < 10_000);
  assertRecordError(() => zstdDecompress(real, MIB), ErrorCode.MESSAGE_TOO_LARGE);
  // A declared content size counts even when the blocks claim less (libzstd decodes such a frame
  // in one pass into the space the size asks for).
  const declared = frame([raw(Buffer.from('abc'))], { contentSize: 5 * MIB });
  assert.equal(zstdDecompressedSizeBound(declared), 5 * MIB);
  assertRecordError(() => zstdDecompress(declared, MIB), ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(zstdDecompress(frame([rle(1, 5000)]), 5000).length, 5000);
  assertRecordError(() => zstdDecompress(frame([rle(1, 5000)]), 4999), ErrorCode.MESSAGE_TOO_LARGE);
});

const good = zstdCompress(sampleText(50_000));
const corruptions: Array<[string, Buffer, RegExp]> = [
  ['empty input', Buffer.alloc(0), /no frame/],
  ['unknown magic', Buffer.from('garbage garbage'), /unknown frame magic/],
  ['truncated frame', good.subarray(0, good.length - 10), /truncated|zstd: /],
  ['truncated header', good.subarray(0, 5), /truncated/],
  ['reserved descriptor bit', frame([raw(Buffer.from('a'))], { descriptor: 0x08 }), /reserved frame header bit/],
  ['reserved block type', frame([{ type: 3, size: 1, content: Buffer.from('a') }]), /reserved block type/],
  ['block above the window', frame([raw(Buffer.alloc(2000))], { windowLog: 10 }), /exceeds/],
  ['garbage compressed block', frame([{ type: COMPRESSED, size: 8, content: Buffer.from([0xff, 1, 2, 3, 4, 5, 6, 7]) }]), /^zstd: /],
  ['content size mismatch', frame([raw(Buffer.from('abc'))], { contentSize: 2 }), /^zstd: /],
  ['trailing garbage', Buffer.concat([good, Buffer.from([1, 2, 3])]), /truncated/],
];
for (const [name, input, message] of corruptions) {
  test(`zstd corruption is CORRUPT_MESSAGE: ${name}`, async () => {
    assertRecordError(() => zstdDecompress(input, MIB), ErrorCode.CORRUPT_MESSAGE, message);
    await assertRecordErrorAsync(() => zstdDecompressAsync(input, MIB), ErrorCode.CORRUPT_MESSAGE, message);
  });
}
