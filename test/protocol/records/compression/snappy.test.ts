import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as snappy from 'snappy';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  isXerialFramed,
  snappyCompress,
  snappyCompressAsync,
  snappyDecompress,
  snappyDecompressAsync,
} from '../../../../src/protocol/records/compression/snappy.js';
import { assertRecordError, assertRecordErrorAsync, kafkajsSnappy, sampleText } from '../helpers.js';

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

/** Xerial framing as Java's SnappyOutputStream and kafka-python write it: 32 KiB input blocks. */
function xerial(data: Buffer, blockSize = 32 * 1024): Buffer {
  const header = Buffer.alloc(16);
  Buffer.from(XERIAL_MAGIC).copy(header, 0);
  header.writeInt32BE(1, 8); // version
  header.writeInt32BE(1, 12); // minimum compatible version
  const parts: Buffer[] = [header];
  for (let start = 0; start < data.length; start += blockSize) {
    const block = snappy.compressSync(data.subarray(start, start + blockSize));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

test('raw snappy round-trips, sync and async', async () => {
  const data = sampleText(300_000);
  const compressed = snappyCompress(data);
  assert.equal(isXerialFramed(compressed), false);
  assert.deepEqual(snappyDecompress(compressed, 1 << 20), data);
  assert.deepEqual(await snappyDecompressAsync(await snappyCompressAsync(data), 1 << 20), data);
  assert.deepEqual(snappyDecompress(snappyCompress(Buffer.alloc(0)), 0), Buffer.alloc(0));
});

test('xerial framing written by hand decodes (Java and kafka-python write it)', async () => {
  const data = sampleText(100_000, 3);
  const framed = xerial(data);
  assert.equal(isXerialFramed(framed), true);
  assert.deepEqual(snappyDecompress(framed, 1 << 20), data);
  assert.deepEqual(await snappyDecompressAsync(framed, 1 << 20), data);
  // a header without blocks is an empty payload
  assert.deepEqual(snappyDecompress(xerial(Buffer.alloc(0)), 0), Buffer.alloc(0));
});

test('snappy interoperates with kafkajs-snappy (snappyjs) both ways', async () => {
  const data = sampleText(70_000, 5);
  assert.deepEqual(snappyDecompress(await kafkajsSnappy.compress({ buffer: data }), 1 << 20), data);
  assert.deepEqual(await kafkajsSnappy.decompress(snappyCompress(data)), data);
  assert.deepEqual(await kafkajsSnappy.decompress(xerial(data)), data);
});

test('snappy refuses to inflate beyond the limit, from the declared lengths', async () => {
  const big = snappyCompress(Buffer.alloc(4 << 20));
  assertRecordError(() => snappyDecompress(big, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE, /declare at least 4194304/);
  await assertRecordErrorAsync(() => snappyDecompressAsync(big, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE);
  const framed = xerial(Buffer.alloc(200_000));
  assertRecordError(() => snappyDecompress(framed, 100_000), ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(snappyDecompress(framed, 200_000).length, 200_000);
});

const corruptData = sampleText(10_000);
const corruptFramed = xerial(corruptData);
const corruptions: Array<[string, Buffer]> = [
  ['empty', Buffer.alloc(0)],
  ['garbage', Buffer.from([0x05, 0xff, 0xff, 0xff])],
  ['endless preamble', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ['truncated raw', snappyCompress(corruptData).subarray(0, 100)],
  ['xerial truncated block length', corruptFramed.subarray(0, 18)],
  ['xerial block past the end', corruptFramed.subarray(0, corruptFramed.length - 1)],
  ['xerial negative block length', Buffer.concat([corruptFramed.subarray(0, 16), Buffer.from([0xff, 0xff, 0xff, 0xff])])],
  ['xerial empty block', Buffer.concat([corruptFramed.subarray(0, 16), Buffer.alloc(4)])],
];
for (const [name, input] of corruptions) {
  test(`snappy corruption is CORRUPT_MESSAGE: ${name}`, async () => {
    assertRecordError(() => snappyDecompress(input, 1 << 20), ErrorCode.CORRUPT_MESSAGE, /^snappy: /);
    await assertRecordErrorAsync(() => snappyDecompressAsync(input, 1 << 20), ErrorCode.CORRUPT_MESSAGE, /^snappy: /);
  });
}
