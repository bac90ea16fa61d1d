/**
 * The group coordinator for the classic consumer-group protocol. Groups live in memory; what
 * must survive a restart — committed offsets and each group's metadata after a rebalance — is
 * written as records to the group's `__consumer_offsets` partition before the request is
 * answered, and rebuilt by replaying those records (`load`). Offsets change only through
 * `replayOffset`, whether the record was just written or is being loaded.
 *
 * Timers (session timeouts, the rebalance timeout, the initial rebalance delay, KIP-394 pending
 * members, members that never send SyncGroup, offset expiry) run on an injected Scheduler, so the
 * unit tests drive time (test/coordinator/).
 *
 * Follows Kafka's classic group rules (NOTES.md §4; KIP-394 member ids, KIP-345 static
 * membership, KIP-211 offset retention); the error codes are Kafka's per state.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import { KafkaError } from '../../errors.js';
import { Reader } from '../../protocol/reader.js';
import type { Scheduler } from '../scheduler.js';
import { recordKeyVersion } from '../record-codec.js';
import {
  ClassicGroup,
  GroupMember,
  offsetKey,
  type CommittedOffset,
  type StoredOffset,
  type GroupState,
  type JoinResult,
  type ProtocolMetadata,
  type SyncResult,
} from './classic-group.js';
import {
  GROUP_METADATA_KEY_VERSION,
  GROUP_METADATA_VALUE_VERSION,
  groupMetadataKey,
  groupMetadataValue,
  OFFSET_COMMIT_KEY_VERSION,
  OFFSET_COMMIT_VALUE_VERSION,
  OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY,
  offsetCommitKey,
  offsetCommitValue,
} from './group-records.js';
import { subscribedTopicsOf } from '../../protocol/consumer-protocol.js';

/** A key/value record of `__consumer_offsets`; a null value is a tombstone. */
export interface CoordinatorRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** Where the coordinator's records go: the group's partition of `__consumer_offsets`. */
export interface CoordinatorRecordLog {
  /**
   * With `transaction`, the records go in one transactional batch of that producer
   * (TxnOffsetCommit). Resolves to the offset of the first record (the others follow it).
   */
  append(partition: number, records: readonly CoordinatorRecord[], transaction?: { producerId: number; producerEpoch: number }): Promise<number>;
}

/** TxnOffsetCommit (key 28): offsets a transactional producer commits for a group (KIP-98, KIP-447). */
export interface TxnOffsetCommitRequest {
  readonly groupId: string;
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  /** v3+; before that -1 / '' / null, which skip the member checks. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly topics: OffsetCommitRequest['topics'];
}

export interface GroupCoordinatorConfig {
  readonly numPartitions: number;
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxSize: number;
  readonly offsetsRetentionMs: number;
  readonly offsetsRetentionCheckIntervalMs: number;
  readonly offsetMetadataMaxBytes: number;
}

export interface JoinGroupRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** -1 (JoinGroup v0) means the session timeout. */
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly ProtocolMetadata[];
  readonly clientId: string;
  readonly clientHost: string;
  readonly apiVersion: number;
}

export interface SyncGroupRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface OffsetCommitRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v2-4 retention_time_ms; -1 = broker default. */
  readonly retentionTimeMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[];
  }[];
}

export interface PartitionError {
  readonly partitionIndex: number;
  readonly errorCode: ErrorCode;
}

export interface FetchedOffset {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: ErrorCode;
}

