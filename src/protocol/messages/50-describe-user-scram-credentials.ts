/**
 * DescribeUserScramCredentials (key 50, KIP-554). Lists which SCRAM mechanisms (and iteration
 * counts) each user has credentials for; never the credentials themselves. A null user list
 * means every user. Only v0 exists.
 */
import { defineApi } from '../api.js';

export const describeUserScramCredentials = defineApi({
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    {
      name: 'users',
      type: '[]',
      versions: '0+',
      nullableVersions: '0+',
      fields: [{ name: 'name', type: 'string', versions: '0+' }],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'user', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        {
          name: 'credentialInfos',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'mechanism', type: 'int8', versions: '0+', about: '1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512.' },
            { name: 'iterations', type: 'int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
});
