/**
 * A request as it goes on the wire: int32 size, request header (in the version the API's
 * request version calls for), body. Every sender of requests builds its frames here: Tidelog's
 * client, and the tests and benchmarks that speak the protocol on bare sockets.
 */
import type { Api } from './api.js';
import { writeRequestHeader } from './header.js';
import type { ApiSpec, MessageInput } from './schema.js';
import { Writer } from './writer.js';

export function writeRequestFrame<S extends ApiSpec>(
  api: Api<S>,
  version: number,
  header: { correlationId: number; clientId: string | null },
  body: MessageInput<S['request']>,
): Writer {
  const writer = new Writer();
  const setSize = writer.reserveInt32();
  writeRequestHeader(writer, { apiKey: api.apiKey, apiVersion: version, ...header }, api.requestHeaderVersion(version));
  api.encodeRequest(writer, version, body);
  setSize(writer.length - 4);
  return writer;
}
