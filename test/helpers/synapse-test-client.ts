import type { UpstreamConfig } from '../../src/config.ts';
import { SynapseClient, type CallGate, type Credentials, type SynapseClientOptions } from '../../src/upstream/client.ts';
import { RetryBudget, type RetryPolicy } from '../../src/upstream/retry.ts';
import { createTransport, type Transport } from '../../src/upstream/transport.ts';
import type { V2Support } from '../../src/upstream/v2.ts';
import type { WireAssignment } from '../../src/contract/index.ts';

/** A minimal valid assignment row, for crafted upstream answers. */
export const SAMPLE_ASSIGNMENT: WireAssignment = {
  id: 7,
  project: 1,
  status: 'pending',
  assignee: null,
  data: null,
  files: {},
  created_at: '2024-01-01T00:00:00Z',
  updated_at: '2024-01-01T00:00:00Z',
  metadata: {},
  priority: null,
  tags: [],
};

/** Both transports of SYNAPSE_HTTP_CLIENT: client suites run once over each. */
export const TRANSPORTS = ['undici', 'node-fetch'] as const satisfies readonly UpstreamConfig['httpClient'][];
export type TransportKind = (typeof TRANSPORTS)[number];

const transports = new Map<TransportKind, Transport>();

/** One transport of each kind per test file, its connections reused from test to test as in a gateway. */
export function testTransport(kind: TransportKind = 'undici'): Transport {
  let transport = transports.get(kind);
  if (!transport) {
    transport = createTransport({ httpClient: kind, connections: 64, timeoutMs: 60_000 });
    transports.set(kind, transport);
  }
  return transport;
}

export interface TestClientOptions {
  config?: Partial<UpstreamConfig>;
  credentials?: Credentials;
  retryPolicy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  gate?: CallGate;
  /** Default undici, the gateway's default. */
  transport?: TransportKind;
  /** What the client knows of v2 (shared between clients, as in a gateway); default: its own, from config.v2. */
  v2?: V2Support;
}

/**
 * A SynapseClient with test-sized settings: tiny backoff (1–5 ms), a budget large
 * enough never to stop a retry, and config.retries kept equal to the policy's.
 */
export function testClient(baseUrl: string, options: TestClientOptions = {}): SynapseClient {
  const retries = options.retryPolicy?.retries ?? options.config?.retries ?? 3;
  const config: UpstreamConfig & { baseUrl: string } = {
    fileUrlPrefix: undefined,
    pageSize: 100,
    streamPageSize: 1000,
    concurrency: 8,
    timeoutMs: 2000,
    idsFilter: true,
    httpClient: options.transport ?? 'undici',
    connections: 64,
    v2: { mode: 'true', recheckMs: 300_000, auth: 'authorization' },
    ...options.config,
    retries,
    baseUrl,
  };
  const retryPolicy: RetryPolicy = {
    baseDelayMs: 1,
    maxDelayMs: 5,
    random: () => 0.5,
    budget: new RetryBudget({ ttlMs: 10_000, ratio: 1, minPerSecond: 1_000 }),
    ...options.retryPolicy,
    retries,
  };
  const clientOptions: SynapseClientOptions = {
    config,
    credentials: options.credentials ?? { token: 'dev-admin-token' },
    transport: testTransport(config.httpClient),
    retryPolicy,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.gate ? { gate: options.gate } : {}),
    ...(options.v2 ? { v2: options.v2 } : {}),
  };
  return new SynapseClient(clientOptions);
}

/** The rejection of `promise`, failing the test if it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
