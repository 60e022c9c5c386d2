/**
 * Where the gateway is, whose token the pages send, and whether they send document ids.
 * Vite hands `VITE_*` environment variables to the page; the defaults are `npm start` with its
 * embedded backend, whose `dev-admin-token` is a public demo token. A real app gets its token
 * from its login.
 */
export const gateway = {
  url: import.meta.env.VITE_GATEWAY_URL || 'http://localhost:4000/graphql',
  token: import.meta.env.VITE_GATEWAY_TOKEN || 'dev-admin-token',
  // Ids need a gateway that holds this build's manifest: a production build always sends them;
  // the dev server sends text, which `npm start` (TRUSTED_DOCUMENTS off) runs, unless told otherwise.
  documentIds: import.meta.env.PROD || import.meta.env.VITE_DOCUMENT_IDS === 'true',
};
