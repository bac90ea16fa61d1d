/**
 * OffsetDelete (key 47), v0: deletes a group's committed offsets for topics it does not
 * consume (GROUP_SUBSCRIBED_TO_TOPIC for those it does).
 */
import { offsetDelete } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const offsetDeleteHandler = defineHandler(offsetDelete, { min: 0, max: 0 }, async (request, context) => {
  const result = await context.broker.groupCoordinator.deleteOffsets(
    request.groupId,
    request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((partition) => partition.partitionIndex) })),
  );
  return { throttleTimeMs: 0, errorCode: result.errorCode, topics: result.topics };
});
