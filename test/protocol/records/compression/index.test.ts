import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  COMPRESSION_TYPE_NAMES,
  CompressionType,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  isKnownCompressionType,
} from '../../../../src/protocol/records/compression/index.js';
import { assertRecordError, assertRecordErrorAsync, sampleText } from '../helpers.js';

const ALL = [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD];

for (const type of ALL) {
  test(`${COMPRESSION_TYPE_NAMES[type]} round-trips through compress/decompress, sync and async`, async () => {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), sampleText(250_000, type)]) {
      assert.deepEqual(decompress(type, compress(type, data), 1 << 20), data);
      assert.deepEqual(await decompressAsync(type, await compressAsync(type, data), 1 << 20), data);
      // sync and async encoders are interchangeable
      assert.deepEqual(decompress(type, await compressAsync(type, data), 1 << 20), data);
    }
  });
}

test('codec levels reach gzip and zstd', () => {
  const data = sampleText(100_000);
  assert.ok(compress(CompressionType.GZIP, data, 1).length > compress(CompressionType.GZIP, data, 9).length);
  assert.ok(compress(CompressionType.ZSTD, data, 1).length > compress(CompressionType.ZSTD, data, 19).length);
});

test('codecs 5-7 are UNSUPPORTED_COMPRESSION_TYPE', async () => {
  for (const type of [5, 6, 7]) {
    assert.equal(isKnownCompressionType(type), false);
    assertRecordError(() => decompress(type as CompressionType, Buffer.from('x'), 10), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assertRecordError(() => compress(type as CompressionType, Buffer.from('x')), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    await assertRecordErrorAsync(() => decompressAsync(type as CompressionType, Buffer.from('x'), 10), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  assert.equal(isKnownCompressionType(4), true);
});

test('NONE hands the bytes back untouched', () => {
  const data = Buffer.from('abc');
  assert.equal(decompress(CompressionType.NONE, data, 0), data);
  assert.equal(compress(CompressionType.NONE, data), data);
});

test('every codec enforces the limit', async () => {
  const data = Buffer.alloc(3 << 20, 1);
  for (const type of ALL.slice(1)) {
    const compressed = compress(type, data);
    assertRecordError(() => decompress(type, compressed, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE);
    await assertRecordErrorAsync(() => decompressAsync(type, compressed, 1 << 20), ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(decompress(type, compressed, 4 << 20).length, data.length);
  }
});
