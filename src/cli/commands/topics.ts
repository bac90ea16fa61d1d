/**
 * `tidelog topics create|list|describe|alter|delete`: topics from the command line, modelled on
 * Kafka's kafka-topics.sh (same options and output), done through the admin client (src/client).
 *
 * --topic is an exact name for `create` and, as in Kafka's tool, a regular expression matched
 * against whole names for the other actions. `describe` prints Kafka's lines:
 *   Topic: t	TopicId: …	PartitionCount: 3	ReplicationFactor: 1	Configs: k=v,…
 *   	Topic: t	Partition: 0	Leader: 1	Replicas: 1	Isr: 1
 * where Configs lists every config whose source is not the default (topic overrides and broker
 * settings), as kafka-topics.sh does.
 *
 * Output goes to stdout, errors to stderr ("Error while executing topic command : …"). Exit
 * status: 0 done, 1 failed (an unknown or existing topic, a broker error), 2 usage error.
 */
import type { Admin, TopicDescription } from '../../client/admin.js';
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CommandOutput, runAdminAction } from '../admin-command.js';
import { checkOptionNames, integerOption, keyValuePairs, lastOption, parseArguments, requireAction, UsageError, type ParsedArguments } from '../arguments.js';

export const topicsUsage = `Usage: tidelog topics <action> [--bootstrap-server HOST:PORT] [options]

Creates, lists, describes, changes and deletes topics.

Actions (like kafka-topics.sh):
  create --topic T [--partitions N] [--replication-factor N] [--config k=v ...]
         [--replica-assignment 1:2,2:3,...] [--if-not-exists]
      Without --partitions / --replication-factor the broker's num.partitions and
      default.replication.factor apply.
  list [--topic REGEX] [--exclude-internal]
  describe [--topic REGEX] [--exclude-internal] [--topics-with-overrides]
           [--under-replicated-partitions | --unavailable-partitions] [--if-exists]
  alter --topic REGEX --partitions N [--if-exists]
      Raises the partition count (it can never go down).
  delete --topic REGEX [--if-exists]

Options:
  --bootstrap-server HOST:PORT[,HOST:PORT]   default 127.0.0.1:9092
  --timeout MS                               time allowed per operation, default 30000
Topic configs use Kafka's names (cleanup.policy, retention.ms, ...); see 'tidelog configs'.`;

const FLAGS = ['if-not-exists', 'if-exists', 'exclude-internal', 'topics-with-overrides', 'under-replicated-partitions', 'unavailable-partitions'];

const OPTIONS: Record<string, { valued: readonly string[]; flags: readonly string[] }> = {
  create: { valued: ['topic', 'partitions', 'replication-factor', 'config', 'replica-assignment'], flags: ['if-not-exists'] },
  list: { valued: ['topic'], flags: ['exclude-internal'] },
  describe: { valued: ['topic'], flags: ['exclude-internal', 'topics-with-overrides', 'under-replicated-partitions', 'unavailable-partitions', 'if-exists'] },
  alter: { valued: ['topic', 'partitions', 'replica-assignment'], flags: ['if-exists'] },
  delete: { valued: ['topic'], flags: ['if-exists'] },
};

const ACTIONS: Record<string, (admin: Admin, args: ParsedArguments, out: CommandOutput) => Promise<void>> = {
  create: createTopic,
  list: listTopics,
  describe: describeTopics,
  alter: alterTopics,
  delete: deleteTopics,
};

export async function runTopics(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const action = requireAction('topics', first, Object.keys(ACTIONS));
  const syntax = OPTIONS[action]!;
  checkOptionNames(rest, [...syntax.valued, 'bootstrap-server', 'timeout'], syntax.flags, `topics ${action}`);
  const args = parseArguments(rest, FLAGS);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const out = new CommandOutput('Error while executing topic command : ');
  return runAdminAction(args, 'tidelog-topics', out, (admin) => ACTIONS[action]!(admin, args, out));
}

// ---- arguments -------------------------------------------------------------------------------

function requiredTopic(args: ParsedArguments, action: string): string {
  const topic = lastOption(args, 'topic');
  if (topic === undefined || topic === '') throw new UsageError(`--topic is required to ${action} a topic`);
  return topic;
}

/** Kafka's --replica-assignment: partitions separated by ',', the replicas of each by ':'. */
function replicaAssignment(text: string): number[][] {
  return text.split(',').map((partition) =>
    partition.split(':').map((broker) => {
      if (!/^\d+$/.test(broker.trim())) throw new UsageError(`--replica-assignment: '${broker}' is not a broker id`);
      return Number(broker.trim());
    }),
  );
}

/** The topic names --topic selects: a regular expression over whole names (every topic without it). */
async function selectTopics(admin: Admin, args: ParsedArguments): Promise<string[]> {
  const pattern = lastOption(args, 'topic');
  const names = await admin.listTopics({ includeInternal: !args.flags.has('exclude-internal') });
  if (pattern === undefined) return names;
  let matcher: RegExp;
  try {
    matcher = new RegExp(`^(?:${pattern.replace(/^"|"$/g, '')})$`);
  } catch (error) {
    throw new UsageError(`--topic: ${(error as Error).message}`);
  }
  return names.filter((name) => matcher.test(name));
}

/** Kafka's tool fails when a --topic given selects nothing, unless --if-exists says that is fine. */
function ensureTopicsExist(topics: readonly string[], args: ParsedArguments): boolean {
  if (topics.length > 0) return true;
  if (args.flags.has('if-exists') || lastOption(args, 'topic') === undefined) return false;
  throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${lastOption(args, 'topic')}' does not exist as expected`);
}

