/**
 * Fuzzing every declared API's request and response decoders at every version, deterministically
 * (seeded). Inputs: random bytes, and mutations of valid encodings of random messages that fill
 * every field of the version (bit flips, truncation, insertions and deletions, int16/int32 lengths
 * replaced by huge or negative values, hostile varints). A decoder may only raise
 * ProtocolDecodeError — anything else would escape the connection's error handling and take the
 * broker down — and may never decode more array elements or bytes than its input could hold.
 * Valid messages, from defaults and random, round-trip exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolDecodeError } from '../../src/errors.js';
import type { Api } from '../../src/protocol/api.js';
import { readRequestHeaderPrefix, readRequestHeaderRest, readResponseHeader } from '../../src/protocol/header.js';
import { allApis } from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { inVersionRange, type Field } from '../../src/protocol/schema.js';
import { Writer } from '../../src/protocol/writer.js';
import { firstDifference, pick, randomBytes, randomInt, randomMessage, seededRandom, type Random } from '../helpers/random-message.js';

type Side = 'request' | 'response';

function versionsOf(api: Api): number[] {
  return Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
}

function encode(api: Api, side: Side, version: number, message: unknown): Buffer {
  const writer = new Writer();
  if (side === 'request') api.encodeRequest(writer, version, message as never);
  else api.encodeResponse(writer, version, message as never);
  return writer.toBuffer();
}

function decode(api: Api, side: Side, version: number, bytes: Buffer): unknown {
  const reader = new Reader(bytes);
  return side === 'request' ? api.decodeRequest(reader, version) : api.decodeResponse(reader, version);
}

/** Array elements and byte-array bytes in a decoded value: what a hostile length could inflate. */
function decodedSize(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.length;
  if (Array.isArray(value)) return value.length + value.reduce((sum: number, item) => sum + decodedSize(item), 0);
  if (value !== null && typeof value === 'object') return Object.values(value).reduce((sum: number, item) => sum + decodedSize(item), 0);
  return 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
}

/** Decodes hostile input: only ProtocolDecodeError may escape, and the result is bounded by the input. */
function decodeHostile(run: () => unknown, input: Buffer, what: string): void {
  let decoded: unknown;
  try {
    decoded = run();
  } catch (error) {
    if (error instanceof ProtocolDecodeError) return;
    assert.fail(`${what} threw ${describe(error)}\ninput: ${input.toString('hex')}`);
  }
  // Every array element takes at least one byte of input, every decoded byte one byte.
  assert.ok(decodedSize(decoded) <= input.length, `${what} decoded ${decodedSize(decoded)} elements/bytes from ${input.length} bytes: ${input.toString('hex')}`);
}

const HOSTILE_INT32 = [0x7fffffff, -0x80000000, -2, -1, 0x10000, 0x40000000];
const HOSTILE_INT16 = [0x7fff, -0x8000, -2, -1];
const HOSTILE_VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1
  [0xff, 0xff, 0xff, 0xff, 0x7f], // more than 32 bits
  [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // longer than 5 bytes
  [0x80, 0x80, 0x80, 0x80, 0x08], // 2^31
  [0xff, 0x7f], // 16383
  [0x00], // null
];

/** One to three stacked mutations of `bytes`. */
function mutate(bytes: Buffer, random: Random): Buffer {
  let out = Buffer.from(bytes);
  const rounds = randomInt(random, 1, 3);
  for (let round = 0; round < rounds; round++) {
    const at = randomInt(random, 0, Math.max(0, out.length - 1));
    switch (randomInt(random, 0, 7)) {
      case 0: // bit flips
        if (out.length > 0) out[at] ^= 1 << randomInt(random, 0, 7);
        break;
      case 1: // truncation
        out = out.subarray(0, at);
        break;
      case 2: // a length (or anything) read as int32 becomes hostile
        if (at + 4 <= out.length) out.writeInt32BE(pick(random, HOSTILE_INT32), at);
        break;
      case 3:
        if (at + 2 <= out.length) out.writeInt16BE(pick(random, HOSTILE_INT16), at);
        break;
      case 4: {
        // a varint replaced by a hostile one (same total length kept where it fits)
        const varint = Buffer.from(pick(random, HOSTILE_VARINTS));
        out = Buffer.concat([out.subarray(0, at), varint, out.subarray(Math.min(out.length, at + varint.length))]);
        break;
      }
      case 5: // insertion
        out = Buffer.concat([out.subarray(0, at), randomBytes(random, randomInt(random, 1, 8)), out.subarray(at)]);
        break;
      case 6: // deletion
        out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + randomInt(random, 1, 8)))]);
        break;
      default: // a byte set to a random value
        if (out.length > 0) out[at] = randomInt(random, 0, 255);
        break;
    }
  }
  return out;
}

const MESSAGES_PER_VERSION = 12;
const MUTATIONS_PER_MESSAGE = 60;
const RANDOM_INPUTS_PER_VERSION = 40;

