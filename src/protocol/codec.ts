/**
 * Compiles a message declaration (schema.ts) into straight-line JavaScript for one version:
 * one function per struct, fields read and written in declaration order, no interpretation
 * of the declaration at run time. Compiled once per (message, version) on first use.
 *
 * Grammar notes (Kafka's, see ../shared/kafka-protocol/README.upstream.md):
 * - flexible versions use compact strings/bytes/arrays (unsigned varint length N+1, 0 = null)
 *   and end every struct with a tagged-field section: uvarint count, then (uvarint tag,
 *   uvarint size, bytes) in ascending tag order; unknown tags are skipped.
 * - a nullable struct is prefixed with an int8: -1 for null, 1 for present.
 */
import { ProtocolDecodeError } from '../errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { inVersionRange, type Field, type ScalarType } from './schema.js';

export type Decoder<T> = (reader: Reader) => T;
export type Encoder<T> = (writer: Writer, value: T) => void;

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const FIXED_SIZE: Partial<Record<ScalarType, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

const READ_FIXED: Partial<Record<ScalarType, string>> = {
  bool: 'readBool',
  int8: 'readInt8',
  int16: 'readInt16',
  uint16: 'readUint16',
  int32: 'readInt32',
  uint32: 'readUint32',
  int64: 'readInt64',
  float64: 'readFloat64',
  uuid: 'readUuid',
};

const WRITE_FIXED: Partial<Record<ScalarType, string>> = {
  bool: 'writeBool',
  int8: 'writeInt8',
  int16: 'writeInt16',
  uint16: 'writeUint16',
  int32: 'writeInt32',
  uint32: 'writeUint32',
  int64: 'writeInt64',
  float64: 'writeFloat64',
  uuid: 'writeUuid',
};

function isArray(field: Field): boolean {
  return field.type.startsWith('[]');
}

function elementType(field: Field): ScalarType {
  return field.type.slice(2) as ScalarType;
}

class Generator {
  private readonly helpers: string[] = [];
  private readonly names = new Map<readonly Field[], Map<string, string>>();
  private counter = 0;

  constructor(
    private readonly version: number,
    private readonly flexible: boolean,
  ) {}

  source(entry: string): string {
    return `'use strict';\n${this.helpers.join('\n')}\nreturn ${entry};`;
  }

  private helperName(fields: readonly Field[], kind: string, build: (name: string) => string): string {
    let byKind = this.names.get(fields);
    if (!byKind) {
      byKind = new Map();
      this.names.set(fields, byKind);
    }
    const existing = byKind.get(kind);
    if (existing) return existing;
    const name = `${kind}${this.counter++}`;
    byKind.set(kind, name);
    this.helpers.push(build(name));
    return name;
  }

  private present(field: Field): boolean {
    return inVersionRange(field.versions, this.version) && !this.tagged(field);
  }

  private tagged(field: Field): boolean {
    return this.flexible && field.tag !== undefined && inVersionRange(field.taggedVersions, this.version);
  }

  private nullable(field: Field): boolean {
    return inVersionRange(field.nullableVersions, this.version);
  }

  /** Smallest encoded size of one struct, to bound hostile array counts. */
  private minimumStructSize(fields: readonly Field[]): number {
    let size = this.flexible ? 1 : 0;
    for (const field of fields) {
      if (!this.present(field)) continue;
      if (field.type === 'struct') size += this.nullable(field) ? 1 : this.minimumStructSize(field.fields ?? []);
      else if (isArray(field)) size += this.flexible ? 1 : 4;
      else size += FIXED_SIZE[field.type as ScalarType] ?? (this.flexible ? 1 : field.type === 'string' ? 2 : 4);
    }
    return size;
  }

  /**
   * Kafka's defaults: the declared default, else the type's zero value ('' for strings, [] for
   * arrays, even when nullable: null only where the declaration says `default: null`).
   */
  defaultExpression(field: Field): string {
    if (isArray(field)) return field.default === null ? 'null' : '[]';
    if (field.type === 'struct') {
      return field.nullableVersions ? 'null' : `${this.defaultStruct(field.fields ?? [])}()`;
    }
    if (field.default !== undefined) return JSON.stringify(field.default);
    switch (field.type as ScalarType) {
      case 'bool':
        return 'false';
      case 'string':
        return "''";
      case 'uuid':
        return JSON.stringify(ZERO_UUID);
      case 'bytes':
        return 'EMPTY_BYTES';
      case 'records':
        return 'null';
      default:
        return '0';
    }
  }

