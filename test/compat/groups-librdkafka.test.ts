/**
 * librdkafka consumer groups against a Tidelog broker: two `kcat -G` balanced consumers split a
 * topic and one takes over when the other exits; confluent-kafka-python (librdkafka 2.0.2)
 * members with the default eager assignors (`range,roundrobin`) and with `cooperative-sticky`
 * across a join and a leave, auto commit and manual `commit(asynchronous=False)`, and static
 * membership (`group.instance.id`): a member that restarts within the session timeout gets its
 * partitions back in the same generation and the other member sees no rebalance.
 *
 * The members run as child processes and print what they do (rebalance callbacks, records,
 * commits) on stdout, one JSON line per event, so the test sees the client's own view.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { DEBIAN_PYTHON, hasConfluentKafkaPython, hasKcat, runPython } from '../helpers/external-tools.js';
import { startBrokerProcess, stopAndRemove, type BrokerProcess } from '../helpers/broker-process.js';
import { connectAdminAndProducer } from '../helpers/kafkajs.js';
import { waitFor } from '../helpers/wait.js';

const { Kafka, logLevel, AssignerProtocol } = kafkajs;
const skipKcat = !hasKcat() && 'kcat is not installed (apt-get install kcat)';
const skipPython = !hasConfluentKafkaPython() && 'python3-confluent-kafka is not installed';
/**
 * Members that leave must send LeaveGroup: their session timeout is longer than the tests wait
 * for a takeover (which takes about a heartbeat interval when LeaveGroup works), so a broker
 * that ignored LeaveGroup fails them instead of only making them slower. No timing asserted.
 */
const LONG_SESSION_TIMEOUT_MS = 45_000;
const TAKEOVER_WAIT_MS = 30_000;

let broker: BrokerProcess;
let admin: Admin;
let producer: Producer;
const children = new Set<ChildProcess>();

