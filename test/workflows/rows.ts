import type { TagModel } from '../../src/graphql/models.ts';
import type { WireAssignment } from '../../src/contract/index.ts';

/** A wire row for unit tests: only what the test cares about is given. */
export function row(fields: Partial<WireAssignment> & { id: number }): WireAssignment {
  return {
    project: 1,
    status: 'pending',
    assignee: null,
    data: null,
    files: {},
    created_at: '2026-11-01T00:00:00.000000Z',
    updated_at: '2026-11-01T00:00:00.000000Z',
    metadata: {},
    priority: null,
    tags: [],
    ...fields,
  };
}

/** Resolved tags as resolveNamedTags answers them: project -> name -> tag, ids `project * 100 + index`. */
export function tagTable(projects: Record<number, readonly string[]>): Map<number, Map<string, TagModel>> {
  return new Map(
    Object.entries(projects).map(([project, names]) => [
      Number(project),
      new Map(
        names.map((name, i) => [name, { id: Number(project) * 100 + i, name, color: '#000000', description: '', projectId: Number(project) }]),
      ),
    ]),
  );
}
