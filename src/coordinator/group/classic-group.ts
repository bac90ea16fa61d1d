/**
 * A consumer group of the classic protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup): its
 * state, members, generation, chosen protocol and committed offsets. Pure data and small rules;
 * the transitions that involve timers and persistence live in group-coordinator.ts.
 *
 * States and the states they may follow (NOTES.md §4.1):
 *   Empty               <- PreparingRebalance
 *   PreparingRebalance  <- Stable | CompletingRebalance | Empty
 *   CompletingRebalance <- PreparingRebalance
 *   Stable              <- CompletingRebalance
 *   Dead                <- any
 */

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'],
};

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface ProtocolMetadata {
  readonly name: string;
  readonly metadata: Buffer;
}

export class GroupMember {
  assignment: Buffer = Buffer.alloc(0);
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null = null;
  /** Joined in the current rebalance for the first time (KIP-394 bookkeeping). */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: readonly ProtocolMetadata[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  metadataFor(protocol: string): Buffer {
    const found = this.protocols.find((candidate) => candidate.name === protocol);
    if (!found) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Same protocols, in the same order, with the same metadata. */
  hasSameProtocols(protocols: readonly ProtocolMetadata[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every((protocol, index) => protocol.name === this.protocols[index]!.name && protocol.metadata.equals(this.protocols[index]!.metadata))
    );
  }
}

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Set when a v1-4 OffsetCommit asked for a retention time; -1 otherwise. */
  readonly expireTimestamp: number;
}

/**
 * A committed offset as the coordinator holds it: where it applies, and the offset in
 * `__consumer_offsets` of the record that wrote it (Kafka's CommitRecordMetadataAndOffset), which
 * decides whether a transaction's offset committed later replaces it.
 */
export interface StoredOffset extends CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** Position of the offset record in its `__consumer_offsets` partition; not yet known: +Infinity. */
  logOffset: number;
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  stateTimestamp: number;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id -> member id (KIP-345). */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet used (KIP-394). */
  readonly pendingMembers = new Set<string>();
  /** Members answered JoinGroup in this generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** "topic\0partition" -> committed offset. */
  readonly offsets = new Map<string, StoredOffset>();
  /** A member joined during the current initial delay, so the delay is extended. */
  newMemberAdded = false;
  /** See computeSubscribedTopics; set when a generation starts or the group is loaded. */
  subscribedTopics: Set<string> | null = null;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition from ${this.state} to ${state}`);
    }
    this.state = state;
    this.stateTimestamp = now;
  }

  addMember(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  removeMember(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** KIP-345: the member of a rejoining static instance gets a new id; its state moves with it. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId)!;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  staticMemberId(groupInstanceId: string | null): string | undefined {
    return groupInstanceId === null ? undefined : this.staticMembers.get(groupInstanceId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined;
    for (const member of this.members.values()) {
      const names = new Set(member.protocols.map((protocol) => protocol.name));
      const previous: Set<string> | undefined = candidates;
      candidates = previous === undefined ? names : new Set([...previous].filter((name) => names.has(name)));
    }
    return candidates ?? new Set<string>();
  }

  /** Whether a member with these protocols may join (same protocol type, a protocol in common). */
  supportsProtocols(protocolType: string, protocols: readonly ProtocolMetadata[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((protocol) => candidates.has(protocol.name));
  }

  /** Each member votes for its most preferred protocol among the candidates; most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const vote = member.protocols.find((protocol) => candidates.has(protocol.name))!.name;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [name, count] of votes) if (best === null || count > votes.get(best)!) best = name;
    if (best === null) throw new Error(`group ${this.groupId} has no protocol in common`);
    return best;
  }

  /** Members that have not rejoined in the current rebalance. */
  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((member) => member.awaitingJoin === null);
  }

  hasAllMembersJoined(): boolean {
    return this.notYetRejoinedMembers().length === 0 && this.pendingMembers.size === 0;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  /**
   * Topics the members of this generation subscribe to, when the protocol type is "consumer";
   * null when unknown (another protocol type, or a subscription that cannot be read). Kafka
   * computes it when a generation starts (initNextGeneration) and when the group is loaded, so
   * members joining a rebalance do not change it.
   */
  computeSubscribedTopics(decode: (metadata: Buffer) => string[] | null): Set<string> | null {
    if (this.protocolType !== 'consumer') return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of this.members.values()) {
      const subscribed = decode(member.metadataFor(this.protocolName));
      if (subscribed === null) return null;
      for (const topic of subscribed) topics.add(topic);
    }
    return topics;
  }

  /** Kafka's isSubscribedToTopic: a consumer group whose subscriptions are unknown counts as subscribed. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics !== null ? this.subscribedTopics.has(topic) : this.protocolType === 'consumer';
  }
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
