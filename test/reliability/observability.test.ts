import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCraftedServer, closedPort, type CraftedServer } from '../helpers/crafted-server.ts';
import { metricValue } from '../helpers/metrics.ts';
import { startStack, TOKENS, type Stack } from '../helpers/stack.ts';
import { capturedLogger, gatewayFor, getText, gql } from './helpers.ts';
import { redactTokens } from '../../src/observability/logger.ts';

const DETAIL = /* GraphQL */ `
  query Detail($id: ID!) {
    assignment(id: $id) { id status tags { name } }
  }
`;
const LIST = /* GraphQL */ `
  query ListWithTags {
    assignments(first: 20) { nodes { id tags { name } } }
  }
`;
const ROUTES = new Set(['assignments/:id/', 'sdk/assignments/', 'assignments/set_tags/', 'projects/:id/tags/']);
const SECRET = 'not-a-real-token-4f9c2a';

describe('metrics and logs', () => {
  let stack: Stack;
  let logs: ReturnType<typeof capturedLogger>;

  beforeAll(async () => {
    logs = capturedLogger('debug');
    stack = await startStack({ assignments: 60, deps: { logger: logs.logger } });
    await stack.gql(DETAIL, { id: '5' });
    await stack.gql(LIST);
    await stack.gql(DETAIL, { id: '999999' });
    for (const token of Object.values(TOKENS)) await stack.gql(DETAIL, { id: '6' }, { token });
    await stack.gql(DETAIL, { id: '6' }, { token: SECRET });
  });
  afterAll(() => stack.close());

  it('/metrics has the GraphQL operation series and the upstream and breaker series', async () => {
    const { status, text } = await getText(stack.gateway, '/metrics');
    expect(status).toBe(200);
    for (const series of [
      'graphql_envelop_request_duration_count',
      'graphql_envelop_phase_execute_count',
      'graphql_envelop_error_result',
      'graphql_yoga_http_duration_count',
      'synapse_upstream_requests_total',
      'synapse_upstream_request_duration_seconds_bucket',
      'synapse_circuit_breaker_state',
    ]) {
      expect(text, series).toMatch(new RegExp(`^${series}[{ ]`, 'm'));
    }
    expect(text).toMatch(/^# TYPE synapse_upstream_retries_total counter$/m);
    expect(metricValue(text, 'graphql_yoga_http_duration_count', { operationName: 'Detail' })).toBeGreaterThanOrEqual(6);
    expect(metricValue(text, 'synapse_upstream_requests_total', { method: 'GET', route: 'sdk/assignments/', status: '200' })).toBeGreaterThan(0);
    expect(metricValue(text, 'synapse_upstream_requests_total', { route: 'projects/:id/tags/' })).toBeGreaterThan(0);
    expect(metricValue(text, 'synapse_upstream_requests_total', { status: '401' })).toBeGreaterThan(0);
    expect(metricValue(text, 'synapse_circuit_breaker_state')).toBe(0);
  });

  it('metric labels hold route shapes, never ids, URLs or tokens', async () => {
    const { text } = await getText(stack.gateway, '/metrics');
    for (const match of text.matchAll(/route="([^"]*)"/g)) expect(ROUTES.has(match[1]!)).toBe(true);
    expect(text).not.toMatch(/url="/);
    const labelValues = [...text.matchAll(/\w+="([^"]*)"/g)].map((m) => m[1]!);
    expect(labelValues.filter((value) => value.includes('999999') || value.includes('/5/'))).toEqual([]);
    for (const token of [...Object.values(TOKENS), SECRET]) expect(text).not.toContain(token);
  });

  it('logs one JSON line per operation with request id, name, duration, upstream cost and error codes', async () => {
    const response = await stack.gql(DETAIL, { id: '7' }, { headers: { 'x-request-id': 'trace-0123456789' } });
    const line = logs.lines().find((l) => l['msg'] === 'graphql operation' && l['requestId'] === 'trace-0123456789');
    expect(response.headers.get('x-request-id')).toBe('trace-0123456789');
    expect(line).toMatchObject({
      level: 'info',
      service: 'synapse-gateway',
      operationName: 'Detail',
      operationType: 'query',
      status: 200,
      errors: 0,
      errorCodes: [],
      upstream: { requests: expect.any(Number), retries: 0, writes: 0, ms: expect.any(Number) },
    });
    expect(line!['upstream'].requests).toBeGreaterThan(0);
    expect(line!['durationMs']).toEqual(expect.any(Number));
    expect(typeof line!['time']).toBe('string');
    const notFound = logs.lines().find((l) => l['msg'] === 'graphql operation' && l['errorCodes']?.includes('NOT_FOUND'));
    expect(notFound).toMatchObject({ level: 'info', operationName: 'Detail', errors: 1 });
  });

  it('expected upstream errors are not logged as errors with stacks (yoga masking noise)', () => {
    const lines = logs.lines();
    expect(lines.filter((l) => l['level'] === 'error' || l['level'] === 'fatal')).toEqual([]);
    expect(logs.raw()).not.toMatch(/"stack"|UpstreamError: /);
    expect(lines.some((l) => l['component'] === 'yoga' && l['code'] === 'NOT_FOUND' && l['level'] === 'debug')).toBe(true);
  });

  it('never logs a token', () => {
    const raw = logs.raw();
    expect(raw.length).toBeGreaterThan(0);
    for (const token of [...Object.values(TOKENS), SECRET]) expect(raw).not.toContain(token);
  });

  it('redacts token-bearing fields should anyone log them', () => {
    const capture = capturedLogger('info');
    capture.logger.info(
      { authorization: 'Token a1', token: 'b2', headers: { authorization: 'Token c3', 'synapse-access-token': 'Token d4' } },
      'careless',
    );
    capture.logger.info({ request: { headers: { authorization: 'Token e5' } } }, 'nested');
    expect(capture.raw()).not.toMatch(/a1|b2|c3|d4|e5/);
    expect(capture.raw()).toContain('[Redacted]');
  });
});

describe('redactTokens', () => {
  it('finds tokens in arrays and in any letter case, and leaves clean lines uncopied', () => {
    const clean = { requestId: 'r', upstream: { requests: 2 }, errorCodes: ['NOT_FOUND'] };
    expect(redactTokens(clean)).toBe(clean);
    expect(redactTokens({ calls: [{ headers: { Authorization: 'Token x' } }], 'Synapse-Access-Token': 'Token y' })).toEqual({
      calls: [{ headers: { Authorization: '[Redacted]' } }],
      'Synapse-Access-Token': '[Redacted]',
    });
  });
});

describe('/health and /ready', () => {
  let server: CraftedServer;
  beforeAll(async () => {
    server = await startCraftedServer();
  });
  afterAll(() => server.close());

  it('/health is 200; /ready is 200 when the upstream answers anything, even 404 or 401', async () => {
    server.reset({ status: 404, body: { detail: 'Not found.' } });
    const { gateway } = gatewayFor(server.url);
    expect((await getText(gateway, '/health')).status).toBe(200);
    const ready = await getText(gateway, '/ready');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: 'ready', upstream: 'reachable', breaker: 'closed', draining: false, redis: 'off' });
    server.reset({ status: 401, body: {} });
    const again = gatewayFor(server.url).gateway;
    expect((await getText(again, '/ready')).status).toBe(200);
  });

  it('probes at most once per second, however often it is asked, and sends no credentials', async () => {
    server.reset({ status: 404, body: {} });
    const { gateway } = gatewayFor(server.url);
    const answers = await Promise.all(Array.from({ length: 20 }, () => getText(gateway, '/ready')));
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.url).toBe('/');
    expect(server.requests[0]!.headers['authorization']).toBeUndefined();
  });

  it('/ready is 503 when the upstream is unreachable, while /health stays 200', async () => {
    const { gateway } = gatewayFor(`http://127.0.0.1:${await closedPort()}/`);
    const ready = await getText(gateway, '/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'unavailable', upstream: 'unreachable', breaker: 'closed' });
    expect((await getText(gateway, '/health')).status).toBe(200);
  });

  it('/ready is 503 once shutdown has begun', async () => {
    server.reset({ status: 404, body: {} });
    let draining = false;
    const { gateway } = gatewayFor(server.url, {}, { isDraining: () => draining });
    expect((await getText(gateway, '/ready')).status).toBe(200);
    draining = true;
    const ready = await getText(gateway, '/ready');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ draining: true });
  });

  it('METRICS_ENABLED=false removes /metrics', async () => {
    const { gateway } = gatewayFor(server.url, { METRICS_ENABLED: 'false' });
    expect((await getText(gateway, '/metrics')).status).toBe(404);
  });
});
