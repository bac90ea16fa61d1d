import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  CompressionType,
  LAST_OFFSET_DELTA_OFFSET,
  MAGIC_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import { writeBatchCrc } from '../../../src/protocol/records/crc32c.js';
import { validateRecords } from '../../../src/protocol/records/validate.js';
import { assertRecordError, kafkajsBatch, sampleText } from './helpers.js';

const T0 = 1_700_000_000_000;

function batch(options: Partial<Parameters<typeof buildRecordBatch>[0]> = {}): Buffer {
  return buildRecordBatch({ records: [{ key: 'a', value: '1', timestamp: T0 }, { key: 'b', value: '2', timestamp: T0 + 3 }], ...options });
}

/** A copy of `bytes` changed by `edit`, with a correct CRC so that the rule under test is reached. */
function edited(bytes: Buffer, edit: (copy: Buffer) => void): Buffer {
  const copy = Buffer.from(bytes);
  edit(copy);
  writeBatchCrc(copy);
  return copy;
}

/** A magic 1 message set entry (legacy format: offset, size, crc, magic, attributes, timestamp, key, value). */
function legacyMessage(magic: 0 | 1): Buffer {
  const value = Buffer.from('legacy');
  const body = Buffer.alloc(4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4 + value.length);
  let at = 4; // crc left as zeros
  body.writeInt8(magic, at++);
  body.writeInt8(0, at++);
  if (magic === 1) {
    body.writeBigInt64BE(BigInt(T0), at);
    at += 8;
  }
  body.writeInt32BE(-1, at);
  body.writeInt32BE(value.length, at + 4);
  value.copy(body, at + 8);
  const head = Buffer.alloc(12);
  head.writeInt32BE(body.length, 8);
  return Buffer.concat([head, body]);
}

test('a kafkajs idempotent batch passes and is summarised from its header', async () => {
  const records = await kafkajsBatch({
    compression: CompressionType.GZIP,
    firstTimestamp: T0,
    maxTimestamp: T0 + 40,
    producerId: 1234,
    producerEpoch: 2,
    firstSequence: 100,
    records: [
      { key: 'a', value: sampleText(1000) },
      { key: 'b', value: 'x', timestampDelta: 40 },
      { key: 'c', value: 'y', timestampDelta: 10 },
    ],
  });
  const summary = validateRecords(records, { produceVersion: 7, maxBatchBytes: 1_048_588 });
  assert.equal(summary.batches.length, 1);
  assert.equal(summary.sizeInBytes, records.length);
  assert.equal(summary.recordCount, 3);
  assert.equal(summary.offsetCount, 3);
  assert.equal(summary.firstTimestamp, T0);
  assert.equal(summary.maxTimestamp, T0 + 40);
  assert.equal(summary.maxTimestampBatchIndex, 0);
  assert.equal(summary.producerId, 1234);
  assert.equal(summary.producerEpoch, 2);
  assert.equal(summary.firstSequence, 100);
  assert.equal(summary.lastSequence, 102);
  assert.equal(summary.isTransactional, false);
  assert.equal(summary.hasControlBatch, false);
  assert.equal(summary.compressionType, CompressionType.GZIP);
});

test('kafkajs without idempotence (producerId -1, epoch 0, sequence 0) and transactional batches pass', async () => {
  assert.equal(validateRecords(await kafkajsBatch({ records: [{ key: null, value: 'v' }] })).producerId, -1);
  const transactional = await kafkajsBatch({ records: [{ key: 'k', value: 'v' }], producerId: 5, transactional: true });
  assert.equal(validateRecords(transactional).isTransactional, true);
});

