/**
 * The client's view of a cluster: where to send each request.
 *
 * It starts from the bootstrap servers ("host:port[,host:port]"), asks one of them for Metadata
 * (brokers, controller, topics, partitions and their leaders) and from then on connects to
 * brokers at the addresses they advertise. Requests are routed to the partition's leader, to a
 * group's coordinator (FindCoordinator, cached per group and looked up again after
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a lost connection) or to the controller;
 * connections are kept per broker address and opened on first use.
 *
 * Retries follow Kafka's clients: an error that a later attempt may not meet (a moved leader or
 * coordinator, a coordinator still loading, a lost connection, a timeout) is retried after a
 * backoff (100 ms doubling to 1 s) until the operation's deadline (Kafka's default.api.timeout.ms,
 * 60 s). Failing to reach any bootstrap server before ever connecting is not retried, so a
 * mistyped address fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { findCoordinator, metadata } from '../protocol/messages/index.js';
import { Connection } from './connection.js';
import { brokerError, ConnectionError, isCoordinatorError, isRetriable } from './errors.js';

export interface ClientOptions {
  /** "host:port[,host:port]" or a list of "host:port". */
  readonly bootstrapServers: string | readonly string[];
  readonly clientId?: string;
  readonly connectTimeoutMs?: number;
  /** Time allowed for one answer (Kafka's request.timeout.ms). Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Time allowed for a whole operation, retries included (Kafka's default.api.timeout.ms). Default 60 s. */
  readonly apiTimeoutMs?: number;
  /** First backoff between retries (Kafka's retry.backoff.ms). Default 100 ms. */
  readonly retryBackoffMs?: number;
}

export interface BrokerAddress {
  readonly host: string;
  readonly port: number;
}

export interface BrokerNode extends BrokerAddress {
  readonly nodeId: number;
  readonly rack: string | null;
}

export interface PartitionMetadata {
  readonly partition: number;
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly errorCode: number;
}

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly errorCode: number;
  /** Sorted by partition. */
  readonly partitions: readonly PartitionMetadata[];
}

export interface ClusterMetadata {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly BrokerNode[];
  readonly topics: readonly TopicMetadata[];
}

const MAX_BACKOFF_MS = 1_000;

/** Parses "host:port[,host:port]" (IPv6 hosts in brackets: "[::1]:9092"). */
export function parseBootstrapServers(servers: string | readonly string[]): BrokerAddress[] {
  const entries = (typeof servers === 'string' ? servers.split(',') : servers).map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new RangeError('no bootstrap servers given');
  return entries.map((entry) => {
    const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(entry);
    const port = match ? Number(match[3]) : NaN;
    if (!match || !(port > 0 && port < 65536)) throw new RangeError(`bootstrap server '${entry}' is not host:port`);
    return { host: match[1] ?? match[2]!, port };
  });
}

