/**
 * Finishing or undoing, when a log is opened, a segment swap that a crash interrupted (Kafka's
 * LogLoader: removeTempFilesAndCollectSwapFiles and the passes after it). The log cleaner swaps
 * a cleaned segment in with PartitionLog.replaceSegments, whose steps leave these names behind:
 *
 *   <base>.log.cleaned, .index.cleaned, .timeindex.cleaned, .txnindex.cleaned
 *       being written; renamed to .swap once complete and fdatasync'ed
 *   <base>.log.swap, …
 *       complete; the old segments it replaces are being renamed to .deleted
 *   <base>.log, …
 *       the swap renamed to its final name: done
 *
 * Rules, Kafka's, applied before anything else looks at the directory:
 *   1. Every `.swap` file whose base offset is >= the smallest base offset among `.cleaned`
 *      files belongs to a swap whose renames to `.swap` did not all happen: it is deleted, and
 *      so is every `.cleaned` file. Those swaps never happened; the old segments are intact.
 *   2. The remaining `.swap` log files cover [min base offset, max next offset): every other
 *      segment file (`.log`, `.index`, `.timeindex`, `.txnindex`, also renamed `.deleted`) whose
 *      base offset is in that range is an old segment the swap replaces and is deleted (its data
 *      is in the swap).
 *   3. The `.swap` files are renamed to their final names.
 * `.deleted` files are left to the loader, which removes them.
 *
 * An old segment that starts at or after the swap's next offset (every record in it was
 * cleaned away) survives rule 2 when the crash came before its rename to `.deleted`: it then
 * stays in the log with its uncleaned records, which is a consistent log the next round cleans
 * again.
 */
import { join } from 'node:path';
import { BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, RecordBatchHeader } from '../../protocol/records/batch-header.js';
import type { FileSystem } from '../file-system.js';
import { CLEANED_FILE_SUFFIX, LOG_FILE_SUFFIX, MIN_BATCH_LENGTH, SWAP_FILE_SUFFIX } from '../log-segment.js';
import { Logger } from '../../logger.js';

const logger = new Logger('storage');
const READ_BLOCK_BYTES = 64 * 1024;
/**
 * The files of a segment, under their final name or renamed for deletion. Kafka's pass 2 deletes
 * every file named by an offset in the range; producer snapshots (`.snapshot`) are left here to
 * the producer state, which keeps or drops them by the log's offsets.
 */
const SEGMENT_FILE = /^\d{20}\.(log|index|timeindex|txnindex)(\.deleted)?$/;

/** The base offset a segment file name starts with (`00000000000000000042.log.swap` -> 42), or null. */
export function offsetFromFileName(name: string): number | null {
  const match = /^(\d{20})\./.exec(name);
  return match === null ? null : Number(match[1]);
}

/**
 * Applies the rules above to `directory`, whose entries are `names`. Returns the entries
 * afterwards (unchanged when there was nothing to do).
 */
export async function recoverInterruptedSwaps(fileSystem: FileSystem, directory: string, names: readonly string[]): Promise<string[]> {
  const cleaned = names.filter((name) => name.endsWith(CLEANED_FILE_SUFFIX) && offsetFromFileName(name) !== null);
  const swaps = names.filter((name) => name.endsWith(SWAP_FILE_SUFFIX) && offsetFromFileName(name) !== null);
  if (cleaned.length === 0 && swaps.length === 0) return [...names];

  let minCleanedOffset = Number.MAX_SAFE_INTEGER;
  for (const name of cleaned) minCleanedOffset = Math.min(minCleanedOffset, offsetFromFileName(name)!);
  const validSwaps: string[] = [];
  for (const name of swaps) {
    if (offsetFromFileName(name)! >= minCleanedOffset) {
      logger.info(`Deleting ${join(directory, name)}: part of a swap that did not complete (a .cleaned file remains at offset ${minCleanedOffset})`);
      await fileSystem.unlink(join(directory, name));
    } else {
      validSwaps.push(name);
    }
  }
  for (const name of cleaned) await fileSystem.unlink(join(directory, name));

  let minSwapOffset = Number.MAX_SAFE_INTEGER;
  let maxSwapOffset = -1;
  for (const name of validSwaps) {
    if (name !== name.slice(0, 20) + LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX) continue;
    const baseOffset = offsetFromFileName(name)!;
    logger.info(`Found ${join(directory, name)} from an interrupted swap; completing it`);
    minSwapOffset = Math.min(minSwapOffset, baseOffset);
    maxSwapOffset = Math.max(maxSwapOffset, await readNextOffset(fileSystem, join(directory, name), baseOffset));
  }
  if (maxSwapOffset >= 0) {
    for (const name of names) {
      if (name.endsWith(SWAP_FILE_SUFFIX) || name.endsWith(CLEANED_FILE_SUFFIX) || !SEGMENT_FILE.test(name)) continue;
      const offset = offsetFromFileName(name);
      if (offset !== null && offset >= minSwapOffset && offset < maxSwapOffset) {
        logger.info(`Deleting ${join(directory, name)}: replaced by the swapped-in segment`);
        await fileSystem.unlink(join(directory, name));
      }
    }
  }
  for (const name of validSwaps) {
    await fileSystem.rename(join(directory, name), join(directory, name.slice(0, name.length - SWAP_FILE_SUFFIX.length)));
  }
  await fileSystem.syncDirectory(directory);
  return fileSystem.readdir(directory);
}

/**
 * The offset after the last whole batch of a segment file (Kafka's LogSegment.readNextOffset),
 * walking batch headers from the start; `baseOffset` for a file without a batch.
 */
export async function readNextOffset(fileSystem: FileSystem, path: string, baseOffset: number): Promise<number> {
  const fd = await fileSystem.open(path, 'r');
  try {
    const size = (await fileSystem.fstat(fd)).size;
    let block = Buffer.allocUnsafe(0);
    let blockStart = 0;
    let nextOffset = baseOffset;
    let position = 0;
    while (position + RECORD_BATCH_OVERHEAD <= size) {
      let view: Buffer;
      let at: number;
      if (position >= blockStart && position + RECORD_BATCH_OVERHEAD <= blockStart + block.length) {
        view = block;
        at = position - blockStart;
      } else {
        block = Buffer.allocUnsafe(Math.min(READ_BLOCK_BYTES, size - position));
        const read = await readFully(fileSystem, fd, block, position);
        block = block.subarray(0, read);
        blockStart = position;
        if (read < RECORD_BATCH_OVERHEAD) break;
        view = block;
        at = 0;
      }
      const batchLength = view.readInt32BE(at + BATCH_LENGTH_OFFSET);
      if (batchLength < MIN_BATCH_LENGTH || position + LOG_OVERHEAD + batchLength > size) break;
      const batch = new RecordBatchHeader(view, at);
      nextOffset = batch.baseOffset + view.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET) + 1;
      position += LOG_OVERHEAD + batchLength;
    }
    return nextOffset;
  } finally {
    await fileSystem.close(fd);
  }
}

async function readFully(fileSystem: FileSystem, fd: number, buffer: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const read = await fileSystem.read(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}
