/**
 * DescribeConfigs (key 32). Reads the configuration of topics, brokers and other resources;
 * a null key list means every key. v1 adds includeSynonyms and, in the response, configSource
 * and the synonym chain (v0 has isDefault instead); v2 is v1 with throttle-first responses; v3
 * adds includeDocumentation with configType and documentation in the response; v4 is flexible.
 * v0 is deprecated (removed by Kafka 4.0, KIP-896).
 */
import { defineApi } from '../api.js';

export const describeConfigs = defineApi({
  apiKey: 32,
  name: 'DescribeConfigs',
  validVersions: '0-4',
  flexibleVersions: '4+',
  request: [
    {
      name: 'resources',
      type: '[]',
      versions: '0+',
      fields: [
        {
          name: 'resourceType',
          type: 'int8',
          versions: '0+',
          about: '2 topic, 4 broker, 8 broker logger, 16 client metrics, 32 group.',
        },
        { name: 'resourceName', type: 'string', versions: '0+' },
        { name: 'configurationKeys', type: '[]string', versions: '0+', nullableVersions: '0+', about: 'null = all keys.' },
      ],
    },
    { name: 'includeSynonyms', type: 'bool', versions: '1+' },
    { name: 'includeDocumentation', type: 'bool', versions: '3+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'readOnly', type: 'bool', versions: '0+' },
            { name: 'isDefault', type: 'bool', versions: '0' },
            {
              name: 'configSource',
              type: 'int8',
              versions: '1+',
              default: -1,
              about: '1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default, 6 broker logger, …',
            },
            { name: 'isSensitive', type: 'bool', versions: '0+' },
            {
              name: 'synonyms',
              type: '[]',
              versions: '1+',
              fields: [
                { name: 'name', type: 'string', versions: '1+' },
                { name: 'value', type: 'string', versions: '1+', nullableVersions: '0+' },
                { name: 'source', type: 'int8', versions: '1+' },
              ],
            },
            {
              name: 'configType',
              type: 'int8',
              versions: '3+',
              about: 'The ConfigDef type (1 boolean … 9 password); 0 unknown.',
            },
            { name: 'documentation', type: 'string', versions: '3+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
});
