/**
 * Where the gateway is and whose token the pages send. Vite hands `VITE_*` environment
 * variables to the page; the defaults are `npm start` with its embedded backend, whose
 * `dev-admin-token` is a public demo token. A real app gets its token from its login.
 */
export const gateway = {
  url: import.meta.env.VITE_GATEWAY_URL || 'http://localhost:4000/graphql',
  token: import.meta.env.VITE_GATEWAY_TOKEN || 'dev-admin-token',
};
