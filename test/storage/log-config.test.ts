import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_LOG_CONFIG, logConfig } from '../../src/storage/log-config.js';

test("Kafka's defaults, overridable and checked", () => {
  assert.equal(DEFAULT_LOG_CONFIG.segmentBytes, 1073741824);
  assert.equal(DEFAULT_LOG_CONFIG.segmentMs, 604800000);
  assert.equal(DEFAULT_LOG_CONFIG.indexIntervalBytes, 4096);
  assert.equal(DEFAULT_LOG_CONFIG.segmentIndexBytes, 10485760);
  assert.equal(DEFAULT_LOG_CONFIG.messageTimestampType, 'CreateTime');
  assert.deepEqual(DEFAULT_LOG_CONFIG.cleanupPolicy, ['delete']);
  assert.equal(logConfig({ flushMessages: 1 }).flushMessages, 1);
  assert.throws(() => logConfig({ segmentBytes: 10 }), ConfigError);
  assert.throws(() => logConfig({ segmentBytes: 2 ** 31 }), ConfigError);
  assert.throws(() => logConfig({ flushMessages: 0 }), ConfigError);
  assert.throws(() => logConfig({ messageTimestampType: 'Now' as 'CreateTime' }), ConfigError);
});
