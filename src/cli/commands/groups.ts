/**
 * `tidelog groups list|describe|delete|delete-offsets|reset-offsets`: consumer groups from the
 * command line, modelled on Kafka's kafka-consumer-groups.sh (same views, columns, rules and
 * messages), done through the admin client (src/client).
 *
 * Tables go to stdout; notes about a group's state ("has no active members", "is rebalancing"),
 * warnings and errors go to stderr. Exit status: 0 when everything asked for was done, 1 when
 * something failed (an unknown group, a group that is not empty, a broker error), 2 for a usage
 * error.
 */
import type { Admin, GroupDescription, GroupListing, TopicPartition } from '../../client/admin.js';
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CommandOutput, runAdminAction } from '../admin-command.js';
import { integerOption, lastOption, parseArguments, requireAction, UsageError, type ParsedArguments } from '../arguments.js';

export const groupsUsage = `Usage: tidelog groups <action> [--bootstrap-server HOST:PORT] [options]

Lists, describes and deletes consumer groups, and resets their offsets.

Actions (like kafka-consumer-groups.sh):
  list [--state [STATE,...]]
      Group ids; with --state a table of GROUP and STATE, only the given
      states when listed (Stable, Empty, PreparingRebalance, ...).
  describe (--group G ... | --all-groups) [--offsets | --members [--verbose] | --state]
      --offsets (default): per partition GROUP TOPIC PARTITION CURRENT-OFFSET
      LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID. --members: the members and
      their partitions. --state: coordinator, assignor, state, member count.
  delete (--group G ... | --all-groups)
      Deletes groups that have no members, with their committed offsets.
  delete-offsets --group G --topic T[:P,...] ...
      Deletes a group's committed offsets for topics it does not consume.
  reset-offsets (--group G ... | --all-groups) (--topic T[:P,...] ... | --all-topics)
                SCENARIO [--dry-run | --execute]
      Prints GROUP TOPIC PARTITION NEW-OFFSET; commits it with --execute (the
      default is a dry run). The group must have no active members.
      SCENARIO: --to-earliest | --to-latest | --to-current | --to-offset N
              | --to-datetime YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm] | --shift-by N
      --to-offset and --shift-by are kept within [earliest, latest] of each partition.

Options:
  --bootstrap-server HOST:PORT[,HOST:PORT]   default 127.0.0.1:9092
  --timeout MS                               time allowed per operation, default 30000
Partitions: T:0,1,2 or T:0-3.`;

const COMMON_OPTIONS = ['bootstrap-server', 'timeout'];

/** Per action, the options that take a value and the flags. */
const SYNTAX: Record<string, { options: readonly string[]; flags: readonly string[] }> = {
  list: { options: [], flags: [] },
  describe: { options: ['group'], flags: ['all-groups', 'offsets', 'members', 'state', 'verbose'] },
  delete: { options: ['group'], flags: ['all-groups'] },
  'delete-offsets': { options: ['group', 'topic'], flags: [] },
  'reset-offsets': {
    options: ['group', 'topic', 'to-offset', 'to-datetime', 'shift-by'],
    flags: ['all-groups', 'all-topics', 'to-earliest', 'to-latest', 'to-current', 'dry-run', 'execute'],
  },
};

/** The states of classic and consumer groups, as Kafka names them (GroupState). */
const GROUP_STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling'];

type GroupsArguments = ParsedArguments & { readonly stateFilter: string[] | null };

const ACTIONS: Record<string, (admin: Admin, args: GroupsArguments, out: CommandOutput) => Promise<void>> = {
  list: listGroups,
  describe: describeGroups,
  delete: deleteGroups,
  'delete-offsets': deleteOffsets,
  'reset-offsets': resetOffsets,
};

