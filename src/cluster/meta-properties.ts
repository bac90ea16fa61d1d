/**
 * `<data>/meta.properties`, as Kafka writes it: which node and cluster a data directory
 * belongs to. A directory written by another node id is refused rather than silently reused.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { parseProperties } from '../config/properties.js';
import { ConfigError } from '../errors.js';

export interface MetaProperties {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly directoryId: string;
}

export function randomUuid(): string {
  return randomBytes(16).toString('base64url');
}

export function loadOrCreateMetaProperties(dataDir: string, nodeId: number, configuredClusterId: string | null): MetaProperties {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'meta.properties');
  if (existsSync(path)) {
    const values = parseProperties(readFileSync(path, 'utf8'));
    const storedNodeId = Number(values.get('node.id'));
    const clusterId = values.get('cluster.id') ?? '';
    if (storedNodeId !== nodeId) {
      throw new ConfigError(`Stored node id ${storedNodeId} in ${path} doesn't match the configured node.id ${nodeId}`);
    }
    if (configuredClusterId !== null && configuredClusterId !== clusterId) {
      throw new ConfigError(`Stored cluster id ${clusterId} in ${path} doesn't match the configured cluster.id ${configuredClusterId}`);
    }
    return { nodeId, clusterId, directoryId: values.get('directory.id') ?? '' };
  }
  const meta: MetaProperties = { nodeId, clusterId: configuredClusterId ?? randomUuid(), directoryId: randomUuid() };
  const text = [
    '#',
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId}`,
    `node.id=${meta.nodeId}`,
    'version=1',
    '',
  ].join('\n');
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
  return meta;
}
