import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as lz4napi from 'lz4-napi';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';
import {
  lz4Compress,
  lz4CompressAsync,
  lz4Decompress,
  lz4DecompressAsync,
} from '../../../../src/protocol/records/compression/lz4.js';
import { assertRecordError, assertRecordErrorAsync, kafkajsLz4, sampleText } from '../helpers.js';

const require = createRequire(import.meta.url);
/** npm `lz4` 0.6, the library under kafkajs-lz4 (its block-checksum option is broken, hence hand-made frames below). */
const lz4js = require('lz4') as {
  encode(data: Buffer, options?: Record<string, unknown>): Buffer;
  decode(data: Buffer): Buffer;
};

const MIB = 1 << 20;

/** A raw LZ4 block (lz4-napi prefixes its output with the u32 LE uncompressed size). */
function rawBlock(data: Buffer): Buffer {
  return lz4napi.compressSync(data).subarray(4);
}

interface FrameSpec {
  flg?: number;
  bd?: number;
  contentSize?: number;
  dictionaryId?: boolean;
  blocks: Array<{ data: Buffer; stored?: boolean }>;
  blockChecksum?: boolean;
  contentChecksum?: boolean;
}

/**
 * An LZ4 frame assembled by hand. Checksums (HC, block, content) are zeros: the decoder under
 * test does not verify them (the batch CRC covers the bytes), it only has to skip them.
 */
function frame(spec: FrameSpec): Buffer {
  let flg = spec.flg ?? 0x60;
  if (spec.contentSize !== undefined) flg |= 0x08;
  if (spec.blockChecksum) flg |= 0x10;
  if (spec.contentChecksum) flg |= 0x04;
  if (spec.dictionaryId) flg |= 0x01;
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18, flg, spec.bd ?? 0x40])];
  if (spec.contentSize !== undefined) {
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(spec.contentSize));
    parts.push(size);
  }
  if (spec.dictionaryId) parts.push(Buffer.alloc(4));
  parts.push(Buffer.from([0x00])); // HC
  for (const block of spec.blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((block.data.length | (block.stored ? 0x80000000 : 0)) >>> 0);
    parts.push(size, block.data);
    if (spec.blockChecksum) parts.push(Buffer.alloc(4));
  }
  parts.push(Buffer.alloc(4)); // end mark
  if (spec.contentChecksum) parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

test('our frames are standard: magic, independent blocks, no checksums (as Java)', async () => {
  const small = lz4Compress(sampleText(60_000));
  assert.equal(small.readUInt32LE(0), 0x184d2204);
  assert.equal(small[4], 0x60, 'FLG: version 01, independent blocks, nothing else');
  assert.equal(small[5], 0x40, 'BD: 64 KiB blocks');
  const data = sampleText(500_000);
  const compressed = lz4Compress(data);
  assert.equal(compressed[4], 0x60);
  assert.deepEqual(lz4Decompress(compressed, MIB), data);
  assert.deepEqual(await lz4DecompressAsync(await lz4CompressAsync(data), MIB), data);
  assert.deepEqual(lz4js.decode(compressed), data);
  assert.deepEqual(lz4Decompress(lz4Compress(Buffer.alloc(0)), 0), Buffer.alloc(0));
});

test('kafkajs-lz4 frames decode: 4 MiB blocks with a content checksum', async () => {
  const data = Buffer.concat([sampleText(3 * MIB, 11), Buffer.alloc(2 * MIB, 7)]); // two 4 MiB blocks
  const compressed = await kafkajsLz4.compress({ buffer: data });
  assert.equal(compressed[4], 0x64, 'FLG: independent blocks + content checksum');
  assert.equal(compressed[5], 0x70, 'BD: 4 MiB blocks');
  assert.deepEqual(lz4Decompress(compressed, 8 * MIB), data);
  assert.deepEqual(await lz4DecompressAsync(compressed, 8 * MIB), data);
  assert.deepEqual(await kafkajsLz4.decompress(lz4Compress(data)), data);
});

test('@platformatic/kafka frames decode (256 KiB blocks)', async (t) => {
  // A transitive dependency (of @platformatic/kafka): imported by a computed name so that the
  // build does not depend on how npm hoists it.
  const moduleName = '@platformatic/wasm-utils';
  let wasm: { lz4Compress(data: Buffer): Uint8Array } | undefined;
  try {
    wasm = (await import(moduleName)) as typeof wasm;
  } catch {
    t.skip('@platformatic/wasm-utils is not installed');
    return;
  }
  const data = sampleText(200_000, 4);
  const compressed = Buffer.from(wasm!.lz4Compress(data));
  assert.equal(compressed[5], 0x50, 'BD: 256 KiB blocks');
  assert.deepEqual(lz4Decompress(compressed, MIB), data);
});