function addressOf(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export class Cluster {
  readonly bootstrap: readonly BrokerAddress[];
  readonly clientId: string;
  readonly apiTimeoutMs: number;
  readonly requestTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly coordinators = new Map<string, BrokerNode>();
  private brokers = new Map<number, BrokerNode>();
  private topics = new Map<string, TopicMetadata>();
  private controllerId = -1;
  private everConnected = false;
  private closed = false;

  constructor(options: ClientOptions) {
    this.bootstrap = parseBootstrapServers(options.bootstrapServers);
    this.clientId = options.clientId ?? 'tidelog-client';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.apiTimeoutMs = options.apiTimeoutMs ?? 60_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
  }

  // ---- connections -------------------------------------------------------------------------

  /** An open connection to the broker at this address, opened if needed. */
  async connectionTo(address: BrokerAddress): Promise<Connection> {
    if (this.closed) throw new ConnectionError('the client is closed');
    const key = addressOf(address);
    const existing = this.connections.get(key);
    if (existing) {
      const connection = await existing.catch(() => null);
      if (connection?.isOpen) return connection;
      if (this.connections.get(key) === existing) this.connections.delete(key);
      return this.connectionTo(address);
    }
    const opening = Connection.connect({
      host: address.host,
      port: address.port,
      clientId: this.clientId,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.connections.set(key, opening);
    try {
      const connection = await opening;
      this.everConnected = true;
      return connection;
    } catch (error) {
      if (this.connections.get(key) === opening) this.connections.delete(key);
      throw error;
    }
  }

  /** A connection to any broker: an open one if there is one, else known brokers, else the bootstrap servers. */
  async anyConnection(): Promise<Connection> {
    for (const pending of this.connections.values()) {
      const connection = await pending.catch(() => null);
      if (connection?.isOpen) return connection;
    }
    const candidates = [...this.brokers.values(), ...this.bootstrap];
    const failures: string[] = [];
    for (const address of candidates) {
      try {
        return await this.connectionTo(address);
      } catch (error) {
        if (!(error instanceof ConnectionError)) throw error;
        failures.push(error.message);
      }
    }
    const message = `could not connect to any broker (${failures.join('; ')})`;
    // Before the first successful connection, an unreachable bootstrap list is a configuration
    // problem: report it at once instead of retrying until the deadline.
    if (!this.everConnected) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, message);
    throw new ConnectionError(message);
  }

  async nodeConnection(nodeId: number): Promise<Connection> {
    let node = this.brokers.get(nodeId);
    if (!node) {
      await this.refreshMetadata([]);
      node = this.brokers.get(nodeId);
    }
    if (!node) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`);
    return this.connectionTo(node);
  }

  // ---- metadata ----------------------------------------------------------------------------

  /**
   * Asks a broker for metadata: of the named topics, of every topic (null), or of the brokers
   * only ([]). Updates the cache and returns the answer, topic errors included.
   */
  async refreshMetadata(topicNames: readonly string[] | null): Promise<ClusterMetadata> {
    const connection = await this.anyConnection();
    const version = connection.versionFor(metadata);
    // v0 has no null list: an empty one means every topic (so "brokers only" costs every topic there).
    const requested = topicNames === null ? (version === 0 ? [] : null) : topicNames.map((name) => ({ name }));
    const response = await connection.send(metadata, { topics: requested, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const brokers: BrokerNode[] = response.brokers.map((broker) => ({ nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack }));
    this.brokers = new Map(brokers.map((broker) => [broker.nodeId, broker]));
    this.controllerId = response.controllerId;
    const topics: TopicMetadata[] = [];
    for (const topic of response.topics) {
      if (topic.name === null) continue;
      const described: TopicMetadata = {
        name: topic.name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        errorCode: topic.errorCode,
        partitions: topic.partitions
          .map((partition) => ({
            partition: partition.partitionIndex,
            leader: partition.leaderId,
            leaderEpoch: partition.leaderEpoch,
            replicas: partition.replicaNodes,
            isr: partition.isrNodes,
            offlineReplicas: partition.offlineReplicas,
            errorCode: partition.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      };
      topics.push(described);
      if (topic.errorCode === ErrorCode.NONE) this.topics.set(topic.name, described);
      else this.topics.delete(topic.name);
    }
    if (topicNames === null) this.topics = new Map(topics.filter((topic) => topic.errorCode === ErrorCode.NONE).map((topic) => [topic.name, topic]));
    return { clusterId: response.clusterId, controllerId: response.controllerId, brokers, topics };
  }

  /** A topic's metadata, from the cache or asked for; throws UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  async topic(name: string, options: { refresh?: boolean } = {}): Promise<TopicMetadata> {
    let topic = options.refresh ? undefined : this.topics.get(name);
    if (!topic) {
      const answer = await this.refreshMetadata([name]);
      const found = answer.topics.find((candidate) => candidate.name === name);
      if (!found) throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}'`);
      if (found.errorCode !== ErrorCode.NONE) throw brokerError(found.errorCode, `topic '${name}'`);
      topic = found;
    }
    return topic;
  }

  /** The leader of a partition; LEADER_NOT_AVAILABLE (retriable) while it has none. */
  async leaderOf(topicName: string, partition: number, options: { refresh?: boolean } = {}): Promise<number> {
    const topic = await this.topic(topicName, options);
    const found = topic.partitions.find((candidate) => candidate.partition === partition);
    if (!found) throw brokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topicName}' has no partition ${partition}`);
    if (found.leader < 0) throw brokerError(ErrorCode.LEADER_NOT_AVAILABLE, `topic '${topicName}' partition ${partition}`);
    return found.leader;
  }

  /** Forgets cached topic metadata so the next lookup asks a broker. */
  invalidateTopics(names?: readonly string[]): void {
    if (names === undefined) this.topics.clear();
    else for (const name of names) this.topics.delete(name);
  }

  /** The controller, or any broker when the cluster does not name one (Kafka 4 forwards admin requests). */
  async controllerConnection(): Promise<Connection> {
    if (this.brokers.size === 0) await this.refreshMetadata([]);
    const controller = this.brokers.get(this.controllerId);
    return controller ? this.connectionTo(controller) : this.anyConnection();
  }

  // ---- coordinators ------------------------------------------------------------------------

  /** The broker coordinating a consumer group (FindCoordinator, key type 0), cached. */
  async groupCoordinator(groupId: string): Promise<BrokerNode> {
    const cached = this.coordinators.get(groupId);
    if (cached) return cached;
    const connection = await this.anyConnection();
    const version = connection.versionFor(findCoordinator);
    const response = await connection.send(findCoordinator, version >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 });
    const answer =
      version >= 4
        ? response.coordinators.find((coordinator) => coordinator.key === groupId)
        : { nodeId: response.nodeId, host: response.host, port: response.port, errorCode: response.errorCode, errorMessage: response.errorMessage };
    if (!answer) throw brokerError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `FindCoordinator for group '${groupId}' got no answer`);
    if (answer.errorCode !== ErrorCode.NONE) throw brokerError(answer.errorCode, `coordinator of group '${groupId}'`, answer.errorMessage);
    const node: BrokerNode = { nodeId: answer.nodeId, host: answer.host, port: answer.port, rack: null };
    this.coordinators.set(groupId, node);
    return node;
  }

  /**
   * Runs an operation against a group's coordinator, with retries; a coordinator error
   * (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection) makes it look the coordinator up again.
   */
  withGroupCoordinator<T>(groupId: string, operation: (connection: Connection) => Promise<T>): Promise<T> {
    return this.retry(async () => {
      try {
        const node = await this.groupCoordinator(groupId);
        return await operation(await this.connectionTo(node));
      } catch (error) {
        if (isCoordinatorError(error)) this.coordinators.delete(groupId);
        throw error;
      }
    });
  }

  /** Runs an operation against the controller, with retries; NOT_CONTROLLER refreshes the metadata. */
  withController<T>(operation: (connection: Connection) => Promise<T>): Promise<T> {
    return this.retry(async () => {
      try {
        return await operation(await this.controllerConnection());
      } catch (error) {
        if (error instanceof KafkaError && (error.code === ErrorCode.NOT_CONTROLLER || error.code === ErrorCode.NETWORK_EXCEPTION)) {
          this.brokers.clear();
        }
        throw error;
      }
    });
  }

  /** Runs an operation against any broker, with retries. */
  withAnyBroker<T>(operation: (connection: Connection) => Promise<T>): Promise<T> {
    return this.retry(async () => operation(await this.anyConnection()));
  }

  /** Known brokers (after a metadata refresh if none are known yet). */
  async knownBrokers(): Promise<BrokerNode[]> {
    if (this.brokers.size === 0) await this.refreshMetadata([]);
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Retries an operation on retriable errors until the API timeout, with exponential backoff. */
  async retry<T>(operation: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.apiTimeoutMs;
    let backoffMs = this.retryBackoffMs;
    for (;;) {
      try {
        return await operation();
      } catch (error) {
        if (this.closed || !isRetriable(error) || Date.now() + backoffMs > deadline) throw error;
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Closes every connection (waiting for the answers still in flight). */
  async close(): Promise<void> {
    this.closed = true;
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map(async (pending) => (await pending.catch(() => null))?.close()));
  }
}
