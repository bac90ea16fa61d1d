/**
 * AlterConfigs (key 33). Replaces the whole dynamic configuration of each resource with the
 * given set (keys left out are reset); superseded by IncrementalAlterConfigs (44). v1 is v0
 * with throttle-first responses, v2 is flexible.
 */
import { defineApi } from '../api.js';

export const alterConfigs = defineApi({
  apiKey: 33,
  name: 'AlterConfigs',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [
    {
      name: 'resources',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'responses',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
      ],
    },
  ],
});
