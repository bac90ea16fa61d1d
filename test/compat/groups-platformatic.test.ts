/**
 * @platformatic/kafka (1.35) consumers in a classic consumer group against a Tidelog broker: two
 * consumers of one group split the partitions (its default `roundrobin` assignor), read every
 * record once and commit (autocommit, then per-message `message.commit()`); after both restart
 * they resume at the committed offsets; when one leaves, the other takes all partitions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers, type ConsumerGroupJoinPayload, type Message, type MessagesStream } from '@platformatic/kafka';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';
import { waitFor } from '../helpers/wait.js';

let broker: BrokerProcess;
let admin: Admin;
let producer: Producer<string, string, string, string>;

before(async () => {
  broker = await startBrokerProcess({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  admin = new Admin({ clientId: 'tidelog-groups-admin', bootstrapBrokers: [broker.bootstrap] });
  producer = new Producer({ clientId: 'tidelog-groups-producer', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
});

after(async () => {
  await producer?.close();
  await admin?.close();
  await stopAndRemove(broker);
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);

/** Produces `perPartition` records to each partition; returns the "partition:offset" keys written. */
async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
  const messages = [];
  for (let i = 0; i < perPartition; i++) {
    for (let partition = 0; partition < partitions; partition++) messages.push({ topic, partition, key: `${tag}-${i}`, value: `${tag}-${partition}-${i}` });
  }
  const result = await producer.send({ messages, acks: -1 });
  const keys: string[] = [];
  for (const { partition, offset } of result.offsets ?? []) {
    for (let i = 0; i < perPartition; i++) keys.push(`${partition}:${Number(offset) + i}`);
  }
  assert.equal(keys.length, partitions * perPartition, JSON.stringify(result.offsets, (_, value) => (typeof value === 'bigint' ? Number(value) : value)));
  return keys;
}

async function committedOffsets(groupId: string, topic: string, partitions: number): Promise<number[]> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: range(partitions) }] }] });
  const found = group!.topics.find((each) => each.name === topic)!;
  return found.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex).map((partition) => Number(partition.committedOffset));
}

interface Read {
  readonly memberId: string;
  readonly generationId: number;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** One group member with its stream; records the joins (generation, assignment) and every record. */
class Member {
  readonly consumer: Consumer<string, string, string, string>;
  readonly joins: { memberId: string; generationId: number; partitions: number[] }[] = [];
  stream?: MessagesStream<string, string, string, string>;
  readonly errors: Error[] = [];

  constructor(
    groupId: string,
    readonly topic: string,
    private readonly read: Read[],
    private readonly manualCommit: boolean,
  ) {
    this.consumer = new Consumer({
      clientId: 'tidelog-groups-platformatic',
      groupId,
      bootstrapBrokers: [broker.bootstrap],
      deserializers: stringDeserializers,
      sessionTimeout: 10_000,
      rebalanceTimeout: 20_000,
      heartbeatInterval: 1000,
      maxWaitTime: 500,
    });
    this.consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
      const partitions = sorted(payload.assignments?.find((assignment) => assignment.topic === topic)?.partitions ?? []);
      this.joins.push({ memberId: payload.memberId, generationId: payload.generationId!, partitions });
    });
  }

  async start(): Promise<this> {
    this.stream = await this.consumer.consume({ topics: [this.topic], mode: 'committed', fallbackMode: 'earliest', autocommit: !this.manualCommit });
    this.stream.on('error', (error: Error) => this.errors.push(error));
    this.stream.on('data', (message: Message<string, string, string, string>) => {
      const { memberId, generationId } = message.metadata.consumer as { memberId: string; generationId: number };
      this.read.push({ memberId, generationId, partition: message.partition, offset: Number(message.offset), value: message.value });
      if (this.manualCommit) message.commit((error?: Error | null) => void (error && this.errors.push(error)));
    });
    return this;
  }

  latest(): { memberId: string; generationId: number; partitions: number[] } | undefined {
    return this.joins.at(-1);
  }

  async close(): Promise<void> {
    await this.consumer.close(true);
  }
}

/** The generation in which exactly `members` split `partitions` evenly (their latest joins). */
function balancedGeneration(members: readonly Member[], partitions: number): number | undefined {
  const latest = members.map((member) => member.latest());
  if (latest.some((join) => join === undefined)) return undefined;
  const generation = latest[0]!.generationId;
  if (latest.some((join) => join!.generationId !== generation || join!.partitions.length !== partitions / members.length)) return undefined;
  return sorted(latest.flatMap((join) => join!.partitions)).join() === range(partitions).join() ? generation : undefined;
}

