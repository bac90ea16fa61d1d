/**
 * SyncGroup (key 14). The second step of a classic rebalance: the leader sends every member's
 * assignment, the others send none, and each gets its own assignment back. v1 adds
 * throttleTimeMs, v3 the static member's instance id, v4 is flexible, v5 carries the protocol
 * type and name both ways, so that the broker can reject a mismatch (KIP-559).
 */
import { defineApi } from '../api.js';

export const syncGroup = defineApi({
  apiKey: 14,
  name: 'SyncGroup',
  validVersions: '0-5',
  flexibleVersions: '4+',
  request: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    {
      name: 'assignments',
      type: '[]',
      versions: '0+',
      about: 'from the leader only; empty from the other members',
      fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'assignment', type: 'bytes', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'assignment', type: 'bytes', versions: '0+', about: "this member's assignment, opaque to the broker" },
  ],
});
