import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** pino's level of `warn`: lines at it and above are kept when only warnings are asked for. */
const WARN = 40;

/** A gateway process as an operator runs it, on a free loopback port. */
export interface Replica {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  port: number;
  /** Where its Prometheus metrics are: the admin listener in production (ADMIN_PORT), else `/metrics` beside `url`. */
  metricsUrl: string;
  replicaId: string;
  /** Its JSON log lines so far (warnings and errors only, when started with `warningsOnly`). */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code (null after a signal) once the process ended, however it ended. */
  exited: Promise<number | null>;
  /** SIGKILL: the process dies at once, as in a crash (no lease released, no stream completed). */
  kill(): Promise<void>;
  /** SIGTERM and wait for the clean exit (SIGKILL after 15 s). */
  stop(): Promise<void>;
}

export interface ReplicaOptions {
  /** Runs the bundle `npm start` runs (`.build/gateway/server.mjs`, built beforehand) instead of `src/server.ts` through tsx. */
  bundle?: boolean;
  /** Keeps only warnings and errors in `logs`: a long run would otherwise hold every operation's line. */
  warningsOnly?: boolean;
}

/** Starts a gateway process (`src/server.ts`, or the bundle) with the given environment; resolves once it listens. */
export async function startReplica(env: Record<string, string>, options: ReplicaOptions = {}): Promise<Replica> {
  const args = options.bundle ? ['--enable-source-maps', '.build/gateway/server.mjs'] : ['--import', 'tsx', 'src/server.ts'];
  // In production the metrics move to an admin listener: a free port each, so replicas side by side do not collide on 9464.
  const admin = env['NODE_ENV'] === 'production' ? { ADMIN_PORT: '0' } : {};
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...admin, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  let adminPort: unknown;
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 60 s:\n${stderr}`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      // The process opens its admin listener before its public one.
      if (entry['msg'] === 'admin listener (metrics) listening') adminPort = entry['port'];
      if (entry['msg'] === 'GraphQL gateway listening') {
        clearTimeout(timer);
        resolve(entry);
      }
      if (!options.warningsOnly || (entry['level'] as number) >= WARN) logs.push(entry);
    });
  });
  const port = listening['port'] as number;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    metricsUrl: adminPort === undefined ? `http://127.0.0.1:${port}/metrics` : `http://127.0.0.1:${adminPort}/metrics`,
    replicaId: listening['replicaId'] as string,
    logs,
    exited,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}
