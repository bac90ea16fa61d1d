/**
 * A topic's effective configuration: its overrides (DYNAMIC_TOPIC_CONFIG), else the broker's
 * synonym keys (log.retention.ms, .minutes, .hours …, each with its own source), else the
 * default. Recomputed whenever overrides or broker values change; cheap enough for that.
 */
import { ConfigError } from '../errors.js';
import type { BrokerConfig, ConfigEntry } from './broker-config.js';
import { ConfigSource, parseConfigValue, validateConfigValue, type ConfigValue } from './config-def.js';
import { TOPIC_CONFIGS, TOPIC_CONFIGS_BY_NAME } from './topic-configs.js';

/** Checks a set of topic overrides (CreateTopics, AlterConfigs): known names, valid values. */
export function validateTopicOverrides(overrides: ReadonlyMap<string, string | null>): void {
  for (const [name, value] of overrides) {
    const def = TOPIC_CONFIGS_BY_NAME.get(name);
    if (!def) throw new ConfigError(`Unknown topic config name: ${name}`);
    if (value === null) continue;
    validateConfigValue(def, value);
  }
  const remoteStorage = overrides.get('remote.storage.enable');
  if (remoteStorage !== undefined && remoteStorage !== null && remoteStorage.trim().toLowerCase() === 'true') {
    throw new ConfigError('Tiered storage (remote.storage.enable=true) is not supported by Tidelog');
  }
}

export class TopicConfig {
  constructor(
    readonly overrides: ReadonlyMap<string, string>,
    private readonly broker: BrokerConfig,
  ) {}

  /** The effective value and where it came from. */
  resolve(name: string): { value: ConfigValue; source: ConfigSource; synonyms: ConfigEntry['synonyms'] } {
    const def = TOPIC_CONFIGS_BY_NAME.get(name);
    if (!def) throw new ConfigError(`Unknown topic config name: ${name}`);
    const synonyms: { name: string; value: string | null; source: ConfigSource }[] = [];
    const override = this.overrides.get(name);
    if (override !== undefined) synonyms.push({ name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    for (const brokerName of def.brokerSynonyms) {
      for (const entry of this.broker.synonymChain(brokerName)) {
        if (entry.source !== ConfigSource.DEFAULT_CONFIG) synonyms.push(entry);
      }
    }
    const mainBrokerKey = def.brokerSynonyms[def.brokerSynonyms.length - 1];
    const brokerDefault = mainBrokerKey ? this.broker.synonymChain(mainBrokerKey).find((e) => e.source === ConfigSource.DEFAULT_CONFIG) : undefined;
    if (brokerDefault) synonyms.push(brokerDefault);

    const chosen = synonyms[0];
    if (!chosen) return { value: parseConfigValue(def, def.defaultValue), source: ConfigSource.DEFAULT_CONFIG, synonyms };
    let value = parseConfigValue(def, chosen.value);
    const convert = def.fromBroker?.[chosen.name];
    if (convert && typeof value === 'number') value = convert(value);
    return { value, source: chosen.source, synonyms };
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

  /** Every topic config, as DescribeConfigs reports them. */
  describe(): ConfigEntry[] {
    return TOPIC_CONFIGS.map((def) => {
      const resolved = this.resolve(def.name);
      const value = resolved.value;
      return {
        name: def.name,
        value: value === null ? null : Array.isArray(value) ? value.join(',') : String(value),
        source: resolved.source,
        readOnly: false,
        sensitive: false,
        def,
        synonyms: resolved.synonyms,
      };
    });
  }
}
