import { createApolloClient } from '../../src/apollo.ts';
import { describeApolloError } from '../../src/errors.ts';
import { gateway } from '../../src/gateway.ts';
import { renderNav, showProblems } from '../../src/layout.ts';
import { DailySeries } from '../../src/operations.ts';
import { drawDailyChart } from './chart.ts';

/**
 * A dashboard chart: a project's assignments created, completed and rejected per day, in the
 * viewer's time zone. The URL holds the view (`?project=1&days=14&timeZone=Asia/Seoul&asOf=...`),
 * so a link shows the same chart; without `asOf` the window ends now. Apollo Client reads it (the
 * review page uses urql): a view seen before is drawn again from Apollo's cache.
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
element('#nav').append(renderNav('dashboard'));

const params = new URLSearchParams(location.search);
const timeZone = params.get('timeZone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
const asOf = params.get('asOf');
project.value = params.get('project') ?? project.value;
days.value = params.get('days') ?? days.value;

// Only the latest answer is drawn: an earlier one arriving late is dropped.
let latest = 0;

async function load(): Promise<void> {
  const ticket = ++latest;
  const variables = { filter: { project: project.value }, days: Number(days.value), asOf, timeZone };
  // Apollo's default errorPolicy ('none') throws on any error: a refused field is never drawn empty.
  const answer = await client.query({ query: DailySeries, variables }).then(
    ({ data }) => ({ analytics: data?.assignmentAnalytics, problems: data?.assignmentAnalytics ? [] : ['No analytics in the answer.'] }),
    (error: unknown) => ({ analytics: undefined, problems: describeApolloError(error) }),
  );
  if (ticket !== latest) return;
  const { analytics } = answer;
  if (!analytics) {
    figure.hidden = true;
    return showProblems(problems, answer.problems);
  }
  showProblems(problems, []);
  figure.hidden = false;
  const { daily } = analytics;
  const total = (key: 'created' | 'completed' | 'rejected') => daily.reduce((sum, day) => sum + day[key], 0);
  caption.textContent = `Assignments per day in ${timeZone}, project ${project.value}`;
  summary.textContent = `${daily[0]?.date} to ${daily.at(-1)?.date}: ${total('created')} created, ${total('completed')} completed, ${total('rejected')} rejected`;
  // A canvas is a picture to a screen reader: its label says what it shows.
  canvas.setAttribute('aria-label', `${caption.textContent}. ${summary.textContent}.`);
  drawDailyChart(canvas, daily);
}

/** Keeps the view in the URL, so reloading or sharing the page shows this chart again. */
function remember(): void {
  params.set('project', project.value);
  params.set('days', days.value);
  history.replaceState(null, '', `?${params}`);
}

for (const control of [project, days]) {
  control.addEventListener('change', () => {
    remember();
    void load();
  });
}
void load();
