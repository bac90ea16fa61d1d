/**
 * DeleteGroups (key 42). Deletes empty consumer groups and their committed offsets. v1 is v0
 * with throttle-first responses, v2 is flexible. v0 is deprecated.
 */
import { defineApi } from '../api.js';

export const deleteGroups = defineApi({
  apiKey: 42,
  name: 'DeleteGroups',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [{ name: 'groupsNames', type: '[]string', versions: '0+' }],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ],
    },
  ],
});
