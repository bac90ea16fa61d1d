/**
 * Control batches: transaction markers (NOTES.md §3.3; ControlRecordType.java,
 * EndTransactionMarker.java). A marker is a batch with the control (0x20) and transactional
 * (0x10) bits set, the transactional producer's id and epoch, no sequence, no compression, and
 * exactly one record that takes one offset:
 *   key   = version int16 (0) | type int16     (0 ABORT, 1 COMMIT; 2-6 are KRaft's own)
 *   value = version int16 (0) | coordinatorEpoch int32
 * Only the broker writes them (WriteTxnMarkers); a client-written control batch is refused by
 * validate.ts.
 */
import { CorruptRecordError } from '../../errors.js';
import { ErrorCode } from '../error-codes.js';
import { NO_SEQUENCE, type RecordBatchHeader } from './batch-header.js';
import { buildRecordBatch } from './builder.js';
import { decodeRecords, readBatchHeader, type DecodeRecordsOptions } from './records.js';

export enum ControlRecordType {
  ABORT = 0,
  COMMIT = 1,
  LEADER_CHANGE = 2,
  SNAPSHOT_HEADER = 3,
  SNAPSHOT_FOOTER = 4,
  KRAFT_VERSION = 5,
  KRAFT_VOTERS = 6,
}

/** The version this code writes; readers accept later ones as Kafka does (fields are a prefix). */
export const CONTROL_RECORD_KEY_VERSION = 0;
export const END_TRANSACTION_MARKER_VERSION = 0;
const CONTROL_RECORD_KEY_SIZE = 4;
const END_TRANSACTION_MARKER_SIZE = 6;

export interface ControlRecordKey {
  version: number;
  /** A ControlRecordType, or another number from a newer Kafka (Java maps those to UNKNOWN). */
  type: number;
}

export interface EndTransactionMarker {
  type: ControlRecordType.ABORT | ControlRecordType.COMMIT;
  coordinatorEpoch: number;
}

/** A transaction marker as read from the log, with the producer it closes a transaction for. */
export interface EndTransactionMarkerBatch extends EndTransactionMarker {
  baseOffset: number;
  producerId: number;
  producerEpoch: number;
  timestamp: number;
}

export interface EndTransactionMarkerOptions extends EndTransactionMarker {
  producerId: number;
  producerEpoch: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Defaults to Date.now(), as the coordinator stamps markers when it writes them. */
  timestamp?: number;
}

function invalid(message: string): CorruptRecordError {
  return new CorruptRecordError(ErrorCode.INVALID_RECORD, message);
}

export function encodeControlRecordKey(type: ControlRecordType): Buffer {
  const key = Buffer.allocUnsafe(CONTROL_RECORD_KEY_SIZE);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function parseControlRecordKey(key: Buffer | null): ControlRecordKey {
  if (key === null || key.length < CONTROL_RECORD_KEY_SIZE) {
    throw invalid(`control record key has ${key === null ? 'no' : key.length} bytes, needs ${CONTROL_RECORD_KEY_SIZE}`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw invalid(`control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTransactionMarkerValue(coordinatorEpoch: number): Buffer {
  const value = Buffer.allocUnsafe(END_TRANSACTION_MARKER_SIZE);
  value.writeInt16BE(END_TRANSACTION_MARKER_VERSION, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

/** The coordinator epoch of a marker's value (a version 0 value, or a later one it prefixes). */
export function parseEndTransactionMarkerValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < END_TRANSACTION_MARKER_SIZE) {
    throw invalid(`end transaction marker has ${value === null ? 'no' : value.length} bytes, needs ${END_TRANSACTION_MARKER_SIZE}`);
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw invalid(`end transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

/** A COMMIT or ABORT marker batch for one partition. */
export function buildEndTransactionMarkerBatch(options: EndTransactionMarkerOptions): Buffer {
  if (options.type !== ControlRecordType.ABORT && options.type !== ControlRecordType.COMMIT) {
    throw new RangeError(`not a transaction marker type: ${options.type as number}`);
  }
  return buildRecordBatch({
    baseOffset: options.baseOffset ?? 0,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: NO_SEQUENCE,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(options.type),
        value: encodeEndTransactionMarkerValue(options.coordinatorEpoch),
        timestamp: options.timestamp ?? Date.now(),
      },
    ],
  });
}

/**
 * The control type of a control batch, read from its one record. Storage uses this on every
 * control batch it appends or recovers (a marker ends a transaction; other types do not).
 */
export function controlBatchType(batch: Buffer, options?: DecodeRecordsOptions): number {
  const header: RecordBatchHeader = readBatchHeader(batch, options?.verifyCrc ?? true);
  if (!header.isControl) throw invalid('not a control batch');
  const records = decodeRecords(batch, { ...options, verifyCrc: false });
  if (records.length === 0) throw invalid('control batch without a record');
  return parseControlRecordKey(records[0]!.key).type;
}

/**
 * The marker in a COMMIT/ABORT control batch. Throws INVALID_RECORD for any other batch,
 * including control batches of other types.
 */
export function readEndTransactionMarker(batch: Buffer, options?: DecodeRecordsOptions): EndTransactionMarkerBatch {
  const header = readBatchHeader(batch, options?.verifyCrc ?? true);
  if (!header.isControl) throw invalid('not a control batch');
  const records = decodeRecords(batch, { ...options, verifyCrc: false });
  if (records.length !== 1) throw invalid(`a transaction marker batch holds one record, this one ${records.length}`);
  const record = records[0]!;
  const { type } = parseControlRecordKey(record.key);
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) {
    throw invalid(`control record type ${type} is not a transaction marker`);
  }
  const { coordinatorEpoch } = parseEndTransactionMarkerValue(record.value);
  return {
    type,
    coordinatorEpoch,
    baseOffset: header.baseOffset,
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    timestamp: record.timestamp,
  };
}
