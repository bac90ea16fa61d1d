/**
 * DescribeAcls (key 29). Lists the ACL bindings matching a filter (null strings and ANY codes
 * match everything). v1 adds the resource pattern type (literal/prefixed), v2 is flexible, v3
 * allows the USER resource type. v0 was removed by Kafka 4.0 (KIP-896).
 */
import { defineApi } from '../api.js';

export const describeAcls = defineApi({
  apiKey: 29,
  name: 'DescribeAcls',
  validVersions: '0-3',
  flexibleVersions: '2+',
  request: [
    {
      name: 'resourceTypeFilter',
      type: 'int8',
      versions: '0+',
      about: '1 any, 2 topic, 3 group, 4 cluster, 5 transactional id, 6 delegation token, 7 user.',
    },
    { name: 'resourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'patternTypeFilter', type: 'int8', versions: '1+', default: 3, about: '1 any, 2 match, 3 literal, 4 prefixed.' },
    { name: 'principalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'hostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'operation',
      type: 'int8',
      versions: '0+',
      about: '1 any, 2 all, 3 read, 4 write, 5 create, 6 delete, 7 alter, 8 describe, …',
    },
    { name: 'permissionType', type: 'int8', versions: '0+', about: '1 any, 2 deny, 3 allow.' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'resources',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'patternType', type: 'int8', versions: '1+', default: 3 },
        {
          name: 'acls',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'principal', type: 'string', versions: '0+' },
            { name: 'host', type: 'string', versions: '0+' },
            { name: 'operation', type: 'int8', versions: '0+' },
            { name: 'permissionType', type: 'int8', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
