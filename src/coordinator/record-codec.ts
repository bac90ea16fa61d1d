/**
 * Keys and values of coordinator records (`__consumer_offsets`, `__transaction_state`): an int16
 * version followed by the struct for that version, compiled from a declaration like the
 * protocol's messages. A null value is a tombstone.
 */
import { compileDecoder, compileEncoder, type Decoder, type Encoder } from '../protocol/codec.js';
import { Reader } from '../protocol/reader.js';
import { inVersionRange, parseVersionRange, type Field, type Message, type MessageInput } from '../protocol/schema.js';
import { Writer } from '../protocol/writer.js';
import { ProtocolDecodeError } from '../errors.js';

export interface RecordSchemaSpec {
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: readonly Field[];
}

export class RecordSchema<S extends RecordSchemaSpec = RecordSchemaSpec> {
  private readonly decoders: Decoder<Message<S['fields']>>[] = [];
  private readonly encoders: Encoder<MessageInput<S['fields']>>[] = [];
  readonly minVersion: number;
  readonly maxVersion: number;

  constructor(readonly spec: S) {
    const range = parseVersionRange(spec.validVersions);
    this.minVersion = range.min;
    this.maxVersion = range.max;
  }

  private flexible(version: number): boolean {
    return inVersionRange(this.spec.flexibleVersions, version);
  }

  encode(version: number, message: MessageInput<S['fields']>): Buffer {
    const writer = new Writer(128);
    writer.writeInt16(version);
    const encode = (this.encoders[version] ??= compileEncoder(this.spec.fields, version, this.flexible(version)));
    encode(writer, message);
    return writer.toBuffer();
  }

  /** Decodes the struct after the version prefix the caller already read. */
  decodeBody(reader: Reader, version: number): Message<S['fields']> {
    if (version < this.minVersion || version > this.maxVersion) {
      throw new ProtocolDecodeError(`${this.spec.name} version ${version} is not known`);
    }
    const decode = (this.decoders[version] ??= compileDecoder(this.spec.fields, version, this.flexible(version)));
    return decode(reader);
  }

  decode(bytes: Buffer): { version: number; message: Message<S['fields']> } {
    const reader = new Reader(bytes);
    const version = reader.readInt16();
    return { version, message: this.decodeBody(reader, version) };
  }
}

export function defineRecordSchema<const S extends RecordSchemaSpec>(spec: S): RecordSchema<S> {
  return new RecordSchema(spec);
}

/** The version prefix of a key, which says which record type it is. */
export function recordKeyVersion(key: Buffer): number {
  if (key.length < 2) throw new ProtocolDecodeError('coordinator record key shorter than its version');
  return key.readInt16BE(0);
}