test('every request and response decoder, at every version, raises only ProtocolDecodeError on random and mutated input', () => {
  const random = seededRandom(0x7ede1065);
  let cases = 0;
  for (const api of allApis) {
    for (const version of versionsOf(api)) {
      const shape = { version, flexible: api.isFlexible(version) };
      for (const side of ['request', 'response'] as const) {
        const what = `${api.name} v${version} ${side}`;
        const run = (input: Buffer) => () => decode(api, side, version, input);
        for (let i = 0; i < RANDOM_INPUTS_PER_VERSION; i++) {
          const input = randomBytes(random, randomInt(random, 0, 100));
          decodeHostile(run(input), input, what);
          cases++;
        }
        const fields = side === 'request' ? api.spec.request : api.spec.response;
        const seeds = [encode(api, side, version, {})];
        for (let i = 0; i < MESSAGES_PER_VERSION; i++) seeds.push(encode(api, side, version, randomMessage(fields, shape, random)));
        for (const seed of seeds) {
          for (let i = 0; i < MUTATIONS_PER_MESSAGE; i++) {
            const input = mutate(seed, random);
            decodeHostile(run(input), input, what);
            cases++;
          }
        }
      }
    }
  }
  assert.ok(cases > 100_000, `${cases} cases`);
});

test('request and response headers raise only ProtocolDecodeError on random and mutated input', () => {
  const random = seededRandom(42);
  const valid = new Writer().writeInt16(3).writeInt16(12).writeInt32(7).writeNullableString('client-é').writeUnsignedVarint(0).toBuffer();
  for (let i = 0; i < 5_000; i++) {
    const input = i % 2 === 0 ? mutate(valid, random) : randomBytes(random, randomInt(random, 0, 24));
    for (const headerVersion of [0, 1, 2]) {
      decodeHostile(
        () => {
          const reader = new Reader(input);
          const header = readRequestHeaderPrefix(reader);
          readRequestHeaderRest(reader, header, headerVersion);
          return header;
        },
        input,
        `request header v${headerVersion}`,
      );
      decodeHostile(() => readResponseHeader(new Reader(input), headerVersion), input, `response header v${headerVersion}`);
    }
  }
});

/** Kafka's default of a field, worked out from the declaration alone (not from the codec). */
function declaredDefault(field: Field, version: number): unknown {
  if (field.type.startsWith('[]')) return field.default === null ? null : [];
  if (field.type === 'struct') return field.nullableVersions ? null : declaredDefaults(field.fields ?? [], version);
  if (field.default !== undefined) return field.default;
  switch (field.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return 0;
  }
}

function declaredDefaults(fields: readonly Field[], version: number): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field.name, declaredDefault(field, version)]));
}

test('messages built from defaults round-trip through every version of every API, decoding to the declared defaults', () => {
  for (const api of allApis) {
    for (const version of versionsOf(api)) {
      for (const side of ['request', 'response'] as const) {
        const what = `${api.name} v${version} ${side}`;
        const bytes = encode(api, side, version, {});
        const decoded = decode(api, side, version, bytes);
        const fields = side === 'request' ? api.spec.request : api.spec.response;
        const expected = declaredDefaults(fields, version);
        assert.deepEqual(decoded, expected, `${what} decodes to the declared defaults`);
        assert.ok(encode(api, side, version, decoded).equals(bytes), `${what} re-encodes identically`);
      }
    }
  }
});

test('random valid messages round-trip through every version of every API', () => {
  const random = seededRandom(2026);
  let checked = 0;
  for (const api of allApis) {
    for (const version of versionsOf(api)) {
      const shape = { version, flexible: api.isFlexible(version) };
      for (const side of ['request', 'response'] as const) {
        const fields = side === 'request' ? api.spec.request : api.spec.response;
        for (let i = 0; i < 40; i++) {
          const message = randomMessage(fields, shape, random);
          const what = `${api.name} v${version} ${side}`;
          const bytes = encode(api, side, version, message);
          const reader = new Reader(bytes);
          const decoded = side === 'request' ? api.decodeRequest(reader, version) : api.decodeResponse(reader, version);
          assert.equal(reader.remaining, 0, `${what}: the decoder reads the whole encoding`);
          const difference = firstDifference(message, decoded);
          assert.equal(difference, null, `${what}: ${difference}\nmessage: ${JSON.stringify(message)}`);
          assert.ok(encode(api, side, version, decoded).equals(bytes), `${what} re-encodes identically`);
          checked++;
        }
      }
    }
  }
  // Fields that exist only in some versions are covered too.
  assert.ok(
    allApis.some((api) => api.spec.request.some((field) => !inVersionRange(field.versions, api.minVersion))),
    'some fields are version-dependent',
  );
  assert.ok(checked > 10_000, `${checked} messages`);
});
