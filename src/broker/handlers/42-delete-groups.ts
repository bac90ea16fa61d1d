/**
 * DeleteGroups (key 42), v0-2: deletes empty groups with their committed offsets
 * (NON_EMPTY_GROUP while members remain, GROUP_ID_NOT_FOUND for unknown groups).
 */
import { deleteGroups } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const deleteGroupsHandler = defineHandler(deleteGroups, { min: 0, max: 2 }, async (request, context) => ({
  throttleTimeMs: 0,
  results: await Promise.all(
    request.groupsNames.map(async (groupId) => ({ groupId, errorCode: await context.broker.groupCoordinator.deleteGroup(groupId) })),
  ),
}));
