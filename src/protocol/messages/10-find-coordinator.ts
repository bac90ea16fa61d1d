/**
 * FindCoordinator (key 10). Names the broker that coordinates a group or a transactional id.
 * v1 adds the key type and, in the response, throttleTimeMs and an error message; v3 is
 * flexible; v4 looks up several keys at once (KIP-699), moving the answer into a coordinators
 * array; v5 may answer TRANSACTION_ABORTABLE; v6 adds share groups (key type 2).
 */
import { defineApi } from '../api.js';

export const findCoordinator = defineApi({
  apiKey: 10,
  name: 'FindCoordinator',
  validVersions: '0-6',
  flexibleVersions: '3+',
  request: [
    { name: 'key', type: 'string', versions: '0-3', about: 'group id or transactional id' },
    { name: 'keyType', type: 'int8', versions: '1+', about: '0 group, 1 transaction, 2 share group' },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3' },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators',
      type: '[]',
      versions: '4+',
      fields: [
        { name: 'key', type: 'string', versions: '4+' },
        { name: 'nodeId', type: 'int32', versions: '4+' },
        { name: 'host', type: 'string', versions: '4+' },
        { name: 'port', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+' },
        { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+' },
      ],
    },
  ],
});
