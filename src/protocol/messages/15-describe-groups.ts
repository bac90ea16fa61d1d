/**
 * DescribeGroups (key 15). State, protocol and members of classic groups. v1 adds
 * throttleTimeMs; v3 can ask for the caller's authorized operations on each group; v4 returns
 * the members' static instance ids; v5 is flexible.
 */
import { defineApi } from '../api.js';

export const describeGroups = defineApi({
  apiKey: 15,
  name: 'DescribeGroups',
  validVersions: '0-5',
  flexibleVersions: '5+',
  request: [
    { name: 'groups', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'groups',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+', about: "e.g. 'Stable', 'Empty', 'Dead'" },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'protocolData', type: 'string', versions: '0+', about: 'the chosen protocol, when stable' },
        {
          name: 'members',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'memberMetadata', type: 'bytes', versions: '0+' },
            { name: 'memberAssignment', type: 'bytes', versions: '0+' },
          ],
        },
        {
          name: 'authorizedOperations',
          type: 'int32',
          versions: '3+',
          default: -2147483648,
          about: 'bit field of ACL operations; INT32_MIN when not requested',
        },
      ],
    },
  ],
});
