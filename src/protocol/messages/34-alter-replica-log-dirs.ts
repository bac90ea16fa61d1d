/**
 * AlterReplicaLogDirs (key 34). Moves partition replicas on a broker into another log
 * directory. v1 is v0 with throttle-first responses, v2 is flexible. v0 was removed by Kafka
 * 4.0 (KIP-896).
 */
import { defineApi } from '../api.js';

export const alterReplicaLogDirs = defineApi({
  apiKey: 34,
  name: 'AlterReplicaLogDirs',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [
    {
      name: 'dirs',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'path', type: 'string', versions: '0+', about: 'The absolute directory path.' },
        {
          name: 'topics',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'partitions', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topicName', type: 'string', versions: '0+' },
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
});