export async function runGroups(argv: readonly string[]): Promise<number> {
  const taken = takeAction(argv);
  const action = requireAction('groups', taken.action, Object.keys(ACTIONS));
  const args = parseGroupsArguments(action, taken.rest);
  const out = new CommandOutput('Error: ');
  return runAdminAction(args, 'tidelog-groups', out, (admin) => ACTIONS[action]!(admin, args, out));
}

// ---- arguments -------------------------------------------------------------------------------

/** The action is the first argument that is neither an option nor an option's value (options may come first). */
function takeAction(argv: readonly string[]): { action: string | undefined; rest: string[] } {
  const valued = new Set([...COMMON_OPTIONS, ...Object.values(SYNTAX).flatMap((syntax) => syntax.options)]);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) return { action: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
    if (valued.has(arg.slice(2)) && argv[i + 1]?.startsWith('--') === false) i++;
  }
  return { action: undefined, rest: [...argv] };
}

/**
 * Checks every option against the action's syntax, then parses. `list --state` takes an
 * optional value, which parseArguments' flags cannot: it is taken out first.
 */
function parseGroupsArguments(action: string, argv: readonly string[]): GroupsArguments {
  const syntax = SYNTAX[action]!;
  const valued = new Set([...COMMON_OPTIONS, ...syntax.options]);
  let stateFilter: string[] | null = null;
  const remaining: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (action === 'list' && (arg === '--state' || arg.startsWith('--state='))) {
      const value = arg.startsWith('--state=') ? arg.slice('--state='.length) : argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') ? argv[++i]! : '';
      stateFilter = [...(stateFilter ?? []), ...parseStates(value)];
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument '${arg}'`);
    remaining.push(arg);
    const equals = arg.indexOf('=');
    const name = equals > 0 ? arg.slice(2, equals) : arg.slice(2);
    if (valued.has(name)) {
      if (equals > 0) continue;
      // A value that looks like an option is a forgotten value ('--group=--odd' still works).
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      remaining.push(value);
    } else if (syntax.flags.includes(name)) {
      if (equals > 0) throw new UsageError(`--${name} takes no value`);
    } else {
      throw new UsageError(`unknown option --${name} for 'groups ${action}'`);
    }
  }
  return { ...parseArguments(remaining, syntax.flags), stateFilter };
}

/** "stable,empty" → ['Stable', 'Empty']; an unknown state is a usage error, as in Kafka's tool. */
function parseStates(text: string): string[] {
  return text
    .split(',')
    .map((state) => state.trim())
    .filter((state) => state !== '')
    .map((state) => {
      const known = GROUP_STATES.find((candidate) => candidate.toLowerCase() === state.toLowerCase());
      if (!known) throw new UsageError(`invalid state list '${text}'; valid states are: ${GROUP_STATES.join(', ')}`);
      return known;
    });
}

/** Kafka's tool works on consumer groups: protocol type "consumer", or "" for groups that only store offsets. */
function isConsumerGroup(group: GroupListing): boolean {
  return group.protocolType === 'consumer' || group.protocolType === '';
}

async function selectedGroups(admin: Admin, args: ParsedArguments): Promise<string[]> {
  const named = args.options.get('group') ?? [];
  if (args.flags.has('all-groups')) {
    if (named.length > 0) throw new UsageError('give either --group or --all-groups');
    return (await admin.listGroups()).filter(isConsumerGroup).map((group) => group.groupId);
  }
  if (named.length === 0) throw new UsageError('--group G (one or more) or --all-groups is required');
  return [...new Set(named)];
}

interface TopicSelection {
  readonly topic: string;
  /** null: every partition of the topic. */
  readonly partitions: number[] | null;
}

/** Parses "T", "T:0,1,2" or "T:0-3,5". */
export function parseTopicSelection(text: string): TopicSelection {
  const colon = text.indexOf(':');
  const topic = colon < 0 ? text : text.slice(0, colon);
  if (topic === '') throw new UsageError(`--topic '${text}' names no topic`);
  if (colon < 0) return { topic, partitions: null };
  const partitions: number[] = [];
  for (const part of text.slice(colon + 1).split(',')) {
    const range = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw new UsageError(`--topic '${text}': '${part}' is not a partition or a range of partitions`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first) throw new UsageError(`--topic '${text}': range ${part} is empty`);
    for (let partition = first; partition <= last; partition++) partitions.push(partition);
  }
  return { topic, partitions: [...new Set(partitions)].sort((a, b) => a - b) };
}

function topicSelections(args: ParsedArguments): TopicSelection[] {
  return (args.options.get('topic') ?? []).map(parseTopicSelection);
}

// ---- output helpers --------------------------------------------------------------------------

/** Left-aligned columns as wide as their widest cell, one space apart (kafka-consumer-groups' layout). */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join(' ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function byTopicPartition(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Kafka's messages for the errors group actions meet most (Errors.java). */
const KAFKA_MESSAGES: Partial<Record<number, string>> = {
  [ErrorCode.NON_EMPTY_GROUP]: 'The group is not empty.',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'The group id does not exist.',
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]: 'The consumer group is actively subscribed to the topic.',
  [ErrorCode.INVALID_GROUP_ID]: 'The configured groupId is invalid.',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'Group authorization failed.',
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
};

function describeError(error: KafkaError): string {
  const text = KAFKA_MESSAGES[error.code];
  return text ? `${text} (${ErrorCode[error.code]})` : error.message;
}

function isRebalancing(state: string): boolean {
  return state === 'PreparingRebalance' || state === 'CompletingRebalance' || state === 'Assigning' || state === 'Reconciling';
}

// ---- list ------------------------------------------------------------------------------------

async function listGroups(admin: Admin, args: GroupsArguments, out: CommandOutput): Promise<void> {
  if (args.stateFilter === null) {
    for (const group of (await admin.listGroups()).filter(isConsumerGroup)) out.print(group.groupId);
    return;
  }
  const groups = (await admin.listGroups(args.stateFilter.length > 0 ? { states: args.stateFilter } : {})).filter(isConsumerGroup);
  out.print(formatTable(['GROUP', 'STATE'], groups.map((group) => [group.groupId, group.state || '-'])));
}

// ---- describe --------------------------------------------------------------------------------

async function describeGroups(admin: Admin, args: GroupsArguments, out: CommandOutput): Promise<void> {
  const views = (['offsets', 'members', 'state'] as const).filter((view) => args.flags.has(view));
  if (views.length > 1) throw new UsageError('give only one of --offsets, --members, --state');
  if (args.flags.has('verbose') && views[0] !== 'members') throw new UsageError('--verbose goes with --members');
  const view = views[0] ?? 'offsets';
  const groupIds = await selectedGroups(admin, args);
  const descriptions = await admin.describeGroups(groupIds);
  for (const group of descriptions) {
    if (group.state === 'Dead') {
      out.error(`Consumer group '${group.groupId}' does not exist.`);
      continue;
    }
    if (view === 'state') {
      const coordinator = `${group.coordinator.host}:${group.coordinator.port} (${group.coordinator.nodeId})`;
      out.print(`\n${formatTable(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[group.groupId, coordinator, group.protocol || '-', group.state, String(group.members.length)]])}`);
      continue;
    }
    if (group.state === 'Empty') out.note(`\nConsumer group '${group.groupId}' has no active members.`);
    else if (isRebalancing(group.state)) out.note(`\nWarning: Consumer group '${group.groupId}' is rebalancing.`);
    if (view === 'members') {
      if (group.members.length > 0) out.print(`\n${membersTable(group, args.flags.has('verbose'))}`);
      continue;
    }
    const table = await offsetsTable(admin, group);
    if (table !== null) out.print(`\n${table}`);
  }
}

function membersTable(group: GroupDescription, verbose: boolean): string {
  const headers = verbose
    ? ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']
    : ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'];
  const rows = group.members.map((member) => {
    const count = member.assignment.reduce((sum, topic) => sum + topic.partitions.length, 0);
    const assignment =
      member.assignment
        .filter((topic) => topic.partitions.length > 0)
        .map((topic) => `${topic.topic}(${[...topic.partitions].sort((a, b) => a - b).join(',')})`)
        .sort()
        .join(',') || '-';
    return verbose
      ? [group.groupId, member.memberId, member.groupInstanceId ?? '-', member.clientHost, member.clientId, String(count), assignment]
      : [group.groupId, member.memberId, member.clientHost, member.clientId, String(count)];
  });
  return formatTable(headers, rows);
}

/**
 * The lag table of one group: a row per partition it has committed or been assigned (members
 * that own no partition are left out, as Kafka's tool leaves them out), or null when empty.
 */
async function offsetsTable(admin: Admin, group: GroupDescription): Promise<string | null> {
  const lag = await admin.groupLag(group);
  if (lag.length === 0) return null;
  const rows = lag.map((row) => [
    group.groupId,
    row.topic,
    String(row.partition),
    row.committedOffset === null ? '-' : String(row.committedOffset),
    row.logEndOffset === null ? '-' : String(row.logEndOffset),
    row.lag === null ? '-' : String(row.lag),
    row.owner?.memberId ?? '-',
    row.owner?.clientHost ?? '-',
    row.owner?.clientId ?? '-',
  ]);
  return formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows);
}

// ---- delete ----------------------------------------------------------------------------------

async function deleteGroups(admin: Admin, args: GroupsArguments, out: CommandOutput): Promise<void> {
  const groupIds = await selectedGroups(admin, args);
  if (groupIds.length === 0) {
    out.print('No consumer groups to delete.');
    return;
  }
  const results = await admin.deleteGroups(groupIds);
  const deleted = results.filter((result) => result.error === null).map((result) => `'${result.groupId}'`);
  const failed = results.filter((result) => result.error !== null);
  if (failed.length === 0) {
    out.print(`Deletion of requested consumer groups (${deleted.join(', ')}) was successful.`);
    return;
  }
  out.error(`Deletion of some consumer groups failed:\n${failed.map((result) => `* Group '${result.groupId}' could not be deleted due to: ${describeError(result.error!)}`).join('\n')}`);
  if (deleted.length > 0) out.print(`These consumer groups were deleted successfully: ${deleted.join(', ')}`);
}

// ---- delete-offsets --------------------------------------------------------------------------

async function deleteOffsets(admin: Admin, args: GroupsArguments, out: CommandOutput): Promise<void> {
  const groups = args.options.get('group') ?? [];
  if (groups.length !== 1) throw new UsageError('delete-offsets needs exactly one --group');
  const groupId = groups[0]!;
  const selections = topicSelections(args);
  if (selections.length === 0) throw new UsageError('delete-offsets needs --topic T[:P,...]');
  // As Kafka's tool: explicit partitions are taken as given (the offsets of a deleted topic can
  // still be deleted); a bare topic means its partitions now.
  const named = selections.filter((selection) => selection.partitions === null).map((selection) => selection.topic);
  const described = named.length > 0 ? await admin.describeTopics([...new Set(named)]) : [];
  const partitions = new Map<string, TopicPartition>();
  for (const selection of selections) {
    const list = selection.partitions ?? described.find((topic) => topic.name === selection.topic)!.partitions.map((partition) => partition.partition);
    for (const partition of list) partitions.set(key(selection.topic, partition), { topic: selection.topic, partition });
  }
  let results;
  try {
    results = await admin.deleteCommittedOffsets(groupId, [...partitions.values()].sort(byTopicPartition));
  } catch (error) {
    if (error instanceof KafkaError && KAFKA_MESSAGES[error.code]) {
      out.error(`Group '${groupId}': ${describeError(error)}`);
      return;
    }
    throw error;
  }
  if (results.some((result) => result.error !== null)) out.error('Encountered some partition-level error, see the follow-up details.');
  else out.print(`Request succeeded for deleting offsets from group ${groupId}.`);
  const rows = results.map((result) => [result.topic, String(result.partition), result.error ? `Error: ${describeError(result.error)}` : 'Successful']);
  out.print(`\n${formatTable(['TOPIC', 'PARTITION', 'STATUS'], rows)}`);
}

// ---- reset-offsets ---------------------------------------------------------------------------

type ResetScenario =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: number }
  | { kind: 'datetime'; timestamp: number }
  | { kind: 'shift'; by: number };

function resetScenario(args: ParsedArguments): ResetScenario {
  const scenarios: ResetScenario[] = [];
  if (args.flags.has('to-earliest')) scenarios.push({ kind: 'earliest' });
  if (args.flags.has('to-latest')) scenarios.push({ kind: 'latest' });
  if (args.flags.has('to-current')) scenarios.push({ kind: 'current' });
  const offset = integerOption(args, 'to-offset');
  if (offset !== undefined) scenarios.push({ kind: 'offset', offset });
  const shift = integerOption(args, 'shift-by');
  if (shift !== undefined) scenarios.push({ kind: 'shift', by: shift });
  const datetime = lastOption(args, 'to-datetime');
  if (datetime !== undefined) scenarios.push({ kind: 'datetime', timestamp: parseDatetime(datetime) });
  if (scenarios.length !== 1) {
    throw new UsageError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-current, --to-offset N, --to-datetime T, --shift-by N');
  }
  return scenarios[0]!;
}

/** Kafka's format, 'YYYY-MM-DDTHH:mm:SS.sss', local time unless a zone (Z, +hh:mm) is given. */
export function parseDatetime(text: string): number {
  const trimmed = text.trim();
  const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{3})?)?(?:Z|[+-]\d{2}:?\d{2})?$/.test(trimmed);
  const timestamp = match ? Date.parse(trimmed.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
  if (!Number.isFinite(timestamp) || timestamp < 0) throw new UsageError(`--to-datetime '${text}' is not YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm]`);
  return timestamp;
}

/** The partitions named by --topic selections; each must exist (Kafka's checkAllTopicPartitionsValid). */
async function resolvePartitions(admin: Admin, selections: readonly TopicSelection[]): Promise<TopicPartition[]> {
  const described = await admin.describeTopics([...new Set(selections.map((selection) => selection.topic))]);
  const partitionsOf = new Map(described.map((topic) => [topic.name, topic.partitions.map((partition) => partition.partition)]));
  const result = new Map<string, TopicPartition>();
  for (const selection of selections) {
    const known = partitionsOf.get(selection.topic) ?? [];
    for (const partition of selection.partitions ?? known) {
      if (!known.includes(partition)) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${selection.topic}' has no partition ${partition}`);
      result.set(key(selection.topic, partition), { topic: selection.topic, partition });
    }
  }
  return [...result.values()].sort(byTopicPartition);
}

