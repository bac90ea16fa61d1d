/**
 * Heartbeat (key 12). Keeps a classic group member alive between rebalances; the answer
 * REBALANCE_IN_PROGRESS tells it to rejoin. v1 adds throttleTimeMs, v3 the static member's
 * instance id, v4 is flexible.
 */
import { defineApi } from '../api.js';

export const heartbeat = defineApi({
  apiKey: 12,
  name: 'Heartbeat',
  validVersions: '0-4',
  flexibleVersions: '4+',
  request: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
});
