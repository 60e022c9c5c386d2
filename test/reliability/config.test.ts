import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('reliability settings', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({}).reliability).toEqual({
      operationTimeoutMs: 30_000,
      retry: { baseMs: 100, maxMs: 2_000, budgetRatio: 0.1, budgetReserve: 20 },
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
      SYNAPSE_RETRY_BUDGET_RATIO: '0.2',
      SYNAPSE_RETRY_BUDGET_RESERVE: '5',
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
      retry: { baseMs: 50, maxMs: 800, budgetRatio: 0.2, budgetReserve: 5 },
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
});
