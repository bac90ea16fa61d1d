/**
 * DeleteAcls (key 31). Deletes every ACL binding matching each filter and returns, per filter,
 * the bindings it matched. v1 adds the resource pattern type, v2 is flexible, v3 allows the
 * USER resource type. v0 was removed by Kafka 4.0 (KIP-896).
 */
import { defineApi } from '../api.js';

export const deleteAcls = defineApi({
  apiKey: 31,
  name: 'DeleteAcls',
  validVersions: '0-3',
  flexibleVersions: '2+',
  request: [
    {
      name: 'filters',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'resourceTypeFilter', type: 'int8', versions: '0+' },
        { name: 'resourceNameFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'patternTypeFilter', type: 'int8', versions: '1+', default: 3 },
        { name: 'principalFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'hostFilter', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'operation', type: 'int8', versions: '0+' },
        { name: 'permissionType', type: 'int8', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'filterResults',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        {
          name: 'matchingAcls',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'resourceType', type: 'int8', versions: '0+' },
            { name: 'resourceName', type: 'string', versions: '0+' },
            { name: 'patternType', type: 'int8', versions: '1+', default: 3 },
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
