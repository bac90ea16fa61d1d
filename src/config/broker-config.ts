/**
 * The broker's configuration: Kafka's keys, resolved in Kafka's order — dynamic per-broker
 * value, dynamic cluster default, static value (properties file, then `--set`, then
 * TIDELOG_<KEY> in the environment), then the default. Values are kept as strings and parsed
 * by their definitions.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { BROKER_CONFIGS, BROKER_CONFIGS_BY_NAME } from './broker-configs.js';
import { ConfigSource, formatConfigValue, validateConfigValue, type ConfigDef, type ConfigValue } from './config-def.js';
import { parseProperties } from './properties.js';

export interface Listener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
  readonly def: ConfigDef | undefined;
  readonly synonyms: readonly { name: string; value: string | null; source: ConfigSource }[];
}

export interface BrokerConfigSources {
  /** A Kafka-style properties file. */
  readonly file?: string;
  /** `--set key=value` pairs, applied after the file. */
  readonly overrides?: Readonly<Record<string, string>>;
  /** Environment; TIDELOG_LOG_RETENTION_HOURS sets log.retention.hours. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Keys that are synonyms of others, resolved before the definition default. */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'node.id': ['node.id', 'broker.id'],
};

export class BrokerConfig {
  private readonly staticValues = new Map<string, string>();
  private readonly dynamicValues = new Map<string, string>();
  private readonly dynamicDefaults = new Map<string, string>();
  readonly unknownKeys: string[] = [];

  constructor(staticValues: ReadonlyMap<string, string> = new Map()) {
    for (const [name, value] of staticValues) {
      const def = BROKER_CONFIGS_BY_NAME.get(name);
      if (def) validateConfigValue(def, value);
      else this.unknownKeys.push(name);
      this.staticValues.set(name, value);
    }
    this.listeners(); // fail early on malformed listeners
  }

  static load(sources: BrokerConfigSources = {}): BrokerConfig {
    const values = new Map<string, string>();
    if (sources.file) {
      let text: string;
      try {
        text = readFileSync(sources.file, 'utf8');
      } catch (error) {
        throw new ConfigError(`cannot read config file ${sources.file}: ${(error as Error).message}`);
      }
      for (const [key, value] of parseProperties(text)) values.set(key, value);
    }
    for (const [key, value] of Object.entries(sources.overrides ?? {})) values.set(key, value);
    for (const [key, value] of Object.entries(sources.env ?? {})) {
      if (!key.startsWith('TIDELOG_') || value === undefined) continue;
      const name = key.slice('TIDELOG_'.length).toLowerCase().replaceAll('_', '.');
      if (BROKER_CONFIGS_BY_NAME.has(name)) values.set(name, value);
    }
    return new BrokerConfig(values);
  }