// ---- actions -------------------------------------------------------------------------------

async function createTopic(admin: Admin, args: ParsedArguments, out: CommandOutput): Promise<void> {
  const name = requiredTopic(args, 'create');
  const partitions = integerOption(args, 'partitions');
  const replicationFactor = integerOption(args, 'replication-factor');
  const assignmentText = lastOption(args, 'replica-assignment');
  if (replicationFactor !== undefined && (replicationFactor < 1 || replicationFactor > 32767)) {
    throw new UsageError('The replication factor must be between 1 and 32767 inclusive');
  }
  if (partitions !== undefined && partitions < 1) throw new UsageError('The partitions must be greater than 0');
  if (assignmentText !== undefined && (partitions !== undefined || replicationFactor !== undefined)) {
    throw new UsageError('--replica-assignment cannot be used with --partitions or --replication-factor');
  }
  if (name.includes('.') || name.includes('_')) {
    out.note("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.");
  }
  const configs = keyValuePairs(args.options.get('config'), 'config');
  const assignments = assignmentText === undefined ? undefined : Object.fromEntries(replicaAssignment(assignmentText).map((brokers, index) => [index, brokers]));
  const [result] = await admin.createTopics([
    {
      name,
      ...(partitions === undefined ? {} : { numPartitions: partitions }),
      ...(replicationFactor === undefined ? {} : { replicationFactor }),
      ...(assignments === undefined ? {} : { assignments }),
      configs,
    },
  ]);
  if (result!.error) {
    if (result!.error.code === ErrorCode.TOPIC_ALREADY_EXISTS && args.flags.has('if-not-exists')) return;
    throw result!.error;
  }
  out.print(`Created topic ${name}.`);
}

async function listTopics(admin: Admin, args: ParsedArguments, out: CommandOutput): Promise<void> {
  for (const name of await selectTopics(admin, args)) out.print(name);
}

async function describeTopics(admin: Admin, args: ParsedArguments, out: CommandOutput): Promise<void> {
  const names = await selectTopics(admin, args);
  if (!ensureTopicsExist(names, args)) return;
  const descriptions = await admin.describeTopics(names);
  const configs = await admin.describeConfigs(names.map((name) => ({ type: 'topic' as const, name })));
  const underReplicated = args.flags.has('under-replicated-partitions');
  const unavailable = args.flags.has('unavailable-partitions');
  const partitionFilter = underReplicated || unavailable;
  descriptions.forEach((topic, index) => {
    const result = configs[index]!;
    if (result.error) {
      out.error(result.error.message);
      return;
    }
    const overrides = result.configs.filter((config) => !config.isDefault).map((config) => `${config.name}=${config.value ?? ''}`);
    if (args.flags.has('topics-with-overrides')) {
      if (result.configs.some((config) => config.source === 'DYNAMIC_TOPIC_CONFIG')) out.print(topicLine(topic, overrides));
      return;
    }
    const partitions = topic.partitions.filter(
      (partition) => !partitionFilter || (underReplicated && partition.isr.length < partition.replicas.length) || (unavailable && partition.leader < 0),
    );
    if (!partitionFilter) out.print(topicLine(topic, overrides));
    for (const partition of partitions) {
      out.print(
        `\tTopic: ${topic.name}\tPartition: ${partition.partition}\tLeader: ${partition.leader >= 0 ? partition.leader : 'none'}` +
          `\tReplicas: ${partition.replicas.join(',')}\tIsr: ${partition.isr.join(',')}`,
      );
    }
  });
}

function topicLine(topic: TopicDescription, configs: readonly string[]): string {
  const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
  const topicId = topic.topicId && topic.topicId !== 'AAAAAAAAAAAAAAAAAAAAAA' ? `\tTopicId: ${topic.topicId}` : '';
  return `Topic: ${topic.name}${topicId}\tPartitionCount: ${topic.partitions.length}\tReplicationFactor: ${replicationFactor}\tConfigs: ${configs.join(',')}`;
}

async function alterTopics(admin: Admin, args: ParsedArguments, out: CommandOutput): Promise<void> {
  requiredTopic(args, 'alter');
  const partitions = integerOption(args, 'partitions');
  if (partitions === undefined) throw new UsageError('alter needs --partitions (topic configs are changed with tidelog configs)');
  if (partitions < 1) throw new UsageError('The partitions must be greater than 0');
  const names = await selectTopics(admin, args);
  if (!ensureTopicsExist(names, args)) return;
  const assignmentText = lastOption(args, 'replica-assignment');
  let assignments: number[][] | undefined;
  if (assignmentText !== undefined) {
    // Kafka's tool takes the full assignment and sends the part for the new partitions.
    const [current] = await admin.describeTopics([names[0]!]);
    assignments = replicaAssignment(assignmentText).slice(current!.partitions.length);
  }
  const results = await admin.createPartitions(names.map((topic) => ({ topic, count: partitions, ...(assignments === undefined ? {} : { assignments }) })));
  for (const result of results) if (result.error) out.error(result.error.message);
}

async function deleteTopics(admin: Admin, args: ParsedArguments, out: CommandOutput): Promise<void> {
  requiredTopic(args, 'delete');
  const names = await selectTopics(admin, args);
  if (!ensureTopicsExist(names, args)) return;
  const results = await admin.deleteTopics(names);
  for (const result of results) if (result.error) out.error(result.error.message);
}
