/**
 * The records the transaction coordinator keeps in `__transaction_state` (Kafka's
 * TransactionLogKey/Value, see ../shared/kafka-protocol/records). The key is the transactional
 * id (key version 0); the value is the transaction's metadata after a state change; a null
 * value (tombstone) means the transactional id expired.
 *
 * Tidelog writes value version 0, as Kafka does for transaction.version 1 clients (version 1
 * is flexible and adds the KIP-890 fields as tagged fields); it reads both. An Empty
 * transaction is written with a null partition list, as Kafka's TransactionLog.valueToBytes.
 */
import { defineRecordSchema } from '../record-codec.js';

export const TRANSACTION_LOG_KEY_VERSION = 0;
export const TRANSACTION_LOG_VALUE_VERSION = 0;

export const transactionLogKey = defineRecordSchema({
  name: 'TransactionLogKey',
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [{ name: 'transactionalId', type: 'string', versions: '0' }],
});

export const transactionLogValue = defineRecordSchema({
  name: 'TransactionLogValue',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'previousProducerId', type: 'int64', versions: '1+', taggedVersions: '1+', tag: 0, default: -1 },
    { name: 'nextProducerId', type: 'int64', versions: '1+', taggedVersions: '1+', tag: 1, default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'transactionStatus', type: 'int8', versions: '0+' },
    {
      name: 'transactionPartitions',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitionIds', type: '[]int32', versions: '0+' },
      ],
    },
    { name: 'transactionLastUpdateTimestampMs', type: 'int64', versions: '0+' },
    { name: 'transactionStartTimestampMs', type: 'int64', versions: '0+' },
    { name: 'clientTransactionVersion', type: 'int16', versions: '1+', taggedVersions: '1+', tag: 2, default: 0 },
  ],
});
