/**
 * gzip (codec 1): a plain gzip stream, as every client writes it (Java GZIPOutputStream,
 * librdkafka and kafkajs through zlib). zlib's own `maxOutputLength` stops inflating at the
 * limit, so a gzip bomb never allocates more than the caller allowed.
 * The async variants run in libuv's thread pool.
 */
import { constants as bufferConstants } from 'node:buffer';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip, gzipSync, type ZlibOptions } from 'node:zlib';
import { checkMaxBytes, corruptCompressedData, decompressedTooLarge, messageOf } from './errors.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** zlib accepts maxOutputLength in [1, buffer.constants.MAX_LENGTH]. */
function inflateOptions(maxBytes: number): ZlibOptions {
  checkMaxBytes(maxBytes);
  return { maxOutputLength: Math.min(Math.max(maxBytes, 1), bufferConstants.MAX_LENGTH) };
}

function compressOptions(level: number | undefined): ZlibOptions {
  return level === undefined ? {} : { level };
}

function translate(error: unknown, maxBytes: number): Error {
  if ((error as { code?: unknown })?.code === 'ERR_BUFFER_TOO_LARGE') return decompressedTooLarge('gzip', maxBytes);
  return corruptCompressedData('gzip', messageOf(error), error);
}

/** `level` is zlib's 0-9 (Kafka's compression.gzip.level); zlib's default is 6, as Java's. */
export function gzipCompress(data: Buffer, level?: number): Buffer {
  return gzipSync(data, compressOptions(level));
}

export function gzipCompressAsync(data: Buffer, level?: number): Promise<Buffer> {
  return gzipAsync(data, compressOptions(level));
}

export function gzipDecompress(data: Buffer, maxBytes: number): Buffer {
  const options = inflateOptions(maxBytes);
  let output: Buffer;
  try {
    output = gunzipSync(data, options);
  } catch (error) {
    throw translate(error, maxBytes);
  }
  // maxOutputLength is at least 1, so a limit of 0 is enforced here.
  if (output.length > maxBytes) throw decompressedTooLarge('gzip', maxBytes);
  return output;
}

export async function gzipDecompressAsync(data: Buffer, maxBytes: number): Promise<Buffer> {
  const options = inflateOptions(maxBytes);
  let output: Buffer;
  try {
    output = await gunzipAsync(data, options);
  } catch (error) {
    throw translate(error, maxBytes);
  }
  if (output.length > maxBytes) throw decompressedTooLarge('gzip', maxBytes);
  return output;
}
