/** The embedded backend's demo tokens by role (src/dev-backend/users.ts), for tests. */
export const TOKENS = {
  admin: 'dev-admin-token',
  alice: 'dev-alice-token',
  bob: 'dev-bob-token',
  viewer: 'dev-viewer-token',
} as const;
