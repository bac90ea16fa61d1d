/**
 * Broker-level configs Tidelog reads, with Kafka's names and defaults (KafkaConfig,
 * ServerLogConfigs, GroupCoordinatorConfig, TransactionLogConfig). Keys Kafka has that
 * Tidelog does not use are accepted from properties files (so an existing server.properties
 * works) but are not listed here.
 *
 * `dynamic` marks the keys Kafka lets AlterConfigs change on a running broker
 * (DynamicBrokerConfig.AllDynamicConfigs): the log defaults that are the first broker synonym of a
 * topic config (DynamicLogConfig: log.retention.ms but not .hours, log.roll.ms but not .hours,
 * message.max.bytes, compression.type, min.insync.replicas, …), the log cleaner's settings, the
 * thread pools and producer.id.expiration.ms. advertised.listeners is dynamic per broker only.
 * Kafka's listeners, listener.security.protocol.map and max.connections are dynamic too; Tidelog
 * binds its sockets once, so it keeps them static.
 */
import { atLeast, between, ConfigType, gzipLevel, LONG_MAX_STRING, oneOf, type ConfigDef } from './config-def.js';

const def = (d: ConfigDef): ConfigDef => d;

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  // ---- server ----
  def({ name: 'node.id', type: ConfigType.INT, defaultValue: '1', validator: atLeast(0), doc: 'This broker\'s id (broker.id is a synonym).' }),
  def({ name: 'broker.id', type: ConfigType.INT, defaultValue: null, doc: 'Synonym of node.id.' }),
  def({ name: 'cluster.id', type: ConfigType.STRING, defaultValue: null, doc: 'Cluster id; generated and stored in meta.properties when absent.' }),
  def({ name: 'listeners', type: ConfigType.LIST, defaultValue: 'PLAINTEXT://127.0.0.1:9092', doc: 'Where the broker listens: NAME://host:port, comma separated.' }),
  def({ name: 'advertised.listeners', type: ConfigType.LIST, defaultValue: null, dynamic: true, perBroker: true, doc: 'Addresses given to clients in Metadata; defaults to listeners.' }),
  def({ name: 'listener.security.protocol.map', type: ConfigType.LIST, defaultValue: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'Listener name to security protocol.' }),
  def({ name: 'inter.broker.listener.name', type: ConfigType.STRING, defaultValue: null, doc: 'Listener used between brokers.' }),
  def({ name: 'broker.rack', type: ConfigType.STRING, defaultValue: null, doc: 'Rack of this broker.' }),
  def({ name: 'log.dirs', type: ConfigType.LIST, defaultValue: null, doc: 'Data directories (the first is used).' }),
  def({ name: 'log.dir', type: ConfigType.STRING, defaultValue: './data', doc: 'Data directory when log.dirs is not set.' }),
  def({ name: 'socket.request.max.bytes', type: ConfigType.INT, defaultValue: '104857600', validator: atLeast(1), doc: 'Largest request frame accepted.' }),
  def({ name: 'socket.send.buffer.bytes', type: ConfigType.INT, defaultValue: '102400', doc: 'SO_SNDBUF (-1 = OS default).' }),
  def({ name: 'socket.receive.buffer.bytes', type: ConfigType.INT, defaultValue: '102400', doc: 'SO_RCVBUF (-1 = OS default).' }),
  def({ name: 'queued.max.requests', type: ConfigType.INT, defaultValue: '500', validator: atLeast(1), doc: 'Requests in flight per connection before reading pauses.' }),
  def({ name: 'queued.max.request.bytes', type: ConfigType.LONG, defaultValue: '-1', doc: 'Request bytes in flight per connection before reading pauses (-1 = 4 x socket.request.max.bytes).' }),
  def({ name: 'connections.max.idle.ms', type: ConfigType.LONG, defaultValue: '600000', doc: 'Idle connections are closed after this long.' }),
  def({ name: 'max.connections', type: ConfigType.INT, defaultValue: '2147483647', validator: atLeast(0), doc: 'Connections accepted at once.' }),
  def({ name: 'request.timeout.ms', type: ConfigType.INT, defaultValue: '30000', doc: 'Internal request timeout.' }),
  def({ name: 'unstable.api.versions.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', doc: 'Advertise unstable API versions.' }),
  def({ name: 'delete.topic.enable', type: ConfigType.BOOLEAN, defaultValue: 'true', doc: 'Allow DeleteTopics.' }),
  def({ name: 'auto.create.topics.enable', type: ConfigType.BOOLEAN, defaultValue: 'true', doc: 'Create a topic when a client asks for its metadata.' }),
  def({ name: 'num.partitions', type: ConfigType.INT, defaultValue: '1', validator: atLeast(1), doc: 'Partitions of auto-created topics and of CreateTopics with -1.' }),
  def({ name: 'default.replication.factor', type: ConfigType.INT, defaultValue: '1', validator: atLeast(1), doc: 'Replication factor of auto-created topics and of CreateTopics with -1.' }),
  def({ name: 'message.max.bytes', type: ConfigType.INT, defaultValue: '1048588', validator: atLeast(0), dynamic: true, doc: 'Largest record batch (topic: max.message.bytes).' }),
  def({ name: 'compression.type', type: ConfigType.STRING, defaultValue: 'producer', validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), dynamic: true, doc: 'Broker-wide final compression.' }),
  def({ name: 'compression.gzip.level', type: ConfigType.INT, defaultValue: '-1', validator: gzipLevel, dynamic: true, doc: 'gzip level when the broker compresses (1-9, -1 = zlib default).' }),
  def({ name: 'compression.lz4.level', type: ConfigType.INT, defaultValue: '9', validator: between(1, 17), dynamic: true, doc: 'lz4 level when the broker compresses.' }),
  def({ name: 'compression.zstd.level', type: ConfigType.INT, defaultValue: '3', validator: between(-131072, 22), dynamic: true, doc: 'zstd level when the broker compresses.' }),
  def({ name: 'min.insync.replicas', type: ConfigType.INT, defaultValue: '1', validator: atLeast(1), dynamic: true, doc: 'Replicas that must acknowledge an acks=all write.' }),
  def({ name: 'unclean.leader.election.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', dynamic: true, doc: 'Allow an out-of-sync replica to become leader.' }),
  // ---- log ----
  def({ name: 'log.segment.bytes', type: ConfigType.INT, defaultValue: '1073741824', validator: atLeast(14), dynamic: true, doc: 'Segment file size.' }),
  def({ name: 'log.roll.ms', type: ConfigType.LONG, defaultValue: null, dynamic: true, doc: 'Segment roll time; overrides log.roll.hours.' }),
  def({ name: 'log.roll.hours', type: ConfigType.INT, defaultValue: '168', validator: atLeast(1), doc: 'Segment roll time in hours.' }),
  def({ name: 'log.roll.jitter.ms', type: ConfigType.LONG, defaultValue: null, dynamic: true, doc: 'Segment roll jitter.' }),
  def({ name: 'log.roll.jitter.hours', type: ConfigType.INT, defaultValue: '0', validator: atLeast(0), doc: 'Segment roll jitter in hours.' }),
  def({ name: 'log.index.interval.bytes', type: ConfigType.INT, defaultValue: '4096', validator: atLeast(0), dynamic: true, doc: 'Bytes between offset index entries.' }),
  def({ name: 'log.index.size.max.bytes', type: ConfigType.INT, defaultValue: '10485760', validator: atLeast(4), dynamic: true, doc: 'Offset index size limit.' }),
  def({ name: 'log.flush.interval.messages', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, validator: atLeast(1), dynamic: true, doc: 'fsync after this many messages.' }),
  def({ name: 'log.flush.interval.ms', type: ConfigType.LONG, defaultValue: null, dynamic: true, doc: 'fsync at least this often (default: log.flush.scheduler.interval.ms).' }),
  def({ name: 'log.flush.scheduler.interval.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, doc: 'How often the flusher checks logs.' }),
  def({ name: 'log.retention.ms', type: ConfigType.LONG, defaultValue: null, dynamic: true, doc: 'Retention time; overrides minutes and hours.' }),
  def({ name: 'log.retention.minutes', type: ConfigType.INT, defaultValue: null, doc: 'Retention time in minutes; overrides hours.' }),
  def({ name: 'log.retention.hours', type: ConfigType.INT, defaultValue: '168', doc: 'Retention time in hours.' }),
  def({ name: 'log.retention.bytes', type: ConfigType.LONG, defaultValue: '-1', dynamic: true, doc: 'Partition size limit (-1 = none).' }),
  def({ name: 'log.retention.check.interval.ms', type: ConfigType.LONG, defaultValue: '300000', validator: atLeast(1), doc: 'How often retention runs.' }),
  def({ name: 'log.initial.task.delay.ms', type: ConfigType.LONG, defaultValue: '30000', validator: atLeast(0), doc: 'Wait after start-up before the first retention pass (an internal Kafka config).' }),
  def({ name: 'log.cleanup.policy', type: ConfigType.LIST, defaultValue: 'delete', validator: oneOf('delete', 'compact'), dynamic: true, doc: 'Default cleanup policy.' }),
  def({ name: 'log.cleaner.enable', type: ConfigType.BOOLEAN, defaultValue: 'true', doc: 'Run the log cleaner for compacted topics.' }),
  def({ name: 'log.cleaner.delete.retention.ms', type: ConfigType.LONG, defaultValue: '86400000', dynamic: true, doc: 'How long tombstones are kept.' }),
  def({ name: 'log.cleaner.min.compaction.lag.ms', type: ConfigType.LONG, defaultValue: '0', dynamic: true, doc: 'Shortest time a record stays uncompacted.' }),
  def({ name: 'log.cleaner.max.compaction.lag.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, dynamic: true, doc: 'Longest time a record stays uncompacted.' }),
  def({ name: 'log.cleaner.min.cleanable.ratio', type: ConfigType.DOUBLE, defaultValue: '0.5', dynamic: true, doc: 'Dirty ratio above which a log is cleaned.' }),
  def({ name: 'log.cleaner.dedupe.buffer.size', type: ConfigType.LONG, defaultValue: '134217728', dynamic: true, doc: 'Memory for the cleaner offset map.' }),
  def({ name: 'log.cleaner.backoff.ms', type: ConfigType.LONG, defaultValue: '15000', validator: atLeast(0), dynamic: true, doc: 'Sleep between cleaner passes with nothing to do.' }),
  def({ name: 'log.cleaner.threads', type: ConfigType.INT, defaultValue: '1', validator: atLeast(0), dynamic: true, doc: 'Threads cleaning logs.' }),
  def({ name: 'log.cleaner.io.buffer.size', type: ConfigType.INT, defaultValue: '524288', validator: atLeast(0), dynamic: true, doc: 'Read and write buffer memory of the cleaner.' }),
  def({ name: 'log.cleaner.io.buffer.load.factor', type: ConfigType.DOUBLE, defaultValue: '0.9', dynamic: true, doc: 'How full the cleaner offset map may become.' }),
  def({ name: 'log.cleaner.io.max.bytes.per.second', type: ConfigType.DOUBLE, defaultValue: '1.7976931348623157E308', dynamic: true, doc: 'I/O throttle of the cleaner (read plus write).' }),
  def({ name: 'log.segment.delete.delay.ms', type: ConfigType.LONG, defaultValue: '60000', dynamic: true, doc: 'Wait before deleting a file.' }),
  def({ name: 'log.message.timestamp.type', type: ConfigType.STRING, defaultValue: 'CreateTime', validator: oneOf('CreateTime', 'LogAppendTime'), dynamic: true, doc: 'Timestamp type of records.' }),
  def({ name: 'log.message.timestamp.before.max.ms', type: ConfigType.LONG, defaultValue: LONG_MAX_STRING, dynamic: true, doc: 'How far in the past a timestamp may be.' }),
  def({ name: 'log.message.timestamp.after.max.ms', type: ConfigType.LONG, defaultValue: '3600000', dynamic: true, doc: 'How far in the future a timestamp may be.' }),
  def({ name: 'log.preallocate', type: ConfigType.BOOLEAN, defaultValue: 'false', dynamic: true, doc: 'Preallocate segment files.' }),
  def({ name: 'log.local.retention.ms', type: ConfigType.LONG, defaultValue: '-2', validator: atLeast(-2), dynamic: true, doc: 'Local retention for tiered storage.' }),
  def({ name: 'log.local.retention.bytes', type: ConfigType.LONG, defaultValue: '-2', validator: atLeast(-2), dynamic: true, doc: 'Local retention for tiered storage.' }),
  def({ name: 'num.recovery.threads.per.data.dir', type: ConfigType.INT, defaultValue: '2', validator: atLeast(1), dynamic: true, doc: 'Logs recovered at once at start-up (and closed at once at shutdown).' }),
  // ---- group coordinator ----
  def({ name: 'offsets.topic.num.partitions', type: ConfigType.INT, defaultValue: '50', validator: atLeast(1), doc: 'Partitions of __consumer_offsets.' }),
  def({ name: 'offsets.topic.replication.factor', type: ConfigType.SHORT, defaultValue: '3', validator: atLeast(1), doc: 'Replication of __consumer_offsets (capped at the live brokers).' }),
  def({ name: 'offsets.topic.segment.bytes', type: ConfigType.INT, defaultValue: '104857600', validator: atLeast(1), doc: 'Segment size of __consumer_offsets.' }),
  def({ name: 'offsets.retention.minutes', type: ConfigType.INT, defaultValue: '10080', validator: atLeast(1), doc: 'How long committed offsets of an empty group are kept.' }),
  def({ name: 'offsets.retention.check.interval.ms', type: ConfigType.LONG, defaultValue: '600000', validator: atLeast(1), doc: 'How often expired offsets are removed.' }),
  def({ name: 'offset.metadata.max.bytes', type: ConfigType.INT, defaultValue: '4096', doc: 'Largest commit metadata string.' }),
  def({ name: 'group.initial.rebalance.delay.ms', type: ConfigType.INT, defaultValue: '3000', validator: atLeast(0), doc: 'Wait for more members before the first rebalance of an empty group.' }),
  def({ name: 'group.min.session.timeout.ms', type: ConfigType.INT, defaultValue: '6000', doc: 'Smallest session timeout a member may ask for.' }),
  def({ name: 'group.max.session.timeout.ms', type: ConfigType.INT, defaultValue: '1800000', doc: 'Largest session timeout a member may ask for.' }),
  def({ name: 'group.max.size', type: ConfigType.INT, defaultValue: '2147483647', validator: atLeast(1), doc: 'Members per group.' }),
  // ---- transaction coordinator ----
  def({ name: 'transaction.state.log.num.partitions', type: ConfigType.INT, defaultValue: '50', validator: atLeast(1), doc: 'Partitions of __transaction_state.' }),
  def({ name: 'transaction.state.log.replication.factor', type: ConfigType.SHORT, defaultValue: '3', validator: atLeast(1), doc: 'Replication of __transaction_state (capped at the live brokers).' }),
  def({ name: 'transaction.state.log.segment.bytes', type: ConfigType.INT, defaultValue: '104857600', validator: atLeast(1), doc: 'Segment size of __transaction_state.' }),
  def({ name: 'transaction.state.log.min.isr', type: ConfigType.INT, defaultValue: '2', validator: atLeast(1), doc: 'min.insync.replicas of __transaction_state.' }),
  def({ name: 'transaction.max.timeout.ms', type: ConfigType.INT, defaultValue: '900000', validator: atLeast(1), doc: 'Largest transaction timeout a producer may ask for.' }),
  def({ name: 'transactional.id.expiration.ms', type: ConfigType.INT, defaultValue: '604800000', validator: atLeast(1), doc: 'Idle transactional ids are forgotten after this long.' }),
  def({ name: 'transaction.abort.timed.out.transaction.cleanup.interval.ms', type: ConfigType.INT, defaultValue: '10000', validator: atLeast(1), doc: 'How often timed-out transactions are aborted.' }),
  def({ name: 'transaction.remove.expired.transaction.cleanup.interval.ms', type: ConfigType.INT, defaultValue: '3600000', validator: atLeast(1), doc: 'How often expired transactional ids are removed.' }),
  def({ name: 'producer.id.expiration.ms', type: ConfigType.INT, defaultValue: '86400000', validator: atLeast(1), dynamic: true, doc: 'Idle producer ids are forgotten after this long.' }),
  def({ name: 'producer.id.expiration.check.interval.ms', type: ConfigType.INT, defaultValue: '600000', validator: atLeast(1), doc: 'How often idle producer ids are looked for.' }),
  // ---- replication ----
  def({ name: 'replica.lag.time.max.ms', type: ConfigType.LONG, defaultValue: '30000', doc: 'A follower that has not caught up for this long leaves the ISR.' }),
  def({ name: 'replica.fetch.max.bytes', type: ConfigType.INT, defaultValue: '1048576', doc: 'Bytes per partition a follower fetches.' }),
];

export const BROKER_CONFIGS_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
