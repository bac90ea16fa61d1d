/**
 * AlterUserScramCredentials (key 51, KIP-554). Deletes and upserts users' SCRAM credentials;
 * the client sends the salt and salted password, never the password. Only v0 exists.
 */
import { defineApi } from '../api.js';

export const alterUserScramCredentials = defineApi({
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    {
      name: 'deletions',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'mechanism', type: 'int8', versions: '0+', about: '1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512.' },
      ],
    },
    {
      name: 'upsertions',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'mechanism', type: 'int8', versions: '0+' },
        { name: 'iterations', type: 'int32', versions: '0+' },
        { name: 'salt', type: 'bytes', versions: '0+' },
        { name: 'saltedPassword', type: 'bytes', versions: '0+' },
      ],
    },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'user', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
      ],
    },
  ],
});
