import { expect } from 'vitest';
import type { Gateway } from '../../src/gateway.ts';
import { TOKENS } from '../helpers/stack.ts';

export const GRAPHQL_URL = 'http://gateway.test/graphql';

/** Every field of an assignment, as a frontend listing everything would ask. */
export const ASSIGNMENT_FIELDS = /* GraphQL */ `
  id projectId status assigneeId priority data metadata createdAt updatedAt ageHours
  files { key url meta }
  tags { id projectId name color description }
`;

const USER_ERRORS = 'userErrors { field message code }';

/**
 * The operations a client of this API runs, each with every field selected: all of
 * them must pass every document limit with the default settings.
 */
export const EXAMPLE_OPERATIONS: Record<string, string> = {
  assignment: `{ assignment(id: 1) { ${ASSIGNMENT_FIELDS} } }`,
  fullPage: `query Page($after: String) {
    assignments(first: 100, after: $after, orderBy: {field: CREATED_AT, direction: DESC}, filter: {status: PENDING}) {
      edges { cursor node { ${ASSIGNMENT_FIELDS} } }
      nodes { ${ASSIGNMENT_FIELDS} }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      totalCount
    }
  }`,
  pageByVariable: `query($first: Int, $last: Int) { assignments(first: $first, last: $last) { nodes { ${ASSIGNMENT_FIELDS} } totalCount } }`,
  byIdsAndPage: `query($ids: [ID!]!) {
    assignmentsByIds(ids: $ids) { ${ASSIGNMENT_FIELDS} }
    assignments(first: 100) { edges { cursor node { ${ASSIGNMENT_FIELDS} } } pageInfo { hasNextPage endCursor } totalCount }
  }`,
  tags: `{ tags(projectId: 1) { id projectId name color description } }`,
  analytics: `{ assignmentAnalytics(days: 30, filter: {project: 1}) {
    from to totalAssignments completionRate averageHoursToComplete
    statusBreakdown { status count }
    assigneePerformance { assigneeId total pending inProgress completed rejected completionRate averageHoursToComplete }
  } }`,
  queue: `{ assignmentQueue(maxAssignmentsPerUser: 5) {
    pendingCount inProgressCount availableAssigneeIds maxAssignmentsPerUser userWorkload { assigneeId inProgress }
  } }`,
  setTags: `mutation($ids: [ID!]!) { setAssignmentTags(input: {assignmentIds: $ids, tagNames: ["urgent"], mode: ADD}) {
    assignments { ${ASSIGNMENT_FIELDS} } tags { id name } writeCalls ${USER_ERRORS}
  } }`,
  qualityReview: `mutation($scores: [QualityScoreInput!]!) { applyQualityReview(input: {scores: $scores, dryRun: true}) {
    results { assignment { ${ASSIGNMENT_FIELDS} } score tagName }
    skipped { assignmentId reason message } summary { tagName count } dryRun writeCalls ${USER_ERRORS}
  } }`,
  tiers: `mutation { tagAssignmentsByAssigneeTier(input: {dryRun: true}) {
    groups { assigneeId assignmentCount tagName assignmentIds } summary { tagName count } dryRun writeCalls ${USER_ERRORS}
  } }`,
  automation: `mutation { runAssignmentAutomation(input: {dryRun: true}) {
    actions { assignment { ${ASSIGNMENT_FIELDS} } rule tagName ageHours alreadyTagged }
    summary { rule tagName matched alreadyTagged newlyTagged } asOf dryRun writeCalls ${USER_ERRORS}
  } }`,
};

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** A POST of a JSON body (or of raw text) through yoga.fetch, read completely. */
export async function post(
  gateway: Gateway,
  body: unknown,
  options: { token?: string | null; headers?: Record<string, string>; raw?: boolean } = {},
): Promise<RawResponse> {
  const { token = TOKENS.admin, headers = {}, raw = false } = options;
  const response = await gateway.fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Token ${token}` } : {}),
      ...headers,
    },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return read(response);
}

export async function read(response: Response): Promise<RawResponse> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** The messages of a response's errors. */
export function messages(response: RawResponse): string[] {
  return (response.body?.errors ?? []).map((error: { message: string }) => error.message);
}

/** Secrets that must never be in a response: tokens, stack frames, upstream addresses. */
export function leaksIn(text: string, extra: readonly string[] = []): string[] {
  const found: string[] = [];
  for (const token of Object.values(TOKENS)) if (text.includes(token)) found.push(`token ${token}`);
  for (const secret of extra) if (text.includes(secret)) found.push(secret);
  if (/\bat [^\s"]+ \(|\bat (?:file|node):|\.ts:\d+:\d+/.test(text)) found.push('stack frame');
  if (/"stack"\s*:/.test(text)) found.push('stack property');
  if (/127\.0\.0\.1:\d+|localhost:\d+/.test(text)) found.push('upstream address');
  if (/originalError"\s*:\s*\{[^}]*"stack"/.test(text)) found.push('original error');
  return found;
}

/** Asserts a JSON GraphQL response whose every error carries the response's request id. */
export function expectRequestIds(response: RawResponse): void {
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(response.body?.extensions?.requestId).toBe(requestId);
  for (const error of response.body?.errors ?? []) expect(error.extensions?.requestId).toBe(requestId);
}
