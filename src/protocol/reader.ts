/**
 * Reads Kafka protocol primitives from one buffer. Every read is bounds-checked and every
 * length is checked against the bytes that remain, so hostile lengths cannot make a decoder
 * allocate more than the frame it was given. The only error it raises is ProtocolDecodeError.
 *
 * int64 values are returned as numbers: offsets, timestamps and producer ids stay far below
 * 2^53. Values beyond that (Long.MAX_VALUE sentinels) round to ±2^63, and Writer clamps them back.
 */
import { ProtocolDecodeError } from '../errors.js';

const TWO_POW_32 = 2 ** 32;

export class Reader {
  offset: number;
  readonly end: number;

  constructor(readonly buffer: Buffer, offset = 0, end = buffer.length) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(bytes: number): number {
    const at = this.offset;
    if (bytes < 0 || at + bytes > this.end) {
      throw new ProtocolDecodeError(`need ${bytes} bytes at offset ${at}, only ${this.end - at} remain`);
    }
    this.offset = at + bytes;
    return at;
  }

  readInt8(): number {
    return this.buffer.readInt8(this.need(1));
  }

  readBool(): boolean {
    return this.buffer[this.need(1)] !== 0;
  }

  readInt16(): number {
    return this.buffer.readInt16BE(this.need(2));
  }

  readUint16(): number {
    return this.buffer.readUInt16BE(this.need(2));
  }

  readInt32(): number {
    return this.buffer.readInt32BE(this.need(4));
  }

  readUint32(): number {
    return this.buffer.readUInt32BE(this.need(4));
  }

  readInt64(): number {
    const at = this.need(8);
    // high * 2^32 + low is exact below 2^53 and avoids a BigInt allocation.
    return this.buffer.readInt32BE(at) * TWO_POW_32 + this.buffer.readUInt32BE(at + 4);
  }

  readFloat64(): number {
    return this.buffer.readDoubleBE(this.need(8));
  }

  /** Kafka's Uuid in its canonical base64url form (22 characters), as tools print topic ids. */
  readUuid(): string {
    const at = this.need(16);
    return this.buffer.toString('base64url', at, at + 16);
  }

  /** Unsigned LEB128 varint (flexible-version lengths and tags). */
  readUnsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.buffer[this.need(1)]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new ProtocolDecodeError('unsigned varint exceeds 32 bits');
        return value;
      }
      shift += 7;
    }
    throw new ProtocolDecodeError('unsigned varint longer than 5 bytes');
  }

  /** Zig-zag varint (record fields). */
  readVarint(): number {
    const raw = this.readUnsignedVarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zig-zag varlong (record timestamps); exact below 2^53. */
  readVarlong(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.buffer[this.need(1)]!;
      value += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      }
      multiplier *= 128;
    }
    throw new ProtocolDecodeError('varlong longer than 10 bytes');
  }

  readBytesOfLength(length: number): Buffer {
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  private readStringOfLength(length: number): string {
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  readString(): string {
    const length = this.readInt16();
    if (length < 0) throw new ProtocolDecodeError(`non-nullable string has length ${length}`);
    return this.readStringOfLength(length);
  }

  readNullableString(): string | null {
    const length = this.readInt16();
    if (length === -1) return null;
    if (length < 0) throw new ProtocolDecodeError(`string length ${length}`);
    return this.readStringOfLength(length);
  }

  readCompactString(): string {
    const length = this.readUnsignedVarint() - 1;
    if (length < 0) throw new ProtocolDecodeError('non-nullable compact string is null');
    return this.readStringOfLength(length);
  }

  readCompactNullableString(): string | null {
    const length = this.readUnsignedVarint() - 1;
    return length < 0 ? null : this.readStringOfLength(length);
  }

  readBytes(): Buffer {
    const length = this.readInt32();
    if (length < 0) throw new ProtocolDecodeError(`non-nullable bytes have length ${length}`);
    return this.readBytesOfLength(length);
  }

  readNullableBytes(): Buffer | null {
    const length = this.readInt32();
    if (length === -1) return null;
    if (length < 0) throw new ProtocolDecodeError(`bytes length ${length}`);
    return this.readBytesOfLength(length);
  }

  readCompactBytes(): Buffer {
    const length = this.readUnsignedVarint() - 1;
    if (length < 0) throw new ProtocolDecodeError('non-nullable compact bytes are null');
    return this.readBytesOfLength(length);
  }

  readCompactNullableBytes(): Buffer | null {
    const length = this.readUnsignedVarint() - 1;
    return length < 0 ? null : this.readBytesOfLength(length);
  }

  /**
   * An array length (int32, -1 = null), checked against the bytes left: every element takes at
   * least `minElementBytes`, so a hostile count cannot drive a large allocation.
   */
  readArrayLength(minElementBytes: number): number {
    const length = this.readInt32();
    return this.checkArrayLength(length, minElementBytes);
  }

  /** A compact array length (unsigned varint N+1, 0 = null), checked the same way. */
  readCompactArrayLength(minElementBytes: number): number {
    const length = this.readUnsignedVarint() - 1;
    return this.checkArrayLength(length, minElementBytes);
  }

  private checkArrayLength(length: number, minElementBytes: number): number {
    if (length < -1) throw new ProtocolDecodeError(`array length ${length}`);
    if (length > 0 && length * minElementBytes > this.remaining) {
      throw new ProtocolDecodeError(`array of ${length} elements does not fit in ${this.remaining} bytes`);
    }
    return length;
  }

  /** Skips a tagged-field section nobody asked for (unknown tags are ignored, as Kafka does). */
  skipTaggedFields(): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      this.readUnsignedVarint();
      this.need(this.readUnsignedVarint());
    }
  }
}
