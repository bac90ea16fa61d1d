/**
 * IncrementalAlterConfigs for the admin client (Admin.incrementalAlterConfigs delegates here),
 * as `tidelog configs` uses it: single config keys of topics and brokers set, deleted, appended
 * to or subtracted from.
 *
 * Each resource gets its own result with its own error, as Kafka's per-item futures do;
 * resources whose error is retriable are sent again after a backoff until the API timeout
 * (per-item.ts). Where a resource goes is shared with Admin.describeConfigs: a
 * broker resource named by id goes to that broker; the rest (topics, the cluster-wide broker
 * default '') to any broker (a KRaft broker forwards config changes to the controller itself).
 */
import { incrementalAlterConfigs as incrementalAlterConfigsApi } from '../protocol/messages/index.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import { errorOrNull } from './errors.js';
import { perItem, type ItemResult } from './per-item.js';

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger' | 'client-metrics' | 'group';

export const RESOURCE_TYPE_CODES: Record<ConfigResourceType, number> = { topic: 2, broker: 4, 'broker-logger': 8, 'client-metrics': 16, group: 32 };

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
export type AlterConfigOperation = 'set' | 'delete' | 'append' | 'subtract';

const ALTER_CONFIG_OPERATIONS: Record<AlterConfigOperation, number> = { set: 0, delete: 1, append: 2, subtract: 3 };

export interface ConfigChange {
  readonly type: ConfigResourceType;
  /** A topic name, a broker id, or '' for the cluster-wide broker default. */
  readonly name: string;
  readonly operations: readonly { readonly name: string; readonly operation: AlterConfigOperation; readonly value?: string | null }[];
}

export interface ConfigChangeResult extends ItemResult {
  readonly type: ConfigResourceType;
  readonly name: string;
}

/** Groups resources by where they go: a broker resource named by id to that broker, the rest to any (-1). */
export function byDestination<R extends { type: ConfigResourceType; name: string }>(resources: readonly R[]): Map<number, R[]> {
  const destinations = new Map<number, R[]>();
  for (const resource of resources) {
    const nodeId = (resource.type === 'broker' || resource.type === 'broker-logger') && /^\d+$/.test(resource.name) ? Number(resource.name) : -1;
    destinations.set(nodeId, [...(destinations.get(nodeId) ?? []), resource]);
  }
  return destinations;
}

export function connectionFor(cluster: Cluster, nodeId: number): Promise<Connection> {
  return nodeId >= 0 ? cluster.nodeConnection(nodeId) : cluster.anyConnection();
}

export function resourceKey(resource: { type: ConfigResourceType; name: string }): string {
  return `${resource.type}\u0000${resource.name}`;
}

/** The resource a result of a config response is for: the one it names, else the one at its place. */
export function answeredResource<R extends { type: ConfigResourceType; name: string }>(list: readonly R[], result: { resourceName: string; resourceType: number }, index: number): R {
  return list.find((candidate) => candidate.name === result.resourceName && RESOURCE_TYPE_CODES[candidate.type] === result.resourceType) ?? list[index]!;
}

/**
 * Changes single config keys of topics and brokers (IncrementalAlterConfigs, KIP-339): set,
 * delete, append to or subtract from a list-typed value.
 */
export async function incrementalAlterConfigs(
  cluster: Cluster,
  changes: readonly ConfigChange[],
  options: { validateOnly?: boolean } = {},
): Promise<ConfigChangeResult[]> {
  const round = (pending: ConfigChange[]) =>
    cluster.retry(async () => {
      const answered = new Map<string, ConfigChangeResult>();
      await Promise.all(
        [...byDestination(pending)].map(async ([nodeId, list]) => {
          const connection = await connectionFor(cluster, nodeId);
          const response = await connection.send(incrementalAlterConfigsApi, {
            resources: list.map((change) => ({
              resourceType: RESOURCE_TYPE_CODES[change.type],
              resourceName: change.name,
              configs: change.operations.map((operation) => ({
                name: operation.name,
                configOperation: ALTER_CONFIG_OPERATIONS[operation.operation],
                value: operation.value ?? null,
              })),
            })),
            validateOnly: options.validateOnly ?? false,
          });
          response.responses.forEach((result, index) => {
            const change = answeredResource(list, result, index);
            answered.set(resourceKey(change), {
              type: change.type,
              name: change.name,
              error: errorOrNull(result.errorCode, `${change.type} '${change.name}'`, result.errorMessage),
            });
          });
        }),
      );
      return answered;
    });
  return perItem(cluster, changes, resourceKey, round, ' ');
}
