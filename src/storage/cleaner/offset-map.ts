/**
 * The log cleaner's map from key to the latest offset seen for it (Kafka's SkimpyOffsetMap): an
 * open-addressing hash table over one Buffer, where a key is stood for by its MD5 hash, so that
 * an entry takes a fixed 24 bytes whatever the key's size:
 *
 *   0   hash    16 bytes   MD5 of the key bytes; all zero marks an empty slot
 *   16  offset  float64    the key's latest offset (exact up to 2^53)
 *
 * Collisions probe with successive 4-byte windows of the hash, then linearly (Kafka's probe
 * sequence). Two keys whose MD5 collide count as one key, as in Kafka; the cleaner would then
 * drop the older one's records — accepted there, with a 2^-128 chance per pair.
 *
 * Memory is bounded by `memoryBytes` (log.cleaner.dedupe.buffer.size / log.cleaner.threads):
 * `slots` = memoryBytes / 24 entries at most, and the cleaner stops adding keys once `size`
 * reaches slots x load factor (log.cleaner.io.buffer.load.factor): it then cleans only up to
 * `latestOffset`, and the rest waits for the next round. Unlike Kafka, the table does not take
 * all of that memory up front: it starts small and doubles (rehashing in slices that yield to
 * the event loop) up to the bound, so a log with few keys costs little and clear() is cheap.
 */
import { createHash } from 'node:crypto';
import { yieldToEventLoop } from '../abstract-index.js';

/** MD5, Kafka's default log.cleaner hash. */
export const HASH_SIZE = 16;
/** One entry: the hash and an 8-byte offset. */
export const BYTES_PER_ENTRY = HASH_SIZE + 8;
/** The table a cleaning starts with (96 KiB), and the smallest it shrinks back to on clear(). */
const INITIAL_SLOTS = 4096;
/** Entries moved per slice while the table grows. */
const REHASH_SLICE = 32768;

export class OffsetMap {
  /** The most entries the memory bound allows. */
  readonly slots: number;
  /** Past this many entries the cleaner stops adding (slots x load factor). */
  readonly maxDesiredSize: number;
  private table: Buffer;
  private tableSlots: number;
  private entries = 0;
  private lastOffset = -1;
  private lookupCount = 0;
  private probeCount = 0;

  constructor(
    memoryBytes: number,
    readonly loadFactor = 0.9,
    private readonly initialSlots = INITIAL_SLOTS,
  ) {
    this.slots = Math.floor(memoryBytes / BYTES_PER_ENTRY);
    this.maxDesiredSize = Math.floor(this.slots * loadFactor);
    if (this.maxDesiredSize < 1) {
      throw new RangeError(
        `The cleaner offset map (${memoryBytes} bytes, load factor ${loadFactor}) cannot hold a single key, so cleaning would never make progress; ` +
          'raise log.cleaner.dedupe.buffer.size or lower log.cleaner.threads',
      );
    }
    this.tableSlots = Math.min(this.slots, Math.max(1, initialSlots));
    this.table = Buffer.alloc(this.tableSlots * BYTES_PER_ENTRY);
  }

  /** Distinct keys put since the last clear(). */
  get size(): number {
    return this.entries;
  }

  /** The highest offset put (or set by updateLatestOffset); -1 after clear(). */
  get latestOffset(): number {
    return this.lastOffset;
  }

  /** Whether no more keys may be added (the cleaner cleans only up to latestOffset then). */
  get isFull(): boolean {
    return this.entries >= this.maxDesiredSize;
  }

  /** Share of the memory bound in use. */
  get utilization(): number {
    return this.entries / this.slots;
  }

  /** Probes per lookup above one. */
  get collisionRate(): number {
    return this.lookupCount === 0 ? 0 : (this.probeCount - this.lookupCount) / this.lookupCount;
  }

  /** Slots in the table right now (it grows towards `slots`). */
  get capacity(): number {
    return this.tableSlots;
  }

  updateLatestOffset(offset: number): void {
    this.lastOffset = offset;
  }

  /** Forgets every key and the latest offset; the table goes back to its first size. */
  clear(): void {
    this.entries = 0;
    this.lastOffset = -1;
    this.lookupCount = 0;
    this.probeCount = 0;
    const slots = Math.min(this.slots, Math.max(1, this.initialSlots));
    if (slots === this.tableSlots) {
      this.table.fill(0);
    } else {
      this.tableSlots = slots;
      this.table = Buffer.alloc(slots * BYTES_PER_ENTRY);
    }
  }

