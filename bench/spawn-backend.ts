import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** What bench/backend-child.ts reports over IPC. */
export interface BackendStats {
  /** Requests received since it started. */
  received: number;
}

export interface SpawnedBackend {
  url: string;
  child: ChildProcess;
  stats(): Promise<BackendStats>;
  stop(): Promise<void>;
}

/**
 * The URL a child process announces as its first JSON line on stdout (`{"url": ...}`), as
 * the bench backends and the floor do once they listen. Only complete lines are read.
 */
export function listeningUrl(child: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
}

/** Starts bench/backend-child.ts and resolves with its URL once it listens. */
export async function spawnBackend(env: Record<string, string>): Promise<SpawnedBackend> {
  const script = fileURLToPath(new URL('./backend-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await listeningUrl(child, 120_000, 'backend');
  return {
    url,
    child,
    stats: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('backend did not report its stats within 10 s')), 10_000);
        child.once('message', (message) => {
          clearTimeout(timer);
          resolve(message as BackendStats);
        });
        child.send('stats');
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
