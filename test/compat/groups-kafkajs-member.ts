/**
 * Support for groups-kafkajs.test.ts.
 *
 * kafkajs does not put the generation id in its GROUP_JOIN event, so `trackGenerations` wraps
 * `ConsumerGroup.prototype.joinAndSync` (CommonJS, the same module instance the package uses)
 * and records the member's generation id after every completed join + sync.
 *
 * Run directly (`node groups-kafkajs-member.js <bootstrap> <group> <topic> <sessionTimeoutMs>`),
 * this file is one kafkajs group member in its own process, so a test can SIGKILL it and it
 * never sends LeaveGroup. It prints one JSON line per event on stdout:
 *   {"type":"join","memberId":…,"generationId":…,"assignment":{topic:[partitions]}}
 *   {"type":"record","memberId":…,"generationId":…,"partition":…,"offset":…}
 * (stdout to a pipe is synchronous on Linux, so nothing printed is lost to the SIGKILL.)
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import kafkajs from 'kafkajs';

const require = createRequire(import.meta.url);

export interface JoinInfo {
  readonly groupId: string;
  readonly memberId: string;
  readonly generationId: number;
  readonly assignment: Record<string, number[]>;
}

/** memberId -> generation id of its latest completed join. */
export const generationOf = new Map<string, number>();
const listeners: ((info: JoinInfo) => void)[] = [];
let patched = false;

/** Calls `listener` after each completed join + sync of any kafkajs consumer in this process. */
export function trackGenerations(listener?: (info: JoinInfo) => void): void {
  if (listener) listeners.push(listener);
  if (patched) return;
  patched = true;
  const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
    prototype: { joinAndSync(this: ConsumerGroupInternals): Promise<void> };
  };
  const original = ConsumerGroup.prototype.joinAndSync;
  ConsumerGroup.prototype.joinAndSync = async function (this: ConsumerGroupInternals) {
    await original.call(this);
    generationOf.set(this.memberId, this.generationId);
    const assignment = Object.fromEntries(this.assigned().map(({ topic, partitions }) => [topic, [...partitions].sort((a, b) => a - b)]));
    const info = { groupId: this.groupId, memberId: this.memberId, generationId: this.generationId, assignment };
    for (const each of listeners) each(info);
  };
}

interface ConsumerGroupInternals {
  groupId: string;
  memberId: string;
  generationId: number;
  assigned(): { topic: string; partitions: number[] }[];
}

async function main(): Promise<void> {
  const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2);
  const { Kafka, logLevel } = kafkajs;
  const print = (event: object) => process.stdout.write(JSON.stringify(event) + '\n');
  trackGenerations((info) => print({ type: 'join', ...info }));
  const kafka = new Kafka({ clientId: 'kafkajs-member-child', brokers: [bootstrap!], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: groupId!, sessionTimeout: Number(sessionTimeout), heartbeatInterval: 1000 });
  let memberId = '';
  consumer.on(consumer.events.GROUP_JOIN, (event) => (memberId = event.payload.memberId));
  await consumer.connect();
  await consumer.subscribe({ topic: topic!, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      print({ type: 'record', memberId, generationId: generationOf.get(memberId), partition, offset: Number(message.offset) });
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    process.stderr.write(String(error?.stack ?? error) + '\n');
    process.exit(1);
  });
}