  /** The MD5 of a key, as the map stands for it. */
  static hash(key: Buffer): Buffer {
    return createHash('md5').update(key).digest();
  }

  /** The latest offset put for `key`, or -1. */
  get(key: Buffer): number {
    return this.getHash(OffsetMap.hash(key));
  }

  /** As get(), with the key already hashed. */
  getHash(hash: Buffer): number {
    this.lookupCount += 1;
    const maxAttempts = this.tableSlots + HASH_SIZE - 4;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const position = this.positionOf(hash, attempt, this.tableSlots);
      if (this.isEmpty(this.table, position)) return -1;
      if (this.table.compare(hash, 0, HASH_SIZE, position, position + HASH_SIZE) === 0) {
        return this.table.readDoubleBE(position + HASH_SIZE);
      }
    }
    return -1;
  }

  /**
   * Whether the next put of a new key needs a larger table first (call grow()). The table stays
   * at most `loadFactor` full, except at the memory bound, where isFull stops the cleaner first.
   */
  get needsGrowth(): boolean {
    return this.tableSlots < this.slots && this.entries + 1 > this.tableSlots * this.loadFactor;
  }

  /**
   * Records `offset` as the latest for `key` and raises latestOffset to it. The caller checks
   * isFull before (the cleaner's rule) and grows the table when needsGrowth says so.
   */
  put(key: Buffer, offset: number): void {
    this.putHash(OffsetMap.hash(key), offset);
  }

  /** As put(), with the key already hashed. */
  putHash(hash: Buffer, offset: number): void {
    if (this.entries >= this.tableSlots) {
      throw new RangeError(`Attempted to add a new entry to a full offset map (entries ${this.entries}, slots ${this.tableSlots})`);
    }
    this.lookupCount += 1;
    if (this.insert(this.table, this.tableSlots, hash, offset)) this.entries += 1;
    this.lastOffset = offset;
  }

  /** Doubles the table (up to the memory bound), moving the entries over in slices. */
  async grow(): Promise<void> {
    const slots = Math.min(this.slots, this.tableSlots * 2);
    if (slots === this.tableSlots) return;
    const table = Buffer.alloc(slots * BYTES_PER_ENTRY);
    const old = this.table;
    for (let slot = 0; slot < this.tableSlots; slot++) {
      const position = slot * BYTES_PER_ENTRY;
      if (!this.isEmpty(old, position)) {
        this.insert(table, slots, old.subarray(position, position + HASH_SIZE), old.readDoubleBE(position + HASH_SIZE));
      }
      if (slot % REHASH_SLICE === REHASH_SLICE - 1) await yieldToEventLoop();
    }
    this.table = table;
    this.tableSlots = slots;
  }

  /** Puts into `table`; true when the hash was not there yet. */
  private insert(table: Buffer, tableSlots: number, hash: Buffer, offset: number): boolean {
    for (let attempt = 0; ; attempt++) {
      const position = this.positionOf(hash, attempt, tableSlots);
      if (this.isEmpty(table, position)) {
        hash.copy(table, position, 0, HASH_SIZE);
        table.writeDoubleBE(offset, position + HASH_SIZE);
        return true;
      }
      if (table.compare(hash, 0, HASH_SIZE, position, position + HASH_SIZE) === 0) {
        table.writeDoubleBE(offset, position + HASH_SIZE);
        return false;
      }
    }
  }

  /** The attempt-th probe: a 4-byte window of the hash, sliding, then linear past the hash's end. */
  private positionOf(hash: Buffer, attempt: number, tableSlots: number): number {
    this.probeCount += 1;
    const window = Math.min(attempt, HASH_SIZE - 4);
    const probe = hash.readUInt32BE(window) + Math.max(0, attempt - HASH_SIZE + 4);
    return (probe % tableSlots) * BYTES_PER_ENTRY;
  }

  private isEmpty(table: Buffer, position: number): boolean {
    return (
      table.readUInt32BE(position) === 0 &&
      table.readUInt32BE(position + 4) === 0 &&
      table.readUInt32BE(position + 8) === 0 &&
      table.readUInt32BE(position + 12) === 0
    );
  }
}
