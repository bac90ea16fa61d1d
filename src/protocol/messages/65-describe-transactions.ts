/**
 * DescribeTransactions (key 65, KIP-664). The transaction coordinator's state for the given
 * transactional ids: state name, timeout, start time, producer id/epoch and the partitions in
 * the transaction. Only v0 exists.
 */
import { defineApi } from '../api.js';

export const describeTransactions = defineApi({
  apiKey: 65,
  name: 'DescribeTransactions',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [{ name: 'transactionalIds', type: '[]string', versions: '0+' }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'transactionStates',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'transactionalId', type: 'string', versions: '0+' },
        { name: 'transactionState', type: 'string', versions: '0+', about: "e.g. 'Ongoing', 'PrepareCommit', 'CompleteAbort'." },
        { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
        { name: 'transactionStartTimeMs', type: 'int64', versions: '0+' },
        { name: 'producerId', type: 'int64', versions: '0+' },
        { name: 'producerEpoch', type: 'int16', versions: '0+' },
        {
          name: 'topics',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'topic', type: 'string', versions: '0+' },
            { name: 'partitions', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
