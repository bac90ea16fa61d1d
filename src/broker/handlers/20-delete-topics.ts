/**
 * DeleteTopics (key 20), v0-6. v0-5 name topics; v6 names or ids. Deletion removes the topic
 * from the metadata (durably) and then deletes its partition directories. Internal topics
 * cannot be deleted by clients.
 */
import { KafkaError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { deleteTopics } from '../../protocol/messages/index.js';
import { INTERNAL_TOPICS } from '../../cluster/metadata-image.js';
import { defineHandler } from '../handler.js';
import { toErrorCode } from '../error-mapping.js';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export const deleteTopicsHandler = defineHandler(deleteTopics, { min: 0, max: 6 }, async (request, context) => {
  const controller = context.broker.controller;
  const wanted =
    context.apiVersion >= 6
      ? request.topics.map((topic) => ({ name: topic.name, topicId: topic.topicId }))
      : request.topicNames.map((name) => ({ name: name as string | null, topicId: ZERO_UUID }));
  const responses = await Promise.all(
    wanted.map(async ({ name, topicId }) => {
      const topic = name !== null && name !== '' ? controller.topic(name) : controller.image.topicsById.get(topicId);
      try {
        if (!topic) {
          throw new KafkaError(
            name !== null && name !== '' ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
            name !== null && name !== '' ? 'This server does not host this topic-partition.' : 'This server does not host this topic ID.',
          );
        }
        if (INTERNAL_TOPICS.has(topic.name)) {
          throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Internal topic ${topic.name} cannot be deleted`);
        }
        await controller.deleteTopic(topic);
        return { name: topic.name, topicId: topic.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
      } catch (error) {
        return { name, topicId: topic?.topicId ?? topicId, ...toErrorCode(error, `DeleteTopics ${name ?? topicId}`) };
      }
    }),
  );
  return { throttleTimeMs: 0, responses };
});