export interface GroupDescription {
  readonly errorCode: ErrorCode;
  readonly groupId: string;
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: readonly {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

/** Kafka's minimum for new members that have not completed a join yet (GroupCoordinator.NewMemberJoinTimeoutMs). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;
const EMPTY = Buffer.alloc(0);

/** Kafka's GroupMetadataManager.storeOffsets: what a failed offsets write means to the client. */
function transactionalAppendError(error: unknown): ErrorCode {
  const code = error instanceof KafkaError ? error.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** Java's String.hashCode over UTF-16 code units, as Kafka uses to place a group. */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(31, hash) + value.charCodeAt(i)) | 0;
  return hash;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private loaded = false;
  /** Groups whose join phase is in its initial delay (waits the whole delay). */
  private readonly initialDelays = new Set<string>();
  /**
   * TxnOffsetCommit offsets waiting for their transaction's marker: group → producer id →
   * partition. Visible to OffsetFetch only once a COMMIT marker reaches the group's partition.
   */
  private readonly pendingTransactionalOffsets = new Map<string, Map<number, Map<string, StoredOffset>>>();

  constructor(
    private readonly config: GroupCoordinatorConfig,
    private readonly log: CoordinatorRecordLog,
    private readonly scheduler: Scheduler,
    /** Whether a topic partition exists (OffsetCommit answers UNKNOWN_TOPIC_OR_PARTITION otherwise). */
    private readonly partitionExists: (topic: string, partition: number) => boolean = () => true,
  ) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  partitionFor(groupId: string): number {
    const hash = javaStringHashCode(groupId);
    // Kafka's Utils.abs: MIN_VALUE maps to 0.
    return (hash === -2147483648 ? 0 : Math.abs(hash)) % this.config.numPartitions;
  }

  group(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---------------------------------------------------------------------------------------------
  // Loading

  /** Applies one record read back from `__consumer_offsets` (at start-up, in log order) at `logOffset`. */
  loadRecord(record: CoordinatorRecord, transactionalProducerId: number, logOffset: number): void {
    const keyVersion = recordKeyVersion(record.key);
    if (keyVersion === 0 || keyVersion === 1) {
      // An offset in a transactional batch stays pending until its marker (completeTransaction).
      if (transactionalProducerId >= 0) this.replayTransactionalOffset(transactionalProducerId, record, logOffset);
      else this.replayOffset(record, logOffset);
      return;
    }
    if (keyVersion !== GROUP_METADATA_KEY_VERSION) return; // newer record types (KIP-848) are not ours
    const reader = new Reader(record.key, 2);
    const { group: groupId } = groupMetadataKey.decodeBody(reader, keyVersion);
    if (record.value === null) {
      this.groups.delete(groupId);
      return;
    }
    const { message } = groupMetadataValue.decode(record.value);
    const group = this.getOrCreateGroup(groupId);
    for (const member of group.members.values()) group.removeMember(member.memberId);
    group.protocolType = message.protocolType === '' ? null : message.protocolType;
    group.generationId = message.generation;
    group.protocolName = message.protocol;
    group.leaderId = message.leader;
    group.stateTimestamp = message.currentStateTimestamp >= 0 ? message.currentStateTimestamp : this.scheduler.now();
    for (const stored of message.members) {
      const member = new GroupMember(
        stored.memberId,
        stored.groupInstanceId,
        stored.clientId,
        stored.clientHost,
        stored.rebalanceTimeout >= 0 ? stored.rebalanceTimeout : stored.sessionTimeout,
        stored.sessionTimeout,
        message.protocolType,
        message.protocol === null ? [] : [{ name: message.protocol, metadata: Buffer.from(stored.subscription) }],
      );
      member.assignment = Buffer.from(stored.assignment);
      group.members.set(member.memberId, member);
      if (member.groupInstanceId !== null) group.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    group.leaderId = message.leader;
    group.state = group.members.size > 0 ? 'Stable' : 'Empty';
    group.subscribedTopics = group.computeSubscribedTopics(subscribedTopicsOf);
  }

  /** Called once every partition has been replayed: members get fresh session timers. */
  completeLoading(): void {
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) this.scheduleHeartbeatExpiry(group, member);
    }
    this.loaded = true;
    this.scheduleOffsetExpiry();
  }

  shutdown(): void {
    this.scheduler.cancelAll();
    for (const group of this.groups.values()) {
      for (const member of group.members.values()) {
        member.awaitingJoin?.(this.joinError(ErrorCode.NOT_COORDINATOR, member.memberId));
        member.awaitingSync?.(this.syncError(ErrorCode.NOT_COORDINATOR));
        member.awaitingJoin = null;
        member.awaitingSync = null;
      }
    }
    this.loaded = false;
  }

  private getOrCreateGroup(groupId: string): ClassicGroup {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new ClassicGroup(groupId, this.scheduler.now());
      this.groups.set(groupId, group);
    }
    return group;
  }

  // ---------------------------------------------------------------------------------------------
  // Records

  private offsetRecord(groupId: string, topic: string, partition: number, offset: CommittedOffset | null): CoordinatorRecord {
    const key = offsetCommitKey.encode(OFFSET_COMMIT_KEY_VERSION, { group: groupId, topic, partition });
    if (offset === null) return { key, value: null };
    const version = offset.expireTimestamp >= 0 ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
    return { key, value: offsetCommitValue.encode(version, offset) };
  }

  private groupRecord(group: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): CoordinatorRecord {
    const key = groupMetadataKey.encode(GROUP_METADATA_KEY_VERSION, { group: group.groupId });
    const members = [...group.members.values()].map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      rebalanceTimeout: member.rebalanceTimeoutMs,
      sessionTimeout: member.sessionTimeoutMs,
      subscription: group.protocolName === null ? EMPTY : member.metadataFor(group.protocolName),
      assignment: assignments?.get(member.memberId) ?? member.assignment,
    }));
    return {
      key,
      value: groupMetadataValue.encode(GROUP_METADATA_VALUE_VERSION, {
        protocolType: group.protocolType ?? '',
        generation: group.generationId,
        protocol: group.protocolName,
        leader: group.leaderId,
        currentStateTimestamp: group.stateTimestamp,
        members,
      }),
    };
  }

  private groupTombstone(groupId: string): CoordinatorRecord {
    return { key: groupMetadataKey.encode(GROUP_METADATA_KEY_VERSION, { group: groupId }), value: null };
  }

  /** The only way committed offsets change: a written (or loaded) offset record at `logOffset`. */
  private replayOffset(record: CoordinatorRecord, logOffset: number): void {
    const reader = new Reader(record.key, 2);
    const key = offsetCommitKey.decodeBody(reader, recordKeyVersion(record.key));
    const slot = offsetKey(key.topic, key.partition);
    if (record.value === null) {
      this.groups.get(key.group)?.offsets.delete(slot);
      return;
    }
    const { message } = offsetCommitValue.decode(record.value);
    this.getOrCreateGroup(key.group).offsets.set(slot, { ...message, topic: key.topic, partition: key.partition, logOffset });
  }

  /** Applies the offset records among `records`, just written from `firstOffset` on (group records are the caller's). */
  private replayWrittenOffsets(records: readonly CoordinatorRecord[], firstOffset: number): void {
    records.forEach((record, index) => {
      if (record.key.readInt16BE(0) !== GROUP_METADATA_KEY_VERSION) this.replayOffset(record, firstOffset + index);
    });
  }

  /** Appends to the group's partition; resolves to the first record's offset. */
  private appendFor(groupId: string, records: readonly CoordinatorRecord[]): Promise<number> {
    return this.log.append(this.partitionFor(groupId), records);
  }

  // ---------------------------------------------------------------------------------------------
  // JoinGroup

  private joinError(errorCode: ErrorCode, memberId: string): JoinResult {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
  }

  async joinGroup(request: JoinGroupRequest): Promise<JoinResult> {
    if (!this.loaded) return this.joinError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, request.memberId);
    if (request.groupId === '') return this.joinError(ErrorCode.INVALID_GROUP_ID, request.memberId);
    if (request.sessionTimeoutMs < this.config.minSessionTimeoutMs || request.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return this.joinError(ErrorCode.INVALID_SESSION_TIMEOUT, request.memberId);
    }
    const unknownMember = request.memberId === '';
    let group = this.groups.get(request.groupId);
    if (!group) {
      if (!unknownMember) return this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, request.memberId);
      group = this.getOrCreateGroup(request.groupId);
    }
    if (group.is('Dead')) return this.joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, request.memberId);
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      return this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, request.memberId);
    }
    const knownStatic = group.staticMemberId(request.groupInstanceId);
    const isNewToGroup = unknownMember ? knownStatic === undefined : !group.members.has(request.memberId) && !group.pendingMembers.has(request.memberId);
    if (isNewToGroup && group.members.size + group.pendingMembers.size >= this.config.maxSize) {
      return this.joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, request.memberId);
    }
    return unknownMember ? this.joinNewMember(group, request) : this.joinExistingMember(group, request);
  }

  private joinNewMember(group: ClassicGroup, request: JoinGroupRequest): Promise<JoinResult> {
    if (request.groupInstanceId !== null) {
      const newMemberId = `${request.groupInstanceId}-${randomUUID()}`;
      const existing = group.staticMemberId(request.groupInstanceId);
      return existing !== undefined
        ? this.rejoinStaticMember(group, existing, newMemberId, request)
        : this.addMemberAndRebalance(group, newMemberId, request);
    }
    const newMemberId = `${request.clientId}-${randomUUID()}`;
    if (request.apiVersion >= 4) {
      // KIP-394: hand out the id and wait for the member to come back with it.
      group.pendingMembers.add(newMemberId);
      this.scheduler.schedule(`pending:${group.groupId}:${newMemberId}`, request.sessionTimeoutMs, () => {
        group.pendingMembers.delete(newMemberId);
        this.maybeCompleteJoin(group);
      });
      return Promise.resolve(this.joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    return this.addMemberAndRebalance(group, newMemberId, request);
  }

  private joinExistingMember(group: ClassicGroup, request: JoinGroupRequest): Promise<JoinResult> {
    if (group.pendingMembers.has(request.memberId)) {
      group.pendingMembers.delete(request.memberId);
      this.scheduler.cancel(`pending:${group.groupId}:${request.memberId}`);
      return this.addMemberAndRebalance(group, request.memberId, request);
    }
    const memberError = this.validateMember(group, request);
    if (memberError !== ErrorCode.NONE) return Promise.resolve(this.joinError(memberError, request.memberId));
    const member = group.members.get(request.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request);
      case 'CompletingRebalance':
        if (member.hasSameProtocols(request.protocols)) return Promise.resolve(this.currentJoinResult(group, member, false));
        return this.updateMemberAndRebalance(group, member, request);
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.hasSameProtocols(request.protocols)) {
          return this.updateMemberAndRebalance(group, member, request);
        }
        return Promise.resolve(this.currentJoinResult(group, member, false));
      default:
        return Promise.resolve(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, request.memberId));
    }
  }

  /** The current generation as a JoinGroup answer; only the leader gets the member list. */
  private currentJoinResult(group: ClassicGroup, member: GroupMember, skipAssignment: boolean): JoinResult {
    const isLeader = group.isLeader(member.memberId);
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment,
      memberId: member.memberId,
      members: isLeader && group.protocolName !== null
        ? [...group.members.values()].map((each) => ({ memberId: each.memberId, groupInstanceId: each.groupInstanceId, metadata: each.metadataFor(group.protocolName!) }))
        : [],
    };
  }

  private awaitJoin(member: GroupMember): Promise<JoinResult> {
    // A member that sends JoinGroup again before the first is answered: the first answer is
    // not lost (the connection keeps its response order), it just tells the client to retry.
    member.awaitingJoin?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    return new Promise<JoinResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, request: JoinGroupRequest): Promise<JoinResult> {
    const member = new GroupMember(
      memberId,
      request.groupInstanceId,
      request.clientId,
      request.clientHost,
      request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      request.sessionTimeoutMs,
      request.protocolType,
      request.protocols,
    );
    member.isNew = true;
    const joined = this.awaitJoin(member);
    group.addMember(member);
    // A member joining during the initial delay extends it (up to the rebalance timeout); Kafka 4
    // does so whenever the rebalance started from Empty, whatever the generation.
    if (group.is('PreparingRebalance') && this.initialDelays.has(group.groupId)) group.newMemberAdded = true;
    // A new member that never completes the join must not hold the group forever.
    this.scheduler.schedule(this.heartbeatKey(group, member), Math.max(NEW_MEMBER_JOIN_TIMEOUT_MS, member.rebalanceTimeoutMs), () =>
      this.onMemberFailure(group.groupId, member.memberId, 'new member did not complete its join'),
    );
    // The member may be the last one the join phase waited for (a KIP-394 pending member).
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.maybePrepareRebalance(group);
    return joined;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, request: JoinGroupRequest): Promise<JoinResult> {
    member.protocols = request.protocols;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    const joined = this.awaitJoin(member);
    if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
    else this.maybePrepareRebalance(group);
    return joined;
  }

  /** KIP-345: a known static instance rejoins with an empty member id. */
  private async rejoinStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, request: JoinGroupRequest): Promise<JoinResult> {
    const member = group.members.get(oldMemberId)!;
    const previousProtocols = member.protocols;
    const currentLeader = group.leaderId;
    member.awaitingJoin?.(this.joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    member.awaitingJoin = null;
    member.awaitingSync?.(this.syncError(ErrorCode.FENCED_INSTANCE_ID));
    member.awaitingSync = null;
    this.scheduler.cancel(this.heartbeatKey(group, member));
    group.replaceStaticMember(request.groupInstanceId!, oldMemberId, newMemberId);
    member.protocols = request.protocols;
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs;
    if (group.is('Stable') && group.protocolName !== null && group.selectProtocol() === group.protocolName) {
      // The group would choose the same protocol: no rebalance, the member gets its generation
      // and assignment back under its new id (the group record keeps the new id).
      try {
        await this.appendFor(group.groupId, [this.groupRecord(group)]);
      } catch {
        group.replaceStaticMember(request.groupInstanceId!, newMemberId, oldMemberId);
        member.protocols = previousProtocols;
        this.scheduleHeartbeatExpiry(group, member);
        return this.joinError(ErrorCode.UNKNOWN_SERVER_ERROR, '');
      }
      this.scheduleHeartbeatExpiry(group, member);
      if (request.apiVersion >= 9) return this.currentJoinResult(group, member, group.isLeader(newMemberId));
      // Before v9 (KIP-814) a rejoining leader would compute an assignment the Stable group then
      // ignores; Kafka answers the old leader id and no members so that it does not.
      return { ...this.currentJoinResult(group, member, false), leader: currentLeader ?? '', members: [] };
    }
    return this.updateMemberAndRebalance(group, member, request);
  }

  private maybePrepareRebalance(group: ClassicGroup): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group);
  }

  private prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance')) this.resetAssignments(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.pendingSyncMembers.clear();
    this.scheduler.cancel(this.syncKey(group));
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.scheduler.now());
    const joinKey = `join:${group.groupId}`;
    if (initial) {
      this.initialDelays.add(group.groupId);
      const delay = this.config.initialRebalanceDelayMs;
      this.scheduleInitialDelay(group, delay, Math.max(group.maxRebalanceTimeoutMs() - delay, 0));
    } else {
      this.initialDelays.delete(group.groupId);
      this.scheduler.schedule(joinKey, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
      this.maybeCompleteJoin(group);
    }
  }

  private scheduleInitialDelay(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.scheduler.schedule(`join:${group.groupId}`, delayMs, () => {
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialDelay(group, next, Math.max(remainingMs - this.config.initialRebalanceDelayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  private maybeCompleteJoin(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || this.initialDelays.has(group.groupId)) return;
    if (group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    this.scheduler.cancel(`join:${group.groupId}`);
    this.initialDelays.delete(group.groupId);
    group.newMemberAdded = false;
    // Dynamic members that did not rejoin in time leave; static members keep their place (KIP-345).
    for (const member of group.notYetRejoinedMembers()) {
      if (member.isStatic) continue;
      this.scheduler.cancel(this.heartbeatKey(group, member));
      group.removeMember(member.memberId);
    }
    // The leader must be a member that rejoined. When only static members are left and none of
    // them rejoined, Kafka waits another rebalance timeout (maybeElectNewJoinedLeader) rather than
    // start a generation nobody is told about; session timeouts remove silent members meanwhile.
    const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
    if (group.members.size > 0 && (leader === undefined || leader.awaitingJoin === null)) {
      const joined = [...group.members.values()].find((member) => member.awaitingJoin !== null);
      if (!joined) {
        this.scheduler.schedule(`join:${group.groupId}`, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
        return;
      }
      group.leaderId = joined.memberId;
    }
    group.generationId++;
    const now = this.scheduler.now();
    group.pendingSyncMembers.clear();
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.subscribedTopics = group.computeSubscribedTopics(subscribedTopicsOf);
      group.transitionTo('Empty', now);
      this.appendFor(group.groupId, [this.groupRecord(group)]).catch(() => undefined);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.subscribedTopics = group.computeSubscribedTopics(subscribedTopicsOf);
    group.transitionTo('CompletingRebalance', now);
    for (const member of group.members.values()) {
      const resolve = member.awaitingJoin;
      if (!resolve) continue;
      member.awaitingJoin = null;
      member.isNew = false;
      resolve(this.currentJoinResult(group, member, false));
      this.scheduleHeartbeatExpiry(group, member);
    }
    // Every member must send SyncGroup within the rebalance timeout, or it is removed.
    for (const memberId of group.members.keys()) group.pendingSyncMembers.add(memberId);
    const generationId = group.generationId;
    this.scheduler.schedule(this.syncKey(group), group.maxRebalanceTimeoutMs(), () => this.expirePendingSync(group.groupId, generationId));
  }

  private syncKey(group: ClassicGroup): string {
    return `sync:${group.groupId}`;
  }

  /** Kafka's expirePendingSync: members that never sent SyncGroup leave, and the group rebalances. */
  private expirePendingSync(groupId: string, generationId: number): void {
    const group = this.groups.get(groupId);
    if (!group || group.generationId !== generationId || group.pendingSyncMembers.size === 0) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    for (const memberId of [...group.pendingSyncMembers]) {
      const member = group.members.get(memberId);
      if (member) this.scheduler.cancel(this.heartbeatKey(group, member));
      group.pendingSyncMembers.delete(memberId);
      group.removeMember(memberId);
    }
    this.prepareRebalance(group);
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.scheduler.cancel(this.syncKey(group));
  }

  // ---------------------------------------------------------------------------------------------
  // SyncGroup

  private syncError(errorCode: ErrorCode): SyncResult {
    return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  }

  async syncGroup(request: SyncGroupRequest): Promise<SyncResult> {
    if (!this.loaded) return this.syncError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const group = this.groups.get(request.groupId);
    if (!group) return this.syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return this.syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const fenced = this.validateMember(group, request);
    if (fenced !== ErrorCode.NONE) return this.syncError(fenced);
    if (request.generationId !== group.generationId) return this.syncError(ErrorCode.ILLEGAL_GENERATION);
    if ((request.protocolType !== null && request.protocolType !== group.protocolType) || (request.protocolName !== null && request.protocolName !== group.protocolName)) {
      return this.syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const member = group.members.get(request.memberId)!;
    switch (group.state) {
      case 'Empty':
        return this.syncError(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return this.syncError(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        this.scheduleHeartbeatExpiry(group, member);
        return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
      case 'CompletingRebalance':
        break;
      default:
        return this.syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    }
    member.awaitingSync?.(this.syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    const synced = new Promise<SyncResult>((resolve) => {
      member.awaitingSync = resolve;
    });
    this.removePendingSyncMember(group, member.memberId);
    this.scheduleHeartbeatExpiry(group, member);
    if (group.isLeader(member.memberId)) {
      const generation = group.generationId;
      const assignments = new Map<string, Buffer>();
      for (const each of group.members.keys()) assignments.set(each, EMPTY);
      for (const { memberId, assignment } of request.assignments) if (assignments.has(memberId)) assignments.set(memberId, Buffer.from(assignment));
      try {
        await this.appendFor(group.groupId, [this.groupRecord(group, assignments)]);
        if (group.is('CompletingRebalance') && group.generationId === generation) {
          for (const [memberId, assignment] of assignments) group.members.get(memberId)!.assignment = assignment;
          this.propagateAssignments(group);
          group.transitionTo('Stable', this.scheduler.now());
        }
      } catch {
        if (group.is('CompletingRebalance') && group.generationId === generation) {
          this.resetAssignments(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
          this.prepareRebalance(group);
        }
      }
    }
    return synced;
  }

  private propagateAssignments(group: ClassicGroup): void {
    for (const member of group.members.values()) {
      const resolve = member.awaitingSync;
      if (!resolve) continue;
      member.awaitingSync = null;
      resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      this.scheduleHeartbeatExpiry(group, member);
    }
  }

  /** Clears the assignments and answers every waiting SyncGroup with `errorCode`. */
  private resetAssignments(group: ClassicGroup, errorCode: ErrorCode): void {
    for (const member of group.members.values()) {
      member.assignment = EMPTY;
      const resolve = member.awaitingSync;
      member.awaitingSync = null;
      if (!resolve) continue;
      resolve(this.syncError(errorCode));
      // Its session may have lapsed while it waited (see onMemberFailure): it starts a new one.
      this.scheduleHeartbeatExpiry(group, member);
    }
  }

  /** Static-membership fencing and membership, in Kafka's order. */
  private validateMember(group: ClassicGroup, identity: MemberIdentity): ErrorCode {
    if (identity.groupInstanceId !== null) {
      const staticId = group.staticMemberId(identity.groupInstanceId);
      if (staticId === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (staticId !== identity.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!group.members.has(identity.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup, failures

  heartbeat(request: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): ErrorCode {
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const group = this.groups.get(request.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.validateMember(group, request);
    if (error !== ErrorCode.NONE) return error;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(request.memberId)!;
    this.scheduleHeartbeatExpiry(group, member);
    // CompletingRebalance answers NONE: members are waiting for the leader's SyncGroup.
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(groupId: string, members: readonly MemberIdentity[]): { errorCode: ErrorCode; members: (MemberIdentity & { errorCode: ErrorCode })[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, members: [] };
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = members.map((identity) => {
      let errorCode = ErrorCode.NONE;
      if (identity.groupInstanceId !== null) {
        const memberId = group.staticMemberId(identity.groupInstanceId);
        if (memberId === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else if (identity.memberId !== '' && identity.memberId !== memberId) errorCode = ErrorCode.FENCED_INSTANCE_ID;
        else this.removeMemberAndUpdateGroup(group, group.members.get(memberId)!);
      } else if (group.pendingMembers.has(identity.memberId)) {
        group.pendingMembers.delete(identity.memberId);
        this.scheduler.cancel(`pending:${group.groupId}:${identity.memberId}`);
        this.maybeCompleteJoin(group);
      } else {
        const member = group.members.get(identity.memberId);
        if (!member) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.removeMemberAndUpdateGroup(group, member);
      }
      return { ...identity, errorCode };
    });
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private onMemberFailure(groupId: string, memberId: string, _reason: string): void {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return;
    // Kafka's hasSatisfiedHeartbeat: a member whose JoinGroup or SyncGroup is parked is alive (it
    // cannot heartbeat meanwhile); it gets a fresh session when answered. New members are not.
    if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) return;
    this.removeMemberAndUpdateGroup(group, member);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember): void {
    this.scheduler.cancel(this.heartbeatKey(group, member));
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    sync?.(this.syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.removeMember(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.prepareRebalance(group);
    else if (group.is('PreparingRebalance')) this.maybeCompleteJoin(group);
  }

  private heartbeatKey(group: ClassicGroup, member: GroupMember): string {
    return `heartbeat:${group.groupId}:${member.memberId}`;
  }

  private scheduleHeartbeatExpiry(group: ClassicGroup, member: GroupMember): void {
    const memberId = member.memberId;
    this.scheduler.schedule(this.heartbeatKey(group, member), member.sessionTimeoutMs, () =>
      this.onMemberFailure(group.groupId, memberId, 'session timeout expired'),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Offsets

  async commitOffsets(request: OffsetCommitRequest): Promise<{ name: string; partitions: PartitionError[] }[]> {
    const fail = (errorCode: ErrorCode) =>
      request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    if (!this.loaded) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    let group = this.groups.get(request.groupId);
    if (!group) {
      // Not managed by this coordinator (assign()-based consumers, admin tools): allowed with generation -1.
      if (request.generationId >= 0) return fail(ErrorCode.ILLEGAL_GENERATION);
      group = this.getOrCreateGroup(request.groupId);
    }
    const groupError = this.validateOffsetCommit(group, request);
    if (groupError !== ErrorCode.NONE) return fail(groupError);

    const now = this.scheduler.now();
    const records: CoordinatorRecord[] = [];
    const response = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        let errorCode = ErrorCode.NONE;
        const metadata = partition.committedMetadata ?? '';
        if (!this.partitionExists(topic.name, partition.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else {
          records.push(
            this.offsetRecord(request.groupId, topic.name, partition.partitionIndex, {
              offset: partition.committedOffset,
              leaderEpoch: partition.committedLeaderEpoch,
              metadata,
              commitTimestamp: now,
              expireTimestamp: request.retentionTimeMs >= 0 ? now + request.retentionTimeMs : -1,
            }),
          );
        }
        return { partitionIndex: partition.partitionIndex, errorCode };
      }),
    }));
    if (records.length === 0) return response;
    let firstOffset: number;
    try {
      firstOffset = await this.appendFor(request.groupId, records);
    } catch {
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    this.replayWrittenOffsets(records, firstOffset);
    return response;
  }

  private validateOffsetCommit(group: ClassicGroup, request: OffsetCommitRequest): ErrorCode {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (request.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    // Kafka's order (ClassicGroup.validateOffsetCommit): the member and its generation first.
    const memberError = this.validateMember(group, request);
    if (memberError !== ErrorCode.NONE) return memberError;
    if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    this.scheduleHeartbeatExpiry(group, group.members.get(request.memberId)!);
    return ErrorCode.NONE;
  }

  /** Committed offsets of a group: the requested partitions (offset -1 when none), or all when topics is null. */
  fetchOffsets(
    groupId: string,
    topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
    /** OffsetFetch v7+ require_stable: partitions with pending transactional offsets answer UNSTABLE_OFFSET_COMMIT. */
    requireStable = false,
  ): { errorCode: ErrorCode; topics: { name: string; partitions: FetchedOffset[] }[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] };
    const group = this.groups.get(groupId);
    const lookup = (topic: string, partitionIndex: number): FetchedOffset => {
      if (requireStable && this.hasPendingTransactionalOffset(groupId, topic, partitionIndex)) {
        return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const committed = group?.offsets.get(offsetKey(topic, partitionIndex));
      return committed
        ? { partitionIndex, committedOffset: committed.offset, committedLeaderEpoch: committed.leaderEpoch, metadata: committed.metadata, errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    };
    if (topics !== null) {
      return { errorCode: ErrorCode.NONE, topics: topics.map((topic) => ({ name: topic.name, partitions: topic.partitionIndexes.map((index) => lookup(topic.name, index)) })) };
    }
    const byTopic = new Map<string, FetchedOffset[]>();
    for (const committed of group?.offsets.values() ?? []) {
      const list = byTopic.get(committed.topic) ?? [];
      list.push(lookup(committed.topic, committed.partition));
      byTopic.set(committed.topic, list);
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })),
    };
  }

  /** OffsetDelete: removes committed offsets of topics the group does not consume. */
  async deleteOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly number[] }[],
  ): Promise<{ errorCode: ErrorCode; topics: { name: string; partitions: PartitionError[] }[] }> {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, topics: [] };
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (group.protocolType !== null && group.protocolType !== 'consumer' && !group.is('Empty')) {
      return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    }
    const records: CoordinatorRecord[] = [];
    const result = topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partitionIndex) => {
        if (!group.is('Empty') && group.isSubscribedToTopic(topic.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.offsets.has(offsetKey(topic.name, partitionIndex))) records.push(this.offsetRecord(groupId, topic.name, partitionIndex, null));
        return { partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (records.length > 0) {
      this.replayWrittenOffsets(records, await this.appendFor(groupId, records));
    }
    return { errorCode: ErrorCode.NONE, topics: result };
  }

  // ---------------------------------------------------------------------------------------------
  // Transactional offsets (TxnOffsetCommit; Kafka's GroupMetadata pendingTransactionalOffsetCommits)

  /**
   * Writes the offsets as a transactional batch of the producer to the group's partition; they
   * stay pending until the transaction's marker reaches that partition (completeTransaction).
   * A group not known here is created (Empty), as Kafka does; v3+ requests naming a member are
   * checked against the group's generation and members (KIP-447).
   */
  async commitTransactionalOffsets(request: TxnOffsetCommitRequest): Promise<{ name: string; partitions: PartitionError[] }[]> {
    const fail = (errorCode: ErrorCode) =>
      request.topics.map((topic) => ({ name: topic.name, partitions: topic.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    if (!this.loaded) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.getOrCreateGroup(request.groupId);
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (request.generationId >= 0 || request.memberId !== '' || request.groupInstanceId !== null) {
      const memberError = this.validateMember(group, request);
      if (memberError !== ErrorCode.NONE) return fail(memberError);
      if (request.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    }
    const now = this.scheduler.now();
    const records: CoordinatorRecord[] = [];
    // Each pending offset with its record; its log position is known once the write is done.
    const pending = new Map<string, StoredOffset>();
    const written: StoredOffset[] = [];
    const response = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => {
        const metadata = partition.committedMetadata ?? '';
        let errorCode = ErrorCode.NONE;
        if (!this.partitionExists(topic.name, partition.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else {
          const offset = { offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch, metadata, commitTimestamp: now, expireTimestamp: -1 };
          records.push(this.offsetRecord(request.groupId, topic.name, partition.partitionIndex, offset));
          const stored = { ...offset, topic: topic.name, partition: partition.partitionIndex, logOffset: Number.POSITIVE_INFINITY };
          written.push(stored);
          pending.set(offsetKey(topic.name, partition.partitionIndex), stored);
        }
        return { partitionIndex: partition.partitionIndex, errorCode };
      }),
    }));
    if (records.length === 0) return response;
    // Pending before the write (Kafka's prepareTxnOffsetCommit): a marker that overtakes the
    // answer still finds them.
    const producerOffsets = this.pendingOffsetsOf(request.groupId, request.producerId);
    for (const [slot, offset] of pending) producerOffsets.set(slot, offset);
    try {
      const firstOffset = await this.log.append(this.partitionFor(request.groupId), records, { producerId: request.producerId, producerEpoch: request.producerEpoch });
      // Also when a marker already made them committed offsets: the same objects.
      written.forEach((stored, index) => (stored.logOffset = firstOffset + index));
    } catch (error) {
      for (const [slot, offset] of pending) {
        const current = this.pendingTransactionalOffsets.get(request.groupId)?.get(request.producerId);
        if (current?.get(slot) === offset) current.delete(slot);
      }
      this.dropEmptyPending(request.groupId, request.producerId);
      return fail(transactionalAppendError(error));
    }
    return response;
  }

  /**
   * A COMMIT or ABORT marker of `producerId` reached `__consumer_offsets` partition
   * `partition` (written now, or read back while loading): the producer's pending offsets of the
   * groups in that partition become committed offsets, or are dropped.
   */
  completeTransaction(partition: number, producerId: number, commit: boolean): void {
    for (const [groupId, byProducer] of this.pendingTransactionalOffsets) {
      if (this.partitionFor(groupId) !== partition) continue;
      const offsets = byProducer.get(producerId);
      if (!offsets) continue;
      byProducer.delete(producerId);
      this.dropEmptyPending(groupId, producerId);
      if (!commit) continue;
      const group = this.getOrCreateGroup(groupId);
      // Kafka's completePendingTxnOffsetCommit: an offset committed by a record written after the
      // transaction's (a plain OffsetCommit meanwhile) stays.
      for (const [slot, offset] of offsets) {
        const current = group.offsets.get(slot);
        if (current === undefined || current.logOffset < offset.logOffset) group.offsets.set(slot, offset);
      }
    }
  }

  /** Whether an open transaction holds an offset for this partition of the group. */
  hasPendingTransactionalOffset(groupId: string, topic: string, partition: number): boolean {
    const slot = offsetKey(topic, partition);
    for (const offsets of this.pendingTransactionalOffsets.get(groupId)?.values() ?? []) if (offsets.has(slot)) return true;
    return false;
  }

  private pendingOffsetsOf(groupId: string, producerId: number): Map<string, StoredOffset> {
    let byProducer = this.pendingTransactionalOffsets.get(groupId);
    if (!byProducer) this.pendingTransactionalOffsets.set(groupId, (byProducer = new Map()));
    let offsets = byProducer.get(producerId);
    if (!offsets) byProducer.set(producerId, (offsets = new Map()));
    return offsets;
  }

  private dropEmptyPending(groupId: string, producerId: number): void {
    const byProducer = this.pendingTransactionalOffsets.get(groupId);
    if (!byProducer) return;
    if (byProducer.get(producerId)?.size === 0) byProducer.delete(producerId);
    if (byProducer.size === 0) this.pendingTransactionalOffsets.delete(groupId);
  }

  private replayTransactionalOffset(producerId: number, record: CoordinatorRecord, logOffset: number): void {
    const key = offsetCommitKey.decodeBody(new Reader(record.key, 2), recordKeyVersion(record.key));
    if (record.value === null) return;
    const { message } = offsetCommitValue.decode(record.value);
    this.getOrCreateGroup(key.group);
    this.pendingOffsetsOf(key.group, producerId).set(offsetKey(key.topic, key.partition), { ...message, topic: key.topic, partition: key.partition, logOffset });
  }

  // ---------------------------------------------------------------------------------------------
  // Admin

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: ErrorCode; groups: { groupId: string; protocolType: string; groupState: string; groupType: string }[] } {
    if (!this.loaded) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(statesFilter.map((state) => state.toLowerCase()));
    const types = new Set(typesFilter.map((type) => type.toLowerCase()));
    const groups = [...this.groups.values()]
      .filter((group) => !group.is('Dead'))
      .filter((group) => states.size === 0 || states.has(group.state.toLowerCase()))
      .filter(() => types.size === 0 || types.has('classic'))
      .map((group) => ({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state, groupType: 'classic' }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  describeGroup(groupId: string): GroupDescription {
    if (!this.loaded) {
      return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
    }
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    // Kafka shows the protocol, subscriptions and assignments only once the group is Stable.
    const stable = group.is('Stable') && group.protocolName !== null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName! : '',
      members: [...group.members.values()].map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        memberMetadata: stable ? member.metadataFor(group.protocolName!) : EMPTY,
        memberAssignment: stable ? member.assignment : EMPTY,
      })),
    };
  }

  /** DeleteGroups: only empty groups; their offsets and metadata are tombstoned. */
  async deleteGroup(groupId: string): Promise<ErrorCode> {
    if (!this.loaded) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const records = [...group.offsets.values()].map((offset) => this.offsetRecord(groupId, offset.topic, offset.partition, null));
    records.push(this.groupTombstone(groupId));
    group.transitionTo('Dead', this.scheduler.now());
    try {
      await this.appendFor(groupId, records);
    } catch {
      group.state = 'Empty';
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    this.groups.delete(groupId);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------------------------------------
  // Offset retention (KIP-211)

  private scheduleOffsetExpiry(): void {
    this.scheduler.schedule('expire-offsets', this.config.offsetsRetentionCheckIntervalMs, () => {
      this.expireOffsets()
        .catch(() => undefined)
        .finally(() => {
          if (this.loaded) this.scheduleOffsetExpiry();
        });
    });
  }

  /**
   * Removes offsets past retention: for an empty group, `offsets.retention.minutes` after it
   * became empty (or after the commit, for groups never managed here); for a group consuming,
   * offsets of topics it no longer subscribes to, after their commit; and any offset whose v2-4
   * commit asked for an explicit expiry. An empty group left without offsets is deleted.
   */
  async expireOffsets(): Promise<number> {
    const now = this.scheduler.now();
    let expired = 0;
    for (const group of [...this.groups.values()]) {
      // Kafka's offsetExpirationCondition: which groups may lose offsets, counted from when.
      let base: (offset: CommittedOffset) => number;
      if (group.is('Dead')) continue;
      else if (group.protocolType === null) base = (offset) => offset.commitTimestamp;
      else if (group.is('Empty')) base = (offset) => Math.max(group.stateTimestamp, offset.commitTimestamp);
      else if (group.is('Stable') && group.protocolType === 'consumer' && group.subscribedTopics !== null) base = (offset) => offset.commitTimestamp;
      else continue;
      const records: CoordinatorRecord[] = [];
      for (const offset of group.offsets.values()) {
        if (!group.is('Empty') && group.isSubscribedToTopic(offset.topic)) continue;
        // An explicit expire timestamp (v2-4 retention_time_ms) replaces the broker's retention.
        const due = offset.expireTimestamp >= 0 ? now >= offset.expireTimestamp : now - base(offset) >= this.config.offsetsRetentionMs;
        if (due) records.push(this.offsetRecord(group.groupId, offset.topic, offset.partition, null));
      }
      const deleteGroup = group.is('Empty') && records.length === group.offsets.size && !this.pendingTransactionalOffsets.has(group.groupId);
      if (deleteGroup) records.push(this.groupTombstone(group.groupId));
      if (records.length === 0) continue;
      this.replayWrittenOffsets(records, await this.appendFor(group.groupId, records));
      expired += records.length - (deleteGroup ? 1 : 0);
      if (deleteGroup && group.is('Empty') && group.offsets.size === 0) {
        group.transitionTo('Dead', now);
        this.groups.delete(group.groupId);
      }
    }
    return expired;
  }

  /** For tests and operators: the state name of a group, 'Dead' when unknown. */
  stateOf(groupId: string): GroupState {
    return this.groups.get(groupId)?.state ?? 'Dead';
  }
}
