/**
 * OffsetForLeaderEpoch (key 23). For each partition, the end offset of a leader epoch (the
 * start offset of the next epoch), which a consumer or follower uses to detect log truncation
 * (KIP-101, KIP-320). v1 returns the epoch actually found; v2 adds the caller's current leader
 * epoch for fencing and throttleTimeMs; v3 the replica id; v4 is flexible.
 */
import { defineApi } from '../api.js';

export const offsetForLeaderEpoch = defineApi({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  validVersions: '0-4',
  flexibleVersions: '4+',
  request: [
    {
      name: 'replicaId',
      type: 'int32',
      versions: '3+',
      default: -2,
      about: 'follower broker id; -1 for a consumer, -2 for a debug consumer that may read past the high watermark',
    },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partition', type: 'int32', versions: '0+' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '2+', default: -1 },
            { name: 'leaderEpoch', type: 'int32', versions: '0+', about: 'the epoch to look up' },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'partition', type: 'int32', versions: '0+' },
            { name: 'leaderEpoch', type: 'int32', versions: '1+', default: -1, about: 'largest epoch <= the one asked' },
            { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
          ],
        },
      ],
    },
  ],
});
