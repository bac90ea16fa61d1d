/**
 * How the report words what differs between the kinds of system it compares: one entry per
 * protocol, so that each generated sentence names only the systems the run drove, and a new
 * peer is one more entry here rather than an edit of every sentence that lists them.
 */
import type { Protocol } from '../system.js';
import type { SystemInfo } from './result.js';

/** The protocols a workload drives; the relay is only ever the latency floor. */
export type DrivenProtocol = Exclude<Protocol, 'relay'>;

export interface Wording {
  /** How a list of systems names it ("NATS: an ordered consumer"). */
  name: string;
  /** The Node client that drives it, as "<systems> through <package>"; its version follows. */
  client: string;
  /** What one log of a workload is there. */
  log: string;
  /** What one append() of a latency producer sends. */
  append: string;
  /** What the latency reader waits on the log with, after "<name>: ". */
  reader: string;
}

export interface PeerWording extends Wording {
  /** Its acknowledgement of an append: its acks=1. */
  ack: string;
  /** When it acknowledges, and when its data reaches the disk. */
  durability: string;
  /** How far its reader reads ahead, where that is not about 1 MiB per partition per request. */
  readAhead?: string;
  /** Where its cold read comes from, where that differs from files in the page cache. */
  coldRead?: string;
}

const KAFKA_WORDING: Wording = {
  name: 'Kafka',
  client: 'Kafka-API systems through @platformatic/kafka',
  log: 'a Kafka topic',
  append: 'one Produce request',
  reader: 'Fetch with no consumer group',
};

const PEER_WORDING: Record<Exclude<DrivenProtocol, 'kafka'>, PeerWording> = {
  nats: {
    name: 'NATS',
    client: 'NATS through nats',
    log: 'one JetStream stream per partition',
    append: 'a burst of JetStream publishes',
    reader: 'an ordered consumer',
    ack: 'a JetStream PubAck',
    durability: 'JetStream once written to its file store (fsync every 2 minutes)',
  },
  redis: {
    name: 'Redis',
    client: 'Redis through ioredis',
    log: 'one Redis stream key per partition',
    append: 'one XADD pipeline',
    reader: 'a blocking XREAD',
    ack: 'an XADD reply',
    durability: 'Redis once applied in memory (AOF fsync every second)',
    coldRead: 'Redis replays its append-only file into memory before it is ready, so its cold read comes from memory too',
  },
  rabbitmq: {
    name: 'RabbitMQ',
    client: 'RabbitMQ through amqplib',
    log: 'one RabbitMQ stream per partition',
    append: 'a burst of publishes on a confirm channel',
    reader: 'a stream consumer from the first offset',
    ack: 'a RabbitMQ publisher confirm',
    durability: 'RabbitMQ once written to the stream segment (never fsynced by RabbitMQ itself)',
    // PREFETCH in bench/clients/rabbitmq.ts.
    readAhead: 'RabbitMQ: a prefetch of 1,000 records per stream',
  },
};

export function wordingOf(protocol: DrivenProtocol): Wording {
  return protocol === 'kafka' ? KAFKA_WORDING : PEER_WORDING[protocol];
}

/** The protocols of these systems, each once, in the order the systems ran. */
export function protocolsOf(systems: readonly SystemInfo[]): DrivenProtocol[] {
  return [...new Set(systems.map((s) => s.protocol).filter((p): p is DrivenProtocol => p !== 'relay'))];
}

/** The wording of the peers among these protocols. */
export function peerWordings(protocols: readonly DrivenProtocol[]): PeerWording[] {
  return protocols.flatMap((p) => (p === 'kafka' ? [] : [PEER_WORDING[p]]));
}
