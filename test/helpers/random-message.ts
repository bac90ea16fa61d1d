/**
 * Deterministic random data for fuzzing: a seeded generator, and valid messages of any declared
 * API at any version built from its declaration (every field present in the version filled in,
 * nullable ones sometimes null, tagged ones sometimes set), so that the fuzzers mutate encodings
 * that reach every nested struct instead of the empty defaults.
 */
import type { Field, ScalarType } from '../../src/protocol/schema.js';
import { inVersionRange } from '../../src/protocol/schema.js';

export type Random = () => number;

/** mulberry32: a small, fast, reproducible generator of floats in [0, 1). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

/** An integer in [low, high]. */
export function randomInt(random: Random, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

export function randomBytes(random: Random, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

// One- to four-byte UTF-8 characters, none of them lone surrogates, so strings round-trip.
const ALPHABET = ['a', 'b', 'z', 'A', '0', '9', '-', '.', '_', ' ', 'é', 'ß', '€', '中', '😀'];

function randomString(random: Random): string {
  let text = '';
  const length = randomInt(random, 0, 12);
  for (let i = 0; i < length; i++) text += pick(random, ALPHABET);
  return text;
}

function randomScalar(type: ScalarType, random: Random): unknown {
  switch (type) {
    case 'bool':
      return random() < 0.5;
    case 'int8':
      return randomInt(random, -128, 127);
    case 'int16':
      return pick(random, [-1, 0, 0x7fff, -0x8000, randomInt(random, -0x8000, 0x7fff)]);
    case 'uint16':
      return randomInt(random, 0, 0xffff);
    case 'int32':
      return pick(random, [-1, 0, 0x7fffffff, -0x80000000, randomInt(random, -0x80000000, 0x7fffffff)]);
    case 'uint32':
      return randomInt(random, 0, 0xffffffff);
    case 'int64':
      // Exact through Reader/Writer below 2^53 (see reader.ts).
      return pick(random, [-1, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, randomInt(random, -(2 ** 52), 2 ** 52)]);
    case 'float64':
      return pick(random, [0, 1.5, -2.25, (random() - 0.5) * 1e9]);
    case 'string':
      return randomString(random);
    case 'bytes':
      return randomBytes(random, randomInt(random, 0, 16));
    case 'records':
      return random() < 0.2 ? null : randomBytes(random, randomInt(random, 0, 40));
    case 'uuid':
      return randomBytes(random, 16).toString('base64url');
    default:
      throw new Error(`unknown scalar type ${type as string}`);
  }
}

export interface MessageShape {
  readonly version: number;
  readonly flexible: boolean;
}

function isTagged(field: Field, shape: MessageShape): boolean {
  return shape.flexible && field.tag !== undefined && inVersionRange(field.taggedVersions, shape.version);
}

function randomFieldValue(field: Field, shape: MessageShape, random: Random, depth: number): unknown {
  if (inVersionRange(field.nullableVersions, shape.version) && random() < 0.2) return null;
  if (field.type === 'struct') return randomMessage(field.fields ?? [], shape, random, depth + 1);
  if (field.type.startsWith('[]')) {
    const length = depth > 4 ? 0 : randomInt(random, 0, 3);
    return Array.from({ length }, () =>
      field.type === '[]' ? randomMessage(field.fields ?? [], shape, random, depth + 1) : randomScalar(field.type.slice(2) as ScalarType, random),
    );
  }
  return randomScalar(field.type as ScalarType, random);
}

/**
 * A valid message for `fields` at one version: every field the version carries, tagged fields
 * half of the time. Fields the version does not carry are left out (the decoder fills in defaults).
 */
export function randomMessage(fields: readonly Field[], shape: MessageShape, random: Random, depth = 0): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  for (const field of fields) {
    if (isTagged(field, shape)) {
      if (random() < 0.5) message[field.name] = randomFieldValue(field, shape, random, depth);
    } else if (inVersionRange(field.versions, shape.version)) {
      message[field.name] = randomFieldValue(field, shape, random, depth);
    }
  }
  return message;
}

/** Where `expected` (a generated message) and `actual` (its decoding) disagree, or null. */
export function firstDifference(expected: unknown, actual: unknown, path = '$'): string | null {
  if (Buffer.isBuffer(expected)) {
    return Buffer.isBuffer(actual) && actual.equals(expected) ? null : `${path}: expected bytes ${expected.toString('hex')}, got ${String(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected ${expected.length} elements, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const difference = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (difference) return difference;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return `${path}: expected a struct, got ${String(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const difference = firstDifference(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (difference) return difference;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: expected ${String(expected)}, got ${String(actual)}`;
}
