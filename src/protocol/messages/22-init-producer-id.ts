/**
 * InitProducerId (key 22). Gives an idempotent producer a fresh producer id (null
 * transactionalId), or a transactional producer its id with a bumped epoch, fencing older
 * instances. v1 only changes throttling behaviour; v2 is flexible; v3 carries the current
 * id and epoch so a producer can bump its own epoch after an error (KIP-360); v4 may answer
 * PRODUCER_FENCED; v5 TRANSACTION_ABORTABLE (KIP-890).
 */
import { defineApi } from '../api.js';

export const initProducerId = defineApi({
  apiKey: 22,
  name: 'InitProducerId',
  validVersions: '0-5',
  flexibleVersions: '2+',
  request: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+', about: 'null for idempotence only' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1, about: 'current id, or -1 for a new producer' },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
});
