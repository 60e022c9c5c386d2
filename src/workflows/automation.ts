import type { WireAssignment, WireStatus } from '../contract/index.ts';
import { parseTagName, userError, type InputProblem, type NamedTag } from './input.ts';
import { ageHours } from './timestamps.ts';
import type { ResolvedTags, TagAssignment } from './write-plan.ts';

/** Most rules per run; each distinct status costs one listing. */
const MAX_RULES = 20;
const MAX_RULE_NAME_LENGTH = 100;

export interface AutomationRule {
  name: string;
  status: WireStatus;
  olderThanHours: number;
  tagName: string;
}

/** The seed's three rules (also the schema default; used when a caller sends null). */
const DEFAULT_RULES: readonly AutomationRule[] = [
  { name: 'pending older than 24 h', status: 'pending', olderThanHours: 24, tagName: 'urgent' },
  { name: 'in progress older than 72 h', status: 'in_progress', olderThanHours: 72, tagName: 'escalated' },
  { name: 'completed older than 168 h', status: 'completed', olderThanHours: 168, tagName: 'archived' },
];

/**
 * Validated rules in input order; names are unique, since actions and summaries refer
 * to rules by name. Rules come in with their status in REST form: the GraphQL layer
 * maps the enum and names an unnamed rule after its status and age.
 */
export function parseRules(specs: readonly AutomationRule[] | null | undefined): {
  rules: AutomationRule[];
  tags: NamedTag[];
  userErrors: InputProblem[];
} {
  const given = specs ?? DEFAULT_RULES;
  const userErrors: InputProblem[] = [];
  const tags: NamedTag[] = [];
  const rules: AutomationRule[] = [];
  if (given.length === 0) userErrors.push(userError('INVALID', 'Give at least one rule.', ['input', 'rules']));
  if (given.length > MAX_RULES) {
    userErrors.push(userError('TOO_MANY', `At most ${MAX_RULES} rules, got ${given.length}.`, ['input', 'rules']));
    return { rules, tags, userErrors };
  }
  const names = new Set<string>();
  given.forEach((rule, i) => {
    const at = (field: string) => ['input', 'rules', i, field];
    if (!(Number.isFinite(rule.olderThanHours) && rule.olderThanHours >= 0)) {
      userErrors.push(userError('INVALID', `olderThanHours must be 0 or more, got ${rule.olderThanHours}.`, at('olderThanHours')));
    }
    const name = rule.name.trim();
    if (name.length > MAX_RULE_NAME_LENGTH) {
      userErrors.push(userError('INVALID', `A rule name must have at most ${MAX_RULE_NAME_LENGTH} characters.`, at('name')));
    } else if (names.has(name)) {
      userErrors.push(userError('INVALID', `Two rules are named "${name}"; give each rule its own name.`, at('name')));
    }
    names.add(name);
    const parsed = parseTagName(rule.tagName, at('tagName'));
    if ('error' in parsed) userErrors.push(parsed.error);
    else {
      rules.push({ name, status: rule.status, olderThanHours: rule.olderThanHours, tagName: parsed.name });
      tags.push({ name: parsed.name, field: at('tagName') });
    }
  });
  return { rules, tags, userErrors };
}

/**
 * The statuses to list, one listing each (rules sharing a status share it). A rule
 * whose status differs from the filter's can match nothing, so it costs no call.
 */
export function statusesToRead(rules: readonly AutomationRule[], filterStatus: WireStatus | undefined): WireStatus[] {
  const statuses = new Set(rules.map((rule) => rule.status));
  return [...statuses].filter((status) => filterStatus === undefined || status === filterStatus);
}

/** One rule firing on one row. */
export interface RuleMatch {
  row: WireAssignment;
  ruleIndex: number;
  ageHours: number;
}

/** The rules each row triggers: its status, and an age (from createdAt, as the seed) above the rule's. */
export function matchRules(rows: readonly WireAssignment[], rules: readonly AutomationRule[], asOf: Date): RuleMatch[] {
  const matches: RuleMatch[] = [];
  for (const row of rows) {
    const age = ageHours(row, asOf);
    rules.forEach((rule, ruleIndex) => {
      if (row.status === rule.status && age > rule.olderThanHours) matches.push({ row, ruleIndex, ageHours: age });
    });
  }
  return matches;
}

/** A rule firing on a row, and whether the row already has the rule's tag. */
export interface RuleAction {
  assignment: WireAssignment;
  rule: string;
  tagName: string;
  ageHours: number;
  alreadyTagged: boolean;
}

/** What one rule did over the run. */
export interface RuleSummary {
  rule: string;
  tagName: string;
  matched: number;
  alreadyTagged: number;
  newlyTagged: number;
}

export interface AutomationPlan {
  actions: RuleAction[];
  summary: RuleSummary[];
  /** Only rows that lack the tag: a second run with the same asOf writes nothing. */
  items: TagAssignment[];
}

/** Actions sorted by assignment then rule; a row that already has its project's tag needs no write. */
export function planAutomation(
  matches: readonly RuleMatch[],
  rules: readonly AutomationRule[],
  tags: ResolvedTags,
): AutomationPlan {
  const summary = rules.map((rule) => ({ rule: rule.name, tagName: rule.tagName, matched: 0, alreadyTagged: 0, newlyTagged: 0 }));
  const items: TagAssignment[] = [];
  const sorted = [...matches].sort((a, b) => a.row.id - b.row.id || a.ruleIndex - b.ruleIndex);
  const actions = sorted.map(({ row, ruleIndex, ageHours: age }) => {
    const rule = rules[ruleIndex]!;
    const tag = tags.get(row.project)?.get(rule.tagName);
    if (!tag) throw new Error(`Tag "${rule.tagName}" was not resolved in project ${row.project}`);
    const alreadyTagged = row.tags.includes(tag.id);
    const counts = summary[ruleIndex]!;
    counts.matched++;
    if (alreadyTagged) counts.alreadyTagged++;
    else {
      counts.newlyTagged++;
      items.push({ projectId: row.project, assignmentId: row.id, tagName: rule.tagName });
    }
    return { assignment: row, rule: rule.name, tagName: rule.tagName, ageHours: age, alreadyTagged };
  });
  return { actions, summary, items };
}

