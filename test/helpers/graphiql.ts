/** Every file the GraphiQL page loads, as written in it (relative URLs): scripts, style, icon, Monaco's workers. */
export function assetUrls(html: string): string[] {
  const tags = [...html.matchAll(/<(?:script|link)\b[^>]*\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
  const workers = /const workers = (\{.*\});/.exec(html);
  if (!workers) throw new Error('the page names no Monaco workers');
  return [...tags, ...Object.values(JSON.parse(workers[1]!) as Record<string, string>)];
}
