/**
 * CreatePartitions (key 37). Raises the partition count of existing topics, optionally with an
 * explicit replica assignment for each new partition (null = let the broker choose). v1 is v0
 * with throttle-first responses, v2 is flexible, v3 may answer THROTTLING_QUOTA_EXCEEDED
 * (KIP-599).
 */
import { defineApi } from '../api.js';

export const createPartitions = defineApi({
  apiKey: 37,
  name: 'CreatePartitions',
  validVersions: '0-3',
  flexibleVersions: '2+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'count', type: 'int32', versions: '0+', about: 'The new total partition count.' },
        {
          name: 'assignments',
          type: '[]',
          versions: '0+',
          nullableVersions: '0+',
          fields: [{ name: 'brokerIds', type: '[]int32', versions: '0+' }],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      ],
    },
  ],
});
