/**
 * `partition.metadata` names the topic id a partition directory belongs to; at start-up a
 * directory whose file names another id (a deleted and recreated topic) is removed. A file a
 * crash left empty or unreadable says nothing, so the log must be kept and the file written again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { createTopics, produce } from '../../src/protocol/messages/index.js';
import { buildRecordBatch } from '../../src/protocol/records/index.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { brokerOn } from '../helpers/in-process-broker.js';
import { RawClient } from '../helpers/raw-client.js';

test('an empty or unreadable partition.metadata keeps its log at start-up and is written again', async () => {
  const dataDir = temporaryDataDir();
  let broker = brokerOn(dataDir);
  try {
    await broker.start();
    const client = await RawClient.connect(broker.boundPort());
    const created = await client.request(createTopics, 4, {
      topics: [{ name: 'kept', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
    });
    assert.equal(created!.body.topics[0]!.errorCode, ErrorCode.NONE);
    const produced = await client.request(produce, 7, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 30_000,
      topicData: [{ name: 'kept', partitionData: [0, 1].map((index) => ({ index, records: buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }] }) })) }],
    });
    for (const partition of produced!.body.responses[0]!.partitionResponses) assert.equal(partition.errorCode, ErrorCode.NONE);
    client.close();
    const topicId = broker.controller.topic('kept')!.topicId;
    await broker.stop();

    writeFileSync(join(dataDir, 'kept-0', 'partition.metadata'), '');
    writeFileSync(join(dataDir, 'kept-1', 'partition.metadata'), 'version: 0\n');
    broker = brokerOn(dataDir);
    await broker.start();
    for (const index of [0, 1]) {
      assert.equal(broker.replicaManager.getPartition('kept', index)?.log.logEndOffset, 2, `kept-${index} keeps its records`);
      assert.equal(readFileSync(join(dataDir, `kept-${index}`, 'partition.metadata'), 'utf8'), `version: 0\ntopic_id: ${topicId}\n`);
    }
  } finally {
    await broker.stop();
    removeDir(dataDir);
  }
});
