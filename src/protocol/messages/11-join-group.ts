/**
 * JoinGroup (key 11). The first step of a classic group rebalance: each member sends the
 * protocols it supports; once everyone has joined, the coordinator picks one protocol and
 * answers every member, handing the member list only to the leader. v1 adds the rebalance
 * timeout; v2 throttleTimeMs; v4 makes a new member rejoin with the id it was given
 * (MEMBER_ID_REQUIRED, KIP-394); v5 adds static membership; v6 is flexible; v7 returns the
 * protocol type (KIP-559); v8 adds a reason (KIP-800); v9 lets the leader skip assignment.
 */
import { defineApi } from '../api.js';

export const joinGroup = defineApi({
  apiKey: 11,
  name: 'JoinGroup',
  validVersions: '0-9',
  flexibleVersions: '6+',
  request: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, about: 'v0: the session timeout serves' },
    { name: 'memberId', type: 'string', versions: '0+', about: 'empty on a first join' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+', about: "'consumer' for consumer groups" },
    {
      name: 'protocols',
      type: '[]',
      versions: '0+',
      about: "in the member's order of preference",
      fields: [
        { name: 'name', type: 'string', versions: '0+', about: 'e.g. an assignor name' },
        { name: 'metadata', type: 'bytes', versions: '0+', about: 'opaque to the broker (a consumer subscription)' },
      ],
    },
    { name: 'reason', type: 'string', versions: '8+', nullableVersions: '8+', default: null },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+', about: 'the chosen protocol' },
    { name: 'leader', type: 'string', versions: '0+', about: "the leader's member id" },
    { name: 'skipAssignment', type: 'bool', versions: '9+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    {
      name: 'members',
      type: '[]',
      versions: '0+',
      about: 'filled in for the leader only',
      fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
        { name: 'metadata', type: 'bytes', versions: '0+' },
      ],
    },
  ],
});
