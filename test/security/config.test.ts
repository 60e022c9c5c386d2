import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('security settings', () => {
  it('documented defaults outside production: GraphiQL, introspection and limit details on', () => {
    expect(loadConfig({}).security).toEqual({
      graphiql: true,
      introspection: true,
      exposeLimits: true,
      corsOrigins: [],
      corsAllowLocalhost: true,
      csrfPrevention: false,
      maxDepth: 8,
      maxAliases: 15,
      maxDirectives: 50,
      maxTokens: 2000,
      maxCost: 50_000,
      maxQueryChars: 15_000,
      maxBodyBytes: 1_048_576,
      maxBatch: 0,
      rateLimitExpensivePerMinute: 60,
    });
  });

  it('production turns GraphiQL, introspection and limit details off unless enabled explicitly', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).security).toMatchObject({
      graphiql: false,
      introspection: false,
      exposeLimits: false,
      corsAllowLocalhost: false,
      csrfPrevention: false,
    });
    expect(loadConfig({ NODE_ENV: 'production', CORS_ALLOW_LOCALHOST: 'true' }).security.corsAllowLocalhost).toBe(true);
    expect(
      loadConfig({ NODE_ENV: 'production', GRAPHIQL_ENABLED: 'true', INTROSPECTION_ENABLED: 'yes', EXPOSE_LIMITS: '1' }).security,
    ).toMatchObject({ graphiql: true, introspection: true, exposeLimits: true });
    expect(loadConfig({ NODE_ENV: 'development', INTROSPECTION_ENABLED: 'off' }).security.introspection).toBe(false);
  });

  it('reads every limit and the CORS allow-list', () => {
    const security = loadConfig({
      CORS_ORIGINS: ' https://app.example , http://localhost:5173,',
      CSRF_PREVENTION: 'true',
      MAX_DEPTH: '6',
      MAX_ALIASES: '5',
      MAX_DIRECTIVES: '10',
      MAX_TOKENS: '1000',
      MAX_COST: '5000',
      MAX_QUERY_CHARS: '8000',
      MAX_BODY_BYTES: '65536',
      MAX_BATCH: '10',
      RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
    }).security;
    expect(security).toMatchObject({
      corsOrigins: ['https://app.example', 'http://localhost:5173'],
      csrfPrevention: true,
      maxDepth: 6,
      maxAliases: 5,
      maxDirectives: 10,
      maxTokens: 1000,
      maxCost: 5000,
      maxQueryChars: 8000,
      maxBodyBytes: 65_536,
      maxBatch: 10,
      rateLimitExpensivePerMinute: 0,
    });
  });

  it('names every bad value', () => {
    let error: unknown;
    try {
      loadConfig({ CORS_ORIGINS: 'https://app.example/path,*', MAX_DEPTH: '0', MAX_BODY_BYTES: 'big', EXPOSE_LIMITS: 'maybe' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('"https://app.example/path" is not an origin like https://app.example');
    expect(message).toContain('"*" is not an origin');
    expect(message).toMatch(/MAX_DEPTH="0"/);
    expect(message).toMatch(/MAX_BODY_BYTES="big"/);
    expect(message).toMatch(/EXPOSE_LIMITS="maybe"/);
  });
});
