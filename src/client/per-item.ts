/**
 * Requests that name several things (topics, config resources, …) where each gets its own
 * result with its own error, as Kafka's per-item futures do (the admin client, config-admin.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Cluster } from './cluster.js';
import { isRetriable } from './errors.js';

/** The outcome of one item of a batch request: error is null on success. */
export interface ItemResult {
  readonly error: KafkaError | null;
}

/**
 * Sends items in rounds until each has a final result: items whose result is a retriable error
 * go again after a backoff, until the API timeout, when their last error becomes their result.
 * A round retries its own transport errors (through the cluster's with… helpers). Keys join
 * their parts with '\u0000', which `separator` replaces when a key is named in an error.
 */
export async function perItem<I, R extends ItemResult>(
  cluster: Cluster,
  items: readonly I[],
  keyOf: (item: I) => string,
  round: (pending: I[]) => Promise<Map<string, R>>,
  separator = ' partition ',
): Promise<R[]> {
  const results = new Map<string, R>();
  const deadline = Date.now() + cluster.apiTimeoutMs;
  let backoffMs = 100;
  for (;;) {
    const pending = items.filter((item) => !results.has(keyOf(item)));
    if (pending.length === 0) break;
    const answered = await round(pending);
    let again = false;
    for (const item of pending) {
      const key = keyOf(item);
      const result = answered.get(key);
      if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the broker did not answer for ${key.replace('\u0000', separator)}`);
      if (isRetriable(result.error) && Date.now() + backoffMs < deadline) again = true;
      else results.set(key, result);
    }
    if (again) {
      await sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, 1_000);
    }
  }
  return items.map((item) => results.get(keyOf(item))!);
}