before(async () => {
  if (skipKcat && skipPython) return;
  broker = await startBrokerProcess({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  const kafka = new Kafka({ clientId: 'tidelog-groups-librdkafka', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  ({ admin, producer } = await connectAdminAndProducer(kafka));
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await producer?.disconnect();
  await admin?.disconnect();
  await stopAndRemove(broker);
});

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const sorted = (values: Iterable<number>): number[] => [...values].sort((a, b) => a - b);

/** Produces `perPartition` records to each partition; returns the "partition:offset" keys written. */
async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<string[]> {
  const messages = [];
  for (let i = 0; i < perPartition; i++) {
    for (let partition = 0; partition < partitions; partition++) messages.push({ partition, value: `${tag}-${partition}-${i}` });
  }
  const results = await producer.send({ topic, acks: -1, messages });
  return results.flatMap((result) => range(perPartition).map((i) => `${result.partition}:${Number(result.baseOffset) + i}`));
}

async function committedOffsets(groupId: string, topic: string): Promise<number[]> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((partition) => Number(partition.offset));
}

/** Every produced record was read exactly once by the group, and nothing else was read. */
function assertExactlyOnce(produced: readonly string[], records: readonly { partition: number; offset: number }[]): void {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(`${record.partition}:${record.offset}`, (counts.get(`${record.partition}:${record.offset}`) ?? 0) + 1);
  for (const key of produced) assert.equal(counts.get(key), 1, `record ${key} read ${counts.get(key) ?? 0} times`);
  assert.equal(counts.size, produced.length, 'only produced records were read');
}

function readAll(produced: readonly string[], records: readonly { partition: number; offset: number }[]): boolean {
  const seen = new Set(records.map((record) => `${record.partition}:${record.offset}`));
  return produced.every((key) => seen.has(key));
}

async function describeGroup(groupId: string) {
  return (await admin.describeGroups([groupId])).groups[0]!;
}

// -------------------------------------------------------------------------------------------------
// kcat -G

interface KcatRebalance {
  readonly memberId: string;
  readonly kind: 'assigned' | 'revoked';
  readonly partitions: number[];
}

/** One `kcat -G` balanced consumer: records from stdout, rebalances from its stderr log. */
class KcatMember {
  readonly records: { partition: number; offset: number; value: string }[] = [];
  readonly rebalances: KcatRebalance[] = [];
  readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(groupId: string, topic: string, sessionTimeoutMs: number) {
    const config = {
      'auto.offset.reset': 'earliest',
      'session.timeout.ms': String(sessionTimeoutMs),
      'heartbeat.interval.ms': '1000',
      'auto.commit.interval.ms': '500',
    };
    const args = ['-b', broker.bootstrap, '-G', groupId, '-u', '-f', '%p\\t%o\\t%s\\n', ...Object.entries(config).flatMap(([key, value]) => ['-X', `${key}=${value}`]), topic];
    this.child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const [partition, offset, value] = line.split('\t');
      this.records.push({ partition: Number(partition), offset: Number(offset), value: value! });
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderr += line + '\n';
      // "% Group g rebalanced (memberid rdkafka-…): assigned: topic [0], topic [1]"
      const match = /^% Group \S+ rebalanced \(memberid (\S+)\): (assigned|revoked): (.*)$/.exec(line);
      if (match) {
        const partitions = sorted([...match[3]!.matchAll(/\[(\d+)\]/g)].map((found) => Number(found[1])));
        this.rebalances.push({ memberId: match[1]!, kind: match[2] as 'assigned' | 'revoked', partitions });
      }
    });
  }

  /** The partitions it owns now (eager protocol: each assignment replaces the last). */
  owned(): number[] {
    const last = this.rebalances.at(-1);
    return last?.kind === 'assigned' ? last.partitions : [];
  }

  get memberId(): string {
    return this.rebalances.at(-1)?.memberId ?? '';
  }

  log(): string {
    return this.stderr;
  }

  /** SIGTERM: kcat closes the consumer (final commit, LeaveGroup) and exits. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

test('kcat -G: two balanced consumers split 6 partitions, read every record once; when one exits the other takes over', { skip: skipKcat }, async () => {
  const topic = 'kcat-balanced';
  const groupId = 'kcat-balanced';
  // The takeover below can only be that quick if kcat's LeaveGroup works.
  const sessionTimeoutMs = LONG_SESSION_TIMEOUT_MS;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const first = new KcatMember(groupId, topic, sessionTimeoutMs);
  let second: KcatMember | undefined;
  try {
    await waitFor('the first kcat owns all 6 partitions', () => first.owned().length === 6).catch((error: Error) => {
      throw new Error(`${error.message}\nkcat stderr: ${first.log()}`);
    });
    second = new KcatMember(groupId, topic, sessionTimeoutMs);
    const other = second;
    await waitFor('3 partitions each', () => first.owned().length === 3 && other.owned().length === 3).catch((error: Error) => {
      throw new Error(`${error.message}\nfirst: ${first.log()}\nsecond: ${other.log()}`);
    });
    assert.deepEqual(sorted([...first.owned(), ...second.owned()]), range(6), 'disjoint and covering the topic');
    const group = await describeGroup(groupId);
    assert.equal(group.state, 'Stable');
    assert.equal(group.protocol, 'range', "librdkafka's first assignor");
    assert.deepEqual(group.members.map((member) => member.memberId).sort(), [first.memberId, second.memberId].sort());

    const produced = await produce(topic, 6, 20, 'first');
    await waitFor('all 120 records', () => readAll(produced, [...first.records, ...other.records]));
    assertExactlyOnce(produced, [...first.records, ...second.records]);
    for (const member of [first, second]) {
      const owned = new Set(member.owned());
      assert.ok(member.records.every((record) => owned.has(record.partition)), 'each consumer reads only its own partitions');
      assert.ok(member.records.every((record) => record.value === `first-${record.partition}-${record.offset}`));
    }
    await waitFor('auto commit of offset 20 everywhere', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 20));

    assert.equal(await first.stop(), 0, `kcat exits 0 on SIGTERM\n${first.log()}`);
    await waitFor('the second kcat owns all 6 partitions', () => other.owned().length === 6, TAKEOVER_WAIT_MS).catch((error: Error) => {
      throw new Error(`${error.message}\nsecond: ${other.log()}`);
    });
    assert.deepEqual((await describeGroup(groupId)).members.map((member) => member.memberId), [second.memberId], 'the first member left');

    produced.push(...(await produce(topic, 6, 20, 'second')));
    await waitFor('all 240 records', () => readAll(produced, [...first.records, ...other.records]));
    // The survivor resumed the first consumer's partitions at its committed offsets: nothing twice.
    assertExactlyOnce(produced, [...first.records, ...second.records]);
    await waitFor('auto commit of offset 40 everywhere', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 40));
    assert.equal(await second.stop(), 0, second.log());
    assert.equal((await describeGroup(groupId)).state, 'Empty');
  } finally {
    await first.stop();
    await second?.stop();
  }
});

// -------------------------------------------------------------------------------------------------
// confluent-kafka-python

/**
 * One group member: subscribes with the rebalance callbacks, polls, and prints JSON lines:
 *   {"type":"assign"|"revoke"|"lost","partitions":[…],"generation":g,"member":id}
 *   {"type":"record","partition":p,"offset":o,"value":v,"generation":g,"member":id}
 *   {"type":"committed","offsets":[[p,o],…]}   (answer to the "commit" command: commit(asynchronous=False))
 *   {"type":"closed"}                          (answer to the "close" command, or stdin closed)
 * The generation and member id are read from consumer_group_metadata(), which librdkafka
 * serializes as 'CGMDv2:' + int32 generation (host order) + NUL-terminated group id, member id, …
 * (rd_kafka_consumer_group_metadata_write).
 */
const MEMBER_SCRIPT = String.raw`
import json, queue, struct, sys, threading
from confluent_kafka import Consumer

conf = json.loads(sys.argv[1])
topic = sys.argv[2]

def out(**event):
    sys.stdout.write(json.dumps(event) + '\n')
    sys.stdout.flush()

def identity(consumer):
    metadata = consumer.consumer_group_metadata()
    assert metadata[:7] == b'CGMDv2:', metadata
    generation = struct.unpack_from('=i', metadata, 7)[0]
    return generation, metadata[11:].split(b'\x00')[1].decode()

def callback(kind):
    def on_event(consumer, partitions):
        generation, member = identity(consumer)
        out(type=kind, partitions=sorted(p.partition for p in partitions), generation=generation, member=member)
    return on_event

commands = queue.Queue()
def read_commands():
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put('close')
threading.Thread(target=read_commands, daemon=True).start()

consumer = Consumer({**conf, 'error_cb': lambda error: out(type='error', error=str(error))})
consumer.subscribe([topic], on_assign=callback('assign'), on_revoke=callback('revoke'), on_lost=callback('lost'))
while True:
    try:
        command = commands.get_nowait()
    except queue.Empty:
        command = None
    if command == 'close':
        consumer.close()
        out(type='closed')
        break
    if command == 'commit':
        out(type='committed', offsets=[[p.partition, p.offset] for p in consumer.commit(asynchronous=False)])
    message = consumer.poll(0.1)
    if message is None:
        continue
    if message.error():
        out(type='error', error=str(message.error()))
        continue
    generation, member = identity(consumer)
    out(type='record', partition=message.partition(), offset=message.offset(), value=message.value().decode(), generation=generation, member=member)
`;

/** Committed offsets of partitions 0..n-1 as another process sees them: Consumer.committed(). */
const COMMITTED_SCRIPT = String.raw`
import json, sys
from confluent_kafka import Consumer, TopicPartition
bootstrap, group, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
committed = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=20)
print(json.dumps([[tp.partition, tp.offset, tp.error and str(tp.error)] for tp in committed]))
consumer.close()
`;

async function committedByPython(groupId: string, topic: string, partitions: number): Promise<number[]> {
  const result = await runPython(COMMITTED_SCRIPT, [broker.bootstrap, groupId, topic, String(partitions)], 60_000);
  assert.equal(result.code, 0, result.stderr);
  const answer = JSON.parse(result.stdout.toString()) as [number, number, string | null][];
  for (const [, , error] of answer) assert.equal(error, null);
  return answer.map(([, offset]) => offset);
}

type MemberEvent =
  | { type: 'assign' | 'revoke' | 'lost'; partitions: number[]; generation: number; member: string }
  | { type: 'record'; partition: number; offset: number; value: string; generation: number; member: string }
  | { type: 'committed'; offsets: [number, number][] }
  | { type: 'closed' }
  | { type: 'error'; error: string };

type Callback = Extract<MemberEvent, { type: 'assign' | 'revoke' | 'lost' }>;
type RecordEvent = Extract<MemberEvent, { type: 'record' }>;

class PythonMember {
  readonly events: MemberEvent[] = [];
  readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(groupId: string, topic: string, config: Record<string, string | number | boolean> = {}) {
    const conf = {
      'bootstrap.servers': broker.bootstrap,
      'group.id': groupId,
      'auto.offset.reset': 'earliest',
      // Long enough that a test waiting for a takeover fails if it needed the session to expire.
      'session.timeout.ms': LONG_SESSION_TIMEOUT_MS,
      'heartbeat.interval.ms': 1000,
      'auto.commit.interval.ms': 500,
      ...config,
    };
    this.child = spawn(DEBIAN_PYTHON, ['-c', MEMBER_SCRIPT, JSON.stringify(conf), topic], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(this.child);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.events.push(JSON.parse(line) as MemberEvent));
  }

  callbacks(): Callback[] {
    return this.events.filter((event): event is Callback => event.type === 'assign' || event.type === 'revoke' || event.type === 'lost');
  }

  records(): RecordEvent[] {
    return this.events.filter((event): event is RecordEvent => event.type === 'record');
  }

  /** Partitions owned now. Eager: an assign replaces, a revoke empties; cooperative: incremental. */
  owned(cooperative = false): number[] {
    let owned = new Set<number>();
    for (const event of this.callbacks()) {
      if (event.type === 'assign') owned = cooperative ? new Set([...owned, ...event.partitions]) : new Set(event.partitions);
      else if (cooperative) for (const partition of event.partitions) owned.delete(partition);
      else owned = new Set();
    }
    return sorted(owned);
  }

  /** The generation and member id of its latest assignment. */
  latest(): { generation: number; member: string } | undefined {
    return this.callbacks().filter((event) => event.type === 'assign').at(-1);
  }

  /** Every record was read while its partition was owned (by this member's callbacks). */
  assertReadOwnPartitions(cooperative: boolean): void {
    let owned = new Set<number>();
    for (const event of this.events) {
      if (event.type === 'assign') owned = cooperative ? new Set([...owned, ...event.partitions]) : new Set(event.partitions);
      else if (event.type === 'revoke' || event.type === 'lost') {
        if (cooperative) for (const partition of event.partitions) owned.delete(partition);
        else owned = new Set();
      } else if (event.type === 'record') {
        assert.ok(owned.has(event.partition), `${event.member} read ${event.partition}:${event.offset} without owning the partition`);
      }
    }
  }

  errors(): string[] {
    return this.events.flatMap((event) => (event.type === 'error' ? [event.error] : []));
  }

  log(): string {
    return `events: ${this.events.filter((event) => event.type !== 'record').map((event) => JSON.stringify(event)).join('\n')}\nstderr: ${this.stderr}`;
  }

  async commit(): Promise<[number, number][]> {
    const before = this.events.length;
    this.child.stdin!.write('commit\n');
    const answer = await waitFor('commit(asynchronous=False)', () => this.events.slice(before).find((event) => event.type === 'committed'));
    return answer.offsets;
  }

  /** consumer.close(), then the process exits. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin!.end('close\n');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the python member did not exit\n${this.log()}`)), 30_000).unref());
    assert.equal(await Promise.race([this.exited, timeout]), 0, this.log());
    assert.equal(this.events.at(-1)?.type, 'closed');
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function allRecords(members: readonly PythonMember[]): RecordEvent[] {
  return members.flatMap((member) => member.records());
}

async function waitBalanced(members: readonly PythonMember[], partitions: number, cooperative: boolean): Promise<void> {
  await waitFor(`${members.length} members with ${partitions / members.length} partitions each`, () => {
    const owned = members.map((member) => member.owned(cooperative));
    return owned.every((each) => each.length === partitions / members.length) && sorted(owned.flat()).join() === range(partitions).join();
  }, TAKEOVER_WAIT_MS).catch((error: Error) => {
    throw new Error(`${error.message}\n${members.map((member) => member.log()).join('\n')}`);
  });
}

/**
 * The join-and-leave scenario for one assignment strategy: a member alone owns 6 partitions, a
 * second joins and takes 3, then leaves (close) and the first takes them back. Records are
 * produced between the steps and committed (auto commit) before each step, so that the group
 * reads each exactly once. Returns the members' callbacks at each step for the caller to check.
 */
async function joinAndLeave(groupId: string, topic: string, config: Record<string, string>, cooperative: boolean) {
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  const first = new PythonMember(groupId, topic, config);
  let second: PythonMember | undefined;
  try {
    await waitBalanced([first], 6, cooperative);
    const produced = await produce(topic, 6, 10, 'alone');
    await waitFor('the first 60 records', () => readAll(produced, first.records()));
    await waitFor('offset 10 committed', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 10));
    const aloneCallbacks = first.callbacks().length;

    second = new PythonMember(groupId, topic, config);
    await waitBalanced([first, second], 6, cooperative);
    // Cooperative: the partitions are balanced once the second member's assign arrives, but the
    // first member's (empty) assign of that same generation may still be on its way.
    await waitFor('both members in the same generation', () => first.latest()!.generation === second!.latest()!.generation);
    const afterJoin = { first: first.callbacks().slice(aloneCallbacks), second: second.callbacks() };
    const joined = first.latest()!.generation;
    const group = await describeGroup(groupId);
    assert.equal(group.state, 'Stable');
    assert.deepEqual(group.members.map((member) => member.memberId).sort(), [first.latest()!.member, second.latest()!.member].sort());
    for (const member of group.members) {
      const mine: PythonMember | undefined = [first, second].find((each) => each.latest()!.member === member.memberId);
      assert.deepEqual(sorted(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)!.assignment[topic]!), mine!.owned(cooperative));
    }

    produced.push(...(await produce(topic, 6, 10, 'pair')));
    await waitFor('120 records', () => readAll(produced, allRecords([first, second!])));
    await waitFor('offset 20 committed', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 20));
    const joinedCallbacks = first.callbacks().length;
    const secondOwned = second.owned(cooperative);

    await second.close();
    await waitBalanced([first], 6, cooperative);
    const afterLeave = { first: first.callbacks().slice(joinedCallbacks), second: second.callbacks().slice(afterJoin.second.length) };
    assert.ok(first.latest()!.generation > joined, 'a new generation after the leave');
    assert.deepEqual((await describeGroup(groupId)).members.map((member) => member.memberId), [first.latest()!.member]);

    produced.push(...(await produce(topic, 6, 10, 'alone-again')));
    await waitFor('180 records', () => readAll(produced, allRecords([first, second!])));
    assertExactlyOnce(produced, allRecords([first, second]));
    first.assertReadOwnPartitions(cooperative);
    second.assertReadOwnPartitions(cooperative);
    for (const record of allRecords([first, second])) assert.match(record.value, new RegExp(`^[a-z-]+-${record.partition}-\\d+$`));
    assert.deepEqual([...first.errors(), ...second.errors()], []);
    await first.close();
    // Another process sees the auto commits.
    assert.deepEqual(await committedByPython(groupId, topic, 6), [30, 30, 30, 30, 30, 30]);
    assert.equal((await describeGroup(groupId)).state, 'Empty');
    return { afterJoin, afterLeave, secondOwned, group };
  } finally {
    first.kill();
    second?.kill();
  }
}

