import type { WireAssignment } from '../contract/index.ts';
import { parseTagName, userError, type InputProblem, type NamedTag } from './input.ts';
import type { TagAssignment, TagTally } from './write-plan.ts';

/** Most tiers per run: a handful is all a performance scale needs. */
const MAX_TIERS = 20;

export interface Tier {
  minAssignments: number;
  tagName: string;
}

/** The seed's tiers (also the schema default; used when a caller sends null). */
const DEFAULT_TIERS: readonly Tier[] = [
  { minAssignments: 50, tagName: 'high_performer' },
  { minAssignments: 20, tagName: 'regular_performer' },
  { minAssignments: 0, tagName: 'new_contributor' },
];

/** Validated tiers, highest `minAssignments` first, so the first tier reached is the one. */
export function parseTiers(input: { tiers?: readonly Tier[] | null }): { tiers: Tier[]; tags: NamedTag[]; userErrors: InputProblem[] } {
  const given = input.tiers ?? DEFAULT_TIERS;
  const userErrors: InputProblem[] = [];
  const tags: NamedTag[] = [];
  const tiers: Tier[] = [];
  if (given.length === 0) userErrors.push(userError('INVALID', 'Give at least one tier.', ['input', 'tiers']));
  if (given.length > MAX_TIERS) {
    userErrors.push(userError('TOO_MANY', `At most ${MAX_TIERS} tiers, got ${given.length}.`, ['input', 'tiers']));
    return { tiers, tags, userErrors };
  }
  const seen = new Set<number>();
  given.forEach((tier, i) => {
    if (seen.has(tier.minAssignments)) {
      userErrors.push(
        userError('INVALID', `Two tiers start at ${tier.minAssignments} assignments; each tier needs its own minAssignments.`, [
          'input',
          'tiers',
          i,
          'minAssignments',
        ]),
      );
    }
    seen.add(tier.minAssignments);
    const field = ['input', 'tiers', i, 'tagName'];
    const parsed = parseTagName(tier.tagName, field);
    if ('error' in parsed) userErrors.push(parsed.error);
    else {
      tiers.push({ minAssignments: tier.minAssignments, tagName: parsed.name });
      tags.push({ name: parsed.name, field });
    }
  });
  return { tiers: tiers.sort((a, b) => b.minAssignments - a.minAssignments), tags, userErrors };
}

/** The tier of an assignee with `count` assignments, or null when it reaches none. */
export function pickTier(count: number, tiers: readonly Tier[]): Tier | null {
  return tiers.find((tier) => count >= tier.minAssignments) ?? null;
}

/** One assignment of a group: its id and project (tag ids are per project). */
interface Member {
  id: number;
  project: number;
}

/**
 * Groups rows by assignee as pages arrive, keeping only id and project per row (the
 * payload lists every id anyway). Unassigned rows belong to no group, as in the seed.
 */
export function createAssigneeGrouper(): {
  add(rows: readonly WireAssignment[]): void;
  groups(): ReadonlyMap<number, readonly Member[]>;
} {
  const groups = new Map<number, Member[]>();
  return {
    add(rows) {
      for (const row of rows) {
        if (row.assignee === null) continue;
        let members = groups.get(row.assignee);
        if (!members) groups.set(row.assignee, (members = []));
        members.push({ id: row.id, project: row.project });
      }
    },
    groups: () => groups,
  };
}

/** One planned group; the GraphQL layer reads its assignments back (codegen mapper of AssigneeTierGroup). */
export interface AssigneeTierGroupModel {
  assigneeId: number;
  assignmentCount: number;
  /** The tier's tag; null when the group reaches no tier. */
  tagName: string | null;
  /** Ascending. */
  assignmentIds: number[];
}

export interface AssigneeTierPlan {
  groups: AssigneeTierGroupModel[];
  summary: TagTally[];
  items: TagAssignment[];
}

/** Each group's tier, and the tag of each grouped assignment; summary in tier order, zeros included. */
export function planAssigneeTiers(groups: ReadonlyMap<number, readonly Member[]>, tiers: readonly Tier[]): AssigneeTierPlan {
  const counts = new Map(tiers.map((tier) => [tier.tagName, 0]));
  const items: TagAssignment[] = [];
  const planned = [...groups]
    .sort(([a], [b]) => a - b)
    .map(([assigneeId, members]): AssigneeTierGroupModel => {
      const tier = pickTier(members.length, tiers);
      if (tier) {
        for (const member of members) items.push({ projectId: member.project, assignmentId: member.id, tagName: tier.tagName });
        counts.set(tier.tagName, counts.get(tier.tagName)! + members.length);
      }
      return {
        assigneeId,
        assignmentCount: members.length,
        tagName: tier?.tagName ?? null,
        assignmentIds: members.map((member) => member.id).sort((a, b) => a - b),
      };
    });
  return { groups: planned, summary: [...counts].map(([tagName, count]) => ({ tagName, count })), items };
}
