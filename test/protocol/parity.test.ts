/**
 * Checks every declared API, request and response, version by version, against Apache Kafka's
 * own message definitions kept as reference data in ../shared/kafka-protocol/messages (or
 * $TIDELOG_KAFKA_PROTOCOL_DIR). Skipped where that folder does not exist; .ci/run sets it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allApis } from '../../src/protocol/messages/index.js';
import { inVersionRange, parseVersionRange, type Field } from '../../src/protocol/schema.js';

const repoRoot = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');
const referenceDir = process.env.TIDELOG_KAFKA_PROTOCOL_DIR ?? join(repoRoot, '..', 'shared', 'kafka-protocol');
const messagesDir = join(referenceDir, 'messages');

interface KafkaField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  fields?: KafkaField[];
}

interface KafkaMessage {
  apiKey: number;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: { name: string; fields: KafkaField[] }[];
}

function loadMessage(name: string): KafkaMessage {
  const text = readFileSync(join(messagesDir, `${name}.json`), 'utf8');
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  return JSON.parse(withoutComments) as KafkaMessage;
}

function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const SCALARS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

function describe(
  fields: readonly KafkaField[],
  version: number,
  flexible: boolean,
  common: Map<string, KafkaField[]>,
  path: string,
): string[] {
  const out: string[] = [];
  for (const field of fields) {
    const tagged = flexible && field.tag !== undefined && inVersionRange(field.taggedVersions, version);
    if (!inVersionRange(field.versions, version) && !tagged) continue;
    const nullable = inVersionRange(field.nullableVersions, version);
    let type: string;
    let children: KafkaField[] | undefined;
    if (field.type.startsWith('[]')) {
      const element = field.type.slice(2);
      if (SCALARS.has(element)) type = field.type;
      else {
        type = '[]';
        children = field.fields ?? common.get(element);
      }
    } else if (SCALARS.has(field.type)) type = field.type;
    else {
      type = 'struct';
      children = field.fields ?? common.get(field.type);
    }
    const name = `${path}${camelCase(field.name)}`;
    out.push(`${name}: ${type}${nullable ? '?' : ''}${tagged ? ` tag ${field.tag}` : ''}`);
    if (children) out.push(...describe(children, version, flexible, common, `${name}.`));
  }
  return out;
}

function describeOurs(fields: readonly Field[], version: number, flexible: boolean, path: string): string[] {
  return describe(
    fields.map(function convert(field: Field): KafkaField {
      return {
        name: field.name.charAt(0).toUpperCase() + field.name.slice(1),
        type: field.type === 'struct' ? 'Struct' : field.type === '[]' ? '[]Struct' : field.type,
        versions: field.versions,
        ...(field.nullableVersions !== undefined ? { nullableVersions: field.nullableVersions } : {}),
        ...(field.taggedVersions !== undefined ? { taggedVersions: field.taggedVersions } : {}),
        ...(field.tag !== undefined ? { tag: field.tag } : {}),
        ...(field.fields ? { fields: field.fields.map(convert) } : {}),
      };
    }),
    version,
    flexible,
    new Map(),
    path,
  );
}

test('protocol declarations match Kafka message definitions', { skip: !existsSync(messagesDir) && `no ${messagesDir}` }, () => {
  assert.ok(allApis.length > 0);
  for (const api of allApis) {
    for (const side of ['request', 'response'] as const) {
      const kafka = loadMessage(`${api.name}${side === 'request' ? 'Request' : 'Response'}`);
      assert.equal(kafka.apiKey, api.apiKey, `${api.name} api key`);
      const kafkaRange = parseVersionRange(kafka.validVersions);
      const common = new Map((kafka.commonStructs ?? []).map((struct) => [struct.name, struct.fields]));
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        assert.ok(version >= kafkaRange.min && version <= kafkaRange.max, `${api.name} v${version} is not a Kafka version`);
        const flexible = inVersionRange(kafka.flexibleVersions, version);
        assert.equal(api.isFlexible(version), flexible, `${api.name} v${version} flexibility`);
        const theirs = describe(kafka.fields, version, flexible, common, '');
        const ours = describeOurs(api.spec[side], version, flexible, '');
        assert.deepEqual(ours, theirs, `${api.name} ${side} v${version}`);
      }
    }
  }
});

const recordsDir = join(referenceDir, 'records');

test('coordinator record schemas match Kafka record definitions', { skip: !existsSync(recordsDir) && `no ${recordsDir}` }, async () => {
  const { offsetCommitKey, offsetCommitValue, groupMetadataKey, groupMetadataValue } = await import('../../src/coordinator/group/group-records.js');
  const { transactionLogKey, transactionLogValue } = await import('../../src/coordinator/txn/transaction-records.js');
  for (const schema of [offsetCommitKey, offsetCommitValue, groupMetadataKey, groupMetadataValue, transactionLogKey, transactionLogValue]) {
    const text = readFileSync(join(recordsDir, `${schema.spec.name}.json`), 'utf8');
    const kafka = JSON.parse(text.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n')) as KafkaMessage;
    assert.equal(schema.spec.validVersions, kafka.validVersions, `${schema.spec.name} versions`);
    const common = new Map((kafka.commonStructs ?? []).map((struct) => [struct.name, struct.fields]));
    for (let version = schema.minVersion; version <= schema.maxVersion; version++) {
      const flexible = inVersionRange(kafka.flexibleVersions, version);
      const ours = describeOurs(schema.spec.fields, version, flexible, '');
      assert.deepEqual(ours, describe(kafka.fields, version, flexible, common, ''), `${schema.spec.name} v${version}`);
    }
  }
});
