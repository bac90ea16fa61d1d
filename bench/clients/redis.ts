/**
 * The Redis Streams driver for the Node-client workloads, on ioredis. A log of P partitions is P
 * stream keys. append() sends one pipeline of XADDs (one per value, field "v") and waits for
 * every reply: Redis has no batch XADD, and a pipeline is how a Redis client batches. read() is
 * one connection issuing XREAD over every unfinished key from the entry after the last one read,
 * asking per key for about 1 MiB of records (the per-partition amount the Kafka driver fetches)
 * and blocking up to a second when there are none yet, so a latency run's reader is woken by
 * each XADD.
 */
import { Redis } from 'ioredis';
import type { Driver } from './driver.js';

const READ_BYTES = 1024 * 1024;
const BLOCK_MS = 1000;
const FIELD = 'v';

const key = (name: string, partition: number): string => `${name}:${partition}`;

type StreamReply = [key: Buffer, entries: [id: Buffer, fields: Buffer[]][]][] | null;

export function openRedis(address: string): Driver {
  const [host, port] = splitAddress(address);
  // Appends and reads on separate connections: a blocked XREAD holds its connection.
  const writer = new Redis({ host, port, maxRetriesPerRequest: 0, lazyConnect: true });
  const reader = new Redis({ host, port, maxRetriesPerRequest: 0, lazyConnect: true });

  return {
    async create(name, partitions) {
      await writer.del(...Array.from({ length: partitions }, (_, p) => key(name, p)));
    },

    async append(name, partition, values) {
      const pipeline = writer.pipeline();
      const to = key(name, partition);
      for (const value of values) pipeline.xadd(to, '*', FIELD, value);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0]!;
      if (replies.length !== values.length) throw new Error(`XADD pipeline: ${replies.length} replies for ${values.length} values`);
    },

    async read(name, counts, onValue, onReady) {
      const left = [...counts];
      const lastId = counts.map(() => '0-0');
      // Records per key per XREAD, set from the first value's size.
      let perKey = 100;
      for (;;) {
        const open = left.flatMap((n, p) => (n > 0 ? [p] : []));
        if (open.length === 0) return;
        const request = reader.xreadBuffer(
          'COUNT', perKey, 'BLOCK', BLOCK_MS, 'STREAMS',
          ...open.map((p) => key(name, p)), ...open.map((p) => lastId[p]!),
        ) as Promise<StreamReply>;
        onReady?.();
        onReady = undefined;
        for (const [streamKey, entries] of (await request) ?? []) {
          const p = Number(streamKey.toString().slice(name.length + 1));
          for (const [id, fields] of entries) {
            const value = fields[1]!;
            perKey = Math.max(1, Math.floor(READ_BYTES / Math.max(1, value.length)));
            if (left[p]! > 0) {
              onValue(value);
              left[p] = left[p]! - 1;
            }
            lastId[p] = id.toString();
          }
        }
      }
    },

    async close() {
      await Promise.all([writer.quit(), reader.quit()]);
    },
  };
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
