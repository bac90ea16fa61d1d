/**
 * JoinGroup (key 11), v0-9. v4+ dynamic members first get MEMBER_ID_REQUIRED with their id
 * (KIP-394); v5+ static members (group.instance.id, KIP-345); v7+ answers the protocol type;
 * v9 tells a rejoining static leader to skip the assignment (KIP-814). See
 * coordinator/group/group-coordinator.ts for the rules.
 */
import { joinGroup } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const joinGroupHandler = defineHandler(joinGroup, { min: 0, max: 9 }, async (request, context) => {
  const result = await context.broker.groupCoordinator.joinGroup({
    groupId: request.groupId,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: context.apiVersion >= 1 ? request.rebalanceTimeoutMs : -1,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    protocolType: request.protocolType,
    protocols: request.protocols,
    clientId: context.header.clientId ?? '',
    clientHost: `/${context.connection.remoteAddress}`,
    apiVersion: context.apiVersion,
  });
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // Before v7 the protocol name is not nullable: an error answers an empty name.
    protocolName: context.apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leader,
    skipAssignment: result.skipAssignment,
    memberId: result.memberId,
    members: result.members,
  };
});
