/**
 * An API key's declaration plus its codecs, compiled on first use per version.
 */
import { compileDecoder, compileEncoder, type Decoder, type Encoder } from './codec.js';
import type { Reader } from './reader.js';
import { inVersionRange, parseVersionRange, type ApiSpec, type Message, type MessageInput } from './schema.js';
import type { Writer } from './writer.js';

export class Api<S extends ApiSpec = ApiSpec> {
  private readonly requestDecoders: Decoder<Message<S['request']>>[] = [];
  private readonly requestEncoders: Encoder<MessageInput<S['request']>>[] = [];
  private readonly responseDecoders: Decoder<Message<S['response']>>[] = [];
  private readonly responseEncoders: Encoder<MessageInput<S['response']>>[] = [];
  readonly minVersion: number;
  readonly maxVersion: number;

  constructor(readonly spec: S) {
    const range = parseVersionRange(spec.validVersions);
    this.minVersion = range.min;
    this.maxVersion = range.max;
  }

  get apiKey(): number {
    return this.spec.apiKey;
  }

  get name(): string {
    return this.spec.name;
  }

  supports(version: number): boolean {
    return Number.isInteger(version) && version >= this.minVersion && version <= this.maxVersion;
  }

  isFlexible(version: number): boolean {
    return inVersionRange(this.spec.flexibleVersions, version);
  }

  /** Request header v2 for flexible versions, v1 otherwise (ControlledShutdown v0's header v0 is not served). */
  requestHeaderVersion(version: number): number {
    return this.isFlexible(version) ? 2 : 1;
  }

  /** Response header v1 for flexible versions, v0 otherwise; ApiVersions always uses v0 (KIP-511). */
  responseHeaderVersion(version: number): number {
    return this.spec.apiKey !== 18 && this.isFlexible(version) ? 1 : 0;
  }

  private checkVersion(version: number): void {
    if (!this.supports(version)) throw new RangeError(`${this.spec.name} v${version} is not declared`);
  }

  decodeRequest(reader: Reader, version: number): Message<S['request']> {
    this.checkVersion(version);
    const decode = (this.requestDecoders[version] ??= compileDecoder(this.spec.request, version, this.isFlexible(version)));
    return decode(reader);
  }

  encodeRequest(writer: Writer, version: number, message: MessageInput<S['request']>): void {
    this.checkVersion(version);
    const encode = (this.requestEncoders[version] ??= compileEncoder(this.spec.request, version, this.isFlexible(version)));
    encode(writer, message);
  }

  decodeResponse(reader: Reader, version: number): Message<S['response']> {
    this.checkVersion(version);
    const decode = (this.responseDecoders[version] ??= compileDecoder(this.spec.response, version, this.isFlexible(version)));
    return decode(reader);
  }

  encodeResponse(writer: Writer, version: number, message: MessageInput<S['response']>): void {
    this.checkVersion(version);
    const encode = (this.responseEncoders[version] ??= compileEncoder(this.spec.response, version, this.isFlexible(version)));
    encode(writer, message);
  }
}

/** Declares an API key. `const` keeps the literal field declarations, from which the types derive. */
export function defineApi<const S extends ApiSpec>(spec: S): Api<S> {
  return new Api(spec);
}

export type RequestOf<A> = A extends Api<infer S> ? Message<S['request']> : never;
export type ResponseOf<A> = A extends Api<infer S> ? Message<S['response']> : never;
export type ResponseInputOf<A> = A extends Api<infer S> ? MessageInput<S['response']> : never;
export type RequestInputOf<A> = A extends Api<infer S> ? MessageInput<S['request']> : never;
