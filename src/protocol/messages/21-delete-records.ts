/**
 * DeleteRecords (key 21). Moves partitions' log start offsets forward, so that records below
 * the given offsets (-1: the high watermark) are no longer readable. v1 only changes throttling
 * behaviour; v2 is flexible.
 */
import { defineApi } from '../api.js';

export const deleteRecords = defineApi({
  apiKey: 21,
  name: 'DeleteRecords',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'offset', type: 'int64', versions: '0+', about: 'new log start; -1 for the high watermark' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'lowWatermark', type: 'int64', versions: '0+', about: 'the new log start offset' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