/** Every produced record read exactly once, each by the owner of its partition in that generation. */
function checkReads(produced: readonly string[], read: readonly Read[], members: readonly Member[]): void {
  const counts = new Map<string, number>();
  for (const record of read) {
    const key = `${record.partition}:${record.offset}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const join = members.flatMap((member) => member.joins).find((each) => each.memberId === record.memberId && each.generationId === record.generationId);
    assert.ok(join, `${key} read by ${record.memberId} in generation ${record.generationId}, which it never joined`);
    assert.ok(join.partitions.includes(record.partition), `${key} read by ${record.memberId}, which did not own partition ${record.partition} in generation ${record.generationId}`);
    assert.match(record.value, new RegExp(`^[a-z]+-${record.partition}-\\d+$`));
  }
  for (const key of produced) assert.equal(counts.get(key), 1, `record ${key} read ${counts.get(key) ?? 0} times`);
  assert.equal(counts.size, produced.length, 'only produced records were read');
}

function readAll(produced: readonly string[], read: readonly Read[]): boolean {
  const seen = new Set(read.map((record) => `${record.partition}:${record.offset}`));
  return produced.every((key) => seen.has(key));
}

test('platformatic: two consumers of one group split the partitions, read every record once, commit, and resume there after a restart', async () => {
  const topic = 'platformatic-group';
  const groupId = 'platformatic-group';
  await admin.createTopics({ topics: [topic], partitions: 4, replicas: 1 });
  const read: Read[] = [];
  const all: Member[] = [];
  try {
    // Round 1: autocommit.
    const first = [new Member(groupId, topic, read, false), new Member(groupId, topic, read, false)];
    all.push(...first);
    await first[0]!.start();
    await waitFor('the first consumer owns all 4 partitions', () => balancedGeneration([first[0]!], 4));
    await first[1]!.start();
    const generation = await waitFor('2 consumers with 2 partitions each', () => balancedGeneration(first, 4));
    const described = (await admin.describeGroups({ groups: [groupId] })).get(groupId)!;
    assert.equal(described.state, 'STABLE');
    assert.equal(described.protocol, 'roundrobin');
    assert.deepEqual([...described.members.keys()].sort(), first.map((member) => member.latest()!.memberId).sort());
    for (const member of described.members.values()) {
      const owner = first.find((each) => each.latest()!.memberId === member.id)!;
      assert.deepEqual(sorted(member.assignments!.get(topic)!.partitions), owner.latest()!.partitions);
    }

    const produced = await produce(topic, 4, 25, 'one');
    await waitFor('100 records', () => readAll(produced, read));
    checkReads(produced, read, all);
    assert.ok(read.every((record) => record.generationId === generation));
    await waitFor('autocommit of offset 25 everywhere', async () => (await committedOffsets(groupId, topic, 4)).every((offset) => offset === 25));
    await Promise.all(first.map((member) => member.close()));
    assert.equal((await admin.describeGroups({ groups: [groupId] })).get(groupId)!.state, 'EMPTY');

    // Round 2: both restart, resume at the committed offsets, and commit each message by hand.
    produced.push(...(await produce(topic, 4, 10, 'two')));
    const second = [new Member(groupId, topic, read, true), new Member(groupId, topic, read, true)];
    all.push(...second);
    await Promise.all(second.map((member) => member.start()));
    const restarted = await waitFor('the restarted consumers split the partitions', () => balancedGeneration(second, 4));
    assert.ok(restarted > generation, `a new generation (${restarted} after ${generation})`);
    await waitFor('140 records', () => readAll(produced, read));
    await waitFor('manual commits of offset 35 everywhere', async () => (await committedOffsets(groupId, topic, 4)).every((offset) => offset === 35));
    checkReads(produced, read, all);

    // One leaves: the other takes all 4 partitions and continues from the commits.
    const [leaving, staying] = second as [Member, Member];
    await leaving.close();
    const alone = await waitFor('the remaining consumer owns all 4 partitions', () => balancedGeneration([staying], 4));
    assert.ok(alone > restarted);
    produced.push(...(await produce(topic, 4, 5, 'three')));
    await waitFor('160 records', () => readAll(produced, read));
    await waitFor('manual commits of offset 40 everywhere', async () => (await committedOffsets(groupId, topic, 4)).every((offset) => offset === 40));
    checkReads(produced, read, all);
    assert.ok(read.filter((record) => record.generationId === alone).every((record) => record.memberId === staying.latest()!.memberId));
    assert.deepEqual(all.flatMap((member) => member.errors), []);
  } finally {
    await Promise.all(all.map((member) => member.close().catch(() => undefined)));
  }
  assert.equal((await admin.describeGroups({ groups: [groupId] })).get(groupId)!.state, 'EMPTY');
  assert.deepEqual(await committedOffsets(groupId, topic, 4), [40, 40, 40, 40]);
});
