/**
 * CreateTopics (key 19). Creates topics, with either a partition count and replication factor
 * or an explicit replica assignment, plus topic configs. v1 adds validateOnly and a per-topic
 * error message; v2 throttleTimeMs; v4 lets -1 stand for the broker's default partition count
 * and replication factor (KIP-464); v5 is flexible and returns the created topic's settings and
 * configs (KIP-525); v6 may answer THROTTLING_QUOTA_EXCEEDED; v7 returns the topic id.
 */
import { defineApi } from '../api.js';

export const createTopics = defineApi({
  apiKey: 19,
  name: 'CreateTopics',
  validVersions: '0-7',
  flexibleVersions: '5+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'numPartitions', type: 'int32', versions: '0+', about: '-1 with assignments or for the default' },
        { name: 'replicationFactor', type: 'int16', versions: '0+', about: '-1 with assignments or for the default' },
        {
          name: 'assignments',
          type: '[]',
          versions: '0+',
          about: 'explicit replica placement; empty for automatic',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'brokerIds', type: '[]int32', versions: '0+' },
          ],
        },
        {
          name: 'configs',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    { name: 'validateOnly', type: 'bool', versions: '1+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'topicId', type: 'uuid', versions: '7+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '1+', nullableVersions: '0+' },
        {
          name: 'topicConfigErrorCode',
          type: 'int16',
          versions: '5+',
          tag: 0,
          taggedVersions: '5+',
          about: 'why configs were left out of the answer',
        },
        { name: 'numPartitions', type: 'int32', versions: '5+', default: -1 },
        { name: 'replicationFactor', type: 'int16', versions: '5+', default: -1 },
        {
          name: 'configs',
          type: '[]',
          versions: '5+',
          nullableVersions: '5+',
          fields: [
            { name: 'name', type: 'string', versions: '5+' },
            { name: 'value', type: 'string', versions: '5+', nullableVersions: '5+' },
            { name: 'readOnly', type: 'bool', versions: '5+' },
            { name: 'configSource', type: 'int8', versions: '5+', default: -1, about: 'as in DescribeConfigs' },
            { name: 'isSensitive', type: 'bool', versions: '5+' },
          ],
        },
      ],
    },
  ],
});
