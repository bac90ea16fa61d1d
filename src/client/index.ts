/**
 * Tidelog's own TypeScript client (../shared/DESIGN.md §2: cli → client → protocol; nothing here
 * imports the broker): the admin client, the producer and the consumer, on one Connection and
 * Cluster.
 */
export { Admin } from './admin.js';
export type * from './admin.js';
export { Producer } from './producer.js';
export type { Acks, BatchDelivery, CompressionName, DeliveryCallback, ProducerOptions, ProducerRecord, ProducerRecordHeader, RecordMetadata } from './producer.js';
export { Consumer, ConsumedBatch } from './consumer.js';
export type { ConsumerOptions, ConsumerRecord, IsolationLevel, OffsetSpec, PartitionAssignment, RecordView } from './consumer.js';
export { murmur2, partitionForKey } from './partitioner.js';
export type { KeylessStrategy, Partitioner } from './partitioner.js';
export { Cluster, parseBootstrapServers } from './cluster.js';
export type { BrokerAddress, ClusterMetadata } from './cluster.js';
export { Connection, CLIENT_SOFTWARE_NAME, CLIENT_SOFTWARE_VERSION } from './connection.js';
export type { ApiIdentity, ConnectionOptions, RequestOptions, VersionRange } from './connection.js';
export { ConnectionError, RequestTimeoutError, isRetriable } from './errors.js';
export { KafkaError } from '../errors.js';
export { ErrorCode } from '../protocol/error-codes.js';
