/**
 * Runs the ecosystem's own clients from tests: kcat and confluent-kafka-python (Debian's
 * python3-confluent-kafka, so always /usr/bin/python3, not a python from PATH).
 */
import { spawn, spawnSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

export function hasKcat(): boolean {
  return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export function hasConfluentKafkaPython(): boolean {
  return spawnSync(DEBIAN_PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a program with optional stdin; rejects if it takes longer than timeoutMs. */
export function run(command: string, args: readonly string[], options: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs ?? 60_000} ms\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Runs a Python script (given as source) with Debian's python3; arguments follow the script. */
export function runPython(source: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<RunResult> {
  return run(DEBIAN_PYTHON, ['-c', source, ...args], { timeoutMs });
}

/**
 * Python for scripts run with runPython: `read_to_end(bootstrap, topic, partitions, convert)`
 * reads every record of partitions 0 to partitions - 1 from offset 0 to their end with an
 * assign-only confluent-kafka Consumer (no commits) and returns convert(msg) of each, in the
 * order polled; it stops early when a poll waits 10 s for nothing.
 */
export const PYTHON_READ_TO_END = String.raw`
from confluent_kafka import Consumer, TopicPartition, KafkaError

def read_to_end(bootstrap, topic, partitions, convert):
    consumer = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'unused-assign-only', 'enable.auto.commit': False,
                         'auto.offset.reset': 'earliest', 'enable.partition.eof': True})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    received, eof = [], set()
    while len(eof) < partitions:
        msg = consumer.poll(10)
        if msg is None:
            break
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                eof.add(msg.partition())
                continue
            raise Exception(msg.error())
        received.append(convert(msg))
    consumer.close()
    return received
`;
