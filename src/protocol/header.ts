/**
 * Request and response headers (Kafka's RequestHeader.json / ResponseHeader.json).
 *
 * Request header v1: apiKey int16 | apiVersion int16 | correlationId int32 | clientId nullable string.
 * Request header v2: v1 + tagged fields. clientId stays a non-compact int16-length string even
 * in v2 (its flexibleVersions are "none").
 * Response header v0: correlationId int32. v1: + tagged fields.
 */
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads the fixed part shared by every header version (before we know which version applies). */
export function readRequestHeaderPrefix(reader: Reader): RequestHeader {
  const apiKey = reader.readInt16();
  const apiVersion = reader.readInt16();
  const correlationId = reader.readInt32();
  return { apiKey, apiVersion, correlationId, clientId: null };
}

/** Reads the rest of a v1/v2 header after the prefix. */
export function readRequestHeaderRest(reader: Reader, header: RequestHeader, headerVersion: number): void {
  if (headerVersion >= 1) header.clientId = reader.readNullableString();
  if (headerVersion >= 2) reader.skipTaggedFields();
}

export function writeRequestHeader(writer: Writer, header: RequestHeader, headerVersion: number): void {
  writer.writeInt16(header.apiKey).writeInt16(header.apiVersion).writeInt32(header.correlationId);
  if (headerVersion >= 1) writer.writeNullableString(header.clientId);
  if (headerVersion >= 2) writer.writeUnsignedVarint(0);
}

export function writeResponseHeader(writer: Writer, correlationId: number, headerVersion: number): void {
  writer.writeInt32(correlationId);
  if (headerVersion >= 1) writer.writeUnsignedVarint(0);
}

export function readResponseHeader(reader: Reader, headerVersion: number): number {
  const correlationId = reader.readInt32();
  if (headerVersion >= 1) reader.skipTaggedFields();
  return correlationId;
}
