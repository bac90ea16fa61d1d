/**
 * ConfigControl as records in, records out: the ConfigRecords an AlterConfigs or
 * IncrementalAlterConfigs resource turns into, as Kafka's ConfigurationControlManager writes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigControl } from '../../src/cluster/config-control.js';
import { MetadataImage } from '../../src/cluster/metadata-image.js';
import { ConfigResourceType, type MetadataRecord } from '../../src/cluster/metadata-records.js';
import { KafkaError } from '../../src/errors.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';

function image(records: MetadataRecord[]): MetadataImage {
  const result = new MetadataImage();
  for (const record of records) result.apply(record);
  return result;
}

const base: MetadataRecord[] = [
  { type: 'Config', resourceType: ConfigResourceType.TOPIC, resourceName: 't', name: 'retention.ms', value: '1000' },
  { type: 'Topic', name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' },
  { type: 'Config', resourceType: ConfigResourceType.BROKER, resourceName: '1', name: 'log.retention.ms', value: '5' },
];

const topic = (name: string, value: string | null) => ({ type: 'Config', resourceType: ConfigResourceType.TOPIC, resourceName: 't', name, value });
const broker = (resourceName: string, name: string, value: string | null) => ({ type: 'Config', resourceType: ConfigResourceType.BROKER, resourceName, name, value });

test('incremental changes write only what changes on a topic, every key named on a broker', () => {
  const control = new ConfigControl(image(base), BrokerConfig.load(), 1);
  assert.deepEqual(
    control.planIncremental({
      resourceType: ConfigResourceType.TOPIC,
      resourceName: 't',
      configs: [
        { name: 'retention.ms', configOperation: 0, value: '1000' },
        { name: 'cleanup.policy', configOperation: 2, value: 'compact,delete' },
        { name: 'segment.ms', configOperation: 1, value: null },
      ],
    }),
    [topic('cleanup.policy', 'delete,compact')],
  );
  assert.deepEqual(
    control.planIncremental({ resourceType: ConfigResourceType.BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '5' }] }),
    [broker('1', 'log.retention.ms', '5')],
    'an unchanged broker value is written again, so brokers reload (KAFKA-14136)',
  );
  assert.deepEqual(
    control.planIncremental({ resourceType: ConfigResourceType.BROKER, resourceName: '', configs: [{ name: 'log.cleanup.policy', configOperation: 3, value: 'delete' }] }),
    [broker('', 'log.cleanup.policy', '')],
  );
});

test('legacy AlterConfigs writes the given set and removes the rest', () => {
  const control = new ConfigControl(image(base), BrokerConfig.load(), 1);
  assert.deepEqual(control.planLegacy({ resourceType: ConfigResourceType.TOPIC, resourceName: 't', configs: [{ name: 'segment.ms', value: '60000' }] }), [
    topic('segment.ms', '60000'),
    topic('retention.ms', null),
  ]);
  assert.deepEqual(control.planLegacy({ resourceType: ConfigResourceType.BROKER, resourceName: '1', configs: [] }), [broker('1', 'log.retention.ms', null)]);
});

test('a topic being deleted is gone for config changes', () => {
  const control = new ConfigControl(image(base), BrokerConfig.load(), 1, (name) => name === 't');
  assert.throws(
    () => control.planIncremental({ resourceType: ConfigResourceType.TOPIC, resourceName: 't', configs: [{ name: 'segment.ms', configOperation: 0, value: '1' }] }),
    (error: unknown) => error instanceof KafkaError && error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
});
