/**
 * `cleaner-offset-checkpoint`: how far the log cleaner has cleaned each compacted partition of
 * one log directory (Kafka's LogCleanerManager.OFFSET_CHECKPOINT_FILE, in Kafka's
 * CheckpointFile text format):
 *
 *   0                               version
 *   <n>                             number of entries
 *   <topic> <partition> <offset>    n lines: the partition's first dirty offset
 *
 * Everything below a partition's offset has been through the cleaner; the next round maps keys
 * from there on. A partition missing from the file starts at its log start offset. The file is
 * per log directory, as in Kafka (unlike recovery-point-offset-checkpoint, which Tidelog keeps
 * per partition), so that operators find it where they expect it.
 *
 * Crash behaviour: a new version is written to `<file>.tmp`, fdatasync'ed, renamed over the file
 * and the directory is synced, so the file holds either the old or the new entries. A missing
 * or malformed file reads as empty: the cleaner then starts every partition from its log start
 * offset, which only costs work.
 */
import { join } from 'node:path';
import { writeFileAtomically, type FileSystem } from '../file-system.js';
import { Logger } from '../../logger.js';

export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
const VERSION = 0;

const logger = new Logger('log-cleaner');

/** `<topic>-<partition>`, as the partition's directory is named. */
export type TopicPartitionName = string;

export function topicPartitionName(topic: string, partition: number): TopicPartitionName {
  return `${topic}-${partition}`;
}

/** Splits `<topic>-<partition>` at its last dash; null when it does not end in a partition number. */
export function parseTopicPartitionName(name: string): { topic: string; partition: number } | null {
  const match = /^(.+)-(\d+)$/.exec(name);
  if (match === null) return null;
  return { topic: match[1]!, partition: Number(match[2]) };
}

export class CleanerOffsetCheckpoint {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fileSystem: FileSystem,
    readonly directory: string,
  ) {}

  get path(): string {
    return join(this.directory, CLEANER_OFFSET_CHECKPOINT_FILE);
  }

  /** The entries, keyed by `<topic>-<partition>`; empty when the file is missing or unreadable. */
  async read(): Promise<Map<TopicPartitionName, number>> {
    const entries = new Map<TopicPartitionName, number>();
    const data = await this.fileSystem.readFile(this.path);
    if (data === null) return entries;
    const lines = data.toString('utf8').split('\n');
    const count = Number(lines[1]?.trim());
    if (lines[0]?.trim() !== String(VERSION) || !Number.isSafeInteger(count) || count < 0) {
      logger.warn(`Ignoring ${this.path}: unknown version or entry count`);
      return entries;
    }
    for (let i = 0; i < count; i++) {
      const fields = (lines[2 + i] ?? '').trim().split(' ');
      const partition = Number(fields[1]);
      const offset = Number(fields[2]);
      if (fields.length !== 3 || !Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset)) {
        logger.warn(`Ignoring ${this.path}: malformed entry ${i}`);
        return new Map();
      }
      entries.set(topicPartitionName(fields[0]!, partition), offset);
    }
    return entries;
  }

  /** Replaces the file with `entries`. Writes are serialized. */
  write(entries: ReadonlyMap<TopicPartitionName, number>): Promise<void> {
    const lines: string[] = [];
    for (const [name, offset] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const parsed = parseTopicPartitionName(name);
      if (parsed !== null) lines.push(`${parsed.topic} ${parsed.partition} ${offset}`);
    }
    const text = `${VERSION}\n${lines.length}\n${lines.map((line) => `${line}\n`).join('')}`;
    const run = this.writing.then(() => this.writeNow(Buffer.from(text, 'utf8')));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private writeNow(bytes: Buffer): Promise<void> {
    return writeFileAtomically(this.fileSystem, this.path, this.directory, bytes);
  }
}
