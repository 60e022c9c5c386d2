import { timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { bypassCheck } from '../../src/trusted-documents/clients.ts';

// The module's own timingSafeEqual, watched: the comparison must be it, on equal-length digests.
vi.mock('node:crypto', async (original) => {
  const crypto = await original<typeof import('node:crypto')>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});

describe('the bypass secret', () => {
  const secret = 'an-operators-secret-of-at-least-32-characters';
  const matches = bypassCheck(secret);

  it('matches the configured secret only', () => {
    expect(matches(secret)).toBe(true);
    for (const wrong of ['', 'x', secret.slice(0, -1), `${secret} `, secret.toUpperCase(), 'a'.repeat(10_000)]) expect(matches(wrong)).toBe(false);
  });

  it('is compared by crypto.timingSafeEqual, on two 32-byte SHA-256 digests whatever the lengths given', () => {
    const compare = vi.mocked(timingSafeEqual);
    compare.mockClear();
    for (const given of [secret, 'short', 'a'.repeat(10_000)]) matches(given);
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [a, b] of compare.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
  });
});