test('confluent-kafka-python: default assignors (range,roundrobin), eager rebalances across a join and a leave, auto commit', { skip: skipPython }, async () => {
  const { afterJoin, afterLeave, secondOwned, group } = await joinAndLeave('python-eager', 'python-eager', {}, false);
  assert.equal(group.protocol, 'range');
  const firstOwned = range(6).filter((partition) => !secondOwned.includes(partition));
  // Eager: on the join the first member gives up everything, then gets its half back.
  assert.deepEqual(
    afterJoin.first.map((event) => [event.type, event.partitions]),
    [['revoke', range(6)], ['assign', firstOwned]],
  );
  assert.deepEqual(afterJoin.second.map((event) => [event.type, event.partitions]), [['assign', secondOwned]]);
  assert.deepEqual(
    afterLeave.first.map((event) => [event.type, event.partitions]),
    [['revoke', firstOwned], ['assign', range(6)]],
  );
  assert.deepEqual(afterLeave.second.map((event) => [event.type, event.partitions]), [['revoke', secondOwned]]);
});

test('confluent-kafka-python: cooperative-sticky, incremental rebalances: the surviving member keeps its partitions', { skip: skipPython }, async () => {
  const { afterJoin, afterLeave, secondOwned, group } = await joinAndLeave('python-cooperative', 'python-cooperative', { 'partition.assignment.strategy': 'cooperative-sticky' }, true);
  assert.equal(group.protocol, 'cooperative-sticky');
  // On the join the first member only gives up the partitions that move; assignments after that
  // are incremental (empty for it), and it never revokes what it keeps.
  const revoked = afterJoin.first.filter((event) => event.type !== 'assign');
  assert.deepEqual(revoked.map((event) => [event.type, event.partitions]), [['revoke', secondOwned]]);
  assert.ok(afterJoin.first.filter((event) => event.type === 'assign').every((event) => event.partitions.length === 0), JSON.stringify(afterJoin.first));
  assert.deepEqual(sorted(afterJoin.second.flatMap((event) => (event.type === 'assign' ? event.partitions : []))), secondOwned);
  assert.ok(afterJoin.second.every((event) => event.type === 'assign'));
  // On the leave it only gains the leaver's partitions.
  assert.ok(afterLeave.first.every((event) => event.type === 'assign'), JSON.stringify(afterLeave.first));
  assert.deepEqual(sorted(afterLeave.first.flatMap((event) => event.partitions)), secondOwned);
  assert.deepEqual(afterLeave.second.map((event) => [event.type, event.partitions]), [['revoke', secondOwned]]);
});

