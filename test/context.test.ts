import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callerKey, readCredentials } from '../src/context.ts';

describe('the caller key', () => {
  it('is the sha256 of token and tenant, base64url: the same on every replica and every version sharing one Redis', () => {
    const expected = (text: string) => createHash('sha256').update(text).digest('base64url');
    expect(callerKey({ token: 'dev-admin-token' })).toBe(expected('dev-admin-token\n'));
    expect(callerKey({ token: 'dev-admin-token', tenant: 'acme' })).toBe(expected('dev-admin-token\nacme'));
    expect(callerKey({ token: 'dev-admin-token', tenant: 'acme' })).not.toBe(callerKey({ token: 'dev-admin-token' }));
    expect(callerKey({ token: 'dev-admin-token' })).not.toContain('dev-admin-token');
  });

  it('reads the token from Authorization or Synapse-Access-Token, and the tenant', () => {
    expect(readCredentials(new Headers({ authorization: 'Token abc' }))).toEqual({ token: 'abc', tenant: undefined });
    expect(readCredentials(new Headers({ authorization: 'Bearer abc', 'synapse-tenant': ' acme ' }))).toEqual({ token: 'abc', tenant: 'acme' });
    expect(readCredentials(new Headers({ 'synapse-access-token': 'Token abc' }))).toEqual({ token: 'abc', tenant: undefined });
    expect(readCredentials(new Headers({ authorization: 'Basic abc' }))).toBeNull();
    expect(readCredentials(new Headers())).toBeNull();
  });
});
