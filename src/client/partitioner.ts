/**
 * Choosing a partition for a record, as Kafka's Java producer does, so that a key lands in the
 * same partition whichever client wrote it:
 * - a record with an explicit partition goes there;
 * - a keyed record goes to toPositive(murmur2(key)) % partitionCount (Java's
 *   BuiltInPartitioner.partitionForKey; librdkafka's `murmur2_random` partitioner, kafkajs's
 *   DefaultPartitioner);
 * - a record without a key goes, with the default 'sticky' strategy, to the partition of the
 *   batch being filled, moving on to the next partition once that batch is full or sent
 *   (KIP-480); with 'round-robin', to the next partition record by record (Java's
 *   RoundRobinPartitioner).
 */

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), as a signed int32. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: the low 31 bits (not Math.abs, which fails on MIN_VALUE). */
export function toPositive(value: number): number {
  return value & 0x7fffffff;
}

/** The partition of a keyed record among `partitionCount` partitions. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return toPositive(murmur2(key)) % partitionCount;
}

/** How records without a key (and without a partition) are spread. */
export type KeylessStrategy = 'sticky' | 'round-robin';

/**
 * A partitioner of one's own: the partition for a record, given its key (null when it has
 * none) and the topic's partition count. Return -1 to leave the choice to the built-in rules.
 */
export type Partitioner = (topic: string, key: Buffer | null, partitionCount: number) => number;
