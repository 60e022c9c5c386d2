import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's package, as `.ci/run` installs it. */
export const REDIS_SERVER = '/usr/bin/redis-server';
/** Suites fail (never skip) with this when the server is missing, in CI and locally alike. */
export const REDIS_MISSING = `${REDIS_SERVER} is missing: install Debian redis-server: apt-get install -y redis-server`;

/** A real redis-server of a test's own: a free loopback port, a temporary directory, no persistence. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops it abruptly (SIGKILL), as a crash would; `start()` brings it back on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gateway-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    const process = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = process;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
      process.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      process.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  };
  const halt = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const process = child;
      child = undefined;
      if (!process || process.exitCode !== null) return resolve();
      process.once('exit', () => resolve());
      process.kill(signal);
    });

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => halt('SIGKILL'),
    start,
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Shared-state settings of a gateway on `url` with test-sized values: what a replica's config.shared holds. */
export function sharedStateConfig(url: string, keyPrefix: string) {
  return {
    redisUrl: url,
    keyPrefix,
    pollMs: 1000,
    leaseMs: 3000,
    maxSubscriptionsPerToken: 20,
    maxSubscriptions: 100,
    responseCacheTtlMs: 5000,
    responseCacheMaxEntries: 100,
    reviewIdempotencyTtlMs: 60_000,
  };
}
