/**
 * A clean shutdown while a request is still changing the broker's state: the logs a CreateTopics
 * in flight is opening are opened and closed again before stop() resolves, none is left open or
 * written to afterwards, and a restart opens every partition the committed metadata names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/log-loader.js';
import { createTopics } from '../../src/protocol/messages/index.js';
import { removeDir, temporaryDataDir } from '../helpers/broker-process.js';
import { brokerOn } from '../helpers/in-process-broker.js';
import { RawClient } from '../helpers/raw-client.js';

const PARTITIONS = 200;

/** Every file under `directory`, recursively, with its size. */
function listing(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((name) => `${name} ${statSync(join(directory, name)).size}`)
    .sort();
}

/** This process's open descriptors on files under `directory`. */
function filesOpenUnder(directory: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(`${directory}/`)) open.push(target);
    } catch {
      // closed while listed
    }
  }
  return open;
}

test('stop() during a CreateTopics that is opening logs waits for them and closes every one', async () => {
  const dataDir = temporaryDataDir();
  let broker = brokerOn(dataDir);
  try {
    await broker.start();
    // Subscribed after the replica manager, this listener runs just after it started opening
    // the new topic's logs: the stop begins with (nearly) all of them still to open.
    const stopped = new Promise<void>((resolve, reject) => {
      broker.controller.subscribe((records) => {
        if (records.some((record) => record.type === 'Topic')) broker.stop().then(resolve, reject);
      });
    });
    const client = await RawClient.connect(broker.boundPort());
    client.send(createTopics, 4, {
      topics: [{ name: 'opening', numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 60_000,
    });
    await stopped;
    client.close();
    const afterStop = listing(dataDir);
    const partitionDirs = readdirSync(dataDir).filter((name) => name.startsWith('opening-'));
    assert.ok(partitionDirs.length > 0, 'some logs were being opened when the stop began');
    for (const name of partitionDirs) {
      assert.ok(existsSync(join(dataDir, name, CLEAN_SHUTDOWN_FILE)), `${name} was closed cleanly`);
    }
    assert.deepEqual(filesOpenUnder(dataDir), [], 'no log file left open after stop()');
    assert.equal(broker.replicaManager.allPartitions().length, 0);
    // Nothing of the stopped broker goes on writing: a late opening would add files here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(listing(dataDir), afterStop);
    assert.deepEqual(filesOpenUnder(dataDir), []);

    broker = brokerOn(dataDir);
    await broker.start();
    const reopened = broker.replicaManager.allPartitions().filter((partition) => partition.topicName === 'opening');
    assert.equal(reopened.length, PARTITIONS, 'the committed topic has every partition after a restart');
  } finally {
    await broker.stop();
    removeDir(dataDir);
  }
});
