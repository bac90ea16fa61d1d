/**
 * kafkajs 2.2.4 consumer groups against a Tidelog broker: three members split a 6-partition
 * topic; a member that disconnects (LeaveGroup) or is SIGKILLed (session timeout) hands its
 * partitions to the survivors with no record lost and none processed by two members of one
 * generation; a second group reads the topic independently; committed offsets survive a broker
 * restart; eachBatch with resolveOffset and manual commitOffsets; the admin group APIs; lag.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import kafkajs, { type Admin, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { removeDir, startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';
import { generationOf, trackGenerations, type JoinInfo } from './groups-kafkajs-member.js';
import { connectAdminAndProducer, consumeAndCommitUpTo } from '../helpers/kafkajs.js';
import { waitFor } from '../helpers/wait.js';

const { Kafka, logLevel, AssignerProtocol } = kafkajs;
const SESSION_TIMEOUT_MS = 10_000;
const CONSUMER_OPTIONS = { sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 1000, maxWaitTimeInMs: 500 };
const MEMBER_SCRIPT = join(import.meta.dirname, 'groups-kafkajs-member.js');

let broker: BrokerProcess;
let kafka: InstanceType<typeof Kafka>;
let admin: Admin;
let producer: Producer;
const joins: JoinInfo[] = [];
trackGenerations((info) => joins.push(info));

before(async () => {
  broker = await startBrokerProcess({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  kafka = newKafka(broker);
  ({ admin, producer } = await connectAdminAndProducer(kafka));
});

after(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await stopAndRemove(broker);
});

function newKafka(target: BrokerProcess): InstanceType<typeof Kafka> {
  return new Kafka({ clientId: 'tidelog-groups', brokers: [target.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

/** Produces `perPartition` records to each partition; returns the (partition, offset) keys written. */
async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
  const messages = [];
  for (let i = 0; i < perPartition; i++) {
    for (let partition = 0; partition < partitions; partition++) messages.push({ partition, value: `${tag}-${partition}-${i}` });
  }
  const results = await producer.send({ topic, acks: -1, messages });
  const keys: string[] = [];
  for (const result of results) {
    for (let i = 0; i < perPartition; i++) keys.push(`${result.partition}:${Number(result.baseOffset) + i}`);
  }
  return keys;
}

interface Processed {
  readonly memberId: string;
  readonly generationId: number;
  readonly partition: number;
  readonly offset: number;
}

/** A kafkajs member in this process; records what it processes under which generation. */
class InProcessMember {
  memberId = '';
  readonly consumer: Consumer;

  constructor(
    groupId: string,
    private readonly processed: Processed[],
  ) {
    this.consumer = kafka.consumer({ groupId, ...CONSUMER_OPTIONS });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => (this.memberId = event.payload.memberId));
  }

  async start(topic: string): Promise<this> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        this.processed.push({ memberId: this.memberId, generationId: generationOf.get(this.memberId)!, partition, offset: Number(message.offset) });
      },
    });
    return this;
  }
}

/** The same, in a child process (groups-kafkajs-member.ts), so that it can be SIGKILLed. */
class ChildMember {
  memberId = '';
  readonly child: ChildProcess;
  private stderr = '';

