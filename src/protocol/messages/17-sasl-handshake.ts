/**
 * SaslHandshake (key 17). Picks a SASL mechanism; the answer lists the enabled ones. With v0
 * the SASL tokens then follow as raw size-prefixed frames; with v1 they travel in
 * SaslAuthenticate requests. Never flexible (KAFKA-9577).
 */
import { defineApi } from '../api.js';

export const saslHandshake = defineApi({
  apiKey: 17,
  name: 'SaslHandshake',
  validVersions: '0-1',
  flexibleVersions: 'none',
  request: [{ name: 'mechanism', type: 'string', versions: '0+' }],
  response: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'mechanisms', type: '[]string', versions: '0+' },
  ],
});
