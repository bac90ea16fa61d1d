import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ProtocolDecodeError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import {
  ATTRIBUTES_OFFSET,
  CompressionType,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RecordBatchHeader,
  TimestampType,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import { writeBatchCrc } from '../../../src/protocol/records/crc32c.js';
import {
  decodeRecords,
  decodeRecordsAsync,
  iterateRecords,
  readBatchHeader,
  recordsPayload,
} from '../../../src/protocol/records/records.js';
import { assertRecordError, assertRecordErrorAsync, kafkajsBatch, sampleText } from './helpers.js';

const T0 = 1_700_000_000_000;

/** A copy of `batch` changed by `edit`, with its CRC made right again so the records are reached. */
function edited(batch: Buffer, edit: (copy: Buffer) => void): Buffer {
  const copy = Buffer.from(batch);
  edit(copy);
  writeBatchCrc(copy);
  return copy;
}

/** An uncompressed batch around hand-written record bytes (count as given). */
function withRecordBytes(recordBytes: number[], count = 1): Buffer {
  const base = buildRecordBatch({ records: [], lastOffsetDelta: count - 1 });
  const batch = Buffer.concat([base, Buffer.from(recordBytes)]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  batch.writeBigInt64BE(BigInt(T0), 27);
  writeBatchCrc(batch);
  return batch;
}

for (const compression of [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4]) {
  test(`decodes a batch made by kafkajs with codec ${CompressionType[compression]}`, async () => {
    const batch = await kafkajsBatch({
      compression,
      firstTimestamp: T0,
      maxTimestamp: T0 + 20,
      producerId: 9,
      producerEpoch: 1,
      firstSequence: 4,
      records: [
        { key: 'user-1', value: '{"a":1}', headers: { 'content-type': 'json', retry: '2' } },
        { key: null, value: sampleText(20_000), timestampDelta: 20 },
        { key: 'user-3', value: null, timestampDelta: 7 },
      ],
    });
    const header = readBatchHeader(batch);
    assert.equal(header.compressionType, compression);
    assert.equal(header.producerId, 9);
    assert.equal(header.lastSequence, 6);
    const records = decodeRecords(batch);
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null]),
      [
        [0, T0, 'user-1'],
        [1, T0 + 20, null],
        [2, T0 + 7, 'user-3'],
      ],
    );
    assert.deepEqual(records[0]!.headers, [
      { key: 'content-type', value: Buffer.from('json') },
      { key: 'retry', value: Buffer.from('2') },
    ]);
    assert.deepEqual(records[1]!.value, sampleText(20_000));
    assert.equal(records[2]!.value, null);
    assert.deepEqual(await decodeRecordsAsync(batch), records);
    assert.deepEqual([...iterateRecords(batch)], records);
  });
}

test('LogAppendTime: every record reads the batch maxTimestamp', () => {
  const batch = buildRecordBatch({
    baseOffset: 10,
    records: [{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 5 }],
    timestampType: TimestampType.LOG_APPEND_TIME,
    logAppendTime: T0 + 999,
  });
  assert.deepEqual(decodeRecords(batch).map((r) => r.timestamp), [T0 + 999, T0 + 999]);
  // The broker turns a CreateTime batch into LogAppendTime in place: bit 3, maxTimestamp, CRC.
  const created = buildRecordBatch({ records: [{ value: 'a', timestamp: T0 }] });
  const header = new RecordBatchHeader(created);
  created.writeInt16BE(header.attributes | 0x08, ATTRIBUTES_OFFSET);
  header.maxTimestamp = T0 + 5000;
  writeBatchCrc(created);
  assert.equal(decodeRecords(created)[0]!.timestamp, T0 + 5000);
});

test('keys and values are slices of the batch when it is uncompressed (no copy)', () => {
  const batch = buildRecordBatch({ records: [{ key: 'k', value: 'value' }] });
  const [record] = decodeRecords(batch);
  assert.equal(record!.value!.buffer, batch.buffer);
});

test('only the first batch of a longer buffer is decoded', () => {
  const first = buildRecordBatch({ records: [{ value: 'a' }] });
  const second = buildRecordBatch({ baseOffset: 1, records: [{ value: 'b' }] });
  assert.deepEqual(decodeRecords(Buffer.concat([first, second])).map((r) => r.value!.toString()), ['a']);
});

test('recordsPayload inflates the records section', () => {
  const batch = buildRecordBatch({ records: [{ value: sampleText(1000) }], compression: CompressionType.ZSTD });
  const plain = buildRecordBatch({ records: [{ value: sampleText(1000) }] });
  assert.deepEqual(recordsPayload(batch), plain.subarray(RECORD_BATCH_OVERHEAD));
});

