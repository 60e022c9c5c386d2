/**
 * The development backend's fixed people. Demo tokens are fixed strings so docs,
 * GraphiQL (which prefills the admin token) and tests can rely on them.
 */

export type ProjectRole = 'member' | 'viewer';

export interface DemoUser {
  id: number;
  username: string;
  name: string;
  token: string;
  /** Admins see every project and may tag anywhere. */
  isAdmin: boolean;
  /** Project memberships; ignored for projects the seed does not create. */
  projects: readonly { project: number; role: ProjectRole }[];
  description: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  {
    id: 1,
    username: 'admin',
    name: 'Dev Admin',
    token: 'dev-admin-token',
    isAdmin: true,
    projects: [],
    description: 'sees every project, may tag',
  },
  {
    id: 2,
    username: 'alice',
    name: 'Alice Member',
    token: 'dev-alice-token',
    isAdmin: false,
    projects: [
      { project: 1, role: 'member' },
      { project: 2, role: 'member' },
    ],
    description: 'member of projects 1 and 2, may tag there',
  },
  {
    id: 3,
    username: 'bob',
    name: 'Bob Member',
    token: 'dev-bob-token',
    isAdmin: false,
    projects: [{ project: 3, role: 'member' }],
    description: 'member of project 3 only',
  },
  {
    id: 4,
    username: 'viewer',
    name: 'Vera Viewer',
    token: 'dev-viewer-token',
    isAdmin: false,
    projects: [
      { project: 1, role: 'viewer' },
      { project: 2, role: 'viewer' },
    ],
    description: 'read-only viewer of projects 1 and 2',
  },
];

export type DemoRole = 'admin' | ProjectRole;

/** What the CLI prints and GraphiQL offers. */
export const demoTokens: readonly { token: string; role: DemoRole; description: string }[] = DEMO_USERS.map((user) => ({
  token: user.token,
  role: user.isAdmin ? 'admin' : (user.projects[0]?.role ?? 'viewer'),
  description: user.description,
}));

/** Assignees (reviewers). They never call the API, so they have no tokens. */
export const ANNOTATORS: readonly { id: number; username: string; name: string }[] = [
  'Mina Park',
  'Jonas Weber',
  'Aiko Tanaka',
  'Carlos Ruiz',
  'Priya Nair',
  "Liam O'Connor",
  'Sofia Rossi',
  'Omar Haddad',
  'Eun-ji Kim',
  'Noah Fischer',
  'Chloé Martin',
  'Tomás Silva',
].map((name, index) => ({
  id: 100 + index,
  username: name.toLowerCase().normalize('NFD').replace(/[^a-z]+/g, '.'),
  name,
}));
