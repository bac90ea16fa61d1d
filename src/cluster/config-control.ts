/**
 * Dynamic configuration changes (AlterConfigs, IncrementalAlterConfigs): the checks Kafka's
 * broker makes before forwarding (ConfigAdminManager.preprocess), the checks its controller
 * makes (ControllerConfigurationValidator, LogConfig.validate) and the ConfigRecords the
 * controller writes (ConfigurationControlManager). Planning is pure: it reads the metadata
 * image and the broker config and returns records or a KafkaError; the controller appends the
 * records of every resource that passed in one metadata-log write and applies them.
 *
 * Resources: topics (2) and brokers (4: this broker's id, or '' for the cluster-wide default of
 * every broker). Broker loggers (8), client metrics (16) and groups (32) are not supported.
 *
 * Errors, as Kafka answers them:
 *   resource named twice in one request                 INVALID_REQUEST "Each resource must appear at most once."
 *   key named twice for one resource                    INVALID_REQUEST "Error due to duplicate config keys"
 *   null value (other than an incremental DELETE)       INVALID_REQUEST "Null value not supported for : a, b"
 *   operation other than SET/DELETE/APPEND/SUBTRACT     INVALID_REQUEST "Unknown operations type 9"
 *   APPEND or SUBTRACT on a key that is not a LIST      INVALID_CONFIG
 *   topic: unknown key, bad value, conflicting values   INVALID_CONFIG (LogConfig's message)
 *   topic: '' / illegal name                            INVALID_REQUEST / INVALID_TOPIC_EXCEPTION
 *   topic that does not exist (checked after values)    UNKNOWN_TOPIC_OR_PARTITION
 *   broker: another broker's id, not a number           INVALID_REQUEST
 *   broker: key Kafka cannot change at runtime, a bad
 *     value, a per-broker key at cluster level          INVALID_REQUEST (KAFKA-13609)
 */
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { validateDynamicBrokerConfigs } from '../config/broker-config.js';
import { BROKER_CONFIGS_BY_NAME } from '../config/broker-configs.js';
import { ConfigType, type ConfigDef } from '../config/config-def.js';
import { validateTopicOverrides } from '../config/topic-config.js';
import { TOPIC_CONFIGS_BY_NAME } from '../config/topic-configs.js';
import type { MetadataImage } from './metadata-image.js';
import { ConfigResourceType, type ConfigRecord } from './metadata-records.js';
import { validateTopicName } from './topic-name.js';

/** IncrementalAlterConfigs operations (AlterConfigOp.OpType). */
export enum AlterConfigOpType {
  SET = 0,
  DELETE = 1,
  APPEND = 2,
  SUBTRACT = 3,
}

export interface ConfigResourceRef {
  readonly resourceType: number;
  readonly resourceName: string;
}

export interface IncrementalConfigResource extends ConfigResourceRef {
  readonly configs: readonly { name: string; configOperation: number; value: string | null }[];
}

export interface LegacyConfigResource extends ConfigResourceRef {
  readonly configs: readonly { name: string; value: string | null }[];
}

/** The error of one resource, null when it succeeded. */
export type ConfigResourceResult = KafkaError | null;

const BROKER_LOGGER = 8;
const KNOWN_RESOURCE_TYPES = new Set([ConfigResourceType.TOPIC, ConfigResourceType.BROKER, BROKER_LOGGER, 16, 32]);

function invalidRequest(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, message);
}

