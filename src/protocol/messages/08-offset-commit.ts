/**
 * OffsetCommit (key 8). Stores a consumer group's offsets at its coordinator. v1 adds the
 * generation and member id and a per-partition commit timestamp; v2-4 replace that timestamp
 * with a request-wide retention time, which v5 drops (broker config only). v6 adds the leader
 * epoch, v7 the static member's instance id, v8 is flexible, v9 may be sent by KIP-848
 * consumers (generationIdOrMemberEpoch then holds the member epoch).
 */
import { defineApi } from '../api.js';

export const offsetCommit = defineApi({
  apiKey: 8,
  name: 'OffsetCommit',
  validVersions: '0-9',
  flexibleVersions: '8+',
  request: [
    { name: 'groupId', type: 'string', versions: '0+' },
    {
      name: 'generationIdOrMemberEpoch',
      type: 'int32',
      versions: '1+',
      default: -1,
      about: 'generation (classic groups) or member epoch (KIP-848 groups); -1 for a simple consumer',
    },
    { name: 'memberId', type: 'string', versions: '1+' },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1, about: '-1 for the broker default' },
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
            { name: 'committedOffset', type: 'int64', versions: '0+' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1 },
            { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
            { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
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
});
