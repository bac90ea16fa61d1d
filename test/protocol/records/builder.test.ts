import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompressionType,
  NO_PARTITION_LEADER_EPOCH,
  RECORD_BATCH_OVERHEAD,
  RecordBatchHeader,
  TimestampType,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch, buildRecordBatchAsync, type RecordInput } from '../../../src/protocol/records/builder.js';
import { isBatchCrcValid } from '../../../src/protocol/records/crc32c.js';
import { decodeRecords } from '../../../src/protocol/records/records.js';
import { kafkajsDecode, sampleText } from './helpers.js';

const T0 = 1_700_000_000_000;
const CODECS = [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD];

const RECORDS: RecordInput[] = [
  { key: 'k0', value: 'v0', timestamp: T0 + 5, headers: [{ key: 'trace', value: 'abc' }] },
  { key: null, value: Buffer.from([0, 1, 2]), timestamp: T0 }, // older than the first: negative delta
  { key: Buffer.alloc(0), value: null, timestamp: T0 + 50, headers: [{ key: 'ключ', value: null }, { key: '', value: '' }] },
  { value: sampleText(5000), timestamp: T0 + 7 },
];

test('header fields: offsets, count, timestamps, producer, attributes, length and CRC', () => {
  const batch = buildRecordBatch({
    baseOffset: 1000,
    records: RECORDS,
    producerId: 77,
    producerEpoch: 3,
    baseSequence: 10,
    isTransactional: true,
  });
  const header = new RecordBatchHeader(batch);
  assert.equal(header.baseOffset, 1000);
  assert.equal(header.batchLength, batch.length - 12);
  assert.equal(header.magic, 2);
  assert.equal(header.partitionLeaderEpoch, NO_PARTITION_LEADER_EPOCH);
  assert.equal(header.lastOffsetDelta, 3);
  assert.equal(header.lastOffset, 1003);
  assert.equal(header.recordsCount, 4);
  assert.equal(header.baseTimestamp, T0 + 5, 'the first record, not the smallest');
  assert.equal(header.maxTimestamp, T0 + 50);
  assert.equal(header.producerId, 77);
  assert.equal(header.producerEpoch, 3);
  assert.equal(header.baseSequence, 10);
  assert.equal(header.lastSequence, 13);
  assert.equal(header.isTransactional, true);
  assert.equal(header.isControl, false);
  assert.equal(header.isLogAppendTime, false);
  assert.equal(header.compressionType, CompressionType.NONE);
  assert.equal(isBatchCrcValid(batch), true);
});

test('defaults are the Java producer\'s: no producer, no sequence, CreateTime, now', () => {
  const before = Date.now();
  const header = new RecordBatchHeader(buildRecordBatch({ records: [{ value: 'x' }] }));
  assert.equal(header.baseOffset, 0);
  assert.equal(header.producerId, -1);
  assert.equal(header.producerEpoch, -1);
  assert.equal(header.baseSequence, -1);
  assert.equal(header.lastSequence, -1);
  assert.ok(header.baseTimestamp >= before && header.baseTimestamp <= Date.now());
  assert.equal(header.maxTimestamp, header.baseTimestamp);
});

for (const compression of CODECS) {
  test(`codec ${CompressionType[compression]}: build → decode round trip, sync and async`, async () => {
    for (const batch of [
      buildRecordBatch({ baseOffset: 5, records: RECORDS, compression }),
      await buildRecordBatchAsync({ baseOffset: 5, records: RECORDS, compression }),
    ]) {
      const header = new RecordBatchHeader(batch);
      assert.equal(header.compressionType, compression);
      assert.equal(isBatchCrcValid(batch), true);
      const records = decodeRecords(batch);
      assert.equal(records.length, RECORDS.length);
      records.forEach((record, i) => {
        const input = RECORDS[i]!;
        assert.equal(record.offset, 5 + i);
        assert.equal(record.offsetDelta, i);
        assert.equal(record.timestamp, input.timestamp);
        assert.deepEqual(record.key, input.key === undefined || input.key === null ? null : Buffer.from(input.key as string | Buffer));
        assert.deepEqual(record.value, input.value === undefined || input.value === null ? null : Buffer.from(input.value as string | Buffer));
        assert.deepEqual(
          record.headers,
          (input.headers ?? []).map((h) => ({ key: h.key, value: h.value === null || h.value === undefined ? null : Buffer.from(h.value as string) })),
        );
      });
    }
  });
}

