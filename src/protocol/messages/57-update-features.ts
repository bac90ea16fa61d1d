/**
 * UpdateFeatures (key 57, KIP-584). Changes finalized feature levels (e.g. metadata.version,
 * transaction.version) cluster-wide. v1 replaces allowDowngrade with upgradeType and adds
 * validateOnly; v2 drops the per-feature results from the response (one top-level error only).
 */
import { defineApi } from '../api.js';

export const updateFeatures = defineApi({
  apiKey: 57,
  name: 'UpdateFeatures',
  validVersions: '0-2',
  flexibleVersions: '0+',
  request: [
    { name: 'timeoutMs', type: 'int32', versions: '0+', default: 60000 },
    {
      name: 'featureUpdates',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'feature', type: 'string', versions: '0+' },
        { name: 'maxVersionLevel', type: 'int16', versions: '0+' },
        { name: 'allowDowngrade', type: 'bool', versions: '0' },
        {
          name: 'upgradeType',
          type: 'int8',
          versions: '1+',
          default: 1,
          about: '1 = upgrade only, 2 = safe (lossless) downgrade, 3 = unsafe (lossy) downgrade.',
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '1+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0-1',
      fields: [
        { name: 'feature', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
  ],
});
