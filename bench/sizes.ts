/** The record sizes every workload is run with: a typical event (1 KiB) and a small one (100 B), where per-record costs dominate. */
export interface RecordSize {
  name: string;
  /** For topic, stream and key names. */
  tag: string;
  bytes: number;
}

export const SIZES: readonly RecordSize[] = [
  { name: '1 KiB', tag: '1k', bytes: 1024 },
  { name: '100 B', tag: '100b', bytes: 100 },
];

/** Names of logs created by one run carry this, so a run against a shared --peer-kafka broker never meets an earlier run's topics. */
export const RUN_TAG = Date.now().toString(36);