  defaultStruct(fields: readonly Field[]): string {
    return this.helperName(fields, 'z', (name) => {
      const body = fields.map((field) => `${JSON.stringify(field.name)}: ${this.defaultExpression(field)}`).join(', ');
      return `function ${name}() { return { ${body} }; }`;
    });
  }

  // ---- decoding ----

  private readScalar(type: ScalarType, nullable: boolean): string {
    const fixed = READ_FIXED[type];
    if (fixed) return `r.${fixed}()`;
    const compact = this.flexible ? 'Compact' : '';
    switch (type) {
      case 'string':
        return `r.read${compact}${nullable ? 'Nullable' : ''}String()`;
      case 'bytes':
        return `r.read${compact}${nullable ? 'Nullable' : ''}Bytes()`;
      case 'records':
        return `r.read${compact}NullableBytes()`;
      default:
        throw new Error(`unknown type ${type}`);
    }
  }

  private readField(field: Field): string {
    const nullable = this.nullable(field);
    if (field.type === 'struct') {
      const decode = this.decodeStruct(field.fields ?? []);
      return nullable ? `(r.readInt8() < 0 ? null : ${decode}(r))` : `${decode}(r)`;
    }
    if (!isArray(field)) return this.readScalar(field.type as ScalarType, nullable);
    const element =
      field.type === '[]' ? `${this.decodeStruct(field.fields ?? [])}(r)` : this.readScalar(elementType(field), false);
    const minimum =
      field.type === '[]' ? Math.max(1, this.minimumStructSize(field.fields ?? [])) : FIXED_SIZE[elementType(field)] ?? 1;
    const lengthRead = this.flexible ? `r.readCompactArrayLength(${minimum})` : `r.readArrayLength(${minimum})`;
    // A null array where the protocol does not allow one is read as empty: losing nothing beats
    // refusing a client that encodes "no items" as null (kafkajs does, for Metadata topics).
    const helper = this.helperName([field], `a${nullable ? 'n' : ''}`, (name) =>
      [
        `function ${name}(r) {`,
        `  const n = ${lengthRead};`,
        `  if (n < 0) return ${nullable ? 'null' : '[]'};`,
        `  const a = new Array(n);`,
        `  for (let i = 0; i < n; i++) a[i] = ${element};`,
        `  return a;`,
        `}`,
      ].join('\n'),
    );
    return `${helper}(r)`;
  }

  decodeStruct(fields: readonly Field[]): string {
    return this.helperName(fields, 'd', (name) => {
      const lines = [`function ${name}(r) {`, '  const o = {'];
      for (const field of fields) {
        const value = this.present(field) ? this.readField(field) : this.defaultExpression(field);
        lines.push(`    ${JSON.stringify(field.name)}: ${value},`);
      }
      lines.push('  };');
      if (this.flexible) {
        const tagged = fields.filter((field) => this.tagged(field));
        if (tagged.length === 0) {
          lines.push('  r.skipTaggedFields();');
        } else {
          lines.push(
            '  const count = r.readUnsignedVarint();',
            '  for (let i = 0; i < count; i++) {',
            '    const tag = r.readUnsignedVarint();',
            '    const size = r.readUnsignedVarint();',
            '    const end = r.offset + size;',
            "    if (end > r.end) throw new ProtocolDecodeError('tagged field overruns its struct');",
            '    switch (tag) {',
          );
          for (const field of tagged) {
            lines.push(`      case ${field.tag}: o[${JSON.stringify(field.name)}] = ${this.readField(field)}; break;`);
          }
          lines.push(
            '    }',
            "    if (r.offset > end) throw new ProtocolDecodeError('tagged field longer than its size');",
            '    r.offset = end;',
            '  }',
          );
        }
      }
      lines.push('  return o;', '}');
      return lines.join('\n');
    });
  }

  // ---- encoding ----

  private writeScalar(type: ScalarType, nullable: boolean, value: string, writer: string): string {
    const fixed = WRITE_FIXED[type];
    if (fixed) return `${writer}.${fixed}(${value});`;
    const compact = this.flexible ? 'Compact' : '';
    switch (type) {
      case 'string':
        return `${writer}.write${compact}${nullable ? 'Nullable' : ''}String(${value});`;
      case 'bytes':
        return `${writer}.write${compact}${nullable ? 'Nullable' : ''}Bytes(${value});`;
      case 'records':
        return `${writer}.writeRecords(${value}, ${this.flexible});`;
      default:
        throw new Error(`unknown type ${type}`);
    }
  }

