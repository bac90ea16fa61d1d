/**
 * `tidelog configs describe|alter`: dynamic configs of topics and brokers from the command line,
 * modelled on Kafka's kafka-configs.sh (same options and output), done through the admin client
 * (src/client).
 *
 *   tidelog configs describe --entity-type topics --entity-name orders [--all]
 *     Dynamic configs for topic orders are:
 *       retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000, DEFAULT_CONFIG:log.retention.hours=168}
 *   tidelog configs alter --entity-type brokers --entity-default --add-config log.retention.ms=3600000
 *     Completed updating default config for brokers in the cluster.
 *
 * describe shows only the configs set dynamically at the entity's own level (a topic's
 * overrides, a broker's per-broker values, the cluster-wide defaults) unless --all; without a
 * name it describes every topic, or every broker and then the cluster default. alter applies
 * --add-config (k=v,k2=v2; a value with commas goes in brackets: k=[a,b]) and --delete-config
 * (k,k2) with IncrementalAlterConfigs; deleting a key that is not set is an error, as in Kafka.
 *
 * Output goes to stdout, errors to stderr. Exit status: 0 done, 1 failed, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import type { Admin, ConfigEntry } from '../../client/admin.js';
import { parseProperties } from '../../config/properties.js';
import { CommandOutput, runAdminAction } from '../admin-command.js';
import { checkOptionNames, lastOption, parseArguments, requireAction, UsageError, type ParsedArguments } from '../arguments.js';

export const configsUsage = `Usage: tidelog configs <action> [--bootstrap-server HOST:PORT] [options]

Describes and changes the dynamic configs of topics and brokers.

Actions (like kafka-configs.sh):
  describe --entity-type topics|brokers [--entity-name NAME | --entity-default] [--all]
      The configs set at the entity's own level (--all: every config), with
      their synonyms. Without a name: every topic, or every broker and the
      cluster-wide default.
  alter --entity-type topics|brokers (--entity-name NAME | --entity-default)
        [--add-config k=v,k2=[a,b]] [--add-config-file FILE] [--delete-config k,k2]
      Sets and removes dynamic configs. Brokers: a broker id, or
      --entity-default for every broker; only the keys Kafka can change at
      runtime (log.retention.ms, message.max.bytes, log.cleaner.*, ...).
  Shorthands: --topic T, --broker ID, --broker-defaults.

Options:
  --bootstrap-server HOST:PORT[,HOST:PORT]   default 127.0.0.1:9092
  --timeout MS                               time allowed per operation, default 30000`;

const FLAGS = ['entity-default', 'broker-defaults', 'all'];
const VALUED = ['entity-type', 'entity-name', 'topic', 'broker', 'add-config', 'add-config-file', 'delete-config', 'bootstrap-server', 'timeout'];
const ENTITY_TYPES: Record<string, 'topic' | 'broker'> = { topics: 'topic', brokers: 'broker' };
const KAFKA_ONLY_ENTITY_TYPES = ['users', 'clients', 'ips', 'broker-loggers', 'client-metrics', 'groups'];

const ACTIONS: Record<string, (admin: Admin, entity: Entity, args: ParsedArguments, out: CommandOutput) => Promise<void>> = {
  describe: describeConfigs,
  alter: alterConfigs,
};

interface Entity {
  readonly type: 'topic' | 'broker';
  /** null: every entity of the type; '' the cluster-wide broker default. */
  readonly name: string | null;
}

export async function runConfigs(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const action = requireAction('configs', first, Object.keys(ACTIONS));
  const args = parseConfigsArguments(action, rest);
  if (args.positional.length > 0) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
  const entity = entityOf(action, args);
  const out = new CommandOutput('');
  return runAdminAction(args, 'tidelog-configs', out, (admin) => ACTIONS[action]!(admin, entity, args, out), (message) => `Error while executing config command: ${message}`);
}

// ---- arguments -------------------------------------------------------------------------------

function parseConfigsArguments(action: string, argv: readonly string[]): ParsedArguments {
  checkOptionNames(argv, VALUED, FLAGS, `configs ${action}`);
  const args = parseArguments(argv, FLAGS);
  if (action === 'describe') {
    for (const name of ['add-config', 'add-config-file', 'delete-config']) if (args.options.has(name)) throw new UsageError(`--${name} can only be used with alter`);
  } else if (args.flags.has('all')) {
    throw new UsageError('--all can only be used with describe');
  }
  return args;
}

/** The entity from --entity-type/--entity-name/--entity-default or the shorthands, checked as Kafka's tool does. */
function entityOf(action: string, args: ParsedArguments): Entity {
  const shorthands = [
    args.options.has('topic') ? { type: 'topic' as const, name: lastOption(args, 'topic')! } : null,
    args.options.has('broker') ? { type: 'broker' as const, name: lastOption(args, 'broker')! } : null,
    args.flags.has('broker-defaults') ? { type: 'broker' as const, name: '' } : null,
  ].filter((entity) => entity !== null);
  const typeText = lastOption(args, 'entity-type');
  if (shorthands.length > 0) {
    if (typeText !== undefined || args.options.has('entity-name') || args.flags.has('entity-default')) {
      throw new UsageError('--entity-{type,name,default} should not be used in conjunction with specific entity flags');
    }
    if (shorthands.length > 1) throw new UsageError('give one of --topic, --broker and --broker-defaults');
    return checkEntity(action, shorthands[0]!);
  }
  if (typeText === undefined) throw new UsageError('At least one entity type must be specified (--entity-type topics|brokers)');
  const type = ENTITY_TYPES[typeText];
  if (!type) {
    if (KAFKA_ONLY_ENTITY_TYPES.includes(typeText)) throw new UsageError(`entity type ${typeText} is not supported by Tidelog (topics, brokers)`);
    throw new UsageError(`Invalid entity type ${typeText}, the entity type must be one of topics, brokers`);
  }
  const name = lastOption(args, 'entity-name');
  if (name !== undefined && args.flags.has('entity-default')) throw new UsageError('give either --entity-name or --entity-default');
  return checkEntity(action, { type, name: args.flags.has('entity-default') ? '' : (name ?? null) });
}

