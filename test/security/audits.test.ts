import { serverAudits, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.ts';

/**
 * Audits that fail when CSRF_PREVENTION=true, on purpose (docs/operations.md: "GraphQL-over-HTTP
 * compliance"): MAY-level GET requests without the CSRF header, which CSRF prevention
 * answers 403, as it must for a GET a browser could send cross-site.
 */
const CSRF_DEVIATIONS: Record<string, string> = {
  '5A70': 'MAY accept GET: a GET needs the x-graphql-yoga-csrf header (CSRF prevention), else 403',
  D6D5: 'MAY accept GET variables (graphql-response+json): same CSRF header requirement',
  '6A70': 'MAY accept GET variables (application/json): same CSRF header requirement',
};

/**
 * The graphql-http server audit suite, in process, against the production
 * configuration (armor limits, body limit, masking, refusal codes), with introspection
 * on because several audits query `__type`; then once more with CSRF prevention on.
 */
for (const { title, env, deviations } of [
  { title: 'production configuration', env: {}, deviations: {} as Record<string, string> },
  { title: 'production configuration with CSRF_PREVENTION=true', env: { CSRF_PREVENTION: 'true' }, deviations: CSRF_DEVIATIONS },
]) {
  describe(`GraphQL over HTTP: graphql-http server audits (${title})`, () => {
    let stack: Stack;
    const results = new Map<string, AuditResult>();
    const audits = serverAudits({
      url: 'http://gateway.test/graphql',
      fetchFn: async (input: string, init?: RequestInit) => stack.gateway.fetch(input, init as never),
    });

    beforeAll(async () => {
      stack = await startStack({
        assignments: 5,
        env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', INTROSPECTION_ENABLED: 'true', ...env },
      });
    });
    afterAll(async () => {
      const passed = [...results.values()].filter((r) => r.status === 'ok').length;
      console.log(`graphql-http audits (${title}): ${passed}/${audits.length} passed`);
      for (const result of results.values()) {
        if (result.status !== 'ok') console.log(`  deviation ${result.id} (${result.status}): ${result.name} — ${deviations[result.id] ?? result.reason}`);
      }
      await stack.close();
    });

    it('covers the whole suite of graphql-http 1.23.1 (61 audits; older releases had 60)', () => {
      expect(audits).toHaveLength(61);
      for (const id of Object.keys(deviations)) expect(audits.map((a) => a.id)).toContain(id);
    });

    for (const audit of audits) {
      const deviation = deviations[audit.id];
      it(`${audit.id} ${audit.name}${deviation ? ' (deliberate deviation)' : ''}`, async () => {
        const result = await audit.fn();
        results.set(audit.id, result);
        if (deviation) {
          // A deviation must stay what we say it is: refused by CSRF prevention, with its code, nothing worse.
          expect(result.status).not.toBe('ok');
          expect(result.status).not.toBe('error');
          if (result.status !== 'ok') {
            expect(result.response.status).toBe(403);
            expect(JSON.parse(await result.response.text()).errors[0].extensions.code).toBe('CSRF_HEADER_REQUIRED');
          }
        } else {
          expect(result.status, result.status === 'ok' ? '' : result.reason).toBe('ok');
        }
      });
    }
  });
}
