import { PAGES, pagePath } from './pages.ts';

/** The navigation bar every page starts with; the current page is marked for screen readers too. */
export function renderNav(current: string): HTMLElement {
  const nav = document.createElement('nav');
  nav.setAttribute('aria-label', 'Pages');
  for (const page of PAGES) {
    const link = document.createElement('a');
    link.href = pagePath(page.name);
    link.textContent = page.title;
    if (page.name === current) link.setAttribute('aria-current', 'page');
    nav.append(link);
  }
  return nav;
}

/** Shows problems in the page's alert region (empty list: clears it). */
export function showProblems(region: HTMLElement, problems: readonly string[]): void {
  region.replaceChildren(...problems.map((problem) => Object.assign(document.createElement('p'), { textContent: problem })));
  region.hidden = problems.length === 0;
}
