/**
 * ElectLeaders (key 43). Triggers leader election for partitions (null = every partition).
 * v1 (KIP-460) adds electionType — preferred or unclean — and a top-level error code in the
 * response; v2 is flexible.
 */
import { defineApi } from '../api.js';

export const electLeaders = defineApi({
  apiKey: 43,
  name: 'ElectLeaders',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [
    {
      name: 'electionType',
      type: 'int8',
      versions: '1+',
      about: '0 = preferred replica, 1 = unclean (first live replica when no ISR).',
    },
    {
      name: 'topicPartitions',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]int32', versions: '0+' },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '1+' },
    {
      name: 'replicaElectionResults',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        {
          name: 'partitionResult',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partitionId', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
});
