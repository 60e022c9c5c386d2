import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { DashboardQuery } from '../../src/__generated__/graphql.ts';

// Only what a line chart uses: the page's bundle carries that part of Chart.js, not all of it.
Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

/** One point of the deferred daily series (absent from the answer's first part). */
type Day = NonNullable<NonNullable<DashboardQuery['assignmentAnalytics']>['daily']>[number];

/** One line per count, in this order; Chart.js draws the first dataset on top. */
const LINES = [
  { key: 'created', label: 'Created', color: '#3867d6' },
  { key: 'completed', label: 'Completed', color: '#20bf6b' },
  { key: 'rejected', label: 'Rejected', color: '#eb3b5a' },
] as const;

/** Draws the daily series on the canvas, replacing what it showed: one point per day for each count. */
export function drawDailyChart(canvas: HTMLCanvasElement, days: readonly Day[]): void {
  Chart.getChart(canvas)?.destroy();
  new Chart(canvas, {
    type: 'line',
    data: {
      // `date` is the bucket's local calendar date in the series' zone: the label the gateway means to be drawn.
      labels: days.map((day) => day.date),
      datasets: LINES.map(({ key, label, color }) => ({ label, data: days.map((day) => day[key]), borderColor: color, backgroundColor: color })),
    },
    options: {
      // Drawn in one frame: what is on screen is the answer, not a step of an animation.
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'assignments' } } },
      plugins: {
        tooltip: {
          callbacks: {
            footer: ([item]) => {
              const median = item && days[item.dataIndex]?.medianHoursToComplete;
              return typeof median === 'number' ? `median ${median.toFixed(1)} h to complete` : '';
            },
          },
        },
      },
    },
  });
}
