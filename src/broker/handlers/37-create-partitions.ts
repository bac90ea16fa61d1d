/**
 * CreatePartitions (key 37), v0-3. Raises a topic's partition count; optional explicit
 * replica assignments for the new partitions; validate_only checks without changing.
 * A topic named twice in one request fails with INVALID_REQUEST.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { createPartitions } from '../../protocol/messages/index.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

export const createPartitionsHandler = defineHandler(createPartitions, { min: 0, max: 3 }, async (request, context) => {
  const controller = context.broker.controller;
  const counts = new Map<string, number>();
  for (const topic of request.topics) counts.set(topic.name, (counts.get(topic.name) ?? 0) + 1);
  const results = await Promise.all(
    request.topics.map(async (requested) => {
      try {
        if (counts.get(requested.name)! > 1) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${requested.name}`);
        }
        const topic = controller.topic(requested.name);
        if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${requested.name}' does not exist.`);
        const assignments = requested.assignments === null ? null : requested.assignments.map((assignment) => assignment.brokerIds);
        if (request.validateOnly) controller.validateCreatePartitions(topic, requested.count, assignments);
        else await controller.createPartitions(topic, requested.count, assignments);
        return { name: requested.name, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (error) {
        return { name: requested.name, ...toErrorCode(error, `CreatePartitions ${requested.name}`) };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
});
