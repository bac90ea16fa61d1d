/**
 * LeaveGroup (key 13), v0-5. v0-2 name one member; v3+ a batch of members by member id or
 * static instance id, each with its own error (KIP-345).
 */
import { leaveGroup } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const leaveGroupHandler = defineHandler(leaveGroup, { min: 0, max: 5 }, (request, context) => {
  const batched = context.apiVersion >= 3;
  const identities = batched
    ? request.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId }))
    : [{ memberId: request.memberId, groupInstanceId: null }];
  const result = context.broker.groupCoordinator.leaveGroup(request.groupId, identities);
  if (!batched) {
    return { throttleTimeMs: 0, errorCode: result.errorCode !== 0 ? result.errorCode : (result.members[0]?.errorCode ?? 0) };
  }
  return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
});
