/**
 * Which segments retention deletes (Kafka's UnifiedLog.deleteOldSegments and
 * deletableSegments), decided over a list of segments without touching any file:
 * PartitionLog.deleteOldSegments gathers the segments, asks here, and applies the plan.
 *
 * Three rules, in Kafka's order. Each walks the segments oldest first and stops at the first
 * one it keeps, so only a prefix of the log ever goes; each sees the log as the rules before it
 * left it.
 *   1. log start offset  (whatever cleanup.policy says) a segment whose successor starts at or
 *                        below logStartOffset: every offset in it was given up (DeleteRecords).
 *   2. retention.bytes   (cleanup.policy has delete; retention.bytes >= 0; the log is at least
 *                        that large) the oldest segments go while what would remain is still
 *                        at least retention.bytes: with diff = size - retention.bytes, a segment
 *                        goes while diff - segment.size >= 0. The log thus stays under
 *                        retention.bytes + one segment.
 *   3. retention.ms      (cleanup.policy has delete; retention.ms >= 0) a segment whose largest
 *                        timestamp (else its file's last-modified time) is more than
 *                        retention.ms before now.
 * Bounds shared by all three:
 *   - a segment goes only when all of it is below the high watermark (its upper bound is the
 *     next segment's base offset, or the log end for the last one), so the log start offset
 *     never passes the high watermark;
 *   - an empty last segment never goes;
 *   - the active (last) segment may go. A log always keeps one segment, so when the plan takes
 *     every segment the log first rolls a new, empty active segment at the log end
 *     (`rollFirst`), as UnifiedLog.deleteSegments does; later rules then see only that empty
 *     segment. This is how time retention empties a topic that receives nothing: segment.ms
 *     rolls only on an append (Kafka's rule too), so a quiet topic's active segment would
 *     otherwise never expire.
 */
import type { CleanupPolicy } from './log-config.js';

/** What retention needs from a segment. */
export interface RetentionSegment {
  readonly baseOffset: number;
  /** Bytes written. */
  readonly size: number;
  /** Largest batch timestamp, else the file's last-modified time (may load the time index). */
  largestTimestamp(): number | Promise<number>;
}

export interface RetentionLogState {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Nothing at or above it is deleted (on a single replica, the written end). */
  readonly highWatermark: number;
}

export interface RetentionConfig {
  /** Negative (-1) = keep forever. */
  readonly retentionMs: number;
  /** Negative (-1) = no size limit. */
  readonly retentionBytes: number;
  readonly cleanupPolicy: readonly CleanupPolicy[];
}

/** Why a segment goes (Kafka's SegmentDeletionReason). */
export type SegmentDeletionReason = 'log-start-offset-breach' | 'retention-size-breach' | 'retention-time-breach';

export interface RetentionPlan<S extends RetentionSegment> {
  /** A prefix of the segments, oldest first. */
  readonly segments: readonly S[];
  /** reasons[i] is why segments[i] goes. */
  readonly reasons: readonly SegmentDeletionReason[];
  /** Every segment goes, the active one too: roll a new empty active segment first. */
  readonly rollFirst: boolean;
}

export type SegmentPredicate<S extends RetentionSegment> = (segment: S, next: S | undefined) => boolean | Promise<boolean>;

/**
 * How many of the oldest segments `predicate` lets go, within the shared bounds (Kafka's
 * deletableSegments). The predicate is called in order and not after the first refusal.
 */
export async function deletableSegmentCount<S extends RetentionSegment>(
  segments: readonly S[],
  state: Pick<RetentionLogState, 'logEndOffset' | 'highWatermark'>,
  predicate: SegmentPredicate<S>,
): Promise<number> {
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    const isLastSegmentAndEmpty = next === undefined && segment.size === 0;
    const upperBoundOffset = next !== undefined ? next.baseOffset : state.logEndOffset;
    if (isLastSegmentAndEmpty || state.highWatermark < upperBoundOffset) return i;
    if (!(await predicate(segment, next))) return i;
  }
  return segments.length;
}

/** The plan for one retention pass over `segments` (oldest first) at time `now`. */
export async function planSegmentDeletion<S extends RetentionSegment>(
  segments: readonly S[],
  state: RetentionLogState,
  config: RetentionConfig,
  now: number,
): Promise<RetentionPlan<S>> {
  const remaining = segments.slice();
  const doomed: S[] = [];
  const reasons: SegmentDeletionReason[] = [];
  let logStartOffset = state.logStartOffset;
  let rollFirst = false;

  const apply = async (reason: SegmentDeletionReason, predicate: SegmentPredicate<S>): Promise<void> => {
    // After a roll the log is one empty segment, which no rule deletes.
    if (rollFirst) return;
    const count = await deletableSegmentCount(remaining, state, predicate);
    if (count === 0) return;
    for (const segment of remaining.splice(0, count)) {
      doomed.push(segment);
      reasons.push(reason);
    }
    if (remaining.length === 0) rollFirst = true;
    logStartOffset = Math.max(logStartOffset, rollFirst ? state.logEndOffset : remaining[0]!.baseOffset);
  };

  await apply('log-start-offset-breach', (_segment, next) => next !== undefined && next.baseOffset <= logStartOffset);

  if (config.cleanupPolicy.includes('delete')) {
    const retentionBytes = config.retentionBytes;
    if (retentionBytes >= 0) {
      let size = 0;
      for (const segment of remaining) size += segment.size;
      if (size >= retentionBytes) {
        let diff = size - retentionBytes;
        await apply('retention-size-breach', (segment) => {
          if (diff - segment.size < 0) return false;
          diff -= segment.size;
          return true;
        });
      }
    }
    const retentionMs = config.retentionMs;
    if (retentionMs >= 0) {
      await apply('retention-time-breach', async (segment) => now - (await segment.largestTimestamp()) > retentionMs);
    }
  }
  return { segments: doomed, reasons, rollFirst };
}
