/**
 * SyncGroup (key 14), v0-5: the leader sends every member's assignment, each member gets its
 * own. v5+ checks the protocol type and name (KIP-559).
 */
import { syncGroup } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const syncGroupHandler = defineHandler(syncGroup, { min: 0, max: 5 }, async (request, context) => {
  const result = await context.broker.groupCoordinator.syncGroup(request);
  return { throttleTimeMs: 0, ...result };
});
