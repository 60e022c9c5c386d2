import { describe, expect, it } from 'vitest';
import { ROUTES, routePath, routePattern, toSynapseId } from '../../src/contract/index.ts';

describe('contract routes', () => {
  it('fills a route shape with its id', () => {
    expect(routePath(ROUTES.assignment, 42)).toBe('assignments/42/');
    expect(routePath(ROUTES.projectTags, 3)).toBe('projects/3/tags/');
    expect(routePath(ROUTES.assignments)).toBe('sdk/assignments/');
    expect(routePath(ROUTES.v2ProjectTag, 3, 45)).toBe('v2/projects/3/tags/45/');
  });

  it('matches exactly the paths of a shape, capturing digit ids only', () => {
    const assignment = routePattern(ROUTES.assignment);
    expect(assignment.exec('/assignments/42/')?.[1]).toBe('42');
    for (const path of ['/assignments/set_tags/', '/assignments/4x/', '/assignments/42', '/x/assignments/42/']) {
      expect(assignment.test(path), path).toBe(false);
    }
    expect(routePattern(ROUTES.setTags).test('/assignments/set_tags/')).toBe(true);
    expect(routePattern('a.b/').test('/axb/')).toBe(false);
    expect(routePattern(ROUTES.v2ProjectTag).exec('/v2/projects/3/tags/45/')?.slice(1)).toEqual(['3', '45']);
  });
});

describe('toSynapseId', () => {
  it('takes positive 32-bit integer ids, as text or numbers', () => {
    expect(toSynapseId('17')).toBe(17);
    expect(toSynapseId(' 17 ')).toBe(17);
    expect(toSynapseId(2 ** 31 - 1)).toBe(2 ** 31 - 1);
    for (const bad of ['0', '-1', '1.5', '1e3', '', 'abc', String(2 ** 31), '12345678901']) expect(toSynapseId(bad), bad).toBeNull();
  });
});