/** Marks resources that appear more than once (both copies fail, as in Kafka). */
export function duplicateResources(resources: readonly ConfigResourceRef[]): Set<number> {
  const seen = new Map<string, number>();
  const duplicates = new Set<number>();
  resources.forEach((resource, index) => {
    const key = `${resource.resourceType}\u0000${resource.resourceName}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      duplicates.add(previous);
      duplicates.add(index);
    } else seen.set(key, index);
  });
  return duplicates;
}

export class ConfigControl {
  constructor(
    private readonly image: MetadataImage,
    private readonly config: BrokerConfig,
    private readonly nodeId: number,
    /** A topic being deleted counts as gone (its config records must not outlive it). */
    private readonly isBeingDeleted: (topicName: string) => boolean = () => false,
  ) {}

  /** ConfigRecords for one IncrementalAlterConfigs resource, or the KafkaError that refuses it. */
  planIncremental(resource: IncrementalConfigResource): ConfigRecord[] {
    this.checkKeys(resource.configs.map((config) => config.name));
    const nullUpdates = resource.configs.filter((config) => config.configOperation !== AlterConfigOpType.DELETE && config.value === null);
    if (nullUpdates.length > 0) throw invalidRequest(`Null value not supported for : ${nullUpdates.map((config) => config.name).join(', ')}`);
    for (const config of resource.configs) {
      if (!(config.configOperation in AlterConfigOpType) || config.configOperation < 0) {
        throw invalidRequest(`Unknown operations type ${config.configOperation}`);
      }
    }
    const type = this.checkResourceType(resource);
    if (type === ConfigResourceType.BROKER) {
      const perBroker = resource.resourceName !== '';
      // Stored values that are no longer valid are left out, as Kafka's fromPersistentProps does.
      const next = new Map([...(this.image.brokerConfigs.get(resource.resourceName) ?? [])].filter(([name, value]) => isValidDynamic(name, value, perBroker)));
      for (const change of resource.configs) {
        const def = BROKER_CONFIGS_BY_NAME.get(change.name);
        applyOperation(next, change.name, change.configOperation, change.value, def, 'broker');
      }
      validateDynamicBrokerConfigs(next, perBroker);
      // Kafka writes a record for every key named, changed or not, so that brokers reload (KAFKA-14136).
      return resource.configs.map((change) => this.record(resource, change.name, next.get(change.name) ?? null));
    }
    const current = new Map(this.checkTopicName(resource.resourceName)?.configs ?? []);
    const next = new Map(current);
    for (const change of resource.configs) {
      applyOperation(next, change.name, change.configOperation, change.value, TOPIC_CONFIGS_BY_NAME.get(change.name), 'topic');
    }
    const records = resource.configs
      .filter((change) => current.get(change.name) !== next.get(change.name))
      .map((change) => this.record(resource, change.name, next.get(change.name) ?? null));
    this.validateTopic(resource.resourceName, next);
    return records;
  }

  /** ConfigRecords for one AlterConfigs resource: its whole set of dynamic configs is replaced. */
  planLegacy(resource: LegacyConfigResource): ConfigRecord[] {
    this.checkKeys(resource.configs.map((config) => config.name));
    const nullUpdates = resource.configs.filter((config) => config.value === null);
    if (nullUpdates.length > 0) throw invalidRequest(`Null value not supported for : ${nullUpdates.map((config) => config.name).join(', ')}`);
    const type = this.checkResourceType(resource);
    const next = new Map(resource.configs.map((config) => [config.name, config.value!] as const));
    let current: ReadonlyMap<string, string>;
    if (type === ConfigResourceType.BROKER) {
      const perBroker = resource.resourceName !== '';
      validateDynamicBrokerConfigs(next, perBroker);
      current = this.image.brokerConfigs.get(resource.resourceName) ?? new Map();
    } else {
      current = this.checkTopicName(resource.resourceName)?.configs ?? new Map();
    }
    const records: ConfigRecord[] = [];
    for (const [name, value] of next) {
      if (type === ConfigResourceType.BROKER || current.get(name) !== value) records.push(this.record(resource, name, value));
    }
    // Keys not given are removed: AlterConfigs sets the resource's whole configuration.
    for (const name of current.keys()) if (!next.has(name)) records.push(this.record(resource, name, null));
    if (type === ConfigResourceType.TOPIC) this.validateTopic(resource.resourceName, next);
    return records;
  }

  private record(resource: ConfigResourceRef, name: string, value: string | null): ConfigRecord {
    return { type: 'Config', resourceType: resource.resourceType as ConfigResourceType, resourceName: resource.resourceName, name, value };
  }

  private checkKeys(names: readonly string[]): void {
    if (new Set(names).size !== names.length) throw invalidRequest('Error due to duplicate config keys');
  }

  private checkResourceType(resource: ConfigResourceRef): ConfigResourceType {
    const type = resource.resourceType;
    if (type === ConfigResourceType.BROKER) {
      if (resource.resourceName !== '') {
        if (!/^-?\d+$/.test(resource.resourceName)) throw invalidRequest(`Node id must be an integer, but it is: ${resource.resourceName}`);
        if (Number(resource.resourceName) !== this.nodeId) {
          throw invalidRequest(`Unexpected broker id, expected ${this.nodeId}, but received ${resource.resourceName}`);
        }
      }
      return type;
    }
    if (type === ConfigResourceType.TOPIC) return type;
    if (KNOWN_RESOURCE_TYPES.has(type)) throw invalidRequest(`Resource type ${type} is not supported by Tidelog`);
    throw invalidRequest(`Unknown resource type ${type}`);
  }

  /** The topic's image if it exists; the name must be legal either way. */
  private checkTopicName(name: string) {
    if (name === '') throw invalidRequest('Default topic resources are not allowed.');
    validateTopicName(name);
    return this.isBeingDeleted(name) ? undefined : this.image.topicsByName.get(name);
  }

  /** LogConfig.validate on the resulting overrides, then the topic's existence (Kafka's order). */
  private validateTopic(name: string, overrides: ReadonlyMap<string, string>): void {
    validateTopicOverrides(overrides, this.config);
    if (!this.image.topicsByName.has(name) || this.isBeingDeleted(name)) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    }
  }
}

function isValidDynamic(name: string, value: string, perBroker: boolean): boolean {
  try {
    validateDynamicBrokerConfigs(new Map([[name, value]]), perBroker);
    return true;
  } catch {
    return false;
  }
}

/**
 * One incremental operation on a resource's dynamic values, as Kafka computes it
 * (ConfigurationControlManager for topics, ConfigAdminManager.prepareIncrementalConfigs for
 * brokers): APPEND adds the items not yet present to the current list (or to the default),
 * SUBTRACT removes them.
 */
function applyOperation(
  values: Map<string, string>,
  name: string,
  operation: number,
  value: string | null,
  def: ConfigDef | undefined,
  kind: 'topic' | 'broker',
): void {
  switch (operation) {
    case AlterConfigOpType.SET:
      values.set(name, value!);
      return;
    case AlterConfigOpType.DELETE:
      values.delete(name);
      return;
    default: {
      const opName = AlterConfigOpType[operation]!;
      if (!def || def.type !== ConfigType.LIST) {
        throw new KafkaError(
          ErrorCode.INVALID_CONFIG,
          kind === 'topic'
            ? `Can't ${opName} to key ${name} because its type is not LIST.`
            : `Config value ${opName.toLowerCase()} is not allowed for config key: ${name}`,
        );
      }
      const items = (values.get(name) ?? def.defaultValue ?? '').split(',').filter((item) => item !== '');
      const given = value!.split(',');
      const result =
        operation === AlterConfigOpType.APPEND
          ? [...items, ...given.filter((item, index) => !items.includes(item) && given.indexOf(item) === index)]
          : items.filter((item) => !given.includes(item));
      values.set(name, result.join(','));
    }
  }
}
