/**
 * AddOffsetsToTxn (key 25). A transactional producer tells its coordinator that the
 * transaction will commit offsets for a consumer group, which adds that group's
 * __consumer_offsets partition to the transaction. v2 allows PRODUCER_FENCED, v3 is flexible,
 * v4 allows TRANSACTION_ABORTABLE; the fields never change.
 */
import { defineApi } from '../api.js';

export const addOffsetsToTxn = defineApi({
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  validVersions: '0-4',
  flexibleVersions: '3+',
  request: [
    { name: 'transactionalId', type: 'string', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+' },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
    { name: 'groupId', type: 'string', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
});
