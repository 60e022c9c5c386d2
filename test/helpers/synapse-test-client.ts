import type { UpstreamConfig } from '../../src/config.ts';
import { SynapseClient, type Credentials, type SynapseClientOptions } from '../../src/upstream/client.ts';
import { RetryBudget, type RetryPolicy } from '../../src/upstream/retry.ts';
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

export interface TestClientOptions {
  config?: Partial<UpstreamConfig>;
  credentials?: Credentials;
  retryPolicy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
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
    concurrency: 8,
    timeoutMs: 2000,
    idsFilter: true,
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
    retryPolicy,
    ...(options.signal ? { signal: options.signal } : {}),
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
