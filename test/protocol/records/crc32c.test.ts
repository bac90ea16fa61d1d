import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatchHeader } from '../../../src/protocol/records/batch-header.js';
import { computeBatchCrc, crc32c, isBatchCrcValid, writeBatchCrc } from '../../../src/protocol/records/crc32c.js';
import { kafkajsBatch } from './helpers.js';

test('CRC-32C check value (RFC 3720 / Castagnoli): "123456789" → 0xE3069283', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43); // RFC 3720 B.4 vector
});

test('our batch CRC matches the one kafkajs computes in JavaScript', async () => {
  const batch = await kafkajsBatch({ records: [{ key: 'k', value: 'v', headers: { h: 'x' } }, { key: null, value: 'w' }] });
  assert.equal(isBatchCrcValid(batch), true);
  assert.equal(computeBatchCrc(batch), new RecordBatchHeader(batch).crc);
});

test('the CRC ignores baseOffset, batchLength and partitionLeaderEpoch, not the rest', async () => {
  const batch = await kafkajsBatch({ records: [{ key: 'k', value: 'v' }] });
  const header = new RecordBatchHeader(batch);
  header.baseOffset = 123456789;
  header.partitionLeaderEpoch = 42;
  assert.equal(isBatchCrcValid(batch), true, 'fields the broker patches on append are outside the CRC');
  header.maxTimestamp = 1_800_000_000_000;
  assert.equal(isBatchCrcValid(batch), false);
  writeBatchCrc(batch);
  assert.equal(isBatchCrcValid(batch), true);
});

test('batches inside a larger buffer are addressed by position', async () => {
  const first = await kafkajsBatch({ records: [{ key: 'a', value: '1' }] });
  const second = await kafkajsBatch({ records: [{ key: 'b', value: '2' }] });
  const both = Buffer.concat([first, second]);
  assert.equal(isBatchCrcValid(both, 0), true);
  assert.equal(isBatchCrcValid(both, first.length), true);
  both[both.length - 1] ^= 1;
  assert.equal(isBatchCrcValid(both, 0), true);
  assert.equal(isBatchCrcValid(both, first.length), false);
});
