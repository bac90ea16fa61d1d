/**
 * OffsetFetch (key 9), v1-9. Every requested partition is answered (offset -1 when nothing is
 * committed: clients rely on it); v2+ a null topic list means all the group's offsets; v8+
 * batches groups. require_stable (v7+): a partition with transactional offsets waiting for
 * their transaction's marker answers UNSTABLE_OFFSET_COMMIT (the client retries).
 */
import { offsetFetch } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const offsetFetchHandler = defineHandler(offsetFetch, { min: 1, max: 9 }, (request, context) => {
  const coordinator = context.broker.groupCoordinator;
  if (context.apiVersion >= 8) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((group) => {
        const result = coordinator.fetchOffsets(group.groupId, group.topics, request.requireStable);
        return { groupId: group.groupId, errorCode: result.errorCode, topics: result.topics };
      }),
    };
  }
  const result = coordinator.fetchOffsets(request.groupId, context.apiVersion >= 2 ? request.topics : (request.topics ?? []), context.apiVersion >= 7 && request.requireStable);
  return { throttleTimeMs: 0, errorCode: result.errorCode, topics: result.topics };
});
