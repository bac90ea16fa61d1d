/**
 * When the broker's log cleaner worked on one log, and what it did, read from the broker's own
 * log lines (src/storage/cleaner: "beginning cleaning of log …" and the one-line summary
 * "cleaned log … processed in …"). Their timestamps are what bound the "cleaner running"
 * window, so the window is the cleaner's own account of when it ran, whatever the delay of the
 * pipe that brings the lines here.
 */

export interface CleaningRound {
  /** Epoch milliseconds of the "beginning cleaning" line. */
  beganAt: number;
  /** Epoch milliseconds of the summary line. */
  endedAt: number;
  /** The dirty section cleaned, as offsets. */
  fromOffset: number;
  toOffset: number;
  /** Bytes of log the cleaner read and wrote, and the records in each. */
  bytesRead: number;
  messagesRead: number;
  bytesWritten: number;
  messagesWritten: number;
  /** The cleaner's own measure of its elapsed time. */
  cleanerSeconds: number;
}

/** The summary prints sizes in MiB with one decimal (it calls them MB, as Kafka's does). */
const MIB = 1024 * 1024;

/** Lines start with an ISO timestamp: `2026-11-23T16:55:30.985Z INFO [log-cleaner] …`. */
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Follows the broker's output for the rounds of one log. The output kept by the server process
 * is only its tail, so poll() must run often enough that a line is seen before it scrolls away;
 * what it has seen it keeps.
 */
export class CleanerLogWatch {
  private readonly begin: RegExp;
  private readonly summary: RegExp;
  private readonly failure: RegExp;
  private beganAt: number | undefined;
  private round: CleaningRound | undefined;
  private failed: string | undefined;

  /** `logName` is the partition directory's name, topic-partition. Lines older than `since` (epoch ms) are ignored. */
  constructor(
    private readonly output: () => string,
    logName: string,
    private readonly since: number,
  ) {
    const name = escape(logName);
    this.begin = new RegExp(`beginning cleaning of log ${name}$`);
    this.summary = new RegExp(
      `cleaned log ${name} \\(dirty section = \\[(\\d+), (\\d+)\\]\\): ([\\d.]+) MB of log processed in ([\\d.]+) s .*` +
        `start size ([\\d.]+) MB \\((\\d+) messages\\), end size ([\\d.]+) MB \\((\\d+) messages\\)`,
    );
    this.failure = new RegExp(`cleaning of log ${name} (was aborted|stopped on a storage error)|unexpected error while cleaning log ${name}\\b`);
  }

  /** Reads new lines; throws when the cleaner reported that the round failed. */
  poll(): void {
    for (const line of this.output().split('\n')) {
      const stamp = TIMESTAMP.exec(line);
      if (!stamp) continue;
      const at = Date.parse(stamp[1]!);
      if (at < this.since) continue;
      if (this.beganAt === undefined && this.begin.test(line)) this.beganAt = at;
      if (this.failure.test(line)) this.failed ??= line;
      const summary = this.summary.exec(line);
      // The first completed round after the first beginning: later rounds clean only what the probe added.
      if (summary && this.beganAt !== undefined && this.round === undefined && at >= this.beganAt) {
        const number = (i: number): number => Number(summary[i]);
        this.round = {
          beganAt: this.beganAt,
          endedAt: at,
          fromOffset: number(1),
          toOffset: number(2),
          bytesRead: number(5) * MIB,
          messagesRead: number(6),
          bytesWritten: number(7) * MIB,
          messagesWritten: number(8),
          cleanerSeconds: number(4),
        };
      }
    }
    if (this.failed !== undefined && this.round === undefined) throw new Error(`the log cleaner failed: ${this.failed}`);
  }

  /** Epoch milliseconds at which the first round began, once it has. */
  get began(): number | undefined {
    return this.beganAt;
  }

  get finished(): CleaningRound | undefined {
    return this.round;
  }
}
