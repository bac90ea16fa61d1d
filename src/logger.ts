/**
 * A small structured logger: one line per event on stderr, `time level [component] message`.
 * TIDELOG_LOG_LEVEL=debug|info|warn|error (default info).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold = ORDER[(process.env.TIDELOG_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? ORDER.info;

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

export class Logger {
  constructor(readonly component: string) {}

  private write(level: LogLevel, message: string, error?: unknown): void {
    if (ORDER[level] < threshold) return;
    const detail = error instanceof Error ? ` ${error.stack ?? error.message}` : error !== undefined ? ` ${String(error)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} [${this.component}] ${message}${detail}\n`);
  }

  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string, error?: unknown): void {
    this.write('warn', message, error);
  }
  error(message: string, error?: unknown): void {
    this.write('error', message, error);
  }
  get debugEnabled(): boolean {
    return threshold <= ORDER.debug;
  }
}
