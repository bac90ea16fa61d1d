/**
 * Writes Kafka protocol primitives into a list of buffers. Small values go into a scratch
 * buffer; large byte arrays (record data read from segment files) are kept by reference, so a
 * response is handed to the socket as several buffers with one writev and record data is never
 * concatenated (DESIGN.md §4).
 */

const TWO_POW_32 = 2 ** 32;
const TWO_POW_63 = 2 ** 63;
/** Byte arrays at least this long are referenced instead of copied. */
const REFERENCE_THRESHOLD = 512;
const MAX_SCRATCH_BYTES = 1 << 20;

export type RecordsData = Buffer | readonly Buffer[];

export class Writer {
  private readonly chunks: Buffer[] = [];
  private scratch: Buffer;
  private position = 0;
  private chunkStart = 0;
  /** Total bytes written so far. */
  length = 0;

  constructor(initialBytes = 256) {
    this.scratch = Buffer.allocUnsafe(initialBytes);
  }

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.scratch.length) return;
    this.closeChunk();
    const size = Math.max(bytes, Math.min(this.scratch.length * 2, MAX_SCRATCH_BYTES));
    this.scratch = Buffer.allocUnsafe(size);
    this.position = 0;
    this.chunkStart = 0;
  }

  private closeChunk(): void {
    if (this.position > this.chunkStart) {
      this.chunks.push(this.scratch.subarray(this.chunkStart, this.position));
      this.chunkStart = this.position;
    }
  }

  writeInt8(value: number): this {
    this.ensure(1);
    this.scratch.writeInt8(value, this.position);
    this.position += 1;
    this.length += 1;
    return this;
  }

  writeBool(value: boolean): this {
    return this.writeInt8(value ? 1 : 0);
  }

  writeInt16(value: number): this {
    this.ensure(2);
    this.scratch.writeInt16BE(value, this.position);
    this.position += 2;
    this.length += 2;
    return this;
  }

  writeUint16(value: number): this {
    this.ensure(2);
    this.scratch.writeUInt16BE(value, this.position);
    this.position += 2;
    this.length += 2;
    return this;
  }

  writeInt32(value: number): this {
    this.ensure(4);
    this.scratch.writeInt32BE(value, this.position);
    this.position += 4;
    this.length += 4;
    return this;
  }

  writeUint32(value: number): this {
    this.ensure(4);
    this.scratch.writeUInt32BE(value, this.position);
    this.position += 4;
    this.length += 4;
    return this;
  }

  writeInt64(value: number): this {
    this.ensure(8);
    let high: number;
    let low: number;
    if (value >= TWO_POW_63) {
      high = 0x7fffffff;
      low = 0xffffffff;
    } else if (value < -TWO_POW_63) {
      high = -0x80000000;
      low = 0;
    } else {
      const integer = Math.trunc(value);
      high = Math.floor(integer / TWO_POW_32);
      low = integer - high * TWO_POW_32;
    }
    this.scratch.writeInt32BE(high, this.position);
    this.scratch.writeUInt32BE(low, this.position + 4);
    this.position += 8;
    this.length += 8;
    return this;
  }

  writeFloat64(value: number): this {
    this.ensure(8);
    this.scratch.writeDoubleBE(value, this.position);
    this.position += 8;
    this.length += 8;
    return this;
  }

  /** Writes a Uuid given in base64url form (see Reader.readUuid). */
  writeUuid(value: string): this {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== 16) throw new RangeError(`not a Kafka Uuid: ${value}`);
    return this.writeRaw(bytes);
  }

  writeUnsignedVarint(value: number): this {
    this.ensure(5);
    let remaining = value >>> 0;
    while (remaining >= 0x80) {
      this.scratch[this.position++] = (remaining & 0x7f) | 0x80;
      this.length += 1;
      remaining >>>= 7;
    }
    this.scratch[this.position++] = remaining;
    this.length += 1;
    return this;
  }

  /** Zig-zag varint (record fields). */
  writeVarint(value: number): this {
    return this.writeUnsignedVarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** Zig-zag varlong (record timestamps). */
  writeVarlong(value: number): this {
    this.ensure(10);
    let remaining = value >= 0 ? value * 2 : -value * 2 - 1;
    while (remaining >= 0x80) {
      this.scratch[this.position++] = (remaining % 128) | 0x80;
      this.length += 1;
      remaining = Math.floor(remaining / 128);
    }
    this.scratch[this.position++] = remaining;
    this.length += 1;
    return this;
  }

  /** Appends bytes without a length prefix; large buffers are referenced, not copied. */
  writeRaw(bytes: Buffer): this {
    if (bytes.length >= REFERENCE_THRESHOLD) {
      this.closeChunk();
      this.chunks.push(bytes);
    } else {
      this.ensure(bytes.length);
      bytes.copy(this.scratch, this.position);
      this.position += bytes.length;
    }
    this.length += bytes.length;
    return this;
  }

  private writeUtf8(value: string, byteLength: number): void {
    this.ensure(byteLength);
    this.scratch.write(value, this.position, byteLength, 'utf8');
    this.position += byteLength;
    this.length += byteLength;
  }

  writeString(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.writeInt16(byteLength);
    this.writeUtf8(value, byteLength);
    return this;
  }

  writeNullableString(value: string | null): this {
    if (value === null) return this.writeInt16(-1);
    return this.writeString(value);
  }

  writeCompactString(value: string): this {
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.writeUnsignedVarint(byteLength + 1);
    this.writeUtf8(value, byteLength);
    return this;
  }

  writeCompactNullableString(value: string | null): this {
    if (value === null) return this.writeUnsignedVarint(0);
    return this.writeCompactString(value);
  }

  writeBytes(value: Buffer): this {
    return this.writeInt32(value.length).writeRaw(value);
  }

  writeNullableBytes(value: Buffer | null): this {
    if (value === null) return this.writeInt32(-1);
    return this.writeBytes(value);
  }

  writeCompactBytes(value: Buffer): this {
    return this.writeUnsignedVarint(value.length + 1).writeRaw(value);
  }

  writeCompactNullableBytes(value: Buffer | null): this {
    if (value === null) return this.writeUnsignedVarint(0);
    return this.writeCompactBytes(value);
  }

  /** Record data as one buffer or as slices of segment files (kept by reference). */
  writeRecords(value: RecordsData | null, compact: boolean): this {
    if (value === null) return compact ? this.writeUnsignedVarint(0) : this.writeInt32(-1);
    const parts: readonly Buffer[] = Buffer.isBuffer(value) ? [value] : value;
    let total = 0;
    for (const part of parts) total += part.length;
    if (compact) this.writeUnsignedVarint(total + 1);
    else this.writeInt32(total);
    for (const part of parts) this.writeRaw(part);
    return this;
  }

  writeArrayLength(length: number | null, compact: boolean): this {
    if (compact) return this.writeUnsignedVarint(length === null ? 0 : length + 1);
    return this.writeInt32(length === null ? -1 : length);
  }

  /** Reserves an int32 to be filled in later (frame sizes); returns a function that fills it. */
  reserveInt32(): (value: number) => void {
    this.ensure(4);
    const target = this.scratch;
    const at = this.position;
    this.position += 4;
    this.length += 4;
    return (value: number) => {
      target.writeInt32BE(value, at);
    };
  }

  /** The bytes written, as a list of buffers that together are the message. */
  finish(): Buffer[] {
    this.closeChunk();
    return this.chunks;
  }

  /** The bytes written, as one buffer (tests and small messages). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.length);
  }
}
