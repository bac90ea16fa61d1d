/**
 * DescribeClientQuotas (key 48, KIP-546). Lists the quotas of client entities (user, client-id,
 * ip) matching a set of components; strict excludes entities that have entity types not named
 * in the filter. v1 is flexible.
 */
import { defineApi } from '../api.js';
import type { Field } from '../schema.js';

const entityFields = [
  { name: 'entityType', type: 'string', versions: '0+', about: "'user', 'client-id' or 'ip'." },
  { name: 'entityName', type: 'string', versions: '0+', nullableVersions: '0+', about: 'null = the default entity.' },
] as const satisfies readonly Field[];

export const describeClientQuotas = defineApi({
  apiKey: 48,
  name: 'DescribeClientQuotas',
  validVersions: '0-1',
  flexibleVersions: '1+',
  request: [
    {
      name: 'components',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'entityType', type: 'string', versions: '0+' },
        { name: 'matchType', type: 'int8', versions: '0+', about: '0 = exact name, 1 = default entity, 2 = any name.' },
        { name: 'match', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
    { name: 'strict', type: 'bool', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'entries',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'entity', type: '[]', versions: '0+', fields: entityFields },
        {
          name: 'values',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'key', type: 'string', versions: '0+', about: "Quota name, e.g. 'producer_byte_rate'." },
            { name: 'value', type: 'float64', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
