/**
 * Sum of a series' samples in Prometheus text, over the samples whose labels include `labels`;
 * `absent` when no sample matches (0 suits a counter never incremented; NaN keeps a failed
 * scrape apart from a real zero).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}, absent = 0): number {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = line.match(/^[^{\s]+(?:\{(.*)\})?\s+(\S+)$/);
    if (!match) continue;
    const found = Object.fromEntries([...(match[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) sum = (sum ?? 0) + Number(match[2]);
  }
  return sum ?? absent;
}
