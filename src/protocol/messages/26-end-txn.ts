/**
 * EndTxn (key 26). A transactional producer asks its coordinator to commit or abort the
 * ongoing transaction. v2 allows PRODUCER_FENCED, v3 is flexible, v4 allows
 * TRANSACTION_ABORTABLE. v5 (KIP-890 part 2, transaction.version 2) bumps the producer epoch on
 * every transaction, so the response returns the producer id and the new epoch.
 */
import { defineApi } from '../api.js';

export const endTxn = defineApi({
  apiKey: 26,
  name: 'EndTxn',
  validVersions: '0-5',
  flexibleVersions: '3+',
  request: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'committed', type: 'bool', versions: '0+', about: 'true to commit, false to abort.' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '5+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '5+', default: -1 },
  ],
});
