/**
 * How one configuration key is declared: Kafka's name, type, default, validation and docs.
 * Values are kept as strings where they come from (properties files, --set, CreateTopics,
 * AlterConfigs) and parsed by the definition, the way Kafka's ConfigDef does.
 */
import { ConfigError } from '../errors.js';

/** DescribeConfigs ConfigType (KIP-569). */
export enum ConfigType {
  UNKNOWN = 0,
  BOOLEAN = 1,
  STRING = 2,
  INT = 3,
  SHORT = 4,
  LONG = 5,
  DOUBLE = 6,
  LIST = 7,
  CLASS = 8,
  PASSWORD = 9,
}

/** DescribeConfigs ConfigSource. */
export enum ConfigSource {
  UNKNOWN = 0,
  DYNAMIC_TOPIC_CONFIG = 1,
  DYNAMIC_BROKER_CONFIG = 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG = 3,
  STATIC_BROKER_CONFIG = 4,
  DEFAULT_CONFIG = 5,
  DYNAMIC_BROKER_LOGGER_CONFIG = 6,
}

export type ConfigValue = string | number | boolean | readonly string[] | null;

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Default as Kafka documents it, in string form; null = no default. */
  readonly defaultValue: string | null;
  readonly doc: string;
  /** Extra checks after type parsing: a range, a list of valid values. */
  readonly validator?: (value: ConfigValue, name: string) => void;
  /** Secret values are never returned by DescribeConfigs. */
  readonly sensitive?: boolean;
  /** May change while the broker runs (AlterConfigs on a broker resource; Kafka's DynamicBrokerConfig). */
  readonly dynamic?: boolean;
  /** Dynamic only per broker, never as a cluster-wide default (Kafka's PerBrokerConfigs: listeners, TLS). */
  readonly perBroker?: boolean;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Long.MAX_VALUE as Kafka prints it; parsed values above 2^53 round, which is fine for limits. */
export const LONG_MAX_STRING = '9223372036854775807';

export function parseConfigValue(def: ConfigDef, raw: string | null): ConfigValue {
  if (raw === null) return null;
  const text = raw.trim();
  switch (def.type) {
    case ConfigType.BOOLEAN:
      if (text.toLowerCase() === 'true') return true;
      if (text.toLowerCase() === 'false') return false;
      throw new ConfigError(`Invalid value ${raw} for configuration ${def.name}: Expected value to be either true or false`);
    case ConfigType.INT:
    case ConfigType.SHORT:
    case ConfigType.LONG: {
      if (!/^[+-]?\d+$/.test(text)) {
        throw new ConfigError(`Invalid value ${raw} for configuration ${def.name}: Not a number of type ${ConfigType[def.type]}`);
      }
      const value = Number(text);
      const [min, max] =
        def.type === ConfigType.INT ? [INT32_MIN, INT32_MAX] : def.type === ConfigType.SHORT ? [-32768, 32767] : [-(2 ** 63), 2 ** 63];
      if (value < min || value > max) {
        throw new ConfigError(`Invalid value ${raw} for configuration ${def.name}: Not a number of type ${ConfigType[def.type]}`);
      }
      return value;
    }
    case ConfigType.DOUBLE: {
      const value = Number(text);
      if (text === '' || Number.isNaN(value)) {
        throw new ConfigError(`Invalid value ${raw} for configuration ${def.name}: Not a number of type DOUBLE`);
      }
      return value;
    }
    case ConfigType.LIST:
      return text === '' ? [] : text.split(',').map((item) => item.trim());
    default:
      return text;
  }
}

export function validateConfigValue(def: ConfigDef, raw: string | null): ConfigValue {
  const value = parseConfigValue(def, raw);
  if (value !== null) def.validator?.(value, def.name);
  return value;
}

// ---- validators ----

export function atLeast(min: number): (value: ConfigValue, name: string) => void {
  return (value, name) => {
    if (typeof value === 'number' && value < min) {
      throw new ConfigError(`Invalid value ${value} for configuration ${name}: Value must be at least ${min}`);
    }
  };
}

export function between(min: number, max: number): (value: ConfigValue, name: string) => void {
  return (value, name) => {
    if (typeof value === 'number' && (value < min || value > max)) {
      throw new ConfigError(`Invalid value ${value} for configuration ${name}: Value must be between ${min} and ${max}`);
    }
  };
}

/** compression.gzip.level: 1-9, or -1 for zlib's default (Kafka's GzipCompression.levelValidator). */
export function gzipLevel(value: ConfigValue, name: string): void {
  if (typeof value === 'number' && (value > 9 || (value < 1 && value !== -1))) {
    throw new ConfigError(`Invalid value ${value} for configuration ${name}: Value must be between 1 and 9 or equal to -1`);
  }
}

export function oneOf(...allowed: string[]): (value: ConfigValue, name: string) => void {
  return (value, name) => {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (!allowed.includes(String(item))) {
        throw new ConfigError(`Invalid value ${String(value)} for configuration ${name}: String must be one of: ${allowed.join(', ')}`);
      }
    }
  };
}

/**
 * Renders a parsed value back into Kafka's string form (ConfigDef.convertToString; DescribeConfigs
 * shows strings): lists joined by commas, doubles as Java prints them (1 -> "1.0").
 */
export function formatConfigValue(value: ConfigValue, type?: ConfigType): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (type === ConfigType.DOUBLE && typeof value === 'number') return formatJavaDouble(value);
  return String(value);
}

function formatJavaDouble(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e7)) {
    // Java's scientific form: 1.7976931348623157E308.
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}
