import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createDevBackend, type DevBackend } from './dev-backend/server.ts';
import { demoTokens } from './dev-backend/users.ts';
import { createGateway } from './gateway.ts';

/** Bound on how long in-flight operations may finish after SIGTERM/SIGINT. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Process entry: read config, start the embedded backend if none is set, listen, stop cleanly. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  let backend: DevBackend | undefined;
  let baseUrl = config.upstream.baseUrl;
  if (baseUrl === undefined) {
    const { devBackend } = config;
    if (devBackend.dbPath !== ':memory:') mkdirSync(dirname(devBackend.dbPath), { recursive: true });
    backend = await createDevBackend({
      dbPath: devBackend.dbPath,
      host: devBackend.host,
      port: devBackend.port,
      seed: { assignments: devBackend.seedAssignments },
      latencyMs: devBackend.latencyMs,
      failRate: devBackend.failRate,
    });
    baseUrl = backend.url;
    console.log(`Embedded Synapse development backend: ${baseUrl} (database ${devBackend.dbPath})`);
    console.log('Demo tokens (send as "Authorization: Token <token>"):');
    for (const { token, role, description } of demoTokens) console.log(`  ${token.padEnd(18)} ${role.padEnd(7)} ${description}`);
  }

  const adminToken = backend ? demoTokens.find((t) => t.role === 'admin')?.token : undefined;
  const gateway = createGateway(
    { ...config, upstream: { ...config.upstream, baseUrl } },
    adminToken ? { demoToken: adminToken } : {},
  );
  const server = createServer(gateway);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const shownHost = config.host === '127.0.0.1' || config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.log(`GraphQL gateway: http://${shownHost}:${config.port}/graphql (upstream ${baseUrl})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests (up to ${SHUTDOWN_GRACE_MS / 1000} s), then exiting`);
    const force = setTimeout(() => {
      console.error('Shutdown grace period over; closing remaining connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server.closeIdleConnections();
    server.close(async () => {
      clearTimeout(force);
      await backend?.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
