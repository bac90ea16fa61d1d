/**
 * ListGroups (key 16), v0-5. v4+ filters by state, v5+ by group type (all groups here are
 * "classic").
 */
import { listGroups } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const listGroupsHandler = defineHandler(listGroups, { min: 0, max: 5 }, (request, context) => ({
  throttleTimeMs: 0,
  ...context.broker.groupCoordinator.listGroups(request.statesFilter, request.typesFilter),
}));