test('confluent-kafka-python: manual commit(asynchronous=False); close commits nothing without auto commit, everything with it', { skip: skipPython }, async () => {
  const topic = 'python-manual';
  const groupId = 'python-manual';
  const manual = { 'enable.auto.commit': false };
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const produced = await produce(topic, 2, 20, 'm');

  const first = new PythonMember(groupId, topic, manual);
  try {
    await waitFor('40 records', () => readAll(produced, first.records()));
    const committed = await first.commit();
    assert.deepEqual(committed.sort((a, b) => a[0] - b[0]), [[0, 20], [1, 20]], 'commit() returns the committed positions');
    assert.deepEqual(await committedOffsets(groupId, topic), [20, 20], 'committed before the call returned');
    produced.push(...(await produce(topic, 2, 10, 'm')));
    await waitFor('60 records', () => readAll(produced, first.records()));
    await first.close();
  } finally {
    first.kill();
  }
  assert.equal(first.records().length, 60);
  assert.deepEqual(await committedByPython(groupId, topic, 2), [20, 20], 'close did not commit offsets 20-29');

  // The next member resumes at the manual commit; with auto commit, close commits the end.
  const second = new PythonMember(groupId, topic, { 'enable.auto.commit': true, 'auto.commit.interval.ms': 600_000 });
  try {
    await waitFor('the 20 records after the commit', () => second.records().length >= 20);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const partition of [0, 1]) {
      assert.deepEqual(second.records().filter((record) => record.partition === partition).map((record) => record.offset), range(10).map((i) => 20 + i));
    }
    assert.deepEqual(await committedOffsets(groupId, topic), [20, 20], 'no periodic commit yet');
    await second.close();
  } finally {
    second.kill();
  }
  assert.deepEqual(await committedByPython(groupId, topic, 2), [30, 30]);
});

