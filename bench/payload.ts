/**
 * Record values for the Node-client workloads: slices of one pool of random bytes, so nothing
 * along the way can compress or deduplicate them (as bench/clients/rdkafka-perf.c does for the C
 * client), and for latency runs a stamp at the front of each value.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4 * 1024 * 1024;
/** Odd and not a power of two, so consecutive values start at unrelated offsets. */
const STEP = 4099;

export class Payloads {
  private readonly pool: Buffer;
  private offset = 0;

  constructor(readonly size: number) {
    this.pool = randomBytes(POOL_BYTES + size);
  }

  /** The next value: a view into the pool, not a copy (the pool is never written). */
  next(): Buffer {
    const value = this.pool.subarray(this.offset, this.offset + this.size);
    this.offset = (this.offset + STEP) % POOL_BYTES;
    return value;
  }

  /** A fresh copy of the next value with a stamp at its front: `seq` and the send time. */
  stamped(seq: number, sentNs: bigint): Buffer {
    const value = Buffer.from(this.next());
    value.writeUInt32BE(seq, 0);
    value.writeBigInt64BE(sentNs, 4);
    return value;
  }
}

/** A stamp takes the first 12 bytes of a value; latency runs need values at least that long. */
export const STAMP_BYTES = 12;

export function readStamp(value: Buffer): { seq: number; sentNs: bigint } {
  return { seq: value.readUInt32BE(0), sentNs: value.readBigInt64BE(4) };
}
