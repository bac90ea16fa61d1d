/**
 * ListTransactions (key 66, KIP-664). Lists the transactional ids a coordinator knows, filtered
 * by state and producer id (empty filter = all). v1 adds durationFilter (KIP-994): only
 * transactions running longer than that many milliseconds; -1 = no filter.
 */
import { defineApi } from '../api.js';

export const listTransactions = defineApi({
  apiKey: 66,
  name: 'ListTransactions',
  validVersions: '0-1',
  flexibleVersions: '0+',
  request: [
    { name: 'stateFilters', type: '[]string', versions: '0+' },
    { name: 'producerIdFilters', type: '[]int64', versions: '0+' },
    { name: 'durationFilter', type: 'int64', versions: '1+', default: -1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'unknownStateFilters', type: '[]string', versions: '0+', about: 'State filters the coordinator does not know.' },
    {
      name: 'transactionStates',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'transactionalId', type: 'string', versions: '0+' },
        { name: 'producerId', type: 'int64', versions: '0+' },
        { name: 'transactionState', type: 'string', versions: '0+' },
      ],
    },
  ],
});
