/**
 * AlterClientQuotas (key 49, KIP-546). Sets or removes quota values for client entities (user,
 * client-id, ip; a null name is the default entity). v1 is flexible.
 */
import { defineApi } from '../api.js';
import type { Field } from '../schema.js';

const entityFields = [
  { name: 'entityType', type: 'string', versions: '0+' },
  { name: 'entityName', type: 'string', versions: '0+', nullableVersions: '0+' },
] as const satisfies readonly Field[];

export const alterClientQuotas = defineApi({
  apiKey: 49,
  name: 'AlterClientQuotas',
  validVersions: '0-1',
  flexibleVersions: '1+',
  request: [
    {
      name: 'entries',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'entity', type: '[]', versions: '0+', fields: entityFields },
        {
          name: 'ops',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'key', type: 'string', versions: '0+' },
            { name: 'value', type: 'float64', versions: '0+' },
            { name: 'remove', type: 'bool', versions: '0+', about: 'true = remove the quota; value is ignored.' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'entries',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'entity', type: '[]', versions: '0+', fields: entityFields },
      ],
    },
  ],
});
