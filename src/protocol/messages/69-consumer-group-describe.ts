/**
 * ConsumerGroupDescribe (key 69, KIP-848). Describes groups using the new consumer protocol:
 * group and assignment epochs, and for each member its subscription, current assignment and
 * target assignment. Only v0 in the reference definitions.
 */
import { defineApi } from '../api.js';
import type { Field } from '../schema.js';

const assignmentFields = [
  {
    name: 'topicPartitions',
    type: '[]',
    versions: '0+',
    fields: [
      { name: 'topicId', type: 'uuid', versions: '0+' },
      { name: 'topicName', type: 'string', versions: '0+' },
      { name: 'partitions', type: '[]int32', versions: '0+' },
    ],
  },
] as const satisfies readonly Field[];

export const consumerGroupDescribe = defineApi({
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  validVersions: '0',
  flexibleVersions: '0+',
  request: [
    { name: 'groupIds', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '0+' },
  ],
  response: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'groups',
      type: '[]',
      versions: '0+',
      fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+' },
        { name: 'groupEpoch', type: 'int32', versions: '0+' },
        { name: 'assignmentEpoch', type: 'int32', versions: '0+' },
        { name: 'assignorName', type: 'string', versions: '0+' },
        {
          name: 'members',
          type: '[]',
          versions: '0+',
          fields: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'instanceId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'rackId', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'memberEpoch', type: 'int32', versions: '0+' },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'subscribedTopicNames', type: '[]string', versions: '0+' },
            { name: 'subscribedTopicRegex', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
            { name: 'assignment', type: 'struct', versions: '0+', fields: assignmentFields },
            { name: 'targetAssignment', type: 'struct', versions: '0+', fields: assignmentFields },
          ],
        },
        { name: 'authorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
      ],
    },
  ],
});