  constructor(groupId: string, topic: string, processed: Processed[]) {
    this.child = spawn(process.execPath, [MEMBER_SCRIPT, broker.bootstrap, groupId, topic, String(SESSION_TIMEOUT_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as ({ type: 'join' } & JoinInfo) | ({ type: 'record' } & Processed);
      if (event.type === 'join') {
        this.memberId = event.memberId;
        joins.push(event);
      } else {
        processed.push(event);
      }
    });
  }

  log(): string {
    return this.stderr;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The generation in which exactly `memberIds` own the topic's partitions, each the same number,
 * disjoint and covering all (the latest join of each member); undefined while not there yet.
 */
function balancedGeneration(groupId: string, memberIds: readonly string[], topic: string, partitions: number): number | undefined {
  if (memberIds.some((memberId) => memberId === '')) return undefined;
  const latest = memberIds.map((memberId) => joins.filter((join) => join.groupId === groupId && join.memberId === memberId).at(-1));
  if (latest.some((join) => join === undefined)) return undefined;
  const generation = latest[0]!.generationId;
  if (latest.some((join) => join!.generationId !== generation)) return undefined;
  // No member outside `memberIds` may hold this generation (or a newer one).
  if (joins.some((join) => join.groupId === groupId && join.generationId >= generation && !memberIds.includes(join.memberId))) return undefined;
  const owned = latest.flatMap((join) => join!.assignment[topic] ?? []);
  if (owned.length !== partitions || new Set(owned).size !== partitions) return undefined;
  if (latest.some((join) => (join!.assignment[topic] ?? []).length !== partitions / memberIds.length)) return undefined;
  return generation;
}

/** Every produced record was processed, no record by two members of one generation, and each by an owner. */
function checkProcessing(groupId: string, topic: string, produced: readonly string[], processed: readonly Processed[]): void {
  const byRecord = new Map<string, Map<number, Set<string>>>();
  for (const record of processed) {
    const key = `${record.partition}:${record.offset}`;
    const generations = byRecord.get(key) ?? new Map<number, Set<string>>();
    const members = generations.get(record.generationId) ?? new Set<string>();
    members.add(record.memberId);
    generations.set(record.generationId, members);
    byRecord.set(key, generations);
    const assignment = joins.find((join) => join.groupId === groupId && join.memberId === record.memberId && join.generationId === record.generationId);
    assert.ok(assignment, `member ${record.memberId} processed ${key} in generation ${record.generationId} it never joined`);
    assert.ok((assignment.assignment[topic] ?? []).includes(record.partition), `${key} processed by ${record.memberId}, which did not own partition ${record.partition} in generation ${record.generationId}`);
  }
  for (const key of produced) assert.ok(byRecord.has(key), `record ${key} was never processed`);
  assert.equal(byRecord.size, produced.length, 'only produced records were processed');
  for (const [key, generations] of byRecord) {
    for (const [generation, members] of generations) {
      assert.equal(members.size, 1, `record ${key} processed by ${[...members].join(', ')} in generation ${generation}`);
    }
  }
}

function processedAll(produced: readonly string[], processed: readonly Processed[]): boolean {
  const seen = new Set(processed.map((record) => `${record.partition}:${record.offset}`));
  return produced.every((key) => seen.has(key));
}

async function committedOffsets(groupId: string, topic: string): Promise<number[]> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((partition) => Number(partition.offset));
}

test('kafkajs: 3 members split 6 partitions; a member that leaves hands its partitions over; a second group reads independently', async () => {
  const topic = 'groups-leave';
  const groupId = 'kafkajs-leave';
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const produced = await produce(topic, 6, 50, 'before');
  const processed: Processed[] = [];
  const members = [new InProcessMember(groupId, processed), new InProcessMember(groupId, processed), new InProcessMember(groupId, processed)];
  try {
    await Promise.all(members.map((member) => member.start(topic)));
    const generation = await waitFor('3 members with 2 partitions each', () => balancedGeneration(groupId, members.map((m) => m.memberId), topic, 6));
    await waitFor('the first 300 records', () => processedAll(produced, processed));

    const leaving = members.pop()!;
    const left = Date.now();
    await leaving.consumer.disconnect();
    const survivors = await waitFor('2 survivors with 3 partitions each', () => {
      const next = balancedGeneration(groupId, members.map((m) => m.memberId), topic, 6);
      return next !== undefined && next > generation ? next : undefined;
    });
    const handover = Date.now() - left;
    assert.ok(handover < SESSION_TIMEOUT_MS / 2, `LeaveGroup rebalances at once (took ${handover} ms)`);

    produced.push(...(await produce(topic, 6, 50, 'after')));
    await waitFor('all 600 records', () => processedAll(produced, processed));
    checkProcessing(groupId, topic, produced, processed);
    const late = processed.filter((record) => record.generationId >= survivors);
    assert.ok(late.every((record) => record.memberId !== leaving.memberId), 'the member that left processed nothing afterwards');
    await waitFor('offsets committed to the end', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 100));
  } finally {
    await Promise.all(members.map((member) => member.consumer.disconnect()));
  }

  // A second group starts from the beginning and sees every record, independently of the first.
  const otherProcessed: Processed[] = [];
  const other = await new InProcessMember('kafkajs-leave-other', otherProcessed).start(topic);
  try {
    await waitFor('the second group reads all 600 records', () => processedAll(produced, otherProcessed));
    checkProcessing('kafkajs-leave-other', topic, produced, otherProcessed);
    assert.equal(otherProcessed.length, 600, 'exactly once in a single-member group');
    await waitFor('second group committed', async () => (await committedOffsets('kafkajs-leave-other', topic)).every((offset) => offset === 100));
  } finally {
    await other.consumer.disconnect();
  }
  assert.deepEqual(await committedOffsets(groupId, topic), [100, 100, 100, 100, 100, 100], 'the first group is untouched');
});

test('kafkajs: a SIGKILLed member (no LeaveGroup) is expired after the session timeout and its partitions move', async () => {
  const topic = 'groups-kill';
  const groupId = 'kafkajs-kill';
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const produced = await produce(topic, 6, 50, 'before');
  const processed: Processed[] = [];
  const members = [new InProcessMember(groupId, processed), new InProcessMember(groupId, processed)];
  const victim = new ChildMember(groupId, topic, processed);
  try {
    await Promise.all(members.map((member) => member.start(topic)));
    const generation = await waitFor(
      '3 members (one in a child process) with 2 partitions each',
      () => balancedGeneration(groupId, [...members.map((m) => m.memberId), victim.memberId], topic, 6),
      40_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr: ${victim.log()}`);
    });
    await waitFor('the first 300 records', () => processedAll(produced, processed));

    await victim.kill();
    const killed = Date.now();
    // Records for the victim's partitions wait until the survivors take them over.
    produced.push(...(await produce(topic, 6, 50, 'after')));
    const survivors = await waitFor(
      'the survivors take all 6 partitions',
      () => {
        const next = balancedGeneration(groupId, members.map((m) => m.memberId), topic, 6);
        return next !== undefined && next > generation ? next : undefined;
      },
      SESSION_TIMEOUT_MS + 20_000,
    );
    const takeover = Date.now() - killed;
    assert.ok(takeover >= SESSION_TIMEOUT_MS - 3000, `the member is kept until its session expires (took ${takeover} ms)`);
    assert.ok(takeover <= SESSION_TIMEOUT_MS + 8000, `and expired soon after (took ${takeover} ms)`);

    await waitFor('all 600 records', () => processedAll(produced, processed));
    checkProcessing(groupId, topic, produced, processed);
    assert.ok(processed.filter((record) => record.generationId >= survivors).every((record) => record.memberId !== victim.memberId));
    const describe = await admin.describeGroups([groupId]);
    assert.deepEqual(describe.groups[0]!.members.map((member) => member.memberId).sort(), members.map((m) => m.memberId).sort(), 'the victim is gone');
  } finally {
    await victim.kill();
    await Promise.all(members.map((member) => member.consumer.disconnect()));
  }
});

for (const ending of ['SIGTERM', 'SIGKILL'] as const) {
  test(`kafkajs: committed offsets survive a broker ${ending} and restart, and the group resumes there`, async () => {
    const own = await startBrokerProcess({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    let restarted: BrokerProcess | undefined;
    const topic = `groups-restart-${ending}`;
    const groupId = `kafkajs-restart-${ending}`;
    try {
      let client = newKafka(own);
      let ownProducer = client.producer();
      await ownProducer.connect();
      const ownAdmin = client.admin();
      await ownAdmin.connect();
      await ownAdmin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      const send = (from: number, to: number) =>
        ownProducer.send({ topic, acks: -1, messages: Array.from({ length: to - from }, (_, i) => ({ partition: (from + i) % 2, value: `v${from + i}` })) });
      await send(0, 100);

      const seen: string[] = [];
      let consumer = client.consumer({ groupId, ...CONSUMER_OPTIONS });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      await waitFor('100 records', () => seen.length === 100);
      await consumer.commitOffsets([0, 1].map((partition) => ({ topic, partition, offset: '50' })));
      await consumer.disconnect();
      await ownAdmin.disconnect();
      await ownProducer.disconnect();
      // An acknowledged commit is in __consumer_offsets, also when the broker gets no chance to flush.
      if (ending === 'SIGTERM') assert.equal(await own.stop(), 0);
      else await own.kill();

      restarted = await startBrokerProcess({ dataDir: own.dataDir, config: { 'group.initial.rebalance.delay.ms': '0' } });
      client = newKafka(restarted);
      const restartedAdmin = client.admin();
      await restartedAdmin.connect();
      try {
        const [offsets] = await restartedAdmin.fetchOffsets({ groupId, topics: [topic] });
        assert.deepEqual(offsets!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '50'], [1, '50']]);
        const groups = await restartedAdmin.listGroups();
        assert.ok(groups.groups.some((group) => group.groupId === groupId), 'the group is known after the restart');
      } finally {
        await restartedAdmin.disconnect();
      }
      ownProducer = client.producer();
      await ownProducer.connect();
      await send(100, 120);
      await ownProducer.disconnect();

      const resumed: { partition: number; offset: number }[] = [];
      consumer = client.consumer({ groupId, ...CONSUMER_OPTIONS });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void resumed.push({ partition, offset: Number(message.offset) }) });
      try {
        await waitFor('the records after the committed offsets', () => resumed.length >= 20);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(resumed.length, 20, 'resumed at offset 50, not from the beginning');
        for (const partition of [0, 1]) {
          assert.deepEqual(resumed.filter((r) => r.partition === partition).map((r) => r.offset), Array.from({ length: 10 }, (_, i) => 50 + i));
        }
      } finally {
        await consumer.disconnect();
      }
    } finally {
      await restarted?.stop();
      if (own.child.exitCode === null) await own.stop();
      removeDir(own.dataDir);
    }
  });
}

test('kafkajs: eachBatch with resolveOffset and manual commitOffsets', async () => {
  const topic = 'groups-batch';
  const groupId = 'kafkajs-batch';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await producer.send({ topic, acks: -1, messages: Array.from({ length: 100 }, (_, i) => ({ value: `b${i}` })) });

  // Resolve only offsets 0-39, commit 40 by hand, then stop: kafkajs must not commit more.
  const handled: number[] = [];
  let committed = false;
  const first = kafka.consumer({ groupId, ...CONSUMER_OPTIONS });
  await first.connect();
  await first.subscribe({ topic, fromBeginning: true });
  await first.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (committed) return;
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const offset = Number(message.offset);
        if (offset >= 40) break;
        handled.push(offset);
        resolveOffset(message.offset);
        await heartbeat();
      }
      if (handled.length === 40) {
        await first.commitOffsets([{ topic, partition: batch.partition, offset: '40' }]);
        committed = true;
      }
    },
  });
  try {
    await waitFor('the manual commit', () => committed);
    assert.deepEqual(handled, Array.from({ length: 40 }, (_, i) => i));
    assert.deepEqual(await committedOffsets(groupId, topic), [40]);
  } finally {
    await first.disconnect();
  }
  assert.deepEqual(await committedOffsets(groupId, topic), [40], 'disconnect commits nothing with autoCommit off');

  // The next member of the group resumes at 40; eachBatch with auto-resolve commits the rest.
  const rest: number[] = [];
  const second = kafka.consumer({ groupId, ...CONSUMER_OPTIONS });
  await second.connect();
  await second.subscribe({ topic, fromBeginning: true });
  await second.run({
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const message of batch.messages) {
        rest.push(Number(message.offset));
        resolveOffset(message.offset);
      }
    },
  });
  try {
    await waitFor('offsets 40-99', () => rest.length >= 60);
    assert.deepEqual(rest, Array.from({ length: 60 }, (_, i) => 40 + i));
    await waitFor('commit of 100', async () => (await committedOffsets(groupId, topic))[0] === 100);
  } finally {
    await second.disconnect();
  }
});

test('kafkajs admin: describeGroups, listGroups, fetchOffsets, setOffsets, resetOffsets, deleteGroups', async () => {
  const topic = 'groups-admin';
  const groupId = 'kafkajs-admin';
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  const produced = await produce(topic, 4, 25, 'admin');
  const processed: Processed[] = [];
  const members = [new InProcessMember(groupId, processed), new InProcessMember(groupId, processed)];
  try {
  await Promise.all(members.map((member) => member.start(topic)));
    await waitFor('2 members with 2 partitions each', () => balancedGeneration(groupId, members.map((m) => m.memberId), topic, 4));
    await waitFor('all records', () => processedAll(produced, processed));

  const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0]!;
    assert.equal(group.groupId, groupId);
    assert.equal(group.state, 'Stable');
    assert.equal(group.protocolType, 'consumer');
    assert.equal(group.protocol, 'RoundRobinAssigner');
    assert.deepEqual(group.members.map((member) => member.memberId).sort(), members.map((m) => m.memberId).sort());
    const owned: number[] = [];
    for (const member of group.members) {
      assert.equal(member.clientId, 'tidelog-groups');
      assert.match(member.clientHost, /127\.0\.0\.1/);
      const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata)!;
      assert.deepEqual(metadata.topics, [topic]);
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment)!;
      assert.equal(assignment.assignment[topic]!.length, 2);
      owned.push(...assignment.assignment[topic]!);
    }
    assert.deepEqual(owned.sort(), [0, 1, 2, 3]);
    const unknown = (await admin.describeGroups(['no-such-group'])).groups[0]!;
    assert.equal(unknown.state, 'Dead');
    assert.deepEqual(unknown.members, []);

    const listed = await admin.listGroups();
    assert.deepEqual(listed.groups.find((each) => each.groupId === groupId), { groupId, protocolType: 'consumer' });

    await assert.rejects(admin.deleteGroups([groupId]), (error: Error & { groups?: { groupId: string; errorCode: number }[] }) => {
      assert.equal(error.name, 'KafkaJSDeleteGroupsError');
      assert.deepEqual(error.groups?.map((each) => [each.groupId, each.errorCode]), [[groupId, 68]], 'NON_EMPTY_GROUP');
      return true;
    });
    await assert.rejects(admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] }), /must have no running instances/);
    await waitFor('all offsets committed', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 25));
  } finally {
    await Promise.all(members.map((member) => member.consumer.disconnect()));
  }

  assert.equal((await admin.describeGroups([groupId])).groups[0]!.state, 'Empty');
  await admin.setOffsets({ groupId, topic, partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: String(5 * partition) })) });
  assert.deepEqual(await committedOffsets(groupId, topic), [0, 5, 10, 15]);
  const withMetadata = await admin.fetchOffsets({ groupId, topics: [topic] });
  assert.deepEqual(withMetadata[0]!.partitions.map((p) => p.metadata), [null, null, null, null]);

  // A member started now resumes at the offsets set by the admin.
  const resumed: Processed[] = [];
  const member = await new InProcessMember(groupId, resumed).start(topic);
  try {
    await waitFor('the records after the set offsets', () => resumed.length >= 100 - 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const partition of [0, 1, 2, 3]) {
      assert.deepEqual(
        resumed.filter((r) => r.partition === partition).map((r) => r.offset),
        Array.from({ length: 25 - 5 * partition }, (_, i) => 5 * partition + i),
      );
    }
    await waitFor('commit to the end', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 25));
  } finally {
    await member.consumer.disconnect();
  }

  // resetOffsets (earliest) makes the group start again from the log start.
  await admin.resetOffsets({ groupId, topic, earliest: true });
  const reset = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
  assert.deepEqual(reset[0]!.partitions.map((p) => Number(p.offset)), [0, 0, 0, 0]);
  assert.deepEqual(await committedOffsets(groupId, topic), [0, 0, 0, 0]);

  const deleted = await admin.deleteGroups([groupId]);
  assert.deepEqual(deleted.map((each) => [each.groupId, each.errorCode]), [[groupId, 0]]);
  assert.ok(!(await admin.listGroups()).groups.some((each) => each.groupId === groupId));
  assert.deepEqual(await committedOffsets(groupId, topic), [-1, -1, -1, -1], 'offsets are gone with the group');
  await assert.rejects(admin.deleteGroups([groupId]), (error: Error & { groups?: { errorCode: number }[] }) => {
    assert.deepEqual(error.groups?.map((each) => each.errorCode), [69], 'GROUP_ID_NOT_FOUND');
    return true;
  });
});

test('kafkajs admin: lag = log end - committed offset, per partition', async () => {
  const topic = 'groups-lag';
  const groupId = 'kafkajs-lag';
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
  await produce(topic, 3, 40, 'lag');
  const limits = [10, 25, 40];
  const consumer = kafka.consumer({ groupId, ...CONSUMER_OPTIONS });
  const consumed = await consumeAndCommitUpTo(consumer, topic, limits);
  try {
    await waitFor('committed up to the limits', async () => (await committedOffsets(groupId, topic)).join() === limits.join());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    const lag = committed!.partitions
      .map(({ partition, offset }) => [partition, Number(ends.find((end) => end.partition === partition)!.high) - Number(offset)])
      .sort((a, b) => a[0]! - b[0]!);
    assert.deepEqual(lag, [[0, 30], [1, 15], [2, 0]]);
    assert.deepEqual(consumed, limits);
  } finally {
    await consumer.disconnect();
  }
});
