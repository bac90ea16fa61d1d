/**
 * Helpers for the storage tests: a minimal record batch v2 builder (uncompressed, correct
 * CRC-32C), temporary directories, and a FileSystem wrapper that counts calls and injects faults.
 */
import { crc32c } from '@node-rs/crc32';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, type FileStat, type FileSystem, type OpenFlags } from '../../src/storage/file-system.js';

function zigzagVarint(value: number, out: number[]): void {
  let zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
  while (zigzag >= 0x80) {
    out.push((zigzag % 0x80) | 0x80);
    zigzag = Math.floor(zigzag / 0x80);
  }
  out.push(zigzag);
}

export interface BatchSpec {
  /** Number of records (default 1). */
  readonly records?: number;
  /** Timestamp of the first record (default 1000); record i gets baseTimestamp + i * timestampStep. */
  readonly baseTimestamp?: number;
  readonly timestampStep?: number;
  /** Bytes of value per record (default 10). */
  readonly valueSize?: number;
  /** baseOffset to write into the header (default 0; the log overwrites it). */
  readonly baseOffset?: number;
}

/** An uncompressed record batch v2 with `records` records and a correct CRC. */
export function makeBatch(spec: BatchSpec = {}): Buffer {
  const count = spec.records ?? 1;
  const baseTimestamp = spec.baseTimestamp ?? 1000;
  const step = spec.timestampStep ?? 1;
  const valueSize = spec.valueSize ?? 10;
  const recordBytes: number[] = [];
  for (let i = 0; i < count; i++) {
    const body: number[] = [0];
    zigzagVarint(i * step, body);
    zigzagVarint(i, body);
    zigzagVarint(-1, body);
    zigzagVarint(valueSize, body);
    for (let j = 0; j < valueSize; j++) body.push((i + j) & 0xff);
    zigzagVarint(0, body);
    zigzagVarint(body.length, recordBytes);
    recordBytes.push(...body);
  }
  const buffer = Buffer.alloc(61 + recordBytes.length);
  buffer.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  buffer.writeInt32BE(buffer.length - 12, 8);
  buffer.writeInt32BE(-1, 12);
  buffer.writeInt8(2, 16);
  buffer.writeInt16BE(0, 21);
  buffer.writeInt32BE(count - 1, 23);
  buffer.writeBigInt64BE(BigInt(baseTimestamp), 27);
  buffer.writeBigInt64BE(BigInt(baseTimestamp + (count - 1) * step), 35);
  buffer.writeBigInt64BE(-1n, 43);
  buffer.writeInt16BE(-1, 51);
  buffer.writeInt32BE(-1, 53);
  buffer.writeInt32BE(count, 57);
  Buffer.from(recordBytes).copy(buffer, 61);
  buffer.writeUInt32BE(crc32c(buffer.subarray(21)) >>> 0, 17);
  return buffer;
}

/** Whether the batch at `at` carries a CRC matching its bytes. */
export function batchCrcValid(buffer: Buffer, at = 0): boolean {
  const size = buffer.readInt32BE(at + 8) + 12;
  return (crc32c(buffer.subarray(at + 21, at + size)) >>> 0) === buffer.readUInt32BE(at + 17);
}

/** Splits a buffer of batches into [baseOffset, lastOffset] pairs. */
export function batchOffsets(buffer: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let at = 0; at < buffer.length; ) {
    const base = Number(buffer.readBigInt64BE(at));
    out.push([base, base + buffer.readInt32BE(at + 23)]);
    at += buffer.readInt32BE(at + 8) + 12;
  }
  return out;
}

export function temporaryDirectory(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'tidelog-storage-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * A FileSystem over node:fs that counts calls by name and lets a test make the next calls of
 * one kind fail (or run a hook first).
 */
export class InstrumentedFileSystem implements FileSystem {
  private readonly inner = new NodeFileSystem();
  readonly calls = new Map<string, number>();
  /** Called before each operation; throw from it to inject a fault. */
  hooks: Partial<Record<keyof FileSystem, (...args: unknown[]) => void | Promise<void>>> = {};
  /** When set, writev writes only this many bytes of its input and then fails with EIO. */
  tornWriteBytes: number | null = null;

  count(name: keyof FileSystem): number {
    return this.calls.get(name) ?? 0;
  }

  private async before(name: keyof FileSystem, ...args: unknown[]): Promise<void> {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    const hook = this.hooks[name];
    if (hook !== undefined) await hook(...args);
  }

  async open(path: string, flags: OpenFlags): Promise<number> {
    await this.before('open', path, flags);
    return this.inner.open(path, flags);
  }
  async close(fd: number): Promise<void> {
    await this.before('close', fd);
    return this.inner.close(fd);
  }
  async read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    await this.before('read', fd, length, position);
    return this.inner.read(fd, buffer, offset, length, position);
  }
  async writev(fd: number, buffers: readonly Buffer[], position: number): Promise<number> {
    await this.before('writev', fd, buffers, position);
    if (this.tornWriteBytes !== null) {
      const keep = this.tornWriteBytes;
      this.tornWriteBytes = null;
      const whole = Buffer.concat(buffers as Buffer[]);
      await this.inner.writev(fd, [whole.subarray(0, keep)], position);
      throw Object.assign(new Error('EIO: injected torn write'), { code: 'EIO' });
    }
    return this.inner.writev(fd, buffers, position);
  }
  async fdatasync(fd: number): Promise<void> {
    await this.before('fdatasync', fd);
    return this.inner.fdatasync(fd);
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    await this.before('ftruncate', fd, length);
    return this.inner.ftruncate(fd, length);
  }
  async fstat(fd: number): Promise<FileStat> {
    await this.before('fstat', fd);
    return this.inner.fstat(fd);
  }
  async stat(path: string): Promise<FileStat | null> {
    await this.before('stat', path);
    return this.inner.stat(path);
  }
  async readFile(path: string): Promise<Buffer | null> {
    await this.before('readFile', path);
    return this.inner.readFile(path);
  }
  async readdir(path: string): Promise<string[]> {
    await this.before('readdir', path);
    return this.inner.readdir(path);
  }
  async mkdir(path: string): Promise<void> {
    await this.before('mkdir', path);
    return this.inner.mkdir(path);
  }
  async rename(from: string, to: string): Promise<void> {
    await this.before('rename', from, to);
    return this.inner.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    await this.before('unlink', path);
    return this.inner.unlink(path);
  }
  async removeDirectory(path: string): Promise<void> {
    await this.before('removeDirectory', path);
    return this.inner.removeDirectory(path);
  }
  async syncDirectory(path: string): Promise<void> {
    await this.before('syncDirectory', path);
    return this.inner.syncDirectory(path);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
