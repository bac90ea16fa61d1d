/**
 * Fuzzing every declared API's decoders at every version, deterministically (seeded): random
 * bytes and mutations of valid encodings (bit flips, truncation, hostile lengths) may only
 * raise ProtocolDecodeError, never another error, and never decode more array elements than
 * the input could hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../src/errors.js';
import { allApis } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';

/** xorshift32: small, fast and reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

function countElements(value: unknown): number {
  if (Buffer.isBuffer(value)) return 0;
  if (Array.isArray(value)) return value.length + value.reduce((sum: number, item) => sum + countElements(item), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + countElements(item), 0);
  return 0;
}

function decodeOnly(decode: () => unknown, input: Buffer, what: string): void {
  let decoded: unknown;
  try {
    decoded = decode();
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return;
    assert.fail(`${what}: ${(error as Error).name}: ${(error as Error).message} on input ${input.toString('hex').slice(0, 200)}`);
  }
  // Every array element takes at least one byte of input.
  assert.ok(countElements(decoded) <= input.length, `${what}: decoded more elements than the input holds`);
}

function mutate(bytes: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const kind = Math.floor(next() * 4);
  if (copy.length === 0) return copy;
  const at = Math.floor(next() * copy.length);
  switch (kind) {
    case 0:
      copy[at] ^= 1 << Math.floor(next() * 8);
      return copy;
    case 1:
      return copy.subarray(0, at);
    case 2:
      if (at + 4 <= copy.length) copy.writeInt32BE(next() < 0.5 ? 0x7fffffff : -2 - Math.floor(next() * 1000), at);
      return copy;
    default:
      copy[at] = 0xff;
      if (at + 1 < copy.length) copy[at + 1] = 0xff;
      return copy;
  }
}

test('every request and response decoder raises only ProtocolDecodeError on random and mutated input', () => {
  const next = random(20261123);
  let cases = 0;
  for (const api of allApis) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      // A valid encoding of the all-defaults message is the seed of the mutations.
      const requestWriter = new Writer();
      api.encodeRequest(requestWriter, version, {} as never);
      const request = requestWriter.toBuffer();
      const responseWriter = new Writer();
      api.encodeResponse(responseWriter, version, {} as never);
      const response = responseWriter.toBuffer();
      assert.deepEqual(api.decodeRequest(new Reader(request), version), api.decodeRequest(new Reader(request), version));
      for (let i = 0; i < 60; i++) {
        const randomBytes = Buffer.from(Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
        for (const input of [randomBytes, mutate(request, next), mutate(response, next)]) {
          decodeOnly(() => api.decodeRequest(new Reader(input), version), input, `${api.name} v${version} request`);
          decodeOnly(() => api.decodeResponse(new Reader(input), version), input, `${api.name} v${version} response`);
          cases += 2;
        }
      }
    }
  }
  assert.ok(cases > 10_000, `${cases} cases`);
});

test('default messages round-trip through every version of every API', () => {
  for (const api of allApis) {
    for (let version = api.minVersion; version <= api.maxVersion; version++) {
      const writer = new Writer();
      api.encodeRequest(writer, version, {} as never);
      const bytes = writer.toBuffer();
      const decoded = api.decodeRequest(new Reader(bytes), version);
      const again = new Writer();
      api.encodeRequest(again, version, decoded as never);
      assert.ok(again.toBuffer().equals(bytes), `${api.name} v${version} request re-encodes identically`);
    }
  }
});
