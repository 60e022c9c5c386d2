import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** What `npm start` runs: the bundle, with the embedded backend on a temp database, as a child process. */
export interface GatewayProcess {
  child: ChildProcess;
  /** Parsed JSON log lines (stdout) so far. */
  logs: Record<string, any>[];
  stderr: () => string;
  /** The GraphQL URL, once the gateway logged that it listens. */
  url: Promise<string>;
  /** Resolves with the exit code once the process closed its pipes. */
  exited: Promise<number | null>;
  /** SIGKILL if still running, and removes the temp database. */
  kill(): void;
}

/** Starts `<node> .build/gateway/server.mjs` (built by `npm test`'s pretest) on free loopback ports. */
export function startGatewayProcess(node: string, env: NodeJS.ProcessEnv = {}, preload: string[] = []): GatewayProcess {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    DEV_BACKEND_PORT: '0',
    DEV_BACKEND_DB: join(dir, 'dev-backend.sqlite'),
    DEV_BACKEND_SEED_ASSIGNMENTS: '200',
    LOG_LEVEL: 'info',
    ...env,
  };
  delete childEnv['SYNAPSE_BACKEND_URL'];
  delete childEnv['REDIS_URL'];
  const child = spawn(node, [...preload, '--enable-source-maps', '.build/gateway/server.mjs'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, any>[] = [];
  let partial = '';
  let stderr = '';
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (listening = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const entry = JSON.parse(line) as Record<string, any>;
      logs.push(entry);
      if (entry['msg'] === 'GraphQL gateway listening') listening(`http://127.0.0.1:${entry['port']}/graphql`);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // 'close', not 'exit': the process may exit before its last stdout lines are read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void exited.then(() => rmSync(dir, { recursive: true, force: true }));
  return {
    child,
    logs,
    stderr: () => stderr,
    url,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Resolves with `promise`, or rejects after `ms` naming what did not happen. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