test('batch framing errors are CORRUPT_MESSAGE, a wrong magic INVALID_RECORD', () => {
  const batch = buildRecordBatch({ records: [{ key: 'k', value: 'v' }] });
  assertRecordError(() => decodeRecords(batch.subarray(0, 30)), ErrorCode.CORRUPT_MESSAGE, /shorter than/);
  assertRecordError(() => decodeRecords(batch.subarray(0, batch.length - 1)), ErrorCode.CORRUPT_MESSAGE, /runs past/);
  assertRecordError(() => decodeRecords(edited(batch, (b) => b.writeInt32BE(20, 8))), ErrorCode.CORRUPT_MESSAGE, /smaller than/);
  const flipped = Buffer.from(batch);
  flipped[flipped.length - 2] ^= 0x20; // the value 'v' becomes 'V'
  assertRecordError(() => decodeRecords(flipped), ErrorCode.CORRUPT_MESSAGE, /stored crc/);
  assert.equal(decodeRecords(flipped, { verifyCrc: false })[0]!.value!.toString(), 'V');
  for (const magic of [0, 1, 3]) {
    assertRecordError(() => decodeRecords(edited(batch, (b) => (b[MAGIC_OFFSET] = magic))), ErrorCode.INVALID_RECORD, /magic/);
  }
  assertRecordError(
    () => decodeRecords(edited(batch, (b) => b.writeInt16BE(6, ATTRIBUTES_OFFSET))),
    ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  );
});

test('record structure errors are INVALID_RECORD', () => {
  const ok = [16, 0, 0, 0, 2, 0x6b, 2, 0x76, 0]; // length 8: attrs, ts 0, offset 0, key "k", value "v", 0 headers
  assert.equal(decodeRecords(withRecordBytes(ok)).length, 1);
  const cases: Array<[string, number[], number, RegExp]> = [
    ['count above the records', ok, 2, /cannot fit|malformed|declares/],
    ['count below the records', [...ok, ...ok], 1, /remain after/],
    ['length too long', [18, 0, 0, 0, 2, 0x6b, 2, 0x76, 0, 0], 1, /declares 9 bytes but its fields take 8/],
    ['length too short', [14, 0, 0, 0, 2, 0x6b, 2, 0x76, 0, 0], 1, /declares|malformed/],
    ['negative length', [1, 0, 0, 0, 2, 0x6b, 2, 0x76, 0], 1, /declares -1/],
    ['key length past the record', [16, 0, 0, 0, 40, 0x6b, 2, 0x76, 0], 1, /malformed/],
    ['key length -2', [16, 0, 0, 0, 3, 0x6b, 2, 0x76, 0], 1, /byte array length -2|malformed/],
    ['negative header count', [16, 0, 0, 0, 2, 0x6b, 2, 0x76, 1], 1, /-1 headers/],
    ['header count past the record', [16, 0, 0, 0, 2, 0x6b, 2, 0x76, 8], 1, /headers in/],
    ['null header key', [20, 0, 0, 0, 2, 0x6b, 2, 0x76, 2, 1, 1], 1, /header key of length -1/],
    ['overlong varint', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0], 1, /malformed|declares/],
  ];
  for (const [name, bytes, count, message] of cases) {
    assert.throws(
      () => decodeRecords(withRecordBytes(bytes, count)),
      (error: unknown) => {
        assert.ok(error instanceof ProtocolDecodeError, name);
        assert.equal((error as { code?: number }).code, ErrorCode.INVALID_RECORD, `${name}: ${(error as Error).message}`);
        assert.match((error as Error).message, message, name);
        return true;
      },
      name,
    );
  }
});

test('compressed payload errors: undecodable is CORRUPT_MESSAGE, a bomb MESSAGE_TOO_LARGE', async () => {
  const base = buildRecordBatch({ records: [{ value: 'x' }], compression: CompressionType.GZIP });
  const garbage = edited(Buffer.concat([base.subarray(0, RECORD_BATCH_OVERHEAD), Buffer.from('not gzip')]), (b) =>
    b.writeInt32BE(b.length - 12, 8),
  );
  assertRecordError(() => decodeRecords(garbage), ErrorCode.CORRUPT_MESSAGE, /^gzip: /);
  const bomb = edited(Buffer.concat([base.subarray(0, RECORD_BATCH_OVERHEAD), gzipSync(Buffer.alloc(8 << 20))]), (b) =>
    b.writeInt32BE(b.length - 12, 8),
  );
  assertRecordError(() => decodeRecords(bomb, { maxDecompressedBytes: 1 << 20 }), ErrorCode.MESSAGE_TOO_LARGE);
  await assertRecordErrorAsync(() => decodeRecordsAsync(bomb, { maxDecompressedBytes: 1 << 20 }), ErrorCode.MESSAGE_TOO_LARGE);
  // 8 MiB of zeros decodes as records only if it is records: it is not
  assertRecordError(() => decodeRecords(bomb), ErrorCode.INVALID_RECORD);
});
