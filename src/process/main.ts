import { mkdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import type { DevBackend } from '../dev-backend/server.ts';
import { demoTokens } from '../dev-backend/users.ts';
import { createGateway } from '../gateway.ts';
import { createSharedState } from '../shared-state/index.ts';
import { loggerFor, type Logger } from '../observability/logger.ts';
import { startTraceExport, type TraceExport } from '../observability/tracing.ts';
import { ManifestStore } from '../trusted-documents/index.ts';
import { startAdminListener, type AdminListener } from './admin.ts';
import { attachWebSockets } from './websocket.ts';

/** The process: read config, start the embedded backend if none is set, listen, stop cleanly. */
export async function main(): Promise<void> {
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
  if (config.upstream.baseUrl === undefined && !config.devBackend.enabled) {
    // A production deployment that forgot one variable must not answer the README's demo tokens.
    console.error(
      config.env === 'production'
        ? 'synapse-gateway: NODE_ENV=production needs SYNAPSE_BACKEND_URL, the Synapse API to front; a demo with the embedded development backend and its public demo tokens sets EMBEDDED_BACKEND=true.'
        : 'synapse-gateway: EMBEDDED_BACKEND=false and no SYNAPSE_BACKEND_URL: set SYNAPSE_BACKEND_URL to the Synapse API to front.',
    );
    process.exit(1);
  }
  const logger = loggerFor(config);
  const manifests = readManifests(config, logger);

  let backend: DevBackend | undefined;
  let backendTraces: TraceExport | undefined;
  let baseUrl = config.upstream.baseUrl;
  if (baseUrl === undefined) {
    const { devBackend } = config;
    if (devBackend.dbPath !== ':memory:') mkdirSync(dirname(devBackend.dbPath), { recursive: true });
    // Loaded only here: a gateway fronting a real backend never loads SQLite or the seed.
    const { createDevBackend } = await import('../dev-backend/server.ts');
    // A service of its own in the traces, as Synapse would be: its spans continue the gateway's calls.
    backendTraces = startTraceExport(config.tracing, logger, 'synapse-dev-backend');
    backend = await createDevBackend({
      dbPath: devBackend.dbPath,
      host: devBackend.host,
      port: devBackend.port,
      seed: { assignments: devBackend.seedAssignments },
      latencyMs: devBackend.latencyMs,
      failRate: devBackend.failRate,
      maxPageSize: devBackend.maxPageSize,
      v2: devBackend.v2,
      recordRequests: false,
      tracer: backendTraces?.tracer,
    });
    baseUrl = backend.url;
    logger.info({ url: baseUrl, database: devBackend.dbPath }, 'embedded Synapse development backend started');
    // stdout carries JSON log lines and never a token. The demo tokens are fixed public
    // strings of the embedded backend, meant for the person who just ran `npm start`.
    console.error(`\nEmbedded Synapse development backend: ${baseUrl} (database ${devBackend.dbPath})`);
    console.error('Demo tokens (send as "Authorization: Token <token>"):');
    for (const { token, role, description } of demoTokens) console.error(`  ${token.padEnd(18)} ${role.padEnd(7)} ${description}`);
    if (config.env === 'production') {
      // Warned in the log, where a production deployment's alerts look; the tokens themselves stay out of it.
      logger.warn(
        { embeddedBackend: true, demoTokens: demoTokens.length },
        'EMBEDDED_BACKEND=true in production: the public demo tokens of the README are live, one with admin rights. For a demo only.',
      );
    }
  }

  let draining = false;
  const adminToken = backend ? demoTokens.find((t) => t.role === 'admin')?.token : undefined;
  const shared = createSharedState(config.shared, logger);
  const metricsRegistry = new Registry();
  const gateway = createGateway(
    { ...config, upstream: { ...config.upstream, baseUrl } },
    {
      logger,
      shared,
      manifests,
      metricsRegistry,
      isDraining: () => draining,
      processMetrics: true,
      ...(adminToken ? { demoToken: adminToken } : {}),
    },
  );
  let admin: AdminListener | undefined;
  if (config.admin.port !== undefined && config.reliability.metricsEnabled) {
    admin = await startAdminListener(metricsRegistry, config.admin.host, config.admin.port);
    logger.info({ url: `http://${config.admin.host}:${admin.port}/metrics`, port: admin.port }, 'admin listener (metrics) listening');
  }

  const inFlight = new Set<ServerResponse>();
  const server = createServer(gateway);
  const webSockets = attachWebSockets(server, gateway, { maxPayloadBytes: config.security.maxBodyBytes });
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (draining) response.setHeader('Connection', 'close');
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '127.0.0.1' || config.host === '0.0.0.0' ? 'localhost' : config.host;
  logger.info(
    { url: `http://${shownHost}:${port}/graphql`, port, upstream: baseUrl, replicaId: shared.replicaId, redis: shared.status() },
    'GraphQL gateway listening',
  );
  console.error(`\nGraphQL gateway and GraphiQL: http://${shownHost}:${port}/graphql\n`);

  const graceMs = config.reliability.shutdownGraceMs;
  let stopping = false;
  const stop = (reason: string, exitCode = 0) => {
    if (stopping) {
      logger.warn({ reason }, 'second stop signal: closing every connection now');
      server.closeAllConnections();
      return;
    }
    stopping = true;
    draining = true;
    logger.info({ reason, inFlight: inFlight.size, graceMs }, 'shutting down: no new connections, finishing in-flight requests');
    // Answers still to come close their connection; idle keep-alive connections close now.
    for (const response of inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    let forced = false;
    const force = setTimeout(() => {
      forced = true;
      logger.warn({ inFlight: inFlight.size, graceMs }, 'shutdown grace over: cutting the remaining connections');
      // Their requests' signals abort, and with them every upstream call still running.
      server.closeAllConnections();
    }, graceMs);
    // Live streams end (SSE and WebSocket alike), leases are released for the other replicas.
    const closingStreams = Promise.allSettled([webSockets.close(), gateway.dispose(), admin?.close()]).then(() => {
      manifests.close();
      return shared.close();
    });
    server.close(async () => {
      clearInterval(idleSweep);
      clearTimeout(force);
      await closingStreams;
      try {
        // Closes the SQLite database (checkpointing its WAL) after the last request.
        await backend?.close();
        await backendTraces?.shutdown();
      } catch (error) {
        logger.error({ err: error }, 'embedded backend did not close cleanly');
        exitCode = 1;
      }
      logger.info({ forced }, 'stopped');
      // Log lines are written in batches: exit once the last ones are out.
      logger.flush(() => process.exit(forced ? 1 : exitCode));
    });
    server.closeIdleConnections();
  };
  // Operators (and deploy scripts) ask for new manifests with SIGHUP; in-flight requests keep the set they started with.
  process.on('SIGHUP', () => manifests.reload('SIGHUP'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    // One stray promise must not take down every request in flight: log it loudly, keep serving.
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception: shutting down');
    stop('uncaughtException', 1);
  });
}

/** The trusted documents' manifests, watched; a malformed or unreadable folder stops the start in one line. */
function readManifests(config: Config, logger: Logger): ManifestStore {
  let store: ManifestStore;
  try {
    store = new ManifestStore(config.trustedDocuments.dir, logger);
  } catch (error) {
    console.error(`synapse-gateway: TRUSTED_DOCUMENTS_DIR=${config.trustedDocuments.dir}: ${(error as Error).message}`);
    process.exit(1);
  }
  store.watch();
  return store;
}