test('confluent-kafka-python: a static member (group.instance.id) restarting within the session timeout gets its partitions back without a rebalance', { skip: skipPython }, async () => {
  const topic = 'python-static';
  const groupId = 'python-static';
  const staticConfig = (instance: string) => ({ 'group.instance.id': instance });
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
  const members = new Map<string, PythonMember>([['static-a', new PythonMember(groupId, topic, staticConfig('static-a'))]]);
  const retired: PythonMember[] = [];
  try {
    await waitBalanced([members.get('static-a')!], 4, false);
    members.set('static-b', new PythonMember(groupId, topic, staticConfig('static-b')));
    await waitBalanced([...members.values()], 4, false);
    const generation = members.get('static-a')!.latest()!.generation;
    assert.equal(members.get('static-b')!.latest()!.generation, generation);
    const owned = new Map([...members].map(([instance, member]) => [instance, member.owned()]));
    const produced = await produce(topic, 4, 10, 'before');
    await waitFor('40 records', () => readAll(produced, allRecords([...members.values()])));
    await waitFor('offset 10 committed', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 10));

    // Restart the leader (the first to join), then the other member.
    for (const [index, instance] of ['static-a', 'static-b'].entries()) {
      const old = members.get(instance)!;
      const other = [...members.values()].find((member) => member !== old)!;
      const otherCallbacks = other.callbacks().length;
      const oldMemberId = old.latest()!.member;
      await old.close();
      retired.push(old);
      // A static member sends no LeaveGroup: the group keeps it while its session lasts.
      const kept = await describeGroup(groupId);
      assert.equal(kept.state, 'Stable');
      assert.ok(kept.members.some((member) => member.memberId === oldMemberId), 'the closed static member is still in the group');

      const restarted = new PythonMember(groupId, topic, staticConfig(instance));
      members.set(instance, restarted);
      await waitFor(`${instance} assigned again`, () => restarted.latest()).catch((error: Error) => {
        throw new Error(`${error.message}\n${restarted.log()}`);
      });
      assert.deepEqual(restarted.callbacks().map((event) => [event.type, event.partitions, event.generation]), [['assign', owned.get(instance), generation]], 'same partitions, same generation');
      assert.notEqual(restarted.latest()!.member, oldMemberId, 'a new member id');
      assert.ok(restarted.latest()!.member.startsWith(`${instance}-`), restarted.latest()!.member);

      const tag = `restart-${index}`;
      produced.push(...(await produce(topic, 4, 10, tag)));
      await waitFor(`the ${tag} records`, () => readAll(produced, allRecords([...members.values(), ...retired])));
      assert.deepEqual(other.callbacks().slice(otherCallbacks), [], 'the other member saw no rebalance');
      assert.ok(other.records().every((record) => record.generation === generation));
      assert.ok(restarted.records().every((record) => record.generation === generation));
      const group = await describeGroup(groupId);
      assert.equal(group.state, 'Stable');
      assert.deepEqual(group.members.map((member) => member.memberId).sort(), [...members.values()].map((member) => member.latest()!.member).sort());
      for (const member of group.members) {
        const [instanceOf] = [...members].find(([, each]) => each.latest()!.member === member.memberId)!;
        assert.deepEqual(sorted(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)!.assignment[topic]!), owned.get(instanceOf));
      }
      await waitFor('all offsets committed', async () => (await committedOffsets(groupId, topic)).every((offset) => offset === 10 * (index + 2)));
    }
    assertExactlyOnce(produced, allRecords([...members.values(), ...retired]));
    for (const member of [...members.values(), ...retired]) member.assertReadOwnPartitions(false);
  } finally {
    for (const member of [...members.values(), ...retired]) member.kill();
  }
});
