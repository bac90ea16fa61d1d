/**
 * The single-node metadata log: `<data>/__cluster_metadata/metadata.log`, one record per line
 * as `<crc32c, 8 hex digits> <json>\n`. Appends are fsync'ed before they are acknowledged, so
 * a CreateTopics that returned survives a crash. On open the file is replayed; a torn or
 * corrupt tail (a crash mid-write) is cut at the last whole line. When the file holds many
 * more records than the image needs, it is rewritten as a snapshot (write a temporary file,
 * fsync, rename over the log, fsync the directory), so a crash at any point leaves either the
 * old or the new file.
 */
import { crc32c } from '@node-rs/crc32';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, existsSync, renameSync, ftruncateSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MetadataRecord } from './metadata-records.js';

const LOG_DIR_NAME = '__cluster_metadata';
const LOG_FILE_NAME = 'metadata.log';
/** Compact when the log holds this many records more than a snapshot would. */
const COMPACTION_SLACK = 10_000;

function encodeLine(record: MetadataRecord): string {
  const json = JSON.stringify(record);
  const crc = crc32c(Buffer.from(json, 'utf8')) >>> 0;
  return `${crc.toString(16).padStart(8, '0')} ${json}\n`;
}

export class MetadataLog {
  private handle: FileHandle | undefined;
  private tail: Promise<void> = Promise.resolve();
  private recordCount = 0;

  private constructor(readonly directory: string) {}

  get path(): string {
    return join(this.directory, LOG_FILE_NAME);
  }

  /** Opens the log under `dataDir`, replays it into `apply`, and cuts any torn tail. */
  static async open(dataDir: string, apply: (record: MetadataRecord) => void): Promise<MetadataLog> {
    const log = new MetadataLog(join(dataDir, LOG_DIR_NAME));
    mkdirSync(log.directory, { recursive: true });
    const path = log.path;
    if (existsSync(path)) {
      const bytes = readFileSync(path);
      let position = 0;
      while (position < bytes.length) {
        const newline = bytes.indexOf(0x0a, position);
        if (newline < 0) break;
        const record = parseLine(bytes.subarray(position, newline));
        if (!record) break;
        apply(record);
        log.recordCount++;
        position = newline + 1;
      }
      if (position < bytes.length) {
        // A crash mid-append leaves a partial or corrupt *last* line: it was never acknowledged.
        // A bad line followed by good ones is damage, not a torn write: refuse to guess.
        if (hasValidLineAfter(bytes, position)) {
          throw new Error(`${path} is corrupt at byte ${position} and has valid records after it; refusing to start`);
        }
        const fd = openSync(path, 'r+');
        ftruncateSync(fd, position);
        fsyncSync(fd);
        closeSync(fd);
      }
    }
    log.handle = await open(path, 'a');
    return log;
  }

  /** Appends records durably; resolves after fsync. Appends are applied in call order. */
  append(records: readonly MetadataRecord[]): Promise<void> {
    const text = records.map(encodeLine).join('');
    const result = this.tail.then(async () => {
      if (!this.handle) throw new Error('metadata log is closed');
      await this.handle.write(text);
      await this.handle.datasync();
      this.recordCount += records.length;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Rewrites the log as `snapshot` when it has grown well past it. */
  maybeCompact(snapshot: () => MetadataRecord[]): Promise<void> {
    const result = this.tail.then(async () => {
      const records = snapshot();
      if (this.recordCount < records.length + COMPACTION_SLACK) return;
      await this.handle?.close();
      const temporary = `${this.path}.tmp`;
      const fd = openSync(temporary, 'w');
      writeSync(fd, records.map(encodeLine).join(''));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temporary, this.path);
      const directory = openSync(this.directory, 'r');
      fsyncSync(directory);
      closeSync(directory);
      this.recordCount = records.length;
      this.handle = await open(this.path, 'a');
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.handle?.close();
    this.handle = undefined;
  }
}

function hasValidLineAfter(bytes: Buffer, position: number): boolean {
  let start = bytes.indexOf(0x0a, position) + 1;
  while (start > 0 && start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    if (newline < 0) return false;
    if (parseLine(bytes.subarray(start, newline))) return true;
    start = newline + 1;
  }
  return false;
}

function parseLine(line: Buffer): MetadataRecord | undefined {
  if (line.length < 10 || line[8] !== 0x20) return undefined;
  const expected = Number.parseInt(line.toString('latin1', 0, 8), 16);
  const json = line.subarray(9);
  if (!Number.isFinite(expected) || (crc32c(json) >>> 0) !== expected) return undefined;
  try {
    return JSON.parse(json.toString('utf8')) as MetadataRecord;
  } catch {
    return undefined;
  }
}
