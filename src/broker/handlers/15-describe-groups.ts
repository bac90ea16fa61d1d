/**
 * DescribeGroups (key 15), v0-5: state, protocol and members (subscriptions and assignments
 * only once the group is Stable, as Kafka). An unknown group is described as Dead.
 */
import { describeGroups } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

/** AclOperation bits READ, DELETE, DESCRIBE allowed on a group (no authorizer: all). */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler = defineHandler(describeGroups, { min: 0, max: 5 }, (request, context) => ({
  throttleTimeMs: 0,
  groups: request.groups.map((groupId) => ({
    ...context.broker.groupCoordinator.describeGroup(groupId),
    authorizedOperations: request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : -2147483648,
  })),
}));
