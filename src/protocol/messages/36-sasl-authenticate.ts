/**
 * SaslAuthenticate (key 36, KIP-152). Carries the SASL mechanism's tokens inside Kafka framing
 * after a SaslHandshake v1. v1 adds sessionLifetimeMs (KIP-368: the client must
 * re-authenticate before it ends; 0 = no limit); v2 is flexible.
 */
import { defineApi } from '../api.js';

export const saslAuthenticate = defineApi({
  apiKey: 36,
  name: 'SaslAuthenticate',
  validVersions: '0-2',
  flexibleVersions: '2+',
  request: [{ name: 'authBytes', type: 'bytes', versions: '0+' }],
  response: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'authBytes', type: 'bytes', versions: '0+' },
    { name: 'sessionLifetimeMs', type: 'int64', versions: '1+' },
  ],
});