function checkEntity(action: string, entity: Entity): Entity {
  const typeName = entity.type === 'topic' ? 'topics' : 'brokers';
  if (entity.type === 'topic' && entity.name === '') {
    throw new UsageError(action === 'describe' ? '--entity-default must not be specified with --describe of topics' : 'An entity name must be specified with --alter of topics');
  }
  if (entity.type === 'broker' && entity.name && !/^\d+$/.test(entity.name)) {
    throw new UsageError(`The entity name for brokers must be a valid integer broker id, but it is: ${entity.name}`);
  }
  if (action === 'alter' && entity.name === null) {
    throw new UsageError(entity.type === 'broker' ? 'An entity-name or default entity must be specified with --alter of users, clients, brokers or ips' : `An entity name must be specified with --alter of ${typeName}`);
  }
  return entity;
}

/**
 * --add-config as kafka-configs.sh reads it: pairs separated by commas outside brackets, key and
 * value by '=', brackets removed from values (k=[a,b] sets "a,b"); keys of [a-zA-Z0-9._-] only.
 */
export function parseAddConfig(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const pair of splitOutsideBrackets(text, ',')) {
    const parts = splitOutsideBrackets(pair, '=');
    if (parts.length !== 2) throw new UsageError('Invalid entity config: all configs to be added must be in the format "key=val".');
    const key = parts[0]!.trim();
    if (!/^[a-zA-Z0-9._-]*$/.test(key)) throw new UsageError(`Invalid character found for config key: ${key}`);
    result.set(key, parts[1]!.replace(/[[\]]/g, '').trim());
  }
  return result;
}

function splitOutsideBrackets(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '[') depth++;
    else if (char === ']') depth = Math.max(0, depth - 1);
    if (char === separator && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

// ---- actions -------------------------------------------------------------------------------

/** The entity level's own source: what describe shows without --all, and what alter may delete. */
function ownSource(entity: Entity): string {
  if (entity.type === 'topic') return 'DYNAMIC_TOPIC_CONFIG';
  return entity.name === '' ? 'DYNAMIC_DEFAULT_BROKER_CONFIG' : 'DYNAMIC_BROKER_CONFIG';
}

async function resourceConfigs(admin: Admin, entity: Entity & { name: string }, includeSynonyms: boolean, all: boolean): Promise<ConfigEntry[]> {
  const [result] = await admin.describeConfigs([{ type: entity.type, name: entity.name }], { includeSynonyms });
  if (result!.error) throw result!.error;
  const source = ownSource(entity);
  return result!.configs.filter((config) => all || config.source === source).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function describeConfigs(admin: Admin, entity: Entity, args: ParsedArguments, out: CommandOutput): Promise<void> {
  const all = args.flags.has('all');
  let names: string[];
  if (entity.name !== null) names = [entity.name];
  else if (entity.type === 'topic') names = await admin.listTopics({ includeInternal: true });
  else names = [...(await admin.describeCluster()).brokers.map((broker) => String(broker.nodeId)), ''];
  for (const name of names) {
    if (name === '') out.print('Default configs for brokers in the cluster are:');
    else out.print(`${all ? 'All' : 'Dynamic'} configs for ${entity.type} ${name} are:`);
    for (const config of await resourceConfigs(admin, { type: entity.type, name }, true, all && name !== '')) {
      const synonyms = config.synonyms.map((synonym) => `${synonym.source}:${synonym.name}=${synonym.value}`).join(', ');
      out.print(`  ${config.name}=${config.value} sensitive=${config.isSensitive} synonyms={${synonyms}}`);
    }
  }
}

async function alterConfigs(admin: Admin, entity: Entity, args: ParsedArguments, out: CommandOutput): Promise<void> {
  const name = entity.name!;
  const adds = new Map<string, string>();
  const file = lastOption(args, 'add-config-file');
  const inline = args.options.get('add-config');
  if (file !== undefined && inline !== undefined) throw new UsageError('Only one of --add-config or --add-config-file must be specified');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --add-config-file ${file}: ${(error as Error).message}`);
    }
    for (const [key, value] of parseProperties(text)) adds.set(key, value);
  }
  for (const text of inline ?? []) for (const [key, value] of parseAddConfig(text)) adds.set(key, value);
  const deletes = [...new Set((args.options.get('delete-config') ?? []).flatMap((text) => text.split(',')).map((key) => key.trim()).filter((key) => key !== ''))];
  if (adds.size === 0 && deletes.length === 0) {
    throw new UsageError('At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter');
  }
  if (deletes.length > 0) {
    // Kafka's tool refuses to delete what is not set at this level.
    const current = new Set((await resourceConfigs(admin, { type: entity.type, name }, false, false)).map((config) => config.name));
    const missing = deletes.filter((key) => !current.has(key));
    if (missing.length > 0) {
      out.error(`Invalid config(s): ${missing.join(',')}`);
      return;
    }
  }
  const [result] = await admin.incrementalAlterConfigs([
    {
      type: entity.type,
      name,
      operations: [
        ...[...adds].map(([key, value]) => ({ name: key, operation: 'set' as const, value })),
        ...deletes.map((key) => ({ name: key, operation: 'delete' as const })),
      ],
    },
  ]);
  if (result!.error) throw result!.error;
  if (name === '') out.print('Completed updating default config for brokers in the cluster.');
  else out.print(`Completed updating config for ${entity.type} ${name}.`);
}
