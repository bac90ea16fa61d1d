/**
 * The language in which Tidelog declares Kafka's messages: one declaration per API key
 * (messages/NN-name.ts), with Kafka's field names camelCased and Kafka's version-range
 * notation ('0+', '3-7', '5', 'none'). codec.ts compiles a declaration into straight-line
 * encoders and decoders once per version; the TypeScript types of the messages are derived
 * from the declarations here, so the types, the codecs and the parity check against Kafka's
 * own definitions (test/protocol/parity.test.ts) all read the same source.
 */
import type { RecordsData } from './writer.js';

export type ScalarType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

/** A scalar, an array of scalars, an array of structs ('[]' with fields) or a struct. */
export type FieldType = ScalarType | `[]${ScalarType}` | '[]' | 'struct';

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** Versions in which the field is present ('none' for fields that are only tagged). */
  readonly versions: string;
  readonly nullableVersions?: string;
  /** Versions in which the field is a tagged field, with its tag. */
  readonly taggedVersions?: string;
  readonly tag?: number;
  /** Value when absent from a version or a tagged section (Kafka's JSON "default"). */
  readonly default?: number | string | boolean | null;
  /** Element fields of a '[]' or 'struct' field. */
  readonly fields?: readonly Field[];
  readonly about?: string;
}

export interface ApiSpec {
  readonly apiKey: number;
  readonly name: string;
  /** Versions declared here (the handler may serve fewer; ApiVersions advertises the handler's). */
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
}

/** A parsed version range; `none` is represented as min > max. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export function parseVersionRange(text: string | undefined): VersionRange {
  if (text === undefined || text === 'none') return { min: 1, max: 0 };
  if (text.endsWith('+')) return { min: Number(text.slice(0, -1)), max: Number.POSITIVE_INFINITY };
  const dash = text.indexOf('-');
  if (dash >= 0) return { min: Number(text.slice(0, dash)), max: Number(text.slice(dash + 1)) };
  const only = Number(text);
  return { min: only, max: only };
}

export function inVersionRange(text: string | undefined, version: number): boolean {
  const range = parseVersionRange(text);
  return version >= range.min && version <= range.max;
}

// ---- Types derived from declarations -------------------------------------------------------

type ScalarValue<T> = T extends 'bool'
  ? boolean
  : T extends 'string' | 'uuid'
    ? string
    : T extends 'bytes'
      ? Buffer
      : T extends 'records'
        ? RecordsData
        : number;

type NullableOf<F> = F extends { nullableVersions: string } ? null : never;

type DecodedValue<F extends Field> =
  | (F extends { type: '[]'; fields: infer S extends readonly Field[] }
      ? Message<S>[]
      : F extends { type: 'struct'; fields: infer S extends readonly Field[] }
        ? Message<S>
        : F['type'] extends `[]${infer P}`
          ? ScalarValue<P>[]
          : ScalarValue<F['type']>)
  | NullableOf<F>;

type InputValue<F extends Field> =
  | (F extends { type: '[]'; fields: infer S extends readonly Field[] }
      ? readonly MessageInput<S>[]
      : F extends { type: 'struct'; fields: infer S extends readonly Field[] }
        ? MessageInput<S>
        : F['type'] extends `[]${infer P}`
          ? readonly ScalarValue<P>[]
          : ScalarValue<F['type']>)
  | NullableOf<F>;

/** A field may be left out of an encoder's input when it has a default or exists only in some versions. */
type IsOptional<F> = F extends { tag: number }
  ? true
  : F extends { default: unknown }
    ? true
    : F extends { versions: '0+' }
      ? false
      : true;

/** A decoded message: every declared field is present (absent ones hold their default). */
export type Message<S extends readonly Field[]> = {
  -readonly [F in S[number] as F['name']]: DecodedValue<F>;
};

/** What an encoder accepts: fields with a default or outside some versions may be omitted. */
export type MessageInput<S extends readonly Field[]> = {
  readonly [F in S[number] as IsOptional<F> extends true ? never : F['name']]: InputValue<F>;
} & {
  readonly [F in S[number] as IsOptional<F> extends true ? F['name'] : never]?: InputValue<F>;
};
