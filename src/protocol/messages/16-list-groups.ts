/**
 * ListGroups (key 16). Lists the groups this broker coordinates. v1 adds throttleTimeMs, v3 is
 * flexible, v4 filters by state and returns each group's state (KIP-518), v5 filters by type
 * and returns each group's type (classic, consumer, share; KIP-848).
 */
import { defineApi } from '../api.js';

export const listGroups = defineApi({
  apiKey: 16,
  name: 'ListGroups',
  validVersions: '0-5',
  flexibleVersions: '3+',
  request: [
    { name: 'statesFilter', type: '[]string', versions: '4+', about: 'empty for every state' },
    { name: 'typesFilter', type: '[]string', versions: '5+', about: 'empty for every type' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'groups',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '4+' },
        { name: 'groupType', type: 'string', versions: '5+' },
      ],
    },
  ],
});
