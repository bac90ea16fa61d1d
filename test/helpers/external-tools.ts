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
