/**
 * What every Node client driver does, whatever system it speaks to (Kafka through
 * @platformatic/kafka, NATS JetStream through nats, Redis Streams through ioredis, RabbitMQ
 * streams through amqplib, the relay through a bare socket). The Node-client workloads are
 * written once against this, so the same batches, windows and pacing reach every system; each
 * driver maps a "log of P partitions" onto what its system has (a topic, P streams, P stream
 * keys, P stream queues).
 */
import type { Protocol } from '../system.js';

export interface Driver {
  /** Creates an empty log called `name` with `partitions` partitions. */
  create(name: string, partitions: number): Promise<void>;
  /** Appends `values` to one partition; resolves once the system has acknowledged every one (acks=1 or its equivalent). */
  append(name: string, partition: number, values: readonly Buffer[]): Promise<void>;
  /**
   * Reads every partition from its beginning until `counts[p]` records came from partition p,
   * calling `onValue` for each record. `onReady` is called once the read is under way (its
   * subscription or first request is out), so a latency run starts producing only then.
   */
  read(name: string, counts: readonly number[], onValue: (value: Buffer) => void, onReady?: () => void): Promise<void>;
  close(): Promise<void>;
}

/** Imports only the client library the protocol needs: a Redis run must not load NATS's. */
export async function openDriver(protocol: Protocol, address: string): Promise<Driver> {
  switch (protocol) {
    case 'kafka':
      return (await import('./kafka-node.js')).openKafka(address);
    case 'nats':
      return (await import('./nats.js')).openNats(address);
    case 'redis':
      return (await import('./redis.js')).openRedis(address);
    case 'rabbitmq':
      return (await import('./rabbitmq.js')).openRabbitmq(address);
    case 'relay':
      return (await import('./relay.js')).openRelay(address);
  }
}