async function resetOffsets(admin: Admin, args: GroupsArguments, out: CommandOutput): Promise<void> {
  const scenario = resetScenario(args);
  const execute = args.flags.has('execute');
  if (execute && args.flags.has('dry-run')) throw new UsageError('give either --dry-run or --execute');
  const selections = topicSelections(args);
  const allTopics = args.flags.has('all-topics');
  if (allTopics === (selections.length > 0)) throw new UsageError('reset-offsets needs either --topic T[:P,...] or --all-topics');
  const groupIds = await selectedGroups(admin, args);
  const named = allTopics ? [] : await resolvePartitions(admin, selections);
  if (!execute && !args.flags.has('dry-run')) {
    out.note('WARN: No action will be performed as the --execute option is missing. Add --dry-run to say so explicitly, or --execute to commit the new offsets.');
  }
  const rows: string[][] = [];
  for (const group of await admin.describeGroups(groupIds)) {
    // As Kafka: offsets move only while no consumer holds them, for a dry run too.
    if (group.state !== 'Empty' && group.state !== 'Dead') {
      out.error(`Assignments can only be reset if the group '${group.groupId}' is inactive, but the current state is ${group.state}.`);
      continue;
    }
    try {
      const committed = await admin.fetchCommittedOffsets(group.groupId);
      const partitions = allTopics ? committed.map(({ topic, partition }) => ({ topic, partition })) : named;
      const offsets = await planReset(admin, scenario, partitions, committed, out);
      if (execute) await admin.commitOffsets(group.groupId, offsets);
      for (const offset of offsets) rows.push([group.groupId, offset.topic, String(offset.partition), String(offset.offset)]);
    } catch (error) {
      if (!(error instanceof KafkaError)) throw error;
      out.error(`group '${group.groupId}': ${error.message}`);
    }
  }
  if (rows.length > 0) out.print(`\n${formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], rows)}`);
}

