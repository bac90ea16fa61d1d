/**
 * Tidelog's own TypeScript client (../shared/DESIGN.md §2: cli → client → protocol; nothing here
 * imports the broker). The admin client is the first part; the producer and consumer will build
 * on the same Connection and Cluster.
 */
export { Admin } from './admin.js';
export type * from './admin.js';
export { Cluster, parseBootstrapServers } from './cluster.js';
export type { BrokerAddress, ClusterMetadata } from './cluster.js';
export { Connection, CLIENT_SOFTWARE_NAME, CLIENT_SOFTWARE_VERSION } from './connection.js';
export type { ApiIdentity, ConnectionOptions, RequestOptions, VersionRange } from './connection.js';
export { ConnectionError, RequestTimeoutError, isRetriable } from './errors.js';
export { KafkaError } from '../errors.js';
export { ErrorCode } from '../protocol/error-codes.js';
