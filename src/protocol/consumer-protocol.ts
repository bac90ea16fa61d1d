/**
 * The consumer protocol's subscription and assignment payloads (protocol type "consumer",
 * Kafka's ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json, NOTES.md §4.4).
 * The group coordinator treats them as opaque bytes except where it must read them (subscribed
 * topics for OffsetDelete and offset expiry); clients and tools encode them (JoinGroup,
 * SyncGroup) and read them (a group's assignment in lag reports).
 *
 * Both are non-flexible and start with an int16 version:
 *   ConsumerProtocolSubscription v0-3: version int16 | topics [string] | userData nullable bytes
 *     | ownedPartitions [topic string, partitions [int32]] (v1+) | generationId int32 (v2+)
 *     | rackId nullable string (v3+)
 *   ConsumerProtocolAssignment v0-3: version int16 | assignedPartitions [topic string,
 *     partitions [int32]] | userData nullable bytes
 * Newer versions only add fields after the known ones, so a payload of a newer version is read
 * as its known prefix (what Kafka's own deserializers do).
 */
import { compileDecoder, compileEncoder } from './codec.js';
import { ProtocolDecodeError } from '../errors.js';
import { Reader } from './reader.js';
import type { Field, Message, MessageInput } from './schema.js';
import { Writer } from './writer.js';

const topicPartitionFields = [
  { name: 'topic', type: 'string', versions: '0+' },
  { name: 'partitions', type: '[]int32', versions: '0+' },
] as const satisfies readonly Field[];

const subscriptionFields = [
  { name: 'topics', type: '[]string', versions: '0+' },
  { name: 'userData', type: 'bytes', versions: '0+', nullableVersions: '0+', default: null },
  { name: 'ownedPartitions', type: '[]', versions: '1+', fields: topicPartitionFields },
  { name: 'generationId', type: 'int32', versions: '2+', default: -1 },
  { name: 'rackId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
] as const satisfies readonly Field[];

const assignmentFields = [
  { name: 'assignedPartitions', type: '[]', versions: '0+', fields: topicPartitionFields },
  { name: 'userData', type: 'bytes', versions: '0+', nullableVersions: '0+', default: null },
] as const satisfies readonly Field[];

/** The highest version of both payloads that this code knows field by field. */
export const CONSUMER_PROTOCOL_MAX_VERSION = 3;

export type ConsumerProtocolSubscription = Message<typeof subscriptionFields> & { version: number };
export type ConsumerProtocolAssignment = Message<typeof assignmentFields> & { version: number };
export type ConsumerProtocolSubscriptionInput = MessageInput<typeof subscriptionFields>;
export type ConsumerProtocolAssignmentInput = MessageInput<typeof assignmentFields>;

type Codecs<T, I> = { decode: ((reader: Reader) => T)[]; encode: ((writer: Writer, value: I) => void)[] };

const subscriptionCodecs: Codecs<Message<typeof subscriptionFields>, ConsumerProtocolSubscriptionInput> = { decode: [], encode: [] };
const assignmentCodecs: Codecs<Message<typeof assignmentFields>, ConsumerProtocolAssignmentInput> = { decode: [], encode: [] };

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 0 || version > CONSUMER_PROTOCOL_MAX_VERSION) {
    throw new RangeError(`consumer protocol version ${version} is not known`);
  }
}

export function encodeSubscription(subscription: ConsumerProtocolSubscriptionInput, version: number = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkVersion(version);
  const encode = (subscriptionCodecs.encode[version] ??= compileEncoder(subscriptionFields, version, false));
  const writer = new Writer();
  writer.writeInt16(version);
  encode(writer, subscription);
  return writer.toBuffer();
}

export function encodeAssignment(assignment: ConsumerProtocolAssignmentInput, version: number = CONSUMER_PROTOCOL_MAX_VERSION): Buffer {
  checkVersion(version);
  const encode = (assignmentCodecs.encode[version] ??= compileEncoder(assignmentFields, version, false));
  const writer = new Writer();
  writer.writeInt16(version);
  encode(writer, assignment);
  return writer.toBuffer();
}

/** Decodes a subscription; raises ProtocolDecodeError when the bytes are not one. */
export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const reader = new Reader(bytes);
  const version = reader.readInt16();
  if (version < 0) throw new ProtocolDecodeError(`consumer subscription version ${version}`);
  const known = Math.min(version, CONSUMER_PROTOCOL_MAX_VERSION);
  const decode = (subscriptionCodecs.decode[known] ??= compileDecoder(subscriptionFields, known, false));
  return { version, ...decode(reader) };
}

/** Decodes an assignment (empty bytes: nothing assigned); raises ProtocolDecodeError when the bytes are not one. */
export function decodeAssignment(bytes: Buffer): ConsumerProtocolAssignment {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const reader = new Reader(bytes);
  const version = reader.readInt16();
  if (version < 0) throw new ProtocolDecodeError(`consumer assignment version ${version}`);
  const known = Math.min(version, CONSUMER_PROTOCOL_MAX_VERSION);
  const decode = (assignmentCodecs.decode[known] ??= compileDecoder(assignmentFields, known, false));
  return { version, ...decode(reader) };
}

/** The topics of a subscription, or null when the bytes are not a consumer subscription. */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    return decodeSubscription(metadata).topics;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}

/** The partitions of an assignment, or null when the bytes are not a consumer assignment. */
export function assignedPartitionsOf(assignment: Buffer): { topic: string; partitions: number[] }[] | null {
  try {
    return decodeAssignment(assignment).assignedPartitions;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}
