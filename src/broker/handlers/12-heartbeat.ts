/**
 * Heartbeat (key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin. v3+ carries the static member's instance id.
 */
import { heartbeat } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';

export const heartbeatHandler = defineHandler(heartbeat, { min: 0, max: 4 }, (request, context) => ({
  throttleTimeMs: 0,
  errorCode: context.broker.groupCoordinator.heartbeat(request),
}));
