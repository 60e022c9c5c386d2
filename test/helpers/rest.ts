import type { WireAssignment, WirePage, WireReview, WireTag, WireV2List } from '../../src/contract/index.ts';

/** Direct REST calls to the embedded backend: the oracle tests compare the gateway with. */
export async function rest<T>(baseUrl: string, path: string, token = 'dev-admin-token'): Promise<T> {
  const response = await fetch(baseUrl + path, { headers: { authorization: `Token ${token}` } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Every row of a listing, walking `next` as the SDK's list_all does. */
export async function restAll(baseUrl: string, query: string, token = 'dev-admin-token'): Promise<WireAssignment[]> {
  const rows: WireAssignment[] = [];
  let page = await rest<WirePage<WireAssignment>>(baseUrl, `sdk/assignments/?${query}&page_size=1000`, token);
  rows.push(...page.results);
  for (let guard = 0; page.next && guard < 10_000; guard++) {
    const response = await fetch(page.next, { headers: { authorization: `Token ${token}` } });
    page = (await response.json()) as WirePage<WireAssignment>;
    rows.push(...page.results);
  }
  return rows;
}

export async function restTags(baseUrl: string, projectId: number): Promise<WireTag[]> {
  return (await rest<WirePage<WireTag>>(baseUrl, `projects/${projectId}/tags/?page_size=1000`)).results;
}

/** A tag write made straight to the backend's REST API, as the SDK or another tool makes it (nothing passes the gateway). */
export async function restSetTags(baseUrl: string, assignmentIds: number[], tagIds: number[], token = 'dev-admin-token'): Promise<void> {
  const response = await fetch(`${baseUrl}assignments/set_tags/`, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ assignment_ids: assignmentIds, tag_ids: tagIds }),
  });
  if (response.status !== 200) throw new Error(`set_tags: HTTP ${response.status}`);
}

/** Every review of an assignment as Synapse's v2 list has them (newest first), with their detail fields. */
export async function restReviews(baseUrl: string, assignmentId: number, token = 'dev-admin-token'): Promise<WireReview[]> {
  const fields = 'id,assignment_id,scope,is_active,created,user_id,tags,object_id,description,position';
  return (await rest<WireV2List<WireReview>>(baseUrl, `v2/reviews/?assignment=${assignmentId}&per_page=200&fields=${fields}`, token)).data;
}
