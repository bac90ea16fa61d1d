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

const log = new Logger('broker');

export class Broker {
  readonly controller: Controller;
  readonly replicaManager: ReplicaManager;
  readonly handlers: ReadonlyMap<number, HandlerRegistration>;
  readonly consumerOffsets: ConsumerOffsetsLog;
  readonly groupCoordinator: GroupCoordinator;
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
      for (const [name, value] of configs) this.config.setDynamic(name, value, resourceName === '');
    }
    this.controller.subscribe((records) => {
      for (const record of records) {
        if (record.type === 'Config' && record.resourceType === ConfigResourceType.BROKER) {
          if (record.resourceName === '' || record.resourceName === String(this.nodeId)) {
            this.config.setDynamic(record.name, record.value, record.resourceName === '');
          }
        }
      }
    });
    await this.replicaManager.startup();
    await this.consumerOffsets.load(this.groupCoordinator);
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

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    log.info('shutting down');
    this.socketServer?.stopAccepting();
    this.groupCoordinator.shutdown();
    await this.replicaManager.shutdown();
    this.socketServer?.closeConnections();
    await this.controller.close();
    log.info('shut down cleanly');
  }
}
