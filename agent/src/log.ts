/** Log levels, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A structured logger: one JSON object per line. Never pass secrets in `fields`. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A logger writing JSON lines to stderr (stdout stays free for `once --print`), from `minimum` up.
 *
 * @example
 * const log = createLogger(process.env.TWIN_AGENT_LOG_LEVEL as LogLevel)
 * log('warn', 'probe timed out', { probe: 'tls' })
 */
export function createLogger(
  minimum: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = ORDER[minimum] ?? ORDER.info;
  return (level, message, fields = {}) => {
    if (ORDER[level] < threshold) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = () => undefined;
