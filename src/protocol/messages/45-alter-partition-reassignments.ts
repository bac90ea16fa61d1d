/**
 * AlterPartitionReassignments (key 45, KIP-455). Starts moving partitions to a new replica
 * set, or cancels a pending move (replicas null). v0 is the only version in the reference
 * definitions this is checked against.
 */
import { defineApi } from '../api.js';

export const alterPartitionReassignments = defineApi({
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
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
            {
              name: 'replicas',
              type: '[]int32',
              versions: '0+',
              nullableVersions: '0+',
              default: null,
              about: 'The new replica set, or null to cancel a pending reassignment.',
            },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'responses',
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
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
});
