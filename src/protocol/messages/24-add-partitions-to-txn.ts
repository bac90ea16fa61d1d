/**
 * AddPartitionsToTxn (key 24). A transactional producer registers the partitions it is about to
 * write with its transaction coordinator. v0-3 carry one transaction (the client form, fields
 * prefixed v3AndBelow); v4+ is the broker-to-coordinator batch form with several transactions
 * and a verifyOnly flag (KIP-890), and the response gains a top-level error code. v2 allows
 * PRODUCER_FENCED, v3 is flexible, v5 allows TRANSACTION_ABORTABLE.
 */
import { defineApi } from '../api.js';
import type { Field } from '../schema.js';

const topicFields = [
  { name: 'name', type: 'string', versions: '0+' },
  { name: 'partitions', type: '[]int32', versions: '0+' },
] as const satisfies readonly Field[];

const topicResultFields = [
  { name: 'name', type: 'string', versions: '0+' },
  {
    name: 'resultsByPartition',
    type: '[]',
    versions: '0+',
    fields: [
      { name: 'partitionIndex', type: 'int32', versions: '0+' },
      { name: 'partitionErrorCode', type: 'int16', versions: '0+' },
    ],
  },
] as const satisfies readonly Field[];

export const addPartitionsToTxn = defineApi({
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  validVersions: '0-5',
  flexibleVersions: '3+',
  request: [
    {
      name: 'transactions',
      type: '[]',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        { name: 'producerId', type: 'int64', versions: '4+' },
        { name: 'producerEpoch', type: 'int16', versions: '4+' },
        {
          name: 'verifyOnly',
          type: 'bool',
          versions: '4+',
          about: 'Only check that the partitions are already in the transaction; add nothing.',
        },
        { name: 'topics', type: '[]', versions: '4+', fields: topicFields },
      ],
    },
    { name: 'v3AndBelowTransactionalId', type: 'string', versions: '0-3' },
    { name: 'v3AndBelowProducerId', type: 'int64', versions: '0-3' },
    { name: 'v3AndBelowProducerEpoch', type: 'int16', versions: '0-3' },
    { name: 'v3AndBelowTopics', type: '[]', versions: '0-3', fields: topicFields },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '4+' },
    {
      name: 'resultsByTransaction',
      type: '[]',
      versions: '4+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '4+' },
        { name: 'topicResults', type: '[]', versions: '4+', fields: topicResultFields },
      ],
    },
    { name: 'resultsByTopicV3AndBelow', type: '[]', versions: '0-3', fields: topicResultFields },
  ],
});
