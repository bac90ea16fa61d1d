/**
 * WriteTxnMarkers (key 27). Sent by a transaction coordinator to partition leaders to append
 * COMMIT or ABORT control batches for a finished transaction. v1 is flexible; otherwise the
 * versions are identical.
 */
import { defineApi } from '../api.js';

export const writeTxnMarkers = defineApi({
  apiKey: 27,
  name: 'WriteTxnMarkers',
  validVersions: '0-1',
  flexibleVersions: '1+',
  request: [
    {
      name: 'markers',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'producerId', type: 'int64', versions: '0+' },
        { name: 'producerEpoch', type: 'int16', versions: '0+' },
        { name: 'transactionResult', type: 'bool', versions: '0+', about: 'true = COMMIT, false = ABORT.' },
        {
          name: 'topics',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
          ],
        },
        {
          name: 'coordinatorEpoch',
          type: 'int32',
          versions: '0+',
          about: "Epoch of the coordinator's __transaction_state partition.",
        },
      ],
    },
  ],
  response: [
    {
      name: 'markers',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'producerId', type: 'int64', versions: '0+' },
        {
          name: 'topics',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            {
              name: 'partitions',
              type: '[]',
              versions: '0+',
              fields: [
                { name: 'partitionIndex', type: 'int32', versions: '0+' },
                { name: 'errorCode', type: 'int16', versions: '0+' },
              ],
            },
          ],
        },
      ],
    },
  ],
});
