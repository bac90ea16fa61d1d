/**
 * Produce (key 0). Appends record batches to partitions; acks=0 gets no response at all.
 * v1 adds throttleTimeMs to the response, v2 the log-append time, v3 the transactional id and
 * magic-2 batches only, v5 the log start offset. v7 allows zstd. v8 reports per-record errors
 * (KIP-467). v9 is flexible; v10 adds the current leader and node endpoints as tagged response
 * fields (KIP-951); v11 may answer TRANSACTION_ABORTABLE (KIP-890).
 */
import { defineApi } from '../api.js';

export const produce = defineApi({
  apiKey: 0,
  name: 'Produce',
  validVersions: '0-11',
  flexibleVersions: '9+',
  request: [
    { name: 'transactionalId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'acks', type: 'int16', versions: '0+', about: '0: no response, 1: leader only, -1: all in-sync replicas' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    {
      name: 'topicData',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitionData',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+', about: 'partition index' },
            { name: 'records', type: 'records', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
  response: [
    {
      name: 'responses',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitionResponses',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'index', type: 'int32', versions: '0+', about: 'partition index' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'baseOffset', type: 'int64', versions: '0+' },
            {
              name: 'logAppendTimeMs',
              type: 'int64',
              versions: '2+',
              default: -1,
              about: 'broker time of the append for LogAppendTime topics, -1 for CreateTime topics',
            },
            { name: 'logStartOffset', type: 'int64', versions: '5+', default: -1 },
            {
              name: 'recordErrors',
              type: '[]',
              versions: '8+',
              about: 'records, by index in the batch, that made the whole batch fail',
              fields: [
                { name: 'batchIndex', type: 'int32', versions: '8+' },
                { name: 'batchIndexErrorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
              ],
            },
            { name: 'errorMessage', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
            {
              name: 'currentLeader',
              type: 'struct',
              versions: '10+',
              tag: 0,
              taggedVersions: '10+',
              about: 'sent with NOT_LEADER_OR_FOLLOWER so the client need not refresh metadata',
              fields: [
                { name: 'leaderId', type: 'int32', versions: '10+', default: -1 },
                { name: 'leaderEpoch', type: 'int32', versions: '10+', default: -1 },
              ],
            },
          ],
        },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'nodeEndpoints',
      type: '[]',
      versions: '10+',
      tag: 0,
      taggedVersions: '10+',
      about: 'the brokers named in currentLeader fields',
      fields: [
        { name: 'nodeId', type: 'int32', versions: '10+' },
        { name: 'host', type: 'string', versions: '10+' },
        { name: 'port', type: 'int32', versions: '10+' },
        { name: 'rack', type: 'string', versions: '10+', nullableVersions: '10+', default: null },
      ],
    },
  ],
});
