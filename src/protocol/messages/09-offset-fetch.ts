/**
 * OffsetFetch (key 9). Reads a consumer group's committed offsets from its coordinator. v0 read
 * them from ZooKeeper, v1+ from __consumer_offsets. v2 lets a null topic list mean "every topic
 * the group has committed" and adds a group-level error code; v3 adds throttleTimeMs; v5 the
 * committed leader epoch; v6 is flexible; v7 adds requireStable (UNSTABLE_OFFSET_COMMIT while
 * transactional commits are pending). v8 asks for several groups at once, moving everything into
 * a groups array; v9 adds the KIP-848 member id and epoch.
 */
import { defineApi } from '../api.js';

export const offsetFetch = defineApi({
  apiKey: 9,
  name: 'OffsetFetch',
  validVersions: '0-9',
  flexibleVersions: '6+',
  request: [
    { name: 'groupId', type: 'string', versions: '0-7' },
    {
      name: 'topics',
      type: '[]',
      versions: '0-7',
      nullableVersions: '2-7',
      about: 'null for all topics (v2+)',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0-7' },
      ],
    },
    {
      name: 'groups',
      type: '[]',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        { name: 'memberId', type: 'string', versions: '9+', nullableVersions: '9+', default: null },
        { name: 'memberEpoch', type: 'int32', versions: '9+', default: -1 },
        {
          name: 'topics',
          type: '[]',
          versions: '8+',
          nullableVersions: '8+',
          about: 'null for all topics',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitionIndexes', type: '[]int32', versions: '8+' },
          ],
        },
      ],
    },
    {
      name: 'requireStable',
      type: 'bool',
      versions: '7+',
      about: 'answer UNSTABLE_OFFSET_COMMIT while a transactional commit is pending',
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+' },
    {
      name: 'topics',
      type: '[]',
      versions: '0-7',
      fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0-7',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0-7' },
            { name: 'committedOffset', type: 'int64', versions: '0-7', about: '-1 when nothing is committed' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '5-7', default: -1 },
            { name: 'metadata', type: 'string', versions: '0-7', nullableVersions: '0-7' },
            { name: 'errorCode', type: 'int16', versions: '0-7' },
          ],
        },
      ],
    },
    { name: 'errorCode', type: 'int16', versions: '2-7', about: 'group-level error' },
    {
      name: 'groups',
      type: '[]',
      versions: '8+',
      fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        {
          name: 'topics',
          type: '[]',
          versions: '8+',
          fields: [
            { name: 'name', type: 'string', versions: '8+' },
            {
              name: 'partitions',
              type: '[]',
              versions: '8+',
              fields: [
                { name: 'partitionIndex', type: 'int32', versions: '8+' },
                { name: 'committedOffset', type: 'int64', versions: '8+', about: '-1 when nothing is committed' },
                { name: 'committedLeaderEpoch', type: 'int32', versions: '8+', default: -1 },
                { name: 'metadata', type: 'string', versions: '8+', nullableVersions: '8+' },
                { name: 'errorCode', type: 'int16', versions: '8+' },
              ],
            },
          ],
        },
        { name: 'errorCode', type: 'int16', versions: '8+', about: 'group-level error' },
      ],
    },
  ],
});
