/**
 * A topic's effective configuration: its overrides (DYNAMIC_TOPIC_CONFIG), else the broker's
 * synonym keys (log.retention.ms, .minutes, .hours …, each with its own source), else the
 * default. Reads the override map and the broker config live, so a change to either (an
 * AlterConfigs) is seen at once by everything holding this object.
 */
import { ConfigError } from '../errors.js';
import type { BrokerConfig, ConfigEntry } from './broker-config.js';
import { ConfigSource, ConfigType, formatConfigValue, parseConfigValue, validateConfigValue, type ConfigValue } from './config-def.js';
import { TOPIC_CONFIGS, TOPIC_CONFIGS_BY_NAME } from './topic-configs.js';

type Synonym = { name: string; value: string | null; source: ConfigSource };

/** Kafka's order of precedence for the broker values behind a topic config. */
const BROKER_SOURCES = [
  ConfigSource.DYNAMIC_BROKER_CONFIG,
  ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
  ConfigSource.STATIC_BROKER_CONFIG,
  ConfigSource.DEFAULT_CONFIG,
] as const;

/**
 * Checks a set of topic overrides (CreateTopics, AlterConfigs) as Kafka's LogConfig.validate
 * does: known names, values of the right type and range, then rules between values, resolved
 * against the broker's values when `broker` is given (min.compaction.lag.ms must not exceed
 * max.compaction.lag.ms). Failures are ConfigErrors (INVALID_CONFIG). Null values are skipped.
 */
export function validateTopicOverrides(overrides: ReadonlyMap<string, string | null>, broker?: BrokerConfig): void {
  for (const [name, value] of overrides) {
    const def = TOPIC_CONFIGS_BY_NAME.get(name);
    if (!def) throw new ConfigError(`Unknown topic config name: ${name}`);
    if (value === null) continue;
    validateConfigValue(def, value);
  }
  const remoteStorage = overrides.get('remote.storage.enable');
  if (remoteStorage !== undefined && remoteStorage !== null && remoteStorage.trim().toLowerCase() === 'true') {
    throw new ConfigError('Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.');
  }
  if (broker) {
    const present = new Map([...overrides].filter((entry): entry is [string, string] => entry[1] !== null));
    const config = new TopicConfig(present, broker);
    const minCompactionLag = config.number('min.compaction.lag.ms');
    const maxCompactionLag = config.number('max.compaction.lag.ms');
    if (minCompactionLag > maxCompactionLag) {
      throw new ConfigError(`conflict topic config setting min.compaction.lag.ms (${minCompactionLag}) > max.compaction.lag.ms (${maxCompactionLag})`);
    }
  }
}

export class TopicConfig {
  constructor(
    readonly overrides: ReadonlyMap<string, string>,
    private readonly broker: BrokerConfig,
  ) {}

  /**
   * The effective value, where it came from, and the synonym chain DescribeConfigs shows, as
   * Kafka's ConfigHelper.createTopicConfigEntry builds it: the override (if any), then the
   * broker synonyms level by level (dynamic per broker, dynamic default, static, default).
   */
  resolve(name: string): { value: ConfigValue; source: ConfigSource; synonyms: Synonym[] } {
    const def = TOPIC_CONFIGS_BY_NAME.get(name);
    if (!def) throw new ConfigError(`Unknown topic config name: ${name}`);
    const synonyms: Synonym[] = [];
    const override = this.overrides.get(name);
    let value: ConfigValue | undefined;
    if (override !== undefined) {
      value = parseConfigValue(def, override);
      synonyms.push({ name, value: formatConfigValue(value, def.type), source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    }
    for (const source of BROKER_SOURCES) {
      for (const brokerName of def.brokerSynonyms) {
        const brokerValue = this.broker.valueAt(brokerName, source);
        if (brokerValue !== undefined) synonyms.push({ name: brokerName, value: brokerValue, source });
      }
    }
    if (value === undefined) {
      // The broker value in effect: the first synonym key that is set at any level (ms before
      // minutes before hours), converted to this config's unit.
      value = parseConfigValue(def, def.defaultValue);
      for (const brokerName of def.brokerSynonyms) {
        const entry = synonyms.find((candidate) => candidate.name === brokerName);
        if (!entry) continue;
        value = parseConfigValue(def, entry.value);
        const convert = def.fromBroker?.[brokerName];
        if (convert && typeof value === 'number') value = convert(value);
        // Kafka turns any negative broker retention into -1 ("forever").
        if (name === 'retention.ms' && typeof value === 'number' && value < 0) value = -1;
        break;
      }
    }
    return { value, source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG, synonyms };
  }

  get(name: string): ConfigValue {
    return this.resolve(name).value;
  }

  number(name: string): number {
    const value = this.get(name);
    if (typeof value !== 'number') throw new ConfigError(`${name} is not a number`);
    return value;
  }

  string(name: string): string {
    return String(this.get(name));
  }

  list(name: string): readonly string[] {
    const value = this.get(name);
    return Array.isArray(value) ? value : [String(value)];
  }

  boolean(name: string): boolean {
    return this.get(name) === true;
  }

  /** Every topic config, as DescribeConfigs reports them (never read-only, never sensitive). */
  describe(): ConfigEntry[] {
    return TOPIC_CONFIGS.map((def) => {
      const resolved = this.resolve(def.name);
      return {
        name: def.name,
        value: formatConfigValue(resolved.value, def.type),
        source: resolved.source,
        readOnly: false,
        sensitive: def.type === ConfigType.PASSWORD,
        def,
        synonyms: resolved.synonyms,
      };
    });
  }
}
