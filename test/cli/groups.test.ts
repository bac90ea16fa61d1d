/**
 * `tidelog groups` run as a child process against a broker, with kafkajs making the groups:
 * list (with --state), describe --offsets/--members/--state of an active group and of an empty
 * one, the lag — after N records per partition and M consumed and committed, LAG is N − M per
 * partition, as the admin API reports — delete (refused while members remain, with Kafka's
 * message), delete-offsets, reset-offsets in every scenario (a dry run changes nothing,
 * --execute commits, an active group is refused), exit codes and usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import kafkajs, { type Admin as KafkajsAdmin, type Consumer, type Producer } from 'kafkajs';
import { Admin } from '../../src/client/admin.js';
import { CLI_PATH } from '../helpers/broker-process.js';
import { run } from '../helpers/external-tools.js';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.js';
import { connectAdminAndProducer, consumeAndCommitUpTo } from '../helpers/kafkajs.js';
import { waitFor } from '../helpers/wait.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'cli-orders';
const N = 20;
const M = [5, 12, 20];
/** Record i of each partition has timestamp BASE_TIME + i s (recent: old records would fall to retention.ms). */
const BASE_TIME = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
/** BASE_TIME + ms as Kafka's tool takes it, in UTC ('…Z') or at +02:00. */
const isoAt = (ms: number) => new Date(BASE_TIME + ms).toISOString();
const isoAtPlusTwo = (ms: number) => new Date(BASE_TIME + ms + 7_200_000).toISOString().replace('Z', '+02:00');

let broker: InProcessBroker;
let bootstrap: string;
let kafka: InstanceType<typeof Kafka>;
let kafkajsAdmin: KafkajsAdmin;
let producer: Producer;
let admin: Admin;

