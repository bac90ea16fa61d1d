/**
 * Topic-level configs (Kafka's TopicConfig / LogConfig) with their broker-level synonyms, in
 * the order Kafka resolves them: a topic override, else the first broker synonym that is set,
 * else the default. DescribeConfigs reports the same chain as `synonyms`.
 */
import { atLeast, between, ConfigType, gzipLevel, LONG_MAX_STRING, oneOf, type ConfigDef } from './config-def.js';

export interface TopicConfigDef extends ConfigDef {
  /** Broker configs that supply the default, most specific first (log.retention.ms before .hours). */
  readonly brokerSynonyms: readonly string[];
  /** Converts a broker synonym's value into this config's unit (hours -> ms). */
  readonly fromBroker?: Readonly<Record<string, (value: number) => number>>;
}

const HOURS = (value: number) => value * 3_600_000;
const MINUTES = (value: number) => value * 60_000;

const def = (d: TopicConfigDef): TopicConfigDef => d;

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  def({
    name: 'cleanup.policy',
    type: ConfigType.LIST,
    defaultValue: 'delete',
    brokerSynonyms: ['log.cleanup.policy'],
    validator: oneOf('delete', 'compact'),
    doc: 'delete: discard old segments by retention time or size; compact: keep the latest value per key.',
  }),
  def({
    name: 'compression.type',
    type: ConfigType.STRING,
    defaultValue: 'producer',
    brokerSynonyms: ['compression.type'],
    validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
    doc: 'Final compression of the topic; producer keeps what the producer sent.',
  }),
  def({ name: 'compression.gzip.level', type: ConfigType.INT, defaultValue: '-1', brokerSynonyms: ['compression.gzip.level'], validator: gzipLevel, doc: 'gzip level when the broker compresses (1-9, -1 = zlib default).' }),
  def({ name: 'compression.lz4.level', type: ConfigType.INT, defaultValue: '9', brokerSynonyms: ['compression.lz4.level'], validator: between(1, 17), doc: 'lz4 level when the broker compresses.' }),
  def({ name: 'compression.zstd.level', type: ConfigType.INT, defaultValue: '3', brokerSynonyms: ['compression.zstd.level'], validator: between(-131072, 22), doc: 'zstd level when the broker compresses.' }),
  def({ name: 'delete.retention.ms', type: ConfigType.LONG, defaultValue: '86400000', brokerSynonyms: ['log.cleaner.delete.retention.ms'], validator: atLeast(0), doc: 'How long tombstones are kept on compacted topics.' }),
  def({ name: 'file.delete.delay.ms', type: ConfigType.LONG, defaultValue: '60000', brokerSynonyms: ['log.segment.delete.delay.ms'], validator: atLeast(0), doc: 'Wait before deleting a file from the file system.' }),
  def({ name: 'flush.messages', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, brokerSynonyms: ['log.flush.interval.messages'], validator: atLeast(1), doc: 'fsync after this many messages (1 = every write).' }),
  def({ name: 'flush.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, brokerSynonyms: ['log.flush.interval.ms'], validator: atLeast(0), doc: 'fsync at least this often.' }),
  def({ name: 'follower.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', brokerSynonyms: [], doc: 'Replicas throttled on the follower side.' }),
  def({ name: 'index.interval.bytes', type: ConfigType.INT, defaultValue: '4096', brokerSynonyms: ['log.index.interval.bytes'], validator: atLeast(0), doc: 'Bytes between offset index entries.' }),
  def({ name: 'leader.replication.throttled.replicas', type: ConfigType.LIST, defaultValue: '', brokerSynonyms: [], doc: 'Replicas throttled on the leader side.' }),
  def({ name: 'local.retention.bytes', type: ConfigType.LONG, defaultValue: '-2', brokerSynonyms: ['log.local.retention.bytes'], validator: atLeast(-2), doc: 'Local retention for tiered storage (-2 = retention.bytes).' }),
  def({ name: 'local.retention.ms', type: ConfigType.LONG, defaultValue: '-2', brokerSynonyms: ['log.local.retention.ms'], validator: atLeast(-2), doc: 'Local retention for tiered storage (-2 = retention.ms).' }),
  def({ name: 'max.compaction.lag.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, brokerSynonyms: ['log.cleaner.max.compaction.lag.ms'], validator: atLeast(1), doc: 'Longest time a record stays uncompacted.' }),
  def({ name: 'max.message.bytes', type: ConfigType.INT, defaultValue: '1048588', brokerSynonyms: ['message.max.bytes'], validator: atLeast(0), doc: 'Largest record batch size allowed.' }),
  def({ name: 'message.timestamp.after.max.ms', type: ConfigType.LONG, defaultValue: '3600000', brokerSynonyms: ['log.message.timestamp.after.max.ms'], validator: atLeast(0), doc: 'How far in the future a CreateTime timestamp may be.' }),
  def({ name: 'message.timestamp.before.max.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, brokerSynonyms: ['log.message.timestamp.before.max.ms'], validator: atLeast(0), doc: 'How far in the past a CreateTime timestamp may be.' }),
  def({ name: 'message.timestamp.type', type: ConfigType.STRING, defaultValue: 'CreateTime', brokerSynonyms: ['log.message.timestamp.type'], validator: oneOf('CreateTime', 'LogAppendTime'), doc: 'CreateTime keeps the producer timestamp; LogAppendTime uses the broker clock.' }),
  def({ name: 'min.cleanable.dirty.ratio', type: ConfigType.DOUBLE, defaultValue: '0.5', brokerSynonyms: ['log.cleaner.min.cleanable.ratio'], validator: between(0, 1), doc: 'Dirty ratio above which the log is cleaned.' }),
  def({ name: 'min.compaction.lag.ms', type: ConfigType.LONG, defaultValue: '0', brokerSynonyms: ['log.cleaner.min.compaction.lag.ms'], validator: atLeast(0), doc: 'Shortest time a record stays uncompacted.' }),
  def({ name: 'min.insync.replicas', type: ConfigType.INT, defaultValue: '1', brokerSynonyms: ['min.insync.replicas'], validator: atLeast(1), doc: 'Replicas that must acknowledge an acks=all write.' }),
  def({ name: 'preallocate', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonyms: ['log.preallocate'], doc: 'Preallocate segment files.' }),
  def({ name: 'remote.log.copy.disable', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonyms: [], doc: 'Stop copying segments to tiered storage (tiered storage is not supported).' }),
  def({ name: 'remote.log.delete.on.disable', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonyms: [], doc: 'Delete tiered data when tiered storage is turned off (tiered storage is not supported).' }),
  def({ name: 'remote.storage.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonyms: [], doc: 'Tiered storage for this topic (not supported; must stay false).' }),
  def({ name: 'retention.bytes', type: ConfigType.LONG, defaultValue: '-1', brokerSynonyms: ['log.retention.bytes'], doc: 'Largest partition size before old segments are deleted (-1 = no limit).' }),
  def({
    name: 'retention.ms',
    type: ConfigType.LONG,
    defaultValue: '604800000',
    brokerSynonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
    fromBroker: { 'log.retention.minutes': MINUTES, 'log.retention.hours': HOURS },
    validator: atLeast(-1),
    doc: 'How long records are kept (-1 = forever).',
  }),
  def({ name: 'segment.bytes', type: ConfigType.INT, defaultValue: '1073741824', brokerSynonyms: ['log.segment.bytes'], validator: atLeast(14), doc: 'Segment file size.' }),
  def({ name: 'segment.index.bytes', type: ConfigType.INT, defaultValue: '10485760', brokerSynonyms: ['log.index.size.max.bytes'], validator: atLeast(4), doc: 'Offset index size limit.' }),
  def({
    name: 'segment.jitter.ms',
    type: ConfigType.LONG,
    defaultValue: '0',
    brokerSynonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    fromBroker: { 'log.roll.jitter.hours': HOURS },
    validator: atLeast(0),
    doc: 'Random jitter subtracted from segment.ms.',
  }),
  def({
    name: 'segment.ms',
    type: ConfigType.LONG,
    defaultValue: '604800000',
    brokerSynonyms: ['log.roll.ms', 'log.roll.hours'],
    fromBroker: { 'log.roll.hours': HOURS },
    validator: atLeast(1),
    doc: 'Roll a segment after this long even if it is not full.',
  }),
  def({ name: 'unclean.leader.election.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonyms: ['unclean.leader.election.enable'], doc: 'Allow an out-of-sync replica to become leader.' }),
];

export const TOPIC_CONFIGS_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));
