/**
 * The broker's configuration: Kafka's keys, resolved in Kafka's order — dynamic per-broker
 * value, dynamic cluster default, static value (properties file, then `--set`, then
 * TIDELOG_<KEY> in the environment), then the default. Values are kept as strings and parsed
 * by their definitions.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
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

  /** Sets or clears (value null) a dynamic value for this broker (AlterConfigs on a broker resource). */
  setDynamic(name: string, value: string | null, clusterDefault = false): void {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    if (!def) throw new ConfigError(`Unknown broker config ${name}`);
    if (!def.dynamic) throw new ConfigError(`Cannot update these configs dynamically: Set(${name})`);
    const target = clusterDefault ? this.dynamicDefaults : this.dynamicValues;
    if (value === null) target.delete(name);
    else {
      validateConfigValue(def, value);
      target.set(name, value);
    }
  }

  /** Every known broker config with its source and synonyms, as DescribeConfigs reports them. */
  describe(): ConfigEntry[] {
    return BROKER_CONFIGS.map((def) => this.describeOne(def.name)!);
  }

  describeOne(name: string): ConfigEntry | undefined {
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    if (!def) return undefined;
    const own = this.rawWithSource(name);
    const synonyms = this.synonymChain(name);
    return {
      name,
      value: def.sensitive ? null : own.value,
      source: own.source,
      readOnly: !def.dynamic,
      sensitive: def.sensitive ?? false,
      def,
      synonyms,
    };
  }

  /** The layered values of one key, most specific first (DescribeConfigs include_synonyms). */
  synonymChain(name: string): { name: string; value: string | null; source: ConfigSource }[] {
    const chain: { name: string; value: string | null; source: ConfigSource }[] = [];
    const dynamic = this.dynamicValues.get(name);
    if (dynamic !== undefined) chain.push({ name, value: dynamic, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const dynamicDefault = this.dynamicDefaults.get(name);
    if (dynamicDefault !== undefined) chain.push({ name, value: dynamicDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const staticValue = this.staticValues.get(name);
    if (staticValue !== undefined) chain.push({ name, value: staticValue, source: ConfigSource.STATIC_BROKER_CONFIG });
    const def = BROKER_CONFIGS_BY_NAME.get(name);
    if (def && def.defaultValue !== null) chain.push({ name, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    return chain;
  }
}

export function parseListener(text: string, key: string): Listener {
  const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text.trim());
  if (!match) throw new ConfigError(`Invalid value ${text} for configuration ${key}: expected NAME://host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(`Invalid port ${port} in ${key}`);
  return { name: match[1]!.toUpperCase(), host: match[2]!.replace(/^\[|\]$/g, ''), port };
}
