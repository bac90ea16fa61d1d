/**
 * DescribeTopicPartitions (key 75, KIP-966). Topic and partition metadata, paginated: at most
 * responsePartitionLimit partitions per response, resumed from a cursor (topic name and first
 * partition). Adds eligible leader replicas (ELR) and the last known ELR to what Metadata
 * carries. Only v0 exists.
 */
import { defineApi } from '../api.js';
import type { Field } from '../schema.js';

const cursorFields = [
  { name: 'topicName', type: 'string', versions: '0+' },
  { name: 'partitionIndex', type: 'int32', versions: '0+' },
] as const satisfies readonly Field[];

export const describeTopicPartitions = defineApi({
  apiKey: 75,
  name: 'DescribeTopicPartitions',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    { name: 'topics', type: '[]', versions: '0+', fields: [{ name: 'name', type: 'string', versions: '0+' }] },
    { name: 'responsePartitionLimit', type: 'int32', versions: '0+', default: 2000 },
    { name: 'cursor', type: 'struct', versions: '0+', nullableVersions: '0+', default: null, fields: cursorFields },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'name', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'topicId', type: 'uuid', versions: '0+' },
        { name: 'isInternal', type: 'bool', versions: '0+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'leaderId', type: 'int32', versions: '0+' },
            { name: 'leaderEpoch', type: 'int32', versions: '0+', default: -1 },
            { name: 'replicaNodes', type: '[]int32', versions: '0+' },
            { name: 'isrNodes', type: '[]int32', versions: '0+' },
            { name: 'eligibleLeaderReplicas', type: '[]int32', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'lastKnownElr', type: '[]int32', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'offlineReplicas', type: '[]int32', versions: '0+' },
          ],
        },
        { name: 'topicAuthorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
      ],
    },
    {
      name: 'nextCursor',
      type: 'struct',
      versions: '0+',
      nullableVersions: '0+',
      default: null,
      fields: cursorFields,
      about: 'Where to resume, or null when everything was returned.',
    },
  ],
});