/** The new offset of each partition, by Kafka's GroupOffsetsResetter rules. */
async function planReset(
  admin: Admin,
  scenario: ResetScenario,
  partitions: readonly TopicPartition[],
  committed: readonly { topic: string; partition: number; offset: number }[],
  out: CommandOutput,
): Promise<{ topic: string; partition: number; offset: number }[]> {
  if (partitions.length === 0) return [];
  const list = async (spec: 'earliest' | 'latest' | { timestamp: number }) => {
    const listed = await admin.listOffsets(partitions.map((partition) => ({ ...partition, spec })));
    return new Map(listed.map((offset) => [key(offset.topic, offset.partition), offset.offset]));
  };
  const current = new Map(committed.filter((offset) => offset.offset >= 0).map((offset) => [key(offset.topic, offset.partition), offset.offset]));
  const earliest = await list('earliest');
  const latest = await list('latest');
  const byTime = scenario.kind === 'datetime' ? await list({ timestamp: scenario.timestamp }) : null;
  /** --to-offset and --shift-by (Kafka's checkOffsetsRange): within [earliest, latest], with a warning. */
  const withinRange = (topic: string, partition: number, offset: number): number => {
    const low = earliest.get(key(topic, partition))!;
    const high = latest.get(key(topic, partition))!;
    if (offset > high) out.note(`WARN: New offset (${offset}) is higher than latest offset for topic partition ${topic}-${partition}. Value will be set to ${high}.`);
    else if (offset < low) out.note(`WARN: New offset (${offset}) is lower than earliest offset for topic partition ${topic}-${partition}. Value will be set to ${low}.`);
    return Math.min(Math.max(offset, low), high);
  };
  return partitions.map(({ topic, partition }) => {
    const at = key(topic, partition);
    switch (scenario.kind) {
      case 'earliest':
        return { topic, partition, offset: earliest.get(at)! };
      case 'latest':
        return { topic, partition, offset: latest.get(at)! };
      case 'current':
        // A partition without a committed offset goes to the log end, as in Kafka's resetToCurrent.
        return { topic, partition, offset: current.get(at) ?? latest.get(at)! };
      case 'offset':
        return { topic, partition, offset: withinRange(topic, partition, scenario.offset) };
      case 'datetime': {
        const found = byTime!.get(at)!;
        if (found < 0) out.note(`Warn: Partition ${partition} from topic ${topic} is empty. Falling back to latest known offset.`);
        return { topic, partition, offset: found >= 0 ? found : latest.get(at)! };
      }
      case 'shift': {
        const position = current.get(at);
        if (position === undefined) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `cannot shift the offset of topic '${topic}' partition ${partition}: the group has committed no offset for it`);
        }
        return { topic, partition, offset: withinRange(topic, partition, position + scenario.by) };
      }
    }
  });
}
