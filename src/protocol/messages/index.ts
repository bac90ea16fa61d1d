/**
 * Every declared API, by key. Add a declaration here when you add a file beside this one.
 */
import type { Api } from '../api.js';
import { metadata } from './03-metadata.js';
import { apiVersions } from './18-api-versions.js';

export { metadata, apiVersions };

export const allApis: readonly Api[] = [metadata, apiVersions] as unknown as readonly Api[];

const byKey = new Map<number, Api>(allApis.map((api) => [api.apiKey, api]));

export function apiByKey(apiKey: number): Api | undefined {
  return byKey.get(apiKey);
}