for (const compression of CODECS.slice(0, 4)) {
  test(`codec ${CompressionType[compression]}: kafkajs's own decoder reads our batches`, async () => {
    const batch = buildRecordBatch({ baseOffset: 40, records: RECORDS, compression });
    const decoded = await kafkajsDecode(batch);
    assert.equal(decoded.firstOffset, '40');
    assert.equal(decoded.records.length, RECORDS.length);
    assert.equal(decoded.records[1]!.key, null);
    assert.deepEqual(decoded.records[1]!.value, Buffer.from([0, 1, 2]));
    assert.equal(decoded.records[1]!.timestamp, String(T0));
    assert.equal(decoded.records[2]!.value, null);
    assert.deepEqual(decoded.records[0]!.headers, { trace: Buffer.from('abc') });
    assert.equal(decoded.records[3]!.offset, '43');
    assert.deepEqual(decoded.records[3]!.value, sampleText(5000));
  });
}

test('LogAppendTime: attribute bit 3 and maxTimestamp = the append time', () => {
  const batch = buildRecordBatch({
    records: [{ value: 'a', timestamp: T0 }, { value: 'b', timestamp: T0 + 9 }],
    timestampType: TimestampType.LOG_APPEND_TIME,
    logAppendTime: T0 + 1000,
  });
  const header = new RecordBatchHeader(batch);
  assert.equal(header.isLogAppendTime, true);
  assert.equal(header.maxTimestamp, T0 + 1000);
  assert.equal(header.baseTimestamp, T0);
});

test('offset gaps, a kept lastOffsetDelta, and empty batches (what compaction leaves)', () => {
  const gapped = buildRecordBatch({
    baseOffset: 100,
    records: [{ value: 'a', offsetDelta: 0 }, { value: 'c', offsetDelta: 2 }],
    lastOffsetDelta: 4,
  });
  const header = new RecordBatchHeader(gapped);
  assert.equal(header.recordsCount, 2);
  assert.equal(header.lastOffsetDelta, 4);
  assert.deepEqual(decodeRecords(gapped).map((r) => r.offset), [100, 102]);

  const empty = buildRecordBatch({ baseOffset: 7, records: [], lastOffsetDelta: 3, compression: CompressionType.GZIP });
  const emptyHeader = new RecordBatchHeader(empty);
  assert.equal(empty.length, RECORD_BATCH_OVERHEAD);
  assert.equal(emptyHeader.recordsCount, 0);
  assert.equal(emptyHeader.lastOffsetDelta, 3);
  assert.equal(emptyHeader.compressionType, CompressionType.GZIP);
  assert.equal(emptyHeader.baseTimestamp, -1);
  assert.deepEqual(decodeRecords(empty), []);
});

test('programming errors are RangeErrors', () => {
  assert.throws(() => buildRecordBatch({ records: [{ value: 'a', offsetDelta: 1 }, { value: 'b', offsetDelta: 1 }] }), RangeError);
  assert.throws(() => buildRecordBatch({ records: [{ value: 'a', offsetDelta: -1 }] }), RangeError);
  assert.throws(() => buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], lastOffsetDelta: 0 }), RangeError);
  assert.throws(() => buildRecordBatch({ records: [], compression: 6 as CompressionType }), RangeError);
  assert.throws(() => buildRecordBatch({ records: [{ value: 'a' }], baseSequence: 2 ** 31 }), RangeError);
});

test('large values and many records', () => {
  const records = Array.from({ length: 2000 }, (_, i) => ({ key: `key-${i}`, value: i % 100 === 0 ? sampleText(70_000, i) : `v${i}` }));
  for (const compression of CODECS) {
    const decoded = decodeRecords(buildRecordBatch({ records, compression }));
    assert.equal(decoded.length, 2000);
    assert.equal(decoded[1999]!.key!.toString(), 'key-1999');
    assert.deepEqual(decoded[1900]!.value, sampleText(70_000, 1900));
  }
});
