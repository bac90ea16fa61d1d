/**
 * ListPartitionReassignments (key 46, KIP-455). Lists ongoing replica moves: target replicas
 * plus the replicas being added and removed. A null topic list means every partition. Only v0
 * exists.
 */
import { defineApi } from '../api.js';

export const listPartitionReassignments = defineApi({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      default: null,
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
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
            { name: 'replicas', type: '[]int32', versions: '0+' },
            { name: 'addingReplicas', type: '[]int32', versions: '0+' },
            { name: 'removingReplicas', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
