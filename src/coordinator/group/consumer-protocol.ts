/**
 * The consumer protocol's subscription and assignment payloads (protocol type "consumer",
 * NOTES.md §4.4), which the coordinator otherwise treats as opaque bytes: it reads the
 * subscribed topics (OffsetDelete, offset expiry) and tools read assignments (lag reports).
 * Newer versions only add fields after the known ones, so the known prefix is read.
 *
 *   ConsumerProtocolSubscription: version int16 | topics [string] | user_data nullable bytes | …
 *   ConsumerProtocolAssignment:   version int16 | assigned_partitions [topic string, [int32]] | …
 */
import { ProtocolDecodeError } from '../../errors.js';
import { Reader } from '../../protocol/reader.js';

/** The topics of a subscription, or null when the bytes are not a consumer subscription. */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    const reader = new Reader(metadata);
    reader.readInt16();
    const count = reader.readArrayLength(2);
    const topics: string[] = [];
    for (let i = 0; i < count; i++) topics.push(reader.readString());
    return topics;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}

/** The partitions of an assignment, or null when the bytes are not a consumer assignment. */
export function assignedPartitionsOf(assignment: Buffer): { topic: string; partitions: number[] }[] | null {
  if (assignment.length === 0) return [];
  try {
    const reader = new Reader(assignment);
    reader.readInt16();
    const count = reader.readArrayLength(6);
    const result: { topic: string; partitions: number[] }[] = [];
    for (let i = 0; i < count; i++) {
      const topic = reader.readString();
      const partitionCount = reader.readArrayLength(4);
      const partitions: number[] = [];
      for (let j = 0; j < partitionCount; j++) partitions.push(reader.readInt32());
      result.push({ topic, partitions });
    }
    return result;
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return null;
    throw error;
  }
}
