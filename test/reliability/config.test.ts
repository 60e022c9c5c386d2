import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('reliability settings', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({}).reliability).toEqual({
      operationTimeoutMs: 30_000,
      retry: { baseMs: 100, maxMs: 2_000, budget: { ttlMs: 10_000, ratio: 0.2, minPerSecond: 10 } },
      breaker: { enabled: true, failureThresholdPercent: 50, minRequests: 10, windowMs: 10_000, resetMs: 10_000, halfOpenProbes: 1 },
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      metricsEnabled: true,
    });
  });

  it('is silent by default under NODE_ENV=test, unless LOG_LEVEL says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).reliability.logLevel).toBe('silent');
    expect(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }).reliability.logLevel).toBe('debug');
  });

  it('reads every variable', () => {
    const { reliability } = loadConfig({
      OPERATION_TIMEOUT_MS: '12000',
      SYNAPSE_RETRY_BASE_MS: '50',
      SYNAPSE_RETRY_MAX_MS: '800',
      SYNAPSE_RETRY_BUDGET_TTL_MS: '30000',
      SYNAPSE_RETRY_BUDGET_RATIO: '0.05',
      SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: '0',
      BREAKER_ENABLED: 'off',
      BREAKER_FAILURE_THRESHOLD_PERCENT: '30',
      BREAKER_MIN_REQUESTS: '20',
      BREAKER_WINDOW_MS: '60000',
      BREAKER_RESET_MS: '2000',
      BREAKER_HALF_OPEN_PROBES: '3',
      SHUTDOWN_GRACE_MS: '0',
      LOG_LEVEL: 'warn',
      METRICS_ENABLED: 'false',
    });
    expect(reliability).toEqual({
      operationTimeoutMs: 12_000,
      retry: { baseMs: 50, maxMs: 800, budget: { ttlMs: 30_000, ratio: 0.05, minPerSecond: 0 } },
      breaker: { enabled: false, failureThresholdPercent: 30, minRequests: 20, windowMs: 60_000, resetMs: 2_000, halfOpenProbes: 3 },
      shutdownGraceMs: 0,
      logLevel: 'warn',
      metricsEnabled: false,
    });
  });

  it('never lets the backoff cap fall below its base', () => {
    expect(loadConfig({ SYNAPSE_RETRY_BASE_MS: '500', SYNAPSE_RETRY_MAX_MS: '100' }).reliability.retry).toMatchObject({ baseMs: 500, maxMs: 500 });
  });

  it('names each bad variable', () => {
    const bad = {
      OPERATION_TIMEOUT_MS: '5',
      SYNAPSE_RETRY_BUDGET_RATIO: '1.5',
      SYNAPSE_RETRY_BUDGET_TTL_MS: '500',
      SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND: '-1',
      BREAKER_FAILURE_THRESHOLD_PERCENT: '0',
      LOG_LEVEL: 'verbose',
      METRICS_ENABLED: 'maybe',
    };
    let message = '';
    try {
      loadConfig(bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as ConfigError).message;
    }
    for (const name of Object.keys(bad)) expect(message).toContain(`${name}=`);
  });

  it('stops at SYNAPSE_RETRY_BUDGET_RESERVE, which is gone, and says what replaced it', () => {
    let message = '';
    try {
      loadConfig({ SYNAPSE_RETRY_BUDGET_RESERVE: '20' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as ConfigError).message;
    }
    expect(message).toContain('SYNAPSE_RETRY_BUDGET_RESERVE="20": removed');
    expect(message).toContain('SYNAPSE_RETRY_BUDGET_MIN_PER_SECOND');
    // Empty, as env files write "unset", is unset.
    expect(loadConfig({ SYNAPSE_RETRY_BUDGET_RESERVE: '' }).reliability.retry.budget.minPerSecond).toBe(10);
  });
});
