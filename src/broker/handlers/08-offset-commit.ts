/**
 * OffsetCommit (key 8), v2-9 (Kafka 4's range; v0-1 stored offsets in ZooKeeper). A commit
 * with generation -1 and no member id is a "simple" commit (admin tools, assign() consumers),
 * accepted while the group has no members. v2-4 may ask for a retention time; v6+ carries the
 * leader epoch; v7+ the static member's instance id.
 */
import { offsetCommit } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const offsetCommitHandler = defineHandler(offsetCommit, { min: 2, max: 9 }, async (request, context) => {
  const topics = await context.broker.groupCoordinator.commitOffsets({
    groupId: request.groupId,
    generationId: request.generationIdOrMemberEpoch,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    retentionTimeMs: context.apiVersion <= 4 ? request.retentionTimeMs : -1,
    topics: request.topics,
  });
  return { throttleTimeMs: 0, topics };
});