  private writeField(field: Field, value: string, writer: string): string {
    const nullable = this.nullable(field);
    if (field.type === 'struct') {
      const encode = this.encodeStruct(field.fields ?? []);
      return nullable
        ? `if (${value} === null) ${writer}.writeInt8(-1); else { ${writer}.writeInt8(1); ${encode}(${writer}, ${value}); }`
        : `${encode}(${writer}, ${value});`;
    }
    if (!isArray(field)) return this.writeScalar(field.type as ScalarType, nullable, value, writer);
    const element =
      field.type === '[]'
        ? `${this.encodeStruct(field.fields ?? [])}(w, a[i]);`
        : this.writeScalar(elementType(field), false, 'a[i]', 'w');
    const helper = this.helperName([field], 'b', (name) =>
      [
        `function ${name}(w, a) {`,
        `  if (a === null) { w.writeArrayLength(${nullable ? 'null' : '0'}, ${this.flexible}); return; }`,
        `  w.writeArrayLength(a.length, ${this.flexible});`,
        `  for (let i = 0; i < a.length; i++) ${element}`,
        `}`,
      ].join('\n'),
    );
    return `${helper}(${writer}, ${value});`;
  }

  private isDefaultTest(field: Field, value: string): string {
    if (isArray(field)) return field.default === null ? `(${value} === null)` : `(${value} !== null && ${value}.length === 0)`;
    if (field.type === 'struct') return `(${value} === null || ${this.structIsDefault(field.fields ?? [])}(${value}))`;
    if (field.type === 'bytes' || field.type === 'records') return `(${value} === null || ${value}.length === 0)`;
    return `(${value} === ${this.defaultExpression(field)})`;
  }

  /** A helper telling whether a struct holds only default values (a tagged struct is then left out, as Kafka does). */
  private structIsDefault(fields: readonly Field[]): string {
    return this.helperName(fields, 'q', (name) => {
      const tests = fields.map((field) => this.isDefaultTest(field, `o[${JSON.stringify(field.name)}]`));
      return `function ${name}(o) { return ${tests.length > 0 ? tests.join(' && ') : 'true'}; }`;
    });
  }

  encodeStruct(fields: readonly Field[]): string {
    return this.helperName(fields, 'e', (name) => {
      const lines = [`function ${name}(w, o) {`, '  let v;'];
      for (const field of fields) {
        if (!this.present(field)) continue;
        lines.push(`  v = o[${JSON.stringify(field.name)}]; if (v === undefined) v = ${this.defaultExpression(field)};`);
        lines.push(`  ${this.writeField(field, 'v', 'w')}`);
      }
      if (this.flexible) {
        const tagged = fields.filter((field) => this.tagged(field)).sort((a, b) => a.tag! - b.tag!);
        if (tagged.length === 0) {
          lines.push('  w.writeUnsignedVarint(0);');
        } else {
          lines.push('  let count = 0;');
          tagged.forEach((field, index) => {
            lines.push(`  const t${index} = o[${JSON.stringify(field.name)}];`);
            lines.push(`  const p${index} = t${index} !== undefined && !${this.isDefaultTest(field, `t${index}`)};`);
            lines.push(`  if (p${index}) count++;`);
          });
          lines.push('  w.writeUnsignedVarint(count);');
          tagged.forEach((field, index) => {
            lines.push(
              `  if (p${index}) {`,
              `    const tw = new Writer();`,
              `    ${this.writeField(field, `t${index}`, 'tw')}`,
              `    w.writeUnsignedVarint(${field.tag});`,
              `    w.writeUnsignedVarint(tw.length);`,
              `    for (const c of tw.finish()) w.writeRaw(c);`,
              `  }`,
            );
          });
        }
      }
      lines.push('}');
      return lines.join('\n');
    });
  }
}

const EMPTY_BYTES = Buffer.alloc(0);

function build<T>(source: string): T {
  // Compiled once per message and version; the generated code only calls Reader/Writer methods.
  return new Function('Writer', 'ProtocolDecodeError', 'EMPTY_BYTES', source)(Writer, ProtocolDecodeError, EMPTY_BYTES) as T;
}

export function compileDecoder<T>(fields: readonly Field[], version: number, flexible: boolean): Decoder<T> {
  const generator = new Generator(version, flexible);
  const entry = generator.decodeStruct(fields);
  return build<Decoder<T>>(generator.source(entry));
}

export function compileEncoder<T>(fields: readonly Field[], version: number, flexible: boolean): Encoder<T> {
  const generator = new Generator(version, flexible);
  const entry = generator.encodeStruct(fields);
  return build<Encoder<T>>(generator.source(entry));
}

/** The generated source, for reading and debugging (`tidelog dev codec Produce 9`). */
export function decoderSource(fields: readonly Field[], version: number, flexible: boolean): string {
  const generator = new Generator(version, flexible);
  return generator.source(generator.decodeStruct(fields));
}
