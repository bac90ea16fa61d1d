/**
 * CreateAcls (key 30). Adds ACL bindings; one result per creation, in order. v1 adds the
 * resource pattern type, v2 is flexible, v3 allows the USER resource type. v0 was removed by
 * Kafka 4.0 (KIP-896).
 */
import { defineApi } from '../api.js';

export const createAcls = defineApi({
  apiKey: 30,
  name: 'CreateAcls',
  validVersions: '0-3',
  flexibleVersions: '2+',
  request: [
    {
      name: 'creations',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'resourcePatternType', type: 'int8', versions: '1+', default: 3, about: '3 literal, 4 prefixed.' },
        { name: 'principal', type: 'string', versions: '0+' },
        { name: 'host', type: 'string', versions: '0+' },
        { name: 'operation', type: 'int8', versions: '0+' },
        { name: 'permissionType', type: 'int8', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
  ],
});
