/**
 * Every declared API, by key. Declarations live one per file beside this one; each group file
 * lists its files' exports (two files so that two people can add declarations at once).
 */
import type { Api } from '../api.js';
import { metadata } from './03-metadata.js';
import { apiVersions } from './18-api-versions.js';
import * as clientApis from './client-apis.js';
import * as adminApis from './admin-apis.js';

export * from './client-apis.js';
export * from './admin-apis.js';
export { metadata, apiVersions };

export const allApis: readonly Api[] = [metadata, apiVersions, ...Object.values(clientApis), ...Object.values(adminApis)]
  .map((api) => api as unknown as Api)
  .sort((a, b) => a.apiKey - b.apiKey);

const byKey = new Map<number, Api>(allApis.map((api) => [api.apiKey, api]));

export function apiByKey(apiKey: number): Api | undefined {
  return byKey.get(apiKey);
}
