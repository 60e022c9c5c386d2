import type { CombinedError } from '@urql/core';
import type { ReviewCardFragment, ReviewVerdict } from '../../src/__generated__/graphql.ts';
import { describeUrqlError } from '../../src/errors.ts';
import { gateway } from '../../src/gateway.ts';
import { renderNav, showProblems } from '../../src/layout.ts';
import { ReviewQueuePage } from '../../src/operations.ts';
import { reviewAssignment } from '../../src/review.ts';
import { createUrqlClient } from '../../src/urql.ts';

/** A review list: one page of a project's assignments at a time, a thumbnail, the latest reviews and the verdict buttons on each. */
const PAGE_SIZE = 20;
const VERDICTS: readonly { verdict: ReviewVerdict; label: string }[] = [
  { verdict: 'APPROVE', label: 'Approve' },
  { verdict: 'REJECT', label: 'Reject' },
  { verdict: 'NEEDS_REVIEW', label: 'Needs review' },
];

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
    .query(ReviewQueuePage, { filter: { project: project.value }, first: PAGE_SIZE, after })
    .toPromise();
  const page = data?.assignments;
  if (error || !page) return showProblems(problems, error ? describeUrqlError(error) : ['No assignments in the answer.']);
  cards.append(...page.nodes.map(renderCard));
  summary.textContent = `${cards.children.length} of ${page.totalCount}`;
  after = page.pageInfo.endCursor;
  more.hidden = !page.pageInfo.hasNextPage;
  more.disabled = false;
}

function renderCard(assignment: ReviewCardFragment): HTMLLIElement {
  const card = document.createElement('li');
  card.className = 'card';
  card.dataset.id = assignment.id;
  // The thumbnail when there is one: the gateway's URLs are absolute and need no token.
  const file = ['thumbnail', 'image', 'report'].map((key) => assignment.files.find((f) => f.key === key)).find((f) => f?.url);
  const image = Object.assign(document.createElement('img'), { src: file?.url ?? '', alt: `Assignment ${assignment.id}` });
  const title = Object.assign(document.createElement('h2'), { textContent: `#${assignment.id}` });
  // metadata is JSON (typed unknown): read what this page understands, ignore the rest.
  const metadata = (typeof assignment.metadata === 'object' && assignment.metadata) || {};
  const shown = ['batch', 'language'].map((key) => (metadata as Record<string, unknown>)[key]).filter((v) => typeof v === 'string');
  const details = Object.assign(document.createElement('p'), { textContent: shown.join(' · ') });
  const tags = Object.assign(document.createElement('ul'), { className: 'tags' });
  const reviews = Object.assign(document.createElement('ol'), { className: 'reviews' });
  const comment = Object.assign(document.createElement('textarea'), { rows: 2, placeholder: 'Why? (needed to reject or ask for review)' });
  comment.setAttribute('aria-label', `Comment on assignment ${assignment.id}`);
  const buttons = Object.assign(document.createElement('div'), { className: 'verdicts' });
  for (const { verdict, label } of VERDICTS) {
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: label });
    button.addEventListener('click', () => void decide(card, verdict, comment));
    buttons.append(button);
  }
  card.append(image, title, details, tags, reviews, comment, buttons);
  renderState(card, assignment);
  return card;
}

/** The parts of a card that change with a decision: status, tags and latest reviews. */
function renderState(card: HTMLElement, assignment: ReviewCardFragment): void {
  card.querySelector('h2')!.textContent = `#${assignment.id} · ${assignment.status.toLowerCase()}`;
  const chips = assignment.tags.map((tag) => {
    const chip = Object.assign(document.createElement('li'), { textContent: tag.name });
    chip.style.background = tag.color ?? '#666';
    return chip;
  });
  card.querySelector('.tags')!.replaceChildren(...chips);
  // null when the backend does not serve reviews (the query's error says why): the card shows none.
  const latest = (assignment.reviews?.nodes ?? []).map((review) => {
    const item = document.createElement('li');
    const verdict = review.tags.map((tag) => tag.name).join(', ');
    const when = new Date(review.createdAt).toLocaleString();
    item.append(
      Object.assign(document.createElement('span'), { className: 'who', textContent: `user ${review.authorId}${verdict ? ` · ${verdict}` : ''} · ${when}` }),
      Object.assign(document.createElement('q'), { textContent: review.comment }),
    );
    return item;
  });
  card.querySelector('.reviews')!.replaceChildren(...latest);
}

/** One pending decision per card: clicking again after a failure resends it with the same key, so nothing is written twice. */
const pending = new WeakMap<HTMLElement, { verdict: ReviewVerdict; comment: string; idempotencyKey: string }>();

async function decide(card: HTMLElement, verdict: ReviewVerdict, box: HTMLTextAreaElement): Promise<void> {
  const comment = box.value.trim();
  const earlier = pending.get(card);
  const decision = earlier && earlier.verdict === verdict && earlier.comment === comment ? earlier : { verdict, comment, idempotencyKey: crypto.randomUUID() };
  pending.set(card, decision);
  try {
    const outcome = await reviewAssignment(client, card.dataset.id!, decision);
    const failed = outcome.results.filter((result) => result.status === 'FAILED');
    showProblems(problems, [
      ...outcome.userErrors.map((e) => `${e.code}: ${e.message}`),
      ...failed.map((result) => `${result.error!.code}: ${result.error!.message} Click again to retry.`),
    ]);
    if (outcome.userErrors.length > 0 || failed.length > 0) return;
    pending.delete(card);
    box.value = '';
    for (const result of outcome.results) if (result.assignment) renderState(card, result.assignment);
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