test('every codec passes; zstd only from Produce v7', () => {
  for (const compression of [CompressionType.NONE, CompressionType.GZIP, CompressionType.SNAPPY, CompressionType.LZ4, CompressionType.ZSTD]) {
    assert.equal(validateRecords(batch({ compression }), { produceVersion: 9 }).compressionType, compression);
  }
  const zstd = batch({ compression: CompressionType.ZSTD });
  assertRecordError(() => validateRecords(zstd, { produceVersion: 6 }), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, /v7/);
  assert.ok(validateRecords(zstd, { produceVersion: 7 }));
  assert.ok(validateRecords(zstd));
  assertRecordError(() => validateRecords(edited(batch(), (b) => b.writeInt16BE(5, ATTRIBUTES_OFFSET))), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('framing: empty, truncated, short, overlong and undersized batches', () => {
  const good = batch();
  assertRecordError(() => validateRecords(Buffer.alloc(0)), ErrorCode.INVALID_RECORD, /no record batch/);
  assertRecordError(() => validateRecords(good.subarray(0, 10)), ErrorCode.CORRUPT_MESSAGE, /trailing bytes/);
  assertRecordError(() => validateRecords(good.subarray(0, 40)), ErrorCode.CORRUPT_MESSAGE, /shorter than a record batch header/);
  assertRecordError(() => validateRecords(good.subarray(0, good.length - 1)), ErrorCode.CORRUPT_MESSAGE, /runs past/);
  assertRecordError(() => validateRecords(edited(good, (b) => b.writeInt32BE(48, 8))), ErrorCode.CORRUPT_MESSAGE, /smaller than its header/);
  assertRecordError(() => validateRecords(edited(good, (b) => b.writeInt32BE(-5, 8))), ErrorCode.CORRUPT_MESSAGE);
  assertRecordError(() => validateRecords(Buffer.concat([good, Buffer.alloc(5)]), { origin: 'replication' }), ErrorCode.CORRUPT_MESSAGE);
});

test('legacy magic 0/1 message sets are INVALID_RECORD, as Kafka 4 answers them', () => {
  assertRecordError(() => validateRecords(legacyMessage(0)), ErrorCode.INVALID_RECORD, /magic 0 \(legacy message format\)/);
  assertRecordError(() => validateRecords(legacyMessage(1)), ErrorCode.INVALID_RECORD, /magic 1 \(legacy message format\)/);
  assertRecordError(() => validateRecords(edited(batch(), (b) => (b[MAGIC_OFFSET] = 7))), ErrorCode.INVALID_RECORD, /unknown magic 7/);
  assertRecordError(() => validateRecords(legacyMessage(1), { origin: 'replication' }), ErrorCode.INVALID_RECORD);
});

test('a CRC mismatch anywhere after byte 21 is CORRUPT_MESSAGE', () => {
  const good = batch();
  for (const at of [21, 30, 60, good.length - 1]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x01;
    assertRecordError(() => validateRecords(bad), ErrorCode.CORRUPT_MESSAGE, /stored crc/);
  }
});

test('count and offset-delta rules (client only)', () => {
  const good = batch();
  const mismatch = edited(good, (b) => b.writeInt32BE(5, LAST_OFFSET_DELTA_OFFSET));
  assertRecordError(() => validateRecords(mismatch), ErrorCode.INVALID_RECORD, /does not match lastOffsetDelta/);
  const zero = edited(good, (b) => {
    b.writeInt32BE(0, RECORDS_COUNT_OFFSET);
    b.writeInt32BE(-1, LAST_OFFSET_DELTA_OFFSET);
  });
  assertRecordError(() => validateRecords(zero), ErrorCode.INVALID_RECORD);
  const tooMany = edited(good, (b) => {
    b.writeInt32BE(1000, RECORDS_COUNT_OFFSET);
    b.writeInt32BE(999, LAST_OFFSET_DELTA_OFFSET);
  });
  assertRecordError(() => validateRecords(tooMany), ErrorCode.INVALID_RECORD, /cannot fit/);
  // What compaction leaves is fine when replicated, and refused from clients.
  const gapped = buildRecordBatch({ records: [{ value: 'a' }], lastOffsetDelta: 4 });
  const empty = buildRecordBatch({ records: [], lastOffsetDelta: 2 });
  assertRecordError(() => validateRecords(gapped), ErrorCode.INVALID_RECORD);
  assertRecordError(() => validateRecords(empty), ErrorCode.INVALID_RECORD);
  const replicated = validateRecords(Buffer.concat([gapped, empty]), { origin: 'replication' });
  assert.equal(replicated.recordCount, 1);
  assert.equal(replicated.offsetCount, 8);
  assertRecordError(
    () => validateRecords(edited(empty, (b) => b.writeInt32BE(-1, RECORDS_COUNT_OFFSET)), { origin: 'replication' }),
    ErrorCode.CORRUPT_MESSAGE,
  );
});

test('producer rules: a producer id needs a sequence; transactions need a producer id', () => {
  assertRecordError(() => validateRecords(batch({ producerId: 9, producerEpoch: 0 })), ErrorCode.INVALID_RECORD, /baseSequence -1/);
  assert.ok(validateRecords(batch({ producerId: 9, producerEpoch: 0, baseSequence: 0 })));
  assertRecordError(() => validateRecords(batch({ isTransactional: true })), ErrorCode.INVALID_RECORD, /without a producerId/);
  const negativeSequence = edited(batch({ producerId: 9, baseSequence: 0 }), (b) => b.writeInt32BE(-7, BASE_SEQUENCE_OFFSET));
  assertRecordError(() => validateRecords(negativeSequence), ErrorCode.INVALID_RECORD);
  const noProducer = edited(batch(), (b) => b.writeBigInt64BE(-1n, PRODUCER_ID_OFFSET));
  assert.ok(validateRecords(noProducer));
});

test('one batch per partition from clients; several from the coordinator or a leader', () => {
  const first = batch({ records: [{ value: 'a', timestamp: T0 + 50 }] });
  const second = batch({ baseOffset: 1, records: [{ value: 'b', timestamp: T0 + 90 }, { value: 'c', timestamp: T0 }] });
  const third = batch({ baseOffset: 3, records: [{ value: 'd', timestamp: T0 + 10 }], compression: CompressionType.LZ4 });
  const blob = Buffer.concat([first, second, third]);
  assertRecordError(() => validateRecords(blob), ErrorCode.INVALID_RECORD, /exactly one record batch/);
  for (const origin of ['coordinator', 'replication'] as const) {
    const summary = validateRecords(blob, { origin });
    assert.equal(summary.batches.length, 3);
    assert.equal(summary.recordCount, 4);
    assert.equal(summary.firstTimestamp, T0 + 50);
    assert.equal(summary.maxTimestamp, T0 + 90);
    assert.equal(summary.maxTimestampBatchIndex, 1);
    assert.equal(summary.compressionType, CompressionType.LZ4);
    assert.deepEqual(summary.batches.map((b) => b.position), [0, first.length, first.length + second.length]);
  }
});

test('max.message.bytes: MESSAGE_TOO_LARGE, except for replicated batches', () => {
  const good = batch();
  assert.ok(validateRecords(good, { maxBatchBytes: good.length }));
  assertRecordError(() => validateRecords(good, { maxBatchBytes: good.length - 1 }), ErrorCode.MESSAGE_TOO_LARGE, /max.message.bytes/);
  assert.ok(validateRecords(good, { maxBatchBytes: 10, origin: 'replication' }));
});

test('header views are over the caller\'s buffer, for in-place offset assignment', () => {
  const records = batch();
  const [view] = validateRecords(records).batches;
  view!.baseOffset = 4242;
  view!.partitionLeaderEpoch = 5;
  assert.equal(records.readBigInt64BE(0), 4242n);
  assert.ok(validateRecords(records), 'the CRC does not cover the patched fields');
});
