/**
 * A Tidelog broker: wires configuration, the controller (single node: the broker is its own
 * controller, its metadata in a local log), the replica manager (partition logs) and the
 * request handlers, and starts the listeners. `stop()` is the clean shutdown: stop reading
 * requests, let the in-flight ones finish, flush and close every log, close the metadata log.
 */
import { BrokerConfig, type Listener } from '../config/broker-config.js';
import { Controller } from '../cluster/controller.js';
import { loadOrCreateMetaProperties, type MetaProperties } from '../cluster/meta-properties.js';
import { ConfigResourceType } from '../cluster/metadata-records.js';
import { Logger } from '../logger.js';
import type { HandlerRegistration } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { ReplicaManager } from './replica-manager.js';
import { SocketServer } from './socket-server.js';
import { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import { SystemScheduler } from '../coordinator/scheduler.js';
import { ConsumerOffsetsLog } from './consumer-offsets.js';
import { LogRetentionTask } from './log-retention-task.js';
import { LogCleaner } from '../storage/cleaner/log-cleaner.js';
import { ProducerIdManager } from '../cluster/producer-id-manager.js';
import { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import { LocalTransactionMarkerWriter, TransactionStateTopic } from './transaction-state-log.js';
import { FetchMemoryPool } from './fetch-memory-pool.js';

const log = new Logger('broker');

/**
 * Record data that fetch answers may hold in memory at once, broker-wide (fetch-memory-pool.ts):
 * room for two answers of a consumer's default fetch.max.bytes (50 MiB) and many smaller ones.
 */
const FETCH_MEMORY_BYTES = 128 * 1024 * 1024;

export class Broker {
  readonly controller: Controller;
  readonly replicaManager: ReplicaManager;
  readonly handlers: ReadonlyMap<number, HandlerRegistration>;
  readonly consumerOffsets: ConsumerOffsetsLog;
  readonly groupCoordinator: GroupCoordinator;
  /** Time and size retention of non-compacted logs, every log.retention.check.interval.ms. */
  readonly logRetention: LogRetentionTask;
  /** Compaction of the logs whose cleanup.policy includes compact; null with log.cleaner.enable=false. */
  readonly logCleaner: LogCleaner | null;
  /** Producer ids for InitProducerId and the transaction coordinator (blocks reserved through the controller). */
  readonly producerIdManager: ProducerIdManager;
  readonly transactionStateLog: TransactionStateTopic;
  readonly transactionCoordinator: TransactionCoordinator;
  /** What fetch answers may hold of record data until the kernel takes them. */
  readonly fetchMemory = new FetchMemoryPool(FETCH_MEMORY_BYTES);
  private producerExpirationTimer: NodeJS.Timeout | undefined;
  private socketServer: SocketServer | undefined;
  private meta: MetaProperties | undefined;
  private stopping: Promise<void> | undefined;

  constructor(readonly config: BrokerConfig) {
    this.controller = new Controller(config.nodeId, config);
    this.replicaManager = new ReplicaManager(this);
    this.consumerOffsets = new ConsumerOffsetsLog(this);
    this.groupCoordinator = new GroupCoordinator(
      {
        numPartitions: config.number('offsets.topic.num.partitions'),
        initialRebalanceDelayMs: config.number('group.initial.rebalance.delay.ms'),
        minSessionTimeoutMs: config.number('group.min.session.timeout.ms'),
        maxSessionTimeoutMs: config.number('group.max.session.timeout.ms'),
        maxSize: config.number('group.max.size'),
        offsetsRetentionMs: config.number('offsets.retention.minutes') * 60_000,
        offsetsRetentionCheckIntervalMs: config.number('offsets.retention.check.interval.ms'),
        offsetMetadataMaxBytes: config.number('offset.metadata.max.bytes'),
      },
      this.consumerOffsets,
      new SystemScheduler(),
      (topic, partition) => this.replicaManager.getPartition(topic, partition) !== undefined,
    );
    this.logRetention = new LogRetentionTask(() => this.replicaManager.allPartitions(), {
      initialDelayMs: config.number('log.initial.task.delay.ms'),
      checkIntervalMs: config.number('log.retention.check.interval.ms'),
    });
    this.logCleaner =
      config.boolean('log.cleaner.enable') && config.number('log.cleaner.threads') > 0
        ? new LogCleaner(
            {
              numThreads: config.number('log.cleaner.threads'),
              dedupeBufferSize: config.number('log.cleaner.dedupe.buffer.size'),
              dedupeBufferLoadFactor: config.number('log.cleaner.io.buffer.load.factor'),
              ioBufferSize: config.number('log.cleaner.io.buffer.size'),
              maxIoBytesPerSecond: config.number('log.cleaner.io.max.bytes.per.second'),
              backoffMs: config.number('log.cleaner.backoff.ms'),
            },
            () => this.replicaManager.allPartitions(),
          )
        : null;
    this.producerIdManager = new ProducerIdManager((count) => this.controller.allocateProducerIds(count));
    this.transactionStateLog = new TransactionStateTopic(this);
    this.transactionCoordinator = new TransactionCoordinator(
      {
        numPartitions: config.number('transaction.state.log.num.partitions'),
        transactionMaxTimeoutMs: config.number('transaction.max.timeout.ms'),
        transactionalIdExpirationMs: config.number('transactional.id.expiration.ms'),
        abortTimedOutTransactionsIntervalMs: config.number('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
        removeExpiredTransactionalIdsIntervalMs: config.number('transaction.remove.expired.transaction.cleanup.interval.ms'),
      },
      this.transactionStateLog,
      new LocalTransactionMarkerWriter(this),
      () => this.producerIdManager.generateProducerId(),
      new SystemScheduler(),
    );
    this.handlers = new Map(HANDLERS.map((handler) => [handler.api.apiKey, handler as unknown as HandlerRegistration]));
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  get clusterId(): string {
    if (!this.meta) throw new Error('broker is not started');
    return this.meta.clusterId;
  }

  get dataDir(): string {
    return this.config.logDir;
  }

  /** Where clients reach this broker on the listener a request came in on. */
  advertisedListener(listenerName: string): Listener {
    const advertised = this.config.advertisedListeners();
    const listener = advertised.find((candidate) => candidate.name === listenerName) ?? advertised[0]!;
    if (listener.port === 0) return { ...listener, port: this.boundPort(listener.name) };
    return listener;
  }

  /** Client connections open now, on every listener. */
  get connectionCount(): number {
    return this.socketServer?.connectionCount ?? 0;
  }

  boundPort(listenerName?: string): number {
    const ports = this.socketServer?.boundPorts;
    if (!ports || ports.size === 0) throw new Error('broker is not listening');
    return (listenerName && ports.get(listenerName)) || [...ports.values()][0]!;
  }

  async start(): Promise<void> {
    const started = Date.now();
    this.meta = loadOrCreateMetaProperties(this.dataDir, this.nodeId, this.config.string('cluster.id'));
    await this.controller.open(this.dataDir);
    for (const [resourceName, configs] of this.controller.image.brokerConfigs) {
      if (resourceName !== '' && resourceName !== String(this.nodeId)) continue;
      for (const [name, value] of configs) {
        const problem = this.config.applyDynamic(name, value, resourceName === '');
        if (problem) log.error(`Dynamic ${resourceName === '' ? 'default cluster' : 'broker'} config ${name} is invalid and will be ignored: ${problem}`);
      }
    }
    this.controller.subscribe((records) => {
      for (const record of records) {
        if (record.type === 'Config' && record.resourceType === ConfigResourceType.BROKER) {
          if (record.resourceName === '' || record.resourceName === String(this.nodeId)) {
            const problem = this.config.applyDynamic(record.name, record.value, record.resourceName === '');
            if (problem) log.error(`Dynamic config ${record.name} is invalid and will be ignored: ${problem}`);
          }
        }
      }
    });
    await this.replicaManager.startup();
    this.logRetention.start();
    this.logCleaner?.startup();
    this.startProducerExpiration();
    await this.consumerOffsets.load(this.groupCoordinator);
    // After the groups: markers resent for half-completed transactions may complete their offsets.
    await this.transactionStateLog.load(this.transactionCoordinator);
    for (const key of this.config.unknownKeys) log.warn(`the configuration '${key}' was supplied but isn't a known config`);
    const maxRequestBytes = this.config.number('socket.request.max.bytes');
    const queuedBytes = this.config.number('queued.max.request.bytes');
    this.socketServer = new SocketServer(
      this,
      {
        maxRequestBytes,
        maxQueuedRequests: this.config.number('queued.max.requests'),
        maxQueuedRequestBytes: queuedBytes > 0 ? queuedBytes : 64 * 1024 * 1024,
        // Enough to keep a socket busy; a client that stops reading stops being read from.
        maxPendingWriteBytes: 4 * 1024 * 1024,
        idleTimeoutMs: this.config.number('connections.max.idle.ms'),
      },
      this.config.number('max.connections'),
    );
    await this.socketServer.listen(this.config.listeners());
    log.info(
      `Tidelog broker ${this.nodeId} started in ${Date.now() - started} ms: cluster ${this.clusterId}, data in ${this.dataDir}, ` +
        `${this.controller.image.topicsByName.size} topic(s)`,
    );
  }

  /**
   * Kafka's PeriodicProducerExpirationCheck: every producer.id.expiration.check.interval.ms,
   * each log forgets producers idle for producer.id.expiration.ms (read each time: it is dynamic).
   */
  private startProducerExpiration(): void {
    this.producerExpirationTimer = setInterval(() => {
      const expirationMs = this.config.number('producer.id.expiration.ms');
      const now = Date.now();
      for (const partition of this.replicaManager.allPartitions()) {
        const producerState = partition.log.producerStateManager;
        producerState.producerIdExpirationMs = expirationMs;
        producerState.removeExpiredProducers(now);
      }
    }, this.config.number('producer.id.expiration.check.interval.ms'));
    this.producerExpirationTimer.unref();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    log.info('shutting down');
    this.socketServer?.stopAccepting();
    this.groupCoordinator.shutdown();
    this.transactionCoordinator.shutdown();
    await this.logRetention.stop();
    clearInterval(this.producerExpirationTimer);
    await this.logCleaner?.shutdown();
    await this.replicaManager.shutdown();
    this.socketServer?.closeConnections();
    await this.controller.close();
    log.info('shut down cleanly');
  }
}