before(async () => {
  broker = await startInProcessBroker({ 'group.initial.rebalance.delay.ms': '0' });
  bootstrap = `127.0.0.1:${broker.port}`;
  kafka = new Kafka({ clientId: 'cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  ({ admin: kafkajsAdmin, producer } = await connectAdminAndProducer(kafka));
  admin = new Admin({ bootstrapServers: bootstrap });
  await kafkajsAdmin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const messages = [];
  for (let partition = 0; partition < 3; partition++) {
    for (let i = 0; i < N; i++) messages.push({ partition, value: `${partition}-${i}`, timestamp: String(BASE_TIME + i * 1000) });
  }
  await producer.send({ topic: TOPIC, acks: -1, messages });
});

after(async () => {
  // The active group's member normally leaves in its test; when that test did not run or failed
  // before, it must not keep the broker (and this file) running.
  await consumer?.disconnect();
  await admin?.close();
  await producer?.disconnect();
  await kafkajsAdmin?.disconnect();
  await broker?.stop();
});

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tidelog groups <args> --bootstrap-server <the test broker>`. */
async function groups(...args: string[]): Promise<CliResult> {
  const result = await run(process.execPath, [CLI_PATH, 'groups', ...args, '--bootstrap-server', bootstrap], { timeoutMs: 60_000 });
  return { code: result.code, stdout: result.stdout.toString(), stderr: result.stderr };
}

/** Rows of the tables in a command's output, as records keyed by column header. */
function rows(output: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  let headers: string[] | null = null;
  for (const line of output.split('\n')) {
    if (line.trim() === '') {
      headers = null;
      continue;
    }
    const cells = line.trim().split(/\s+/);
    if (headers === null) {
      // "COORDINATOR (ID)" is one header; its value "host:port (id)" one cell.
      headers = line.includes('COORDINATOR (ID)') ? line.replace('COORDINATOR (ID)', 'COORDINATOR').trim().split(/\s+/) : cells;
      continue;
    }
    const values = headers.includes('COORDINATOR') ? line.replace(/ \((\d+)\)/, '($1)').trim().split(/\s+/) : cells;
    records.push(Object.fromEntries(headers.map((header, index) => [header, values[index] ?? ''])));
  }
  return records;
}

function pick(records: readonly Record<string, string>[], ...columns: string[]): string[][] {
  return records.map((record) => columns.map((column) => record[column] ?? '?'));
}

async function committed(groupId: string): Promise<number[]> {
  const [offsets] = await kafkajsAdmin.fetchOffsets({ groupId, topics: [TOPIC] });
  return offsets!.partitions.sort((a, b) => a.partition - b.partition).map((partition) => Number(partition.offset));
}

/**
 * Commits offsets for a group without members, as an admin does (with Tidelog's admin client:
 * kafkajs's setOffsets joins the group with a consumer to do it, which takes seconds).
 */
async function setOffsets(groupId: string, offsets: readonly number[]): Promise<void> {
  await admin.commitOffsets(groupId, offsets.map((offset, partition) => ({ topic: TOPIC, partition, offset })));
}

// ---- an active group, then the same group empty ---------------------------------------------

const ACTIVE = 'cli-active';
let consumer: Consumer | undefined;
let memberId = '';

test('describe: an active kafkajs group shows LAG = N − M per partition, its consumer on each row, as the admin API reports', async () => {
  const member = kafka.consumer({ groupId: ACTIVE, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumer = member;
  member.on(member.events.GROUP_JOIN, (event) => (memberId = event.payload.memberId));
  await consumeAndCommitUpTo(member, TOPIC, M);
  await waitFor('the commits of M records per partition', async () => (await committed(ACTIVE)).join() === M.join());

  const described = await groups('describe', '--group', ACTIVE);
  assert.equal(described.code, 0, described.stderr);
  assert.equal(described.stderr, '', 'a Stable group gets no note');
  const table = rows(described.stdout);
  assert.deepEqual(Object.keys(table[0]!), ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
  assert.deepEqual(pick(table, 'GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'CLIENT-ID'), [
    [ACTIVE, TOPIC, '0', String(M[0]), String(N), String(N - M[0]!), memberId, 'cli-test'],
    [ACTIVE, TOPIC, '1', String(M[1]), String(N), String(N - M[1]!), memberId, 'cli-test'],
    [ACTIVE, TOPIC, '2', String(M[2]), String(N), String(N - M[2]!), memberId, 'cli-test'],
  ]);
  assert.match(table[0]!.HOST!, /127\.0\.0\.1/);
  // --offsets is the default view; the admin API computes the same lag.
  assert.equal((await groups('describe', '--group', ACTIVE, '--offsets')).stdout, described.stdout);
  const lag = await admin.groupLag(ACTIVE);
  assert.deepEqual(lag.map((row) => row.lag), table.map((row) => Number(row.LAG)));
});

test('describe --members / --members --verbose / --state, and list (with --state), of the active group', async () => {
  const members = await groups('describe', '--group', ACTIVE, '--members');
  assert.equal(members.code, 0, members.stderr);
  assert.deepEqual(pick(rows(members.stdout), 'GROUP', 'CONSUMER-ID', 'CLIENT-ID', '#PARTITIONS'), [[ACTIVE, memberId, 'cli-test', '3']]);

  const verbose = await groups('describe', '--group', ACTIVE, '--members', '--verbose');
  assert.deepEqual(pick(rows(verbose.stdout), 'CONSUMER-ID', 'GROUP-INSTANCE-ID', '#PARTITIONS', 'ASSIGNMENT'), [[memberId, '-', '3', `${TOPIC}(0,1,2)`]]);

  const state = await groups('describe', '--group', ACTIVE, '--state');
  assert.equal(state.code, 0, state.stderr);
  assert.deepEqual(pick(rows(state.stdout), 'GROUP', 'COORDINATOR', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'), [[ACTIVE, `${bootstrap}(1)`, 'RoundRobinAssigner', 'Stable', '1']]);

  const listed = await groups('list');
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.split('\n').includes(ACTIVE), listed.stdout);
  const withState = await groups('list', '--state');
  assert.deepEqual(pick(rows(withState.stdout).filter((row) => row.GROUP === ACTIVE), 'GROUP', 'STATE'), [[ACTIVE, 'Stable']]);
  const stable = await groups('list', '--state', 'stable,PreparingRebalance');
  assert.deepEqual(pick(rows(stable.stdout).filter((row) => row.GROUP === ACTIVE), 'STATE'), [['Stable']]);
  const empty = await groups('list', '--state=Empty');
  assert.equal(empty.code, 0, empty.stderr);
  assert.ok(!rows(empty.stdout).some((row) => row.GROUP === ACTIVE), empty.stdout);
});

test('while the group has members: delete, delete-offsets and reset-offsets are refused (exit 1) and change nothing', async () => {
  const deletion = await groups('delete', '--group', ACTIVE);
  assert.equal(deletion.code, 1);
  assert.match(deletion.stderr, /Error: Deletion of some consumer groups failed:\n\* Group 'cli-active' could not be deleted due to: The group is not empty\./);

  const offsetDeletion = await groups('delete-offsets', '--group', ACTIVE, '--topic', TOPIC);
  assert.equal(offsetDeletion.code, 1);
  assert.deepEqual(
    pick(rows(offsetDeletion.stdout), 'TOPIC', 'PARTITION').map(([topic, partition]) => `${topic}:${partition}`),
    [`${TOPIC}:0`, `${TOPIC}:1`, `${TOPIC}:2`],
  );
  assert.equal(offsetDeletion.stdout.match(/Error: The consumer group is actively subscribed to the topic\./g)?.length, 3, offsetDeletion.stdout);

  for (const dryRun of [[], ['--dry-run'], ['--execute']]) {
    const reset = await groups('reset-offsets', '--group', ACTIVE, '--topic', TOPIC, '--to-earliest', ...dryRun);
    assert.equal(reset.code, 1, `reset-offsets ${dryRun.join(' ')}`);
    assert.match(reset.stderr, /Error: Assignments can only be reset if the group 'cli-active' is inactive, but the current state is Stable\./);
    assert.doesNotMatch(reset.stdout, /NEW-OFFSET/);
  }
  assert.deepEqual(await committed(ACTIVE), M);
  assert.deepEqual(pick(rows((await groups('list', '--state')).stdout).filter((row) => row.GROUP === ACTIVE), 'STATE'), [['Stable']]);
});

test('describe of the same group once its member left: Empty, no consumer on the rows, the same lag', async () => {
  await consumer!.disconnect();
  const described = await groups('describe', '--group', ACTIVE);
  assert.equal(described.code, 0, described.stderr);
  assert.equal(described.stderr, `\nConsumer group '${ACTIVE}' has no active members.\n`);
  assert.deepEqual(pick(rows(described.stdout), 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'), [
    ['0', String(M[0]), String(N), String(N - M[0]!), '-', '-', '-'],
    ['1', String(M[1]), String(N), String(N - M[1]!), '-', '-', '-'],
    ['2', String(M[2]), String(N), String(N - M[2]!), '-', '-', '-'],
  ]);
  const members = await groups('describe', '--group', ACTIVE, '--members');
  assert.equal(members.code, 0);
  assert.equal(members.stdout, '', 'no members, no table');
  assert.match(members.stderr, /has no active members/);
  const state = await groups('describe', '--group', ACTIVE, '--state');
  assert.deepEqual(pick(rows(state.stdout), 'STATE', '#MEMBERS'), [['Empty', '0']]);
  assert.deepEqual(pick(rows((await groups('list', '--state', 'Empty')).stdout).filter((row) => row.GROUP === ACTIVE), 'STATE'), [['Empty']]);
});

// ---- reset-offsets -----------------------------------------------------------------------------

test('reset-offsets: each scenario prints the new offsets; a dry run (the default, or --dry-run) commits nothing, --execute commits them', async () => {
  const groupId = 'cli-reset';
  const start = [10, 10, 10];
  await setOffsets(groupId, start);
  const scenarios: { args: string[]; expected: number[]; warning?: RegExp }[] = [
    { args: ['--to-earliest'], expected: [0, 0, 0] },
    { args: ['--to-latest'], expected: [N, N, N] },
    { args: ['--to-current'], expected: start },
    { args: ['--to-offset', '7'], expected: [7, 7, 7] },
    { args: ['--to-offset', '99'], expected: [N, N, N], warning: /New offset \(99\) is higher than latest offset for topic partition cli-orders-0\. Value will be set to 20\./ },
    { args: ['--to-offset', '-3'], expected: [0, 0, 0], warning: /New offset \(-3\) is lower than earliest offset/ },
    { args: ['--shift-by', '-4'], expected: [6, 6, 6] },
    { args: ['--shift-by', '+3'], expected: [13, 13, 13] },
    { args: ['--shift-by', '50'], expected: [N, N, N], warning: /higher than latest offset/ },
    // Record i is at BASE_TIME + i s: the first at or after 3.5 s is record 4.
    { args: ['--to-datetime', isoAt(3_500)], expected: [4, 4, 4] },
    { args: ['--to-datetime', isoAtPlusTwo(5_000)], expected: [5, 5, 5] },
    { args: ['--to-datetime', isoAt(N * 1000 + 60_000)], expected: [N, N, N], warning: /Partition 0 from topic cli-orders is empty\. Falling back to latest known offset\./ },
  ];
  for (const scenario of scenarios) {
    const what = `reset-offsets ${scenario.args.join(' ')}`;
    for (const mode of [[], ['--dry-run']]) {
      const dry = await groups('reset-offsets', '--group', groupId, '--topic', TOPIC, ...scenario.args, ...mode);
      assert.equal(dry.code, 0, `${what} ${mode.join('')}: ${dry.stderr}`);
      assert.deepEqual(pick(rows(dry.stdout), 'GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'), scenario.expected.map((offset, partition) => [groupId, TOPIC, String(partition), String(offset)]), what);
      if (mode.length === 0) assert.match(dry.stderr, /WARN: No action will be performed as the --execute option is missing/, what);
      else assert.doesNotMatch(dry.stderr, /No action will be performed/, what);
      if (scenario.warning) assert.match(dry.stderr, scenario.warning, what);
      assert.deepEqual(await committed(groupId), start, `${what} ${mode.join('')} must not commit`);
    }
    const executed = await groups('reset-offsets', '--group', groupId, '--topic', TOPIC, ...scenario.args, '--execute');
    assert.equal(executed.code, 0, `${what} --execute: ${executed.stderr}`);
    assert.deepEqual(pick(rows(executed.stdout), 'NEW-OFFSET').flat(), scenario.expected.map(String), what);
    assert.deepEqual(await committed(groupId), scenario.expected, `${what} --execute commits`);
    await setOffsets(groupId, start);
  }
});

test('reset-offsets: partitions chosen by --topic T:P and --all-topics; a group that does not exist yet gets its offsets', async () => {
  const groupId = 'cli-reset-scope';
  await admin.commitOffsets(groupId, [
    { topic: TOPIC, partition: 0, offset: 3 },
    { topic: TOPIC, partition: 2, offset: 9 },
  ]);

  const some = await groups('reset-offsets', '--group', groupId, '--topic', `${TOPIC}:1,2`, '--to-latest', '--execute');
  assert.equal(some.code, 0, some.stderr);
  assert.deepEqual(pick(rows(some.stdout), 'PARTITION', 'NEW-OFFSET'), [['1', String(N)], ['2', String(N)]]);
  assert.deepEqual(await committed(groupId), [3, N, N]);

  // --all-topics: the partitions the group has committed offsets for.
  await admin.deleteCommittedOffsets(groupId, [{ topic: TOPIC, partition: 1 }]);
  const all = await groups('reset-offsets', '--group', groupId, '--all-topics', '--to-earliest', '--execute');
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(pick(rows(all.stdout), 'TOPIC', 'PARTITION', 'NEW-OFFSET'), [[TOPIC, '0', '0'], [TOPIC, '2', '0']]);
  assert.deepEqual(await committed(groupId), [0, -1, 0]);

  // --shift-by needs a committed offset on every partition it moves.
  const shift = await groups('reset-offsets', '--group', groupId, '--topic', TOPIC, '--shift-by', '1', '--execute');
  assert.equal(shift.code, 1);
  assert.match(shift.stderr, /partition 1: the group has committed no offset for it/);
  assert.deepEqual(await committed(groupId), [0, -1, 0], 'nothing of a failed plan is committed');

  const missing = await groups('reset-offsets', '--group', groupId, '--topic', `${TOPIC}:7`, '--to-earliest', '--execute');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /has no partition 7/);

  const fresh = await groups('reset-offsets', '--group', 'cli-reset-new', '--topic', TOPIC, '--to-offset', '2', '--execute');
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(await committed('cli-reset-new'), [2, 2, 2]);
});

// ---- delete, delete-offsets ----------------------------------------------------------------

test('delete-offsets removes a group’s committed offsets (named partitions, or every partition of a topic)', async () => {
  const groupId = 'cli-delete-offsets';
  await setOffsets(groupId, [1, 2, 3]);
  const one = await groups('delete-offsets', '--group', groupId, '--topic', `${TOPIC}:1`);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^Request succeeded for deleting offsets from group cli-delete-offsets\./);
  assert.deepEqual(pick(rows(one.stdout.split('\n').slice(1).join('\n')), 'TOPIC', 'PARTITION', 'STATUS'), [[TOPIC, '1', 'Successful']]);
  assert.deepEqual(await committed(groupId), [1, -1, 3]);

  const all = await groups('delete-offsets', '--group', groupId, '--topic', TOPIC);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(await committed(groupId), [-1, -1, -1]);

  const unknown = await groups('delete-offsets', '--group', 'cli-no-such-group', '--topic', `${TOPIC}:0`);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Error: Group 'cli-no-such-group': The group id does not exist\./);
});

test('delete removes empty groups with their offsets; an unknown group fails (exit 1) and the others are still deleted', async () => {
  await setOffsets('cli-delete-a', [1, 1, 1]);
  await setOffsets('cli-delete-b', [2, 2, 2]);
  const deleted = await groups('delete', '--group', 'cli-delete-a');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(deleted.stdout, "Deletion of requested consumer groups ('cli-delete-a') was successful.\n");
  assert.deepEqual(await committed('cli-delete-a'), [-1, -1, -1]);
  assert.ok(!(await groups('list')).stdout.split('\n').includes('cli-delete-a'));

  const mixed = await groups('delete', '--group', 'cli-delete-b', '--group', 'cli-delete-a');
  assert.equal(mixed.code, 1);
  assert.match(mixed.stderr, /\* Group 'cli-delete-a' could not be deleted due to: The group id does not exist\./);
  assert.match(mixed.stdout, /These consumer groups were deleted successfully: 'cli-delete-b'/);
  assert.equal((await groups('describe', '--group', 'cli-delete-b')).code, 1);
});

test('describe of a group that does not exist: an error, exit 1; other groups named are still described', async () => {
  await setOffsets('cli-exists', [4, 4, 4]);
  const result = await groups('describe', '--group', 'cli-never-seen', '--group', 'cli-exists');
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Error: Consumer group 'cli-never-seen' does not exist\./);
  assert.deepEqual(pick(rows(result.stdout), 'GROUP', 'LAG'), [['cli-exists', '16'], ['cli-exists', '16'], ['cli-exists', '16']]);
  const state = await groups('describe', '--group', 'cli-never-seen', '--state');
  assert.equal(state.code, 1);
  assert.equal(state.stdout, '');
});

// ---- usage and connection errors ---------------------------------------------------------------

test('usage errors exit 2 without contacting a broker; an unreachable broker exits 1', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const nowhere = `127.0.0.1:${closedPort}`;
  const usage = async (args: string[], message: RegExp) => {
    const result = await run(process.execPath, [CLI_PATH, 'groups', ...args, '--bootstrap-server', nowhere]);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  };
  await usage([], /groups needs an action/);
  await usage(['--group', 'list'], /groups needs an action/);
  await usage(['frobnicate'], /unknown groups action 'frobnicate'/);
  await usage(['describe'], /--group G \(one or more\) or --all-groups is required/);
  await usage(['describe', '--group', 'g', '--members', '--state'], /give only one of --offsets, --members, --state/);
  await usage(['describe', '--group', 'g', '--verbose'], /--verbose goes with --members/);
  await usage(['describe', '--group', 'g', '--memebers'], /unknown option --memebers for 'groups describe'/);
  await usage(['describe', '--group', 'g', '--members=yes'], /--members takes no value/);
  await usage(['describe', '--group'], /--group needs a value/);
  await usage(['describe', 'g'], /unexpected argument 'g'/);
  await usage(['list', '--state', 'Sleeping'], /invalid state list 'Sleeping'/);
  await usage(['delete-offsets', '--group', 'g'], /delete-offsets needs --topic/);
  await usage(['delete-offsets', '--topic', 't'], /delete-offsets needs exactly one --group/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't'], /needs exactly one of --to-earliest/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'], /needs exactly one of/);
  await usage(['reset-offsets', '--group', 'g', '--to-earliest'], /needs either --topic T\[:P,...\] or --all-topics/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't', '--all-topics', '--to-earliest'], /needs either --topic/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'], /give either --dry-run or --execute/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't', '--to-offset', 'ten'], /--to-offset expects an integer, got 'ten'/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't', '--to-datetime', 'yesterday'], /--to-datetime 'yesterday' is not YYYY-MM-DDTHH:mm:SS/);
  await usage(['reset-offsets', '--group', 'g', '--topic', 't:x', '--to-earliest'], /'x' is not a partition/);
  await usage(['list', '--timeout', '0'], /--timeout must be positive/);

  const badAddress = await run(process.execPath, [CLI_PATH, 'groups', 'list', '--bootstrap-server', 'no-port-here']);
  assert.equal(badAddress.code, 2);
  assert.match(badAddress.stderr, /--bootstrap-server: bootstrap server 'no-port-here' is not host:port/);

  const help = await run(process.execPath, [CLI_PATH, 'groups', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^Usage: tidelog groups <action>/);

  const unreachable = await run(process.execPath, [CLI_PATH, 'groups', '--bootstrap-server', nowhere, 'list']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /Error: could not connect to any broker/);
});
