/**
 * DescribeLogDirs (key 35). Lists a broker's log directories and the size and lag of each
 * partition replica in them; a null topic list means every partition. v1 is v0 with
 * throttle-first responses, v2 is flexible, v3 adds a top-level error code and v4 the
 * directories' total and usable bytes.
 */
import { defineApi } from '../api.js';

export const describeLogDirs = defineApi({
  apiKey: 35,
  name: 'DescribeLogDirs',
  validVersions: '0-4',
  flexibleVersions: '2+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]int32', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '3+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'logDir', type: 'string', versions: '0+' },
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
                { name: 'partitionSize', type: 'int64', versions: '0+' },
                {
                  name: 'offsetLag',
                  type: 'int64',
                  versions: '0+',
                  about: "End offset's lag behind the high watermark (a future log: behind the current log's end offset).",
                },
                {
                  name: 'isFutureKey',
                  type: 'bool',
                  versions: '0+',
                  about: 'true for a future log (created by AlterReplicaLogDirs) that will replace the current one.',
                },
              ],
            },
          ],
        },
        { name: 'totalBytes', type: 'int64', versions: '4+', default: -1 },
        { name: 'usableBytes', type: 'int64', versions: '4+', default: -1 },
      ],
    },
  ],
});
