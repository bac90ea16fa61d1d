/**
 * DeleteTopics (key 20). Deletes topics by name, or from v6 by name or id. v1 adds
 * throttleTimeMs; v3 may answer TOPIC_DELETION_DISABLED; v4 is flexible; v5 adds a per-topic
 * error message and may answer THROTTLING_QUOTA_EXCEEDED (KIP-599); v6 replaces the name list
 * with name-or-id entries and returns topic ids (KIP-516).
 */
import { defineApi } from '../api.js';

export const deleteTopics = defineApi({
  apiKey: 20,
  name: 'DeleteTopics',
  validVersions: '0-6',
  flexibleVersions: '4+',
  request: [
    {
      name: 'topics',
      type: '[]',
      versions: '6+',
      about: 'each names a topic by name (topicId all zero) or by id (name null)',
      fields: [
        { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
        { name: 'topicId', type: 'uuid', versions: '6+' },
      ],
    },
    { name: 'topicNames', type: '[]string', versions: '0-5' },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+' },
    {
      name: 'responses',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'name', type: 'string', versions: '0+', nullableVersions: '6+' },
        { name: 'topicId', type: 'uuid', versions: '6+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
      ],
    },
  ],
});