  private rawWithSource(name: string): { value: string | null; source: ConfigSource } {
    const dynamic = this.dynamicValues.get(name);
    if (dynamic !== undefined) return { value: dynamic, source: ConfigSource.DYNAMIC_BROKER_CONFIG };
    const dynamicDefault = this.dynamicDefaults.get(name);
    if (dynamicDefault !== undefined) return { value: dynamicDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const staticValue = this.staticValues.get(name);
    if (staticValue !== undefined) return { value: staticValue, source: ConfigSource.STATIC_BROKER_CONFIG };
    return { value: BROKER_CONFIGS_BY_NAME.get(name)?.defaultValue ?? null, source: ConfigSource.DEFAULT_CONFIG };
  }

  /** Whether the key was set anywhere (not only defaulted). */
  isSet(name: string): boolean {
    return this.rawWithSource(name).source !== ConfigSource.DEFAULT_CONFIG;
  }

  get(name: string): ConfigValue {
    for (const synonym of SYNONYMS[name] ?? [name]) {
      if (this.isSet(synonym)) return this.parse(synonym, this.rawWithSource(synonym).value);
    }
    return this.parse(name, this.rawWithSource(name).value);
  }

  private parse(name: string, raw: string | null): ConfigValue {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    return def ? validateConfigValue(def, raw) : raw;
  }

  number(name: string): number {
    const value = this.get(name);
    if (typeof value !== 'number') throw new ConfigError(`${name} is not set to a number`);
    return value;
  }

  boolean(name: string): boolean {
    return this.get(name) === true;
  }

  string(name: string): string | null {
    const value = this.get(name);
    return value === null ? null : formatConfigValue(value);
  }

  list(name: string): readonly string[] {
    const value = this.get(name);
    return Array.isArray(value) ? value : value === null ? [] : [String(value)];
  }

  get nodeId(): number {
    return this.number('node.id');
  }

  /** The data directory: the first of log.dirs, else log.dir. */
  get logDir(): string {
    return this.list('log.dirs')[0] ?? this.string('log.dir') ?? './data';
  }

  listeners(): Listener[] {
    return this.list('listeners').map((text) => parseListener(text, 'listeners'));
  }

  advertisedListeners(): Listener[] {
    const advertised = this.list('advertised.listeners');
    if (advertised.length === 0) {
      // Kafka advertises the listeners; an unspecified host (0.0.0.0) is replaced by the canonical host.
      return this.listeners().map((listener) => ({ ...listener, host: listener.host === '0.0.0.0' || listener.host === '' ? '127.0.0.1' : listener.host }));
    }
    return advertised.map((text) => parseListener(text, 'advertised.listeners'));
  }

  /** The raw value of `name` at one level (Kafka's four broker config sources), if set there. */
  valueAt(name: string, source: ConfigSource): string | undefined {
    switch (source) {
      case ConfigSource.DYNAMIC_BROKER_CONFIG:
        return this.dynamicValues.get(name);
      case ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG:
        return this.dynamicDefaults.get(name);
      case ConfigSource.STATIC_BROKER_CONFIG:
        return this.staticValues.get(name);
      case ConfigSource.DEFAULT_CONFIG:
        return BROKER_CONFIGS_BY_NAME.get(name)?.defaultValue ?? undefined;
      default:
        return undefined;
    }
  }

  /** The dynamic values of this broker (clusterDefault false) or the cluster-wide defaults (true). */
  dynamicConfigs(clusterDefault: boolean): ReadonlyMap<string, string> {
    return clusterDefault ? this.dynamicDefaults : this.dynamicValues;
  }

  /**
   * Sets or clears (value null) a dynamic value for this broker, or for every broker with
   * `clusterDefault` (AlterConfigs on a broker resource). Names Tidelog does not know are kept
   * as Kafka keeps custom dynamic configs; a known name must be dynamic and its value valid.
   */
  setDynamic(name: string, value: string | null, clusterDefault = false): void {
    const target = clusterDefault ? this.dynamicDefaults : this.dynamicValues;
    if (value === null) {
      target.delete(name);
      return;
    }
    validateDynamicBrokerConfigs(new Map([[name, value]]), !clusterDefault);
    target.set(name, value);
  }

  /**
   * Applies a dynamic value read from the metadata log. Kafka ignores stored values that are no
   * longer valid (DynamicBrokerConfig.removeInvalidConfigs, with an error in the log) rather than
   * refusing to start; so does this, returning the reason.
   */
  applyDynamic(name: string, value: string | null, clusterDefault: boolean): string | null {
    try {
      this.setDynamic(name, value, clusterDefault);
      return null;
    } catch (error) {
      (clusterDefault ? this.dynamicDefaults : this.dynamicValues).delete(name);
      return (error as Error).message;
    }
  }

  /**
   * Every broker config with its source and synonyms, as DescribeConfigs reports a broker:
   * the keys Tidelog knows, then any other key set in the properties file or dynamically (Kafka
   * lists a broker's `originals` too).
   */
  describe(): ConfigEntry[] {
    const entries = BROKER_CONFIGS.map((def) => this.describeOne(def.name)!);
    const custom = new Set([...this.staticValues.keys(), ...this.dynamicDefaults.keys(), ...this.dynamicValues.keys()]);
    for (const name of [...custom].filter((key) => !BROKER_CONFIGS_BY_NAME.has(key)).sort()) entries.push(this.describeOne(name)!);
    return entries;
  }

  /**
   * The cluster-wide dynamic defaults (the broker resource with an empty name): only the keys
   * set at that level, as Kafka's DescribeConfigs answers (currentDynamicDefaultConfigs).
   */
  describeClusterDefaults(): ConfigEntry[] {
    return [...this.dynamicDefaults.keys()].sort().map((name) => {
      const def = BROKER_CONFIGS_BY_NAME.get(name);
      const sensitive = def?.sensitive ?? false;
      const synonyms = this.synonymChain(name).filter((entry) => entry.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
      return {
        name,
        value: sensitive ? null : this.dynamicDefaults.get(name)!,
        source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
        readOnly: !def?.dynamic,
        sensitive,
        def,
        synonyms: sensitive ? synonyms.map((entry) => ({ ...entry, value: null })) : synonyms,
      };
    });
  }

  describeOne(name: string): ConfigEntry | undefined {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    const synonyms = this.synonymChain(name);
    if (!def && synonyms.length === 0) return undefined;
    const sensitive = def?.sensitive ?? false;
    // The value is the key's own (Kafka's KafkaConfig value for that key), the source the first synonym's.
    const own = this.rawWithSource(name);
    return {
      name,
      value: sensitive ? null : own.value,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: !def?.dynamic,
      sensitive,
      def,
      synonyms: sensitive ? synonyms.map((entry) => ({ ...entry, value: null })) : synonyms,
    };
  }

  /**
   * The layered values of one key and the keys that mean the same thing (log.retention.ms,
   * .minutes, .hours), as Kafka's ConfigHelper.configSynonyms lists them: every dynamic
   * per-broker value first, then the dynamic defaults, the static values, the defaults; entries
   * before the key's own first one are dropped (describing log.retention.hours does not show a
   * log.retention.ms set at the same level).
   */
  synonymChain(name: string): { name: string; value: string | null; source: ConfigSource }[] {
    const names = BROKER_SYNONYMS.get(name) ?? [name];
    const chain: { name: string; value: string | null; source: ConfigSource }[] = [];
    for (const source of SOURCE_ORDER) {
      for (const synonym of names) {
        const value = this.valueAt(synonym, source);
        if (value !== undefined) chain.push({ name: synonym, value, source });
      }
    }
    const first = chain.findIndex((entry) => entry.name === name);
    return first < 0 ? [] : chain.slice(first);
  }
}

/** Kafka's order of precedence for broker configs (DynamicBrokerConfig). */
const SOURCE_ORDER = [
  ConfigSource.DYNAMIC_BROKER_CONFIG,
  ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
  ConfigSource.STATIC_BROKER_CONFIG,
  ConfigSource.DEFAULT_CONFIG,
] as const;

/** Broker keys that set the same thing in other units (DynamicBrokerConfig.brokerConfigSynonyms). */
const BROKER_SYNONYMS: ReadonlyMap<string, readonly string[]> = new Map(
  [
    ['log.roll.ms', 'log.roll.hours'],
    ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  ].flatMap((group) => group.map((name) => [name, group] as const)),
);

/** Kafka's Scala Set rendering, which its error messages show: Set(a, b). */
function scalaSet(names: readonly string[]): string {
  return `Set(${names.join(', ')})`;
}

/**
 * Checks a dynamic broker config change the way Kafka's DynamicBrokerConfig.validateConfigs does:
 * keys Kafka cannot change at runtime, then the values' types and ranges, then per-broker-only
 * keys at the cluster level. Kafka answers every such failure with INVALID_REQUEST, not
 * INVALID_CONFIG (ConfigAdminManager; KAFKA-13609 keeps it so for compatibility). Names Tidelog
 * does not know are allowed, as Kafka allows custom dynamic configs.
 */
export function validateDynamicBrokerConfigs(configs: ReadonlyMap<string, string>, perBroker: boolean): void {
  const names = [...configs.keys()];
  const nonDynamic = names.filter((name) => {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    return def !== undefined && !def.dynamic;
  });
  if (nonDynamic.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: ${scalaSet(nonDynamic)}`);
  for (const [name, value] of configs) {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    if (!def) continue;
    try {
      validateConfigValue(def, value);
      if (name === 'advertised.listeners') for (const listener of value.split(',')) if (listener.trim() !== '') parseListener(listener, name);
    } catch (error) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, (error as Error).message);
    }
  }
  if (!perBroker) {
    const perBrokerOnly = names.filter((name) => BROKER_CONFIGS_BY_NAME.get(name)?.perBroker);
    if (perBrokerOnly.length > 0) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Cannot update these configs at default cluster level, broker id must be specified: ${scalaSet(perBrokerOnly)}`);
    }
  }
}

export function parseListener(text: string, key: string): Listener {
  const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!match) throw new ConfigError(`Invalid value ${text} for configuration ${key}: expected NAME://host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`Invalid port ${port} in ${key}`);
  return { name: match[1]!.toUpperCase(), host: match[2]!.replace(/^\[|\]$/g, ''), port };
}
