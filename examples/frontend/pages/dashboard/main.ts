import type { DashboardQuery } from '../../src/__generated__/graphql.ts';
import { createApolloClient } from '../../src/apollo.ts';
import { describeApolloError } from '../../src/errors.ts';
import { gateway } from '../../src/gateway.ts';
import { renderNav, showProblems } from '../../src/layout.ts';
import { Dashboard } from '../../src/operations.ts';
import { drawDailyChart } from './chart.ts';

/**
 * A dashboard: the queue as it stands (headline numbers), then a chart of a project's
 * assignments created, completed and rejected per day, in the viewer's time zone. The query
 * defers what needs the pass over the window (`@defer`), so the headline shows as soon as
 * its two one-row reads answer, and the chart when the pass ends. The URL holds the view
 * (`?project=1&days=14&timeZone=Asia/Seoul&asOf=...`), so a link shows the same dashboard;
 * without `asOf` the window ends now. Apollo Client reads it (the review page uses urql),
 * sending the document's id: a view seen before is drawn again from Apollo's cache.
 */
const client = createApolloClient(gateway.url, gateway.token, { documentIds: gateway.documentIds });
const element = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const [canvas, figure, caption, summary, problems, project, days] = [
  element<HTMLCanvasElement>('#daily'),
  element('#figure'),
  element('#caption'),
  element('#summary'),
  element('#problems'),
  element<HTMLSelectElement>('#project'),
  element<HTMLInputElement>('#days'),
];
const [headline, pending, inProgress, oldest, loading] = [element('#headline'), element('#pending'), element('#in-progress'), element('#oldest'), element('#loading')];
element('#nav').append(renderNav('dashboard'));

const params = new URLSearchParams(location.search);
const timeZone = params.get('timeZone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
const asOf = params.get('asOf');
project.value = params.get('project') ?? project.value;
days.value = params.get('days') ?? days.value;

type Analytics = NonNullable<DashboardQuery['assignmentAnalytics']>;

/** The first part of the answer: the queue now. */
function showHeadline({ backlog }: Analytics): void {
  pending.textContent = String(backlog.pending);
  inProgress.textContent = String(backlog.inProgress);
  oldest.textContent = backlog.oldestPendingAgeHours === null ? 'none' : `${Math.floor(backlog.oldestPendingAgeHours / 24)} days`;
  headline.hidden = false;
}

/** The deferred part: the daily series and its totals. */
function showChart(daily: NonNullable<Analytics['daily']>, hours: Analytics['hoursToComplete']): void {
  const total = (key: 'created' | 'completed' | 'rejected') => daily.reduce((sum, day) => sum + day[key], 0);
  const median = hours ? `, median ${hours.p50.toFixed(1)} h to complete` : '';
  caption.textContent = `Assignments per day in ${timeZone}, project ${project.value}`;
  summary.textContent = `${daily[0]?.date} to ${daily.at(-1)?.date}: ${total('created')} created, ${total('completed')} completed, ${total('rejected')} rejected${median}`;
  // A canvas is a picture to a screen reader: its label says what it shows.
  canvas.setAttribute('aria-label', `${caption.textContent}. ${summary.textContent}.`);
  loading.hidden = true;
  figure.hidden = false;
  drawDailyChart(canvas, daily);
}

let current: { unsubscribe(): void } | undefined;

/** Hides every part of the dashboard and says why. */
function showRefusal(reasons: string[]): void {
  [headline.hidden, figure.hidden, loading.hidden] = [true, true, true];
  showProblems(problems, reasons);
}

/** Asks for the dashboard; each part of the answer is drawn as it arrives. */
function load(): void {
  // Only the latest query is drawn: an earlier one still streaming is cancelled.
  current?.unsubscribe();
  [headline.hidden, figure.hidden, loading.hidden] = [true, true, true];
  const variables = { filter: { project: project.value }, days: Number(days.value), asOf, timeZone };
  // Apollo's default errorPolicy ('none'): an error in any part comes instead of the data, so a refused field is never drawn empty.
  current = client.watchQuery({ query: Dashboard, variables }).subscribe({
    next(result) {
      if (result.error) return showRefusal(describeApolloError(result.error));
      // "empty" while the first part is on its way; then "streaming" until the deferred part came, then "complete".
      if (result.dataState !== 'streaming' && result.dataState !== 'complete') return;
      const analytics = result.data.assignmentAnalytics;
      if (!analytics) return showRefusal(['No analytics in the answer.']);
      showProblems(problems, []);
      showHeadline(analytics);
      if (analytics.daily) showChart(analytics.daily, analytics.hoursToComplete ?? null);
      else loading.hidden = false;
    },
    error: (error: unknown) => showRefusal(describeApolloError(error)),
  });
}

/** Keeps the view in the URL, so reloading or sharing the page shows this dashboard again. */
function remember(): void {
  params.set('project', project.value);
  params.set('days', days.value);
  history.replaceState(null, '', `?${params}`);
}

for (const control of [project, days]) {
  control.addEventListener('change', () => {
    remember();
    load();
  });
}
load();
