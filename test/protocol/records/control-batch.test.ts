import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/error-codes.js';
import { RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch } from '../../../src/protocol/records/builder.js';
import {
  ControlRecordType,
  buildEndTransactionMarkerBatch,
  controlBatchType,
  encodeControlRecordKey,
  parseControlRecordKey,
  parseEndTransactionMarkerValue,
  readEndTransactionMarker,
} from '../../../src/protocol/records/control-batch.js';
import { decodeRecords } from '../../../src/protocol/records/records.js';
import { validateRecords } from '../../../src/protocol/records/validate.js';
import { assertRecordError } from './helpers.js';

const T0 = 1_700_000_000_000;

for (const type of [ControlRecordType.COMMIT, ControlRecordType.ABORT] as const) {
  test(`${ControlRecordType[type]} marker: layout and read back`, () => {
    const batch = buildEndTransactionMarkerBatch({
      type,
      producerId: 4000,
      producerEpoch: 7,
      coordinatorEpoch: 12,
      baseOffset: 55,
      partitionLeaderEpoch: 3,
      timestamp: T0,
    });
    const header = new RecordBatchHeader(batch);
    assert.equal(header.isControl, true);
    assert.equal(header.isTransactional, true);
    assert.equal(header.attributes, 0x30, 'control + transactional, no codec, CreateTime');
    assert.equal(header.producerId, 4000);
    assert.equal(header.producerEpoch, 7);
    assert.equal(header.baseSequence, -1);
    assert.equal(header.recordsCount, 1);
    assert.equal(header.lastOffsetDelta, 0);
    assert.equal(header.partitionLeaderEpoch, 3);
    const [record] = decodeRecords(batch);
    assert.deepEqual([...record!.key!], [0, 0, 0, type]);
    assert.deepEqual([...record!.value!], [0, 0, 0, 0, 0, 12], 'version int16 0, coordinatorEpoch int32');
    assert.deepEqual(readEndTransactionMarker(batch), {
      type,
      coordinatorEpoch: 12,
      baseOffset: 55,
      producerId: 4000,
      producerEpoch: 7,
      timestamp: T0,
    });
    assert.equal(controlBatchType(batch), type);
  });
}

test('markers are refused from clients and accepted from the coordinator', () => {
  const batch = buildEndTransactionMarkerBatch({ type: ControlRecordType.COMMIT, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0 });
  assertRecordError(() => validateRecords(batch), ErrorCode.INVALID_RECORD, /control records/);
  const summary = validateRecords(batch, { origin: 'coordinator' });
  assert.equal(summary.hasControlBatch, true);
  assert.equal(summary.isTransactional, true);
});

test('later key and marker versions are read as a prefix, as Kafka does', () => {
  assert.deepEqual(parseControlRecordKey(Buffer.from([0, 1, 0, 1, 9, 9])), { version: 1, type: 1 });
  assert.deepEqual(parseEndTransactionMarkerValue(Buffer.from([0, 1, 0, 0, 0, 5, 7])), { version: 1, coordinatorEpoch: 5 });
  assert.deepEqual(parseControlRecordKey(encodeControlRecordKey(ControlRecordType.LEADER_CHANGE)), { version: 0, type: 2 });
});

test('malformed control records are INVALID_RECORD', () => {
  assertRecordError(() => parseControlRecordKey(null), ErrorCode.INVALID_RECORD);
  assertRecordError(() => parseControlRecordKey(Buffer.from([0, 0, 1])), ErrorCode.INVALID_RECORD);
  assertRecordError(() => parseControlRecordKey(Buffer.from([0xff, 0xff, 0, 1])), ErrorCode.INVALID_RECORD, /version -1/);
  assertRecordError(() => parseEndTransactionMarkerValue(Buffer.from([0, 0, 0, 0, 0])), ErrorCode.INVALID_RECORD);
  const plain = buildRecordBatch({ records: [{ value: 'x' }] });
  assertRecordError(() => readEndTransactionMarker(plain), ErrorCode.INVALID_RECORD, /not a control batch/);
  const leaderChange = buildRecordBatch({
    isControl: true,
    records: [{ key: encodeControlRecordKey(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(8) }],
  });
  assert.equal(controlBatchType(leaderChange), ControlRecordType.LEADER_CHANGE);
  assertRecordError(() => readEndTransactionMarker(leaderChange), ErrorCode.INVALID_RECORD, /not a transaction marker/);
  const two = buildRecordBatch({
    isControl: true,
    isTransactional: true,
    producerId: 1,
    records: [{ key: encodeControlRecordKey(0), value: Buffer.alloc(6) }, { key: encodeControlRecordKey(0), value: Buffer.alloc(6) }],
  });
  assertRecordError(() => readEndTransactionMarker(two), ErrorCode.INVALID_RECORD, /holds one record/);
  assert.throws(() => buildEndTransactionMarkerBatch({ type: 2 as ControlRecordType.COMMIT, producerId: 1, producerEpoch: 0, coordinatorEpoch: 0 }), RangeError);
});
