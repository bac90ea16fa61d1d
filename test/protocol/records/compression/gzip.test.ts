import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  gzipCompress,
  gzipCompressAsync,
  gzipDecompress,
  gzipDecompressAsync,
} from '../../../../src/protocol/records/compression/gzip.js';
import { assertRecordError, assertRecordErrorAsync, sampleText } from '../helpers.js';

const require = createRequire(import.meta.url);
const kafkajsGzip = require('kafkajs/src/protocol/message/compression/gzip.js') as {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
};

test('gzip round-trips, sync and async, at any level', async () => {
  const data = sampleText(200_000);
  for (const level of [undefined, 1, 9]) {
    assert.deepEqual(gzipDecompress(gzipCompress(data, level), 1 << 20), data);
    assert.deepEqual(await gzipDecompressAsync(await gzipCompressAsync(data, level), 1 << 20), data);
  }
  assert.deepEqual(gzipDecompress(gzipCompress(Buffer.alloc(0)), 0), Buffer.alloc(0));
});

test('gzip reads what kafkajs writes and kafkajs reads what we write', async () => {
  const data = sampleText(50_000, 7);
  assert.deepEqual(gzipDecompress(await kafkajsGzip.compress({ buffer: data }), 1 << 20), data);
  assert.deepEqual(await kafkajsGzip.decompress(gzipCompress(data)), data);
});

test('gzip stops inflating at the limit (MESSAGE_TOO_LARGE)', async () => {
  const bomb = gzipSync(Buffer.alloc(16 << 20));
  assert.ok(bomb.length < 64 << 10);
  assertRecordError(() => gzipDecompress(bomb, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE, /limit of 1048576/);
  await assertRecordErrorAsync(() => gzipDecompressAsync(bomb, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE);
  const exact = gzipSync(Buffer.alloc(1000, 1));
  assert.equal(gzipDecompress(exact, 1000).length, 1000);
  assertRecordError(() => gzipDecompress(exact, 999), ErrorCode.MESSAGE_TOO_LARGE);
  assertRecordError(() => gzipDecompress(gzipSync(Buffer.alloc(1)), 0), ErrorCode.MESSAGE_TOO_LARGE);
});

test('gzip garbage, truncation and empty input are CORRUPT_MESSAGE', async () => {
  const good = gzipCompress(sampleText(10_000));
  assertRecordError(() => gzipDecompress(Buffer.from('not gzip at all'), 1 << 20), ErrorCode.CORRUPT_MESSAGE, /^gzip: /);
  assertRecordError(() => gzipDecompress(good.subarray(0, good.length - 5), 1 << 20), ErrorCode.CORRUPT_MESSAGE);
  assertRecordError(() => gzipDecompress(Buffer.alloc(0), 1 << 20), ErrorCode.CORRUPT_MESSAGE);
  await assertRecordErrorAsync(() => gzipDecompressAsync(Buffer.from('nope'), 1 << 20), ErrorCode.CORRUPT_MESSAGE);
});

test('a negative or fractional limit is a programming error', () => {
  assert.throws(() => gzipDecompress(gzipCompress(Buffer.alloc(1)), -1), RangeError);
  assert.throws(() => gzipDecompress(gzipCompress(Buffer.alloc(1)), 1.5), RangeError);
});
