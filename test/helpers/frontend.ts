import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createViteServer } from 'vite';
import { openChromium, type Chromium } from './chromium.ts';
import { serveGateway, type HttpGateway } from './http-gateway.ts';
import type { GatewayDeps } from '../../src/gateway.ts';
import { CLIENT } from '../../examples/frontend/src/trusted-documents.ts';
import { startStack, TOKENS, type Stack } from './stack.ts';

const EXAMPLE = new URL('../../examples/frontend/', import.meta.url);
/** The manifest the example's codegen writes (`npm test`'s pretest runs it). */
const KIT_MANIFEST = new URL('src/__generated__/persisted-documents.json', EXAMPLE);

/** A folder of manifests as a deploy makes it: the example's own manifest, or an empty one, as `starter-kit/1.0.0.json`. */
export function kitManifests(manifest: 'kit' | 'empty'): { dir: string; env: Record<string, string>; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'frontend-manifests-'));
  const file = join(dir, CLIENT.name, `${CLIENT.version}.json`);
  mkdirSync(join(dir, CLIENT.name));
  if (manifest === 'kit') copyFileSync(KIT_MANIFEST, file);
  else writeFileSync(file, '{}\n');
  return {
    dir,
    // What production runs: only the manifests' documents.
    env: { TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_DIR: dir },
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface ExampleVite {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Stops Vite and its server, removes its cache and the VITE_* variables it was given. */
  close(): Promise<void>;
}

/**
 * The frontend example on Vite's dev server, as a frontend team runs it (`npm run frontend`),
 * on a free port: Vite cannot listen on port 0 itself, so its middlewares and HMR socket go on
 * a server of ours that can.
 */
async function startExampleVite(env: Record<string, string>): Promise<ExampleVite> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'frontend-vite-'));
  const server = createServer();
  // Vite hands the page the VITE_* variables it finds in process.env.
  Object.assign(process.env, env);
  const vite = await createViteServer({
    configFile: new URL('vite.config.ts', EXAMPLE).pathname,
    cacheDir,
    logLevel: 'warn',
    clearScreen: false,
    server: { middlewareMode: true, hmr: { server } },
  });
  server.on('request', vite.middlewares);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await vite.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(cacheDir, { recursive: true, force: true });
      for (const key of Object.keys(env)) delete process.env[key];
    },
  };
}

export interface Frontend {
  stack: Stack;
  /** The stack's gateway on a free port, recording what the browser sends it. */
  gateway: HttpGateway;
  /** The example's dev server, its pages pointed at `gateway` with the admin token. */
  vite: ExampleVite;
  browser: Chromium;
  /** Stops all of it, the browser first, the backend and the manifests last. */
  close(): Promise<void>;
}

/**
 * What a frontend team runs in production: the embedded backend, the gateway enforcing the
 * example's manifest (or an empty one), the example on Vite on another origin sending document
 * ids, and a browser.
 */
export async function startFrontend(options: {
  assignments: number;
  timezoneId?: string;
  manifest?: 'kit' | 'empty';
  deps?: GatewayDeps;
}): Promise<Frontend> {
  // Whatever started is stopped again if a later part fails to start.
  const started: { close(): Promise<void> }[] = [];
  const start = async <T extends { close(): Promise<void> }>(part: Promise<T>): Promise<T> => {
    const value = await part;
    started.unshift(value);
    return value;
  };
  try {
    const manifests = await start(Promise.resolve(kitManifests(options.manifest ?? 'kit')));
    const stack = await start(
      startStack({ assignments: options.assignments, env: manifests.env, ...(options.deps ? { deps: options.deps } : {}) }),
    );
    const gateway = await start(serveGateway(stack));
    const vite = await start(startExampleVite({ VITE_GATEWAY_URL: gateway.url, VITE_GATEWAY_TOKEN: TOKENS.admin, VITE_DOCUMENT_IDS: 'true' }));
    const browser = await start(openChromium({ timezoneId: options.timezoneId }));
    return {
      stack,
      gateway,
      vite,
      browser,
      async close() {
        for (const part of started) await part.close();
      },
    };
  } catch (error) {
    for (const part of started) await part.close();
    throw error;
  }
}
