/**
 * The example's pages: the navigation bar lists them and `vite build` builds each one.
 * A new page is a folder `pages/<name>/` with an `index.html` (and its script), plus one
 * entry here.
 */
export const PAGES: readonly { name: string; title: string }[] = [
  { name: 'review', title: 'Review queue' },
  { name: 'dashboard', title: 'Dashboard' },
];

/** A page's URL path on the dev server (and in the build). */
export const pagePath = (name: string) => `/pages/${name}/`;
