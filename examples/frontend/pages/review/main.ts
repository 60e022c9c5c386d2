import type { CombinedError } from '@urql/core';
import type { AssignmentCardFragment } from '../../src/__generated__/graphql.ts';
import { describeUrqlError } from '../../src/errors.ts';
import { gateway } from '../../src/gateway.ts';
import { renderNav, showProblems } from '../../src/layout.ts';
import { AssignmentsPage } from '../../src/operations.ts';
import { tagAssignments } from '../../src/tag.ts';
import { createUrqlClient } from '../../src/urql.ts';

/** A review list: one page of a project's assignments at a time, a thumbnail and a tag button on each. */
const PAGE_SIZE = 20;
const REVIEW_TAG = 'needs_review';

const client = createUrqlClient(gateway.url, gateway.token, { documentIds: gateway.documentIds });
const element = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const [cards, more, summary, problems, project] = [
  element<HTMLUListElement>('#cards'),
  element<HTMLButtonElement>('#more'),
  element('#summary'),
  element('#problems'),
  element<HTMLSelectElement>('#project'),
];
element('#nav').append(renderNav('review'));

let after: string | null = null;

async function loadPage(): Promise<void> {
  more.disabled = true;
  const { data, error } = await client
    .query(AssignmentsPage, { filter: { project: project.value }, first: PAGE_SIZE, after })
    .toPromise();
  const page = data?.assignments;
  if (error || !page) return showProblems(problems, error ? describeUrqlError(error) : ['No assignments in the answer.']);
  cards.append(...page.edges.map((edge) => renderCard(edge.node)));
  summary.textContent = `${cards.children.length} of ${page.totalCount}`;
  after = page.pageInfo.endCursor;
  more.hidden = !page.pageInfo.hasNextPage;
  more.disabled = false;
}

function renderCard(assignment: AssignmentCardFragment): HTMLLIElement {
  const card = document.createElement('li');
  card.className = 'card';
  card.dataset.id = assignment.id;
  // The thumbnail when there is one: the gateway's URLs are absolute and need no token.
  const file = ['thumbnail', 'image', 'report'].map((key) => assignment.files.find((f) => f.key === key)).find((f) => f?.url);
  const image = Object.assign(document.createElement('img'), { src: file?.url ?? '', alt: `Assignment ${assignment.id}` });
  const title = Object.assign(document.createElement('h2'), { textContent: `#${assignment.id} · ${assignment.status.toLowerCase()}` });
  // metadata is JSON (typed unknown): read what this page understands, ignore the rest.
  const metadata = (typeof assignment.metadata === 'object' && assignment.metadata) || {};
  const shown = ['batch', 'language'].map((key) => (metadata as Record<string, unknown>)[key]).filter((v) => typeof v === 'string');
  const details = Object.assign(document.createElement('p'), { textContent: shown.join(' · ') });
  const tags = document.createElement('ul');
  tags.className = 'tags';
  const button = Object.assign(document.createElement('button'), { type: 'button', textContent: `Tag ${REVIEW_TAG}` });
  button.addEventListener('click', () => void tag(assignment.id, card));
  card.append(image, title, details, tags, button);
  renderTags(card, assignment);
  return card;
}

function renderTags(card: HTMLElement, assignment: AssignmentCardFragment): void {
  const chips = assignment.tags.map((tag) => {
    const chip = Object.assign(document.createElement('li'), { textContent: tag.name });
    chip.style.background = tag.color ?? '#666';
    return chip;
  });
  card.querySelector('.tags')!.replaceChildren(...chips);
}

async function tag(id: string, card: HTMLElement): Promise<void> {
  try {
    const { assignments, userErrors } = await tagAssignments(client, [id], [REVIEW_TAG]);
    showProblems(problems, userErrors.map((e) => `${e.code}: ${e.message}`));
    for (const assignment of assignments) renderTags(card, assignment);
  } catch (error) {
    showProblems(problems, describeUrqlError(error as CombinedError));
  }
}

more.addEventListener('click', () => void loadPage());
project.addEventListener('change', () => {
  cards.replaceChildren();
  after = null;
  void loadPage();
});
void loadPage();
