import { context, trace } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { YogaLogger } from 'graphql-yoga';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config.ts';
import { UpstreamError } from '../upstream/errors.ts';

export type { Logger } from 'pino';

/** Keys whose value is a credential, in any letter case. */
const TOKEN_KEYS = new Set(['authorization', 'token', 'synapse-access-token']);
const REDACTION_DEPTH = 4;

/**
 * `value` with every token-bearing field (at any of the first levels of plain objects
 * and arrays) replaced by `[Redacted]`; objects without one are returned as they are,
 * uncopied. The gateway never logs headers, but a future `logger.info({ headers })`
 * must not leak one either. In place of pino's `redact` paths: their wildcards cost
 * about 25 µs per line, more than everything else of a log line together.
 */
export function redactTokens(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > REDACTION_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const redacted = redactTokens(item, depth + 1);
      if (redacted !== item) (copy ??= [...value])[i] = redacted;
    });
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  // Errors, Dates, Maps...: pino's serializers write those, and none of ours holds a token.
  if (prototype !== Object.prototype && prototype !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const redacted = TOKEN_KEYS.has(key.toLowerCase()) ? '[Redacted]' : redactTokens(item, depth + 1);
    if (redacted !== item) (copy ??= { ...value })[key] = redacted;
  }
  return copy ?? value;
}

/**
 * Log lines are written to stdout in batches of about this many bytes: one
 * asynchronous write per line costs a thread-pool round trip each, which measured
 * about a third of the CPU of a one-call operation under load (bench:overhead).
 */
const STDOUT_BUFFER_BYTES = 4096;
const STDOUT_FLUSH_MS = 1000;
const WARN_LEVEL = 40;

/** The process's logger as the config asks: LOG_LEVEL, and trace ids on its lines when tracing is on. */
export function loggerFor(config: Config): Logger {
  return createLogger(config.reliability.logLevel, undefined, { traceIds: config.tracing.endpoint !== undefined });
}

/**
 * JSON lines to stdout (or `destination`, for tests), tokens redacted. With `traceIds` (tracing
 * on), every line written while a span is active carries its `trace_id` and `span_id`.
 */
export function createLogger(level: string, destination?: DestinationStream, { traceIds = false } = {}): Logger {
  const options = {
    level,
    base: { service: 'synapse-gateway' },
    ...(traceIds ? { mixin: traceFields } : {}),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => redactTokens(object) as Record<string, unknown>,
    },
  };
  if (destination) return pino(options, destination);
  const stdout = pino.destination({ dest: 1, sync: false, minLength: STDOUT_BUFFER_BYTES });
  // A quiet gateway's lines still show within a second; pino writes what is left at exit.
  setInterval(() => stdout.flush(), STDOUT_FLUSH_MS).unref();
  return pino(
    {
      ...options,
      hooks: {
        // Warnings and errors are rare and wanted at once: they are not held for the batch.
        logMethod(args, method, level) {
          method.apply(this, args);
          if (level >= WARN_LEVEL) stdout.flush();
        },
      },
    },
    stdout,
  );
}

/**
 * pino mixin: the ids of the active span (see tracing.ts), so a log line leads to its
 * trace: an operation's line, an upstream warning written while the operation runs.
 * Always a new object: pino merges the line's own fields into it.
 */
function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Codes that describe the caller's request, not a fault of ours: no stack, no error line. */
const CLIENT_CODES = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND']);

/**
 * Yoga's own messages through pino. Yoga logs every error its masking replaced, at
 * error level with the stack; for upstream errors that is noise: a NOT_FOUND is the
 * caller's business and an outage is already in the operation's log line and the
 * metrics. Those go to debug without a stack; anything else stays an error.
 */
export function yogaLogger(logger: Logger): YogaLogger {
  const child = logger.child({ component: 'yoga' });
  // Yoga logs a few debug messages per request: build them only when they will be written.
  const at = (level: 'debug' | 'info' | 'warn') => (...args: unknown[]) => {
    if (child.isLevelEnabled(level)) child[level](describe(args));
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: (...args: unknown[]) => {
      const upstream = upstreamErrorOf(args[0]);
      if (upstream) {
        if (!child.isLevelEnabled('debug')) return;
        child.debug(
          { code: upstream.code, status: upstream.status, expected: CLIENT_CODES.has(upstream.code) },
          upstream.message,
        );
        return;
      }
      const [first, ...rest] = args;
      if (first instanceof Error) child.error({ err: first }, rest.map(String).join(' ') || first.message);
      else child.error(describe(args));
    },
  };
}

function upstreamErrorOf(value: unknown): UpstreamError | undefined {
  if (value instanceof UpstreamError) return value;
  if (value instanceof GraphQLError && value.originalError instanceof UpstreamError) return value.originalError;
  return undefined;
}

function describe(args: unknown[]): string {
  return args.map((arg) => (typeof arg === 'string' ? arg : arg instanceof Error ? arg.message : JSON.stringify(arg))).join(' ');
}
