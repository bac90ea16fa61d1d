/**
 * DescribeProducers (key 61, KIP-664). Lists the producers with state on each partition (last
 * sequence, last timestamp, open transaction's first offset), for finding hanging
 * transactions. Only v0 exists.
 */
import { defineApi } from '../api.js';

export const describeProducers = defineApi({
  apiKey: 61,
  name: 'DescribeProducers',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
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
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            {
              name: 'activeProducers',
              type: '[]',
              versions: '0+',
              fields: [
                { name: 'producerId', type: 'int64', versions: '0+' },
                { name: 'producerEpoch', type: 'int32', versions: '0+' },
                { name: 'lastSequence', type: 'int32', versions: '0+', default: -1 },
                { name: 'lastTimestamp', type: 'int64', versions: '0+', default: -1 },
                { name: 'coordinatorEpoch', type: 'int32', versions: '0+' },
                {
                  name: 'currentTxnStartOffset',
                  type: 'int64',
                  versions: '0+',
                  default: -1,
                  about: 'First offset of the open transaction, or -1 if none.',
                },
              ],
            },
          ],
        },
      ],
    },
  ],
});
