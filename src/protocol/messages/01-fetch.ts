/**
 * Fetch (key 1). Reads record batches from partitions, waiting up to maxWaitMs for minBytes.
 * v1 adds throttleTimeMs; v3 a response-wide maxBytes and ordered partitions; v4 the isolation
 * level, last stable offset and aborted transactions (magic 2); v5 log start offsets; v7 fetch
 * sessions (KIP-227); v9 the current leader epoch (KIP-320); v10 allows zstd; v11 the rack id
 * and preferred read replica. v12 is flexible and adds lastFetchedEpoch and the tagged
 * divergence/leader/snapshot fields; v13 uses topic ids instead of names; v15 moves the replica
 * id into a tagged replicaState; v16 adds node endpoints; v17 the follower's directory id.
 */
import { defineApi } from '../api.js';

export const fetchApi = defineApi({
  apiKey: 1,
  name: 'Fetch',
  validVersions: '0-17',
  flexibleVersions: '12+',
  request: [
    {
      name: 'clusterId',
      type: 'string',
      versions: '12+',
      nullableVersions: '12+',
      tag: 0,
      taggedVersions: '12+',
      default: null,
      about: 'KRaft metadata fetches only',
    },
    { name: 'replicaId', type: 'int32', versions: '0-14', default: -1, about: '-1 for consumers' },
    {
      name: 'replicaState',
      type: 'struct',
      versions: '15+',
      tag: 1,
      taggedVersions: '15+',
      about: 'follower identity from v15; absent for consumers',
      fields: [
        { name: 'replicaId', type: 'int32', versions: '15+', default: -1 },
        { name: 'replicaEpoch', type: 'int64', versions: '15+', default: -1 },
      ],
    },
    { name: 'maxWaitMs', type: 'int32', versions: '0+' },
    { name: 'minBytes', type: 'int32', versions: '0+' },
    {
      name: 'maxBytes',
      type: 'int32',
      versions: '3+',
      default: 2147483647,
      about: 'soft limit: the first batch of the first non-empty partition is sent whole',
    },
    {
      name: 'isolationLevel',
      type: 'int8',
      versions: '4+',
      about: '0 read uncommitted (up to the high watermark), 1 read committed (up to the last stable offset)',
    },
    { name: 'sessionId', type: 'int32', versions: '7+', about: '0 for a full fetch outside any session' },
    { name: 'sessionEpoch', type: 'int32', versions: '7+', default: -1, about: '-1 for sessionless, 0 to open a session' },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0-12' },
        { name: 'topicId', type: 'uuid', versions: '13+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partition', type: 'int32', versions: '0+' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '9+', default: -1 },
            { name: 'fetchOffset', type: 'int64', versions: '0+' },
            { name: 'lastFetchedEpoch', type: 'int32', versions: '12+', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1, about: 'followers only' },
            { name: 'partitionMaxBytes', type: 'int32', versions: '0+' },
            { name: 'replicaDirectoryId', type: 'uuid', versions: '17+', tag: 0, taggedVersions: '17+' },
          ],
        },
      ],
    },
    {
      name: 'forgottenTopicsData',
      type: '[]',
      versions: '7+',
      about: 'partitions to drop from an incremental fetch session',
      fields: [
        { name: 'topic', type: 'string', versions: '7-12' },
        { name: 'topicId', type: 'uuid', versions: '13+' },
        { name: 'partitions', type: '[]int32', versions: '7+' },
      ],
    },
    { name: 'rackId', type: 'string', versions: '11+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '7+', about: 'request-level error (fetch sessions)' },
    { name: 'sessionId', type: 'int32', versions: '7+' },
    {
      name: 'responses',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0-12' },
        { name: 'topicId', type: 'uuid', versions: '13+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'highWatermark', type: 'int64', versions: '0+' },
            { name: 'lastStableOffset', type: 'int64', versions: '4+', default: -1 },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            {
              name: 'divergingEpoch',
              type: 'struct',
              versions: '12+',
              tag: 0,
              taggedVersions: '12+',
              about: "largest epoch (and its end offset) below which the follower's log agrees with the leader's",
              fields: [
                { name: 'epoch', type: 'int32', versions: '12+', default: -1 },
                { name: 'endOffset', type: 'int64', versions: '12+', default: -1 },
              ],
            },
            {
              name: 'currentLeader',
              type: 'struct',
              versions: '12+',
              tag: 1,
              taggedVersions: '12+',
              fields: [
                { name: 'leaderId', type: 'int32', versions: '12+', default: -1 },
                { name: 'leaderEpoch', type: 'int32', versions: '12+', default: -1 },
              ],
            },
            {
              name: 'snapshotId',
              type: 'struct',
              versions: '12+',
              tag: 2,
              taggedVersions: '12+',
              about: 'snapshot to fetch instead, when fetchOffset is below the log start (KRaft)',
              fields: [
                { name: 'endOffset', type: 'int64', versions: '0+', default: -1 },
                { name: 'epoch', type: 'int32', versions: '0+', default: -1 },
              ],
            },
            {
              name: 'abortedTransactions',
              type: '[]',
              versions: '4+',
              nullableVersions: '4+',
              about: 'aborted transactions overlapping the returned data (read committed); null otherwise',
              fields: [
                { name: 'producerId', type: 'int64', versions: '4+' },
                { name: 'firstOffset', type: 'int64', versions: '4+' },
              ],
            },
            { name: 'preferredReadReplica', type: 'int32', versions: '11+', default: -1 },
            { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    {
      name: 'nodeEndpoints',
      type: '[]',
      versions: '16+',
      tag: 0,
      taggedVersions: '16+',
      about: 'the brokers named in currentLeader fields',
      fields: [
        { name: 'nodeId', type: 'int32', versions: '16+' },
        { name: 'host', type: 'string', versions: '16+' },
        { name: 'port', type: 'int32', versions: '16+' },
        { name: 'rack', type: 'string', versions: '16+', nullableVersions: '16+', default: null },
      ],
    },
  ],
});