test('content size, stored blocks, checksums and skippable frames in hand-made frames', () => {
  const first = sampleText(40_000, 8);
  const second = sampleText(1000, 9);
  const made = frame({
    contentSize: first.length + second.length,
    blockChecksum: true,
    contentChecksum: true,
    blocks: [{ data: rawBlock(first) }, { data: second, stored: true }],
  });
  assert.deepEqual(lz4Decompress(made, MIB), Buffer.concat([first, second]));
  const skippable = Buffer.concat([Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]), made]);
  assert.deepEqual(lz4Decompress(skippable, MIB), Buffer.concat([first, second]));
  // two frames back to back
  assert.deepEqual(lz4Decompress(Buffer.concat([lz4Compress(first), lz4Compress(second)]), MIB), Buffer.concat([first, second]));
  assertRecordError(
    () => lz4Decompress(frame({ contentSize: 5, blocks: [{ data: second, stored: true }] }), MIB),
    ErrorCode.CORRUPT_MESSAGE,
    /declare 5 bytes but hold 1000/,
  );
});

test('lz4 stops within one block of the limit (MESSAGE_TOO_LARGE)', async () => {
  const bomb = lz4Compress(Buffer.alloc(32 * MIB));
  assertRecordError(() => lz4Decompress(bomb, MIB), ErrorCode.MESSAGE_TOO_LARGE, /limit of 1048576/);
  await assertRecordErrorAsync(() => lz4DecompressAsync(bomb, MIB), ErrorCode.MESSAGE_TOO_LARGE);
  const declared = frame({ contentSize: 10 * MIB, blocks: [] });
  assertRecordError(() => lz4Decompress(declared, MIB), ErrorCode.MESSAGE_TOO_LARGE, /declare 10485760/);
  const exact = lz4Compress(Buffer.alloc(100_000, 3));
  assert.equal(lz4Decompress(exact, 100_000).length, 100_000);
  assertRecordError(() => lz4Decompress(exact, 99_999), ErrorCode.MESSAGE_TOO_LARGE);
});

const block = rawBlock(sampleText(1000));
const corruptions: Array<[string, Buffer, RegExp]> = [
  ['empty input', Buffer.alloc(0), /no frame/],
  ['unknown magic', Buffer.from([1, 2, 3, 4, 5, 6, 7]), /unknown frame magic/],
  ['frame version 00', frame({ flg: 0x20, blocks: [] }), /version/],
  ['reserved FLG bit', frame({ flg: 0x62, blocks: [] }), /reserved FLG/],
  ['dependent blocks', frame({ flg: 0x40, blocks: [{ data: block }] }), /dependent blocks/],
  ['dictionary id', frame({ dictionaryId: true, blocks: [] }), /dictionary/],
  ['reserved BD bits', frame({ bd: 0x41, blocks: [] }), /reserved bits/],
  ['block size code 3', frame({ bd: 0x30, blocks: [] }), /block maximum size code 3/],
  ['block above the maximum', frame({ blocks: [{ data: Buffer.alloc(70_000), stored: true }] }), /exceeds/],
  ['truncated header', frame({ blocks: [] }).subarray(0, 5), /truncated/],
  ['truncated block', frame({ blocks: [{ data: block }] }).subarray(0, 20), /truncated/],
  ['missing end mark', frame({ blocks: [{ data: block }] }).subarray(0, 7 + 4 + block.length), /truncated/],
  ['garbage block', frame({ blocks: [{ data: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) }] }), /^lz4: /],
  ['trailing garbage', Buffer.concat([lz4Compress(Buffer.from('x')), Buffer.from([9, 9])]), /truncated/],
];
for (const [name, input, message] of corruptions) {
  test(`lz4 corruption is CORRUPT_MESSAGE: ${name}`, async () => {
    assertRecordError(() => lz4Decompress(input, MIB), ErrorCode.CORRUPT_MESSAGE, message);
    await assertRecordErrorAsync(() => lz4DecompressAsync(input, MIB), ErrorCode.CORRUPT_MESSAGE, message);
  });
}
