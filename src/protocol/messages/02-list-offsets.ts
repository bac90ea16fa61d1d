/**
 * ListOffsets (key 2). Looks up an offset per partition by timestamp, or by one of the special
 * timestamps: -1 latest (LSO under read committed), -2 earliest, -3 the record with the largest
 * timestamp (v7+), -4 earliest local (v8+), -5 latest tiered (v9+). v0 can return several
 * offsets per partition; v1+ return exactly one, with its timestamp. v2 adds the isolation
 * level, v4 leader epochs for fencing, v6 is flexible, v10 a timeout for tiered-storage lookups.
 */
import { defineApi } from '../api.js';

export const listOffsets = defineApi({
  apiKey: 2,
  name: 'ListOffsets',
  validVersions: '0-10',
  flexibleVersions: '6+',
  request: [
    { name: 'replicaId', type: 'int32', versions: '0+', about: '-1 for consumers' },
    { name: 'isolationLevel', type: 'int8', versions: '2+', about: '0 read uncommitted, 1 read committed' },
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
            { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1 },
            { name: 'timestamp', type: 'int64', versions: '0+', about: 'a time in ms, or -1 … -5 (see above)' },
            { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '10+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
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
            { name: 'oldStyleOffsets', type: '[]int64', versions: '0', about: 'v0 only: offsets, newest first' },
            { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
            { name: 'offset', type: 'int64', versions: '1+', default: -1 },
            { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
});
