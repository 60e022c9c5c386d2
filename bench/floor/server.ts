/**
 * The floor of `npm run bench:overhead`: bare graphql-yoga (default options, no
 * plugins) serving the benchmark's queries with the plainest correct resolvers over
 * the same REST calls the gateway makes with `SYNAPSE_IDS_FILTER=false`: undici
 * `Pool.request`, one DataLoader for ids (one `GET assignments/{id}/` each), one tag
 * read per project per request, the caller's token forwarded. No limits, metrics,
 * logs, retries or deadlines: what an operation costs before any of those.
 *
 * Env: FLOOR_BACKEND_URL (required). Listens on 127.0.0.1, port 0; prints one JSON
 * line `{"url": ...}` once it listens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import DataLoader from 'dataloader';
import { DateTimeResolver } from 'graphql-scalars';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';

interface Row {
  id: number;
  project: number;
  status: string;
  assignee: number | null;
  priority: number | null;
  created_at: string;
  tags: number[];
}
interface Tag {
  id: number;
  name: string;
}
type Context = {
  get<T>(path: string): Promise<T>;
  assignments: DataLoader<number, Row>;
  tags: DataLoader<number, Map<number, Tag>>;
};

const backend = new URL(process.env['FLOOR_BACKEND_URL'] ?? '');
const basePath = backend.pathname;
const pool = new Pool(backend.origin, { connections: 64 });

const typeDefs = /* GraphQL */ `
  scalar DateTime
  enum AssignmentStatus { PENDING IN_PROGRESS COMPLETED REJECTED }
  type Tag { id: ID! name: String! }
  type Assignment {
    id: ID!
    status: AssignmentStatus!
    assigneeId: ID
    priority: Int
    createdAt: DateTime!
    tags: [Tag!]!
  }
  type AssignmentConnection { nodes: [Assignment!]! }
  type Query {
    assignment(id: ID!): Assignment
    assignmentsByIds(ids: [ID!]!): [Assignment]!
    assignments(first: Int, after: String): AssignmentConnection!
  }
`;

const resolvers = {
  DateTime: DateTimeResolver,
  Query: {
    assignment: (_: unknown, args: { id: string }, ctx: Context) => ctx.assignments.load(Number(args.id)),
    assignmentsByIds: (_: unknown, args: { ids: string[] }, ctx: Context) => ctx.assignments.loadMany(args.ids.map(Number)),
    assignments: async (_: unknown, args: { first?: number | null; after?: string | null }, ctx: Context) => {
      const size = args.first ?? 20;
      const start = args.after ? Number(Buffer.from(args.after, 'base64url').toString('utf8').split(':')[1]) + 1 : 0;
      const firstPage = Math.floor(start / size) + 1;
      const pages = start % size === 0 ? [firstPage] : [firstPage, firstPage + 1];
      const results = await Promise.all(
        pages.map((page) => ctx.get<{ results: Row[] }>(`sdk/assignments/?page=${page}&page_size=${size}`)),
      );
      const skip = start - (firstPage - 1) * size;
      return { nodes: results.flatMap((page) => page.results).slice(skip, skip + size) };
    },
  },
  Assignment: {
    status: (row: Row) => row.status.toUpperCase(),
    assigneeId: (row: Row) => row.assignee,
    createdAt: (row: Row) => row.created_at,
    tags: async (row: Row, _: unknown, ctx: Context) => {
      if (row.tags.length === 0) return [];
      const byId = await ctx.tags.load(row.project);
      return row.tags.flatMap((id) => byId.get(id) ?? []);
    },
  },
};

const yoga = createYoga<object, Context>({
  schema: createSchema({ typeDefs, resolvers }),
  context: ({ request }) => {
    const authorization = request.headers.get('authorization') ?? '';
    const get = async <T>(path: string): Promise<T> => {
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: basePath + path,
        headers: { accept: 'application/json', authorization },
      });
      if (statusCode !== 200) {
        await body.dump();
        throw new GraphQLError(`upstream answered ${statusCode}`);
      }
      return (await body.json()) as T;
    };
    return {
      get,
      assignments: new DataLoader((ids) => Promise.all(ids.map((id) => get<Row>(`assignments/${id}/`).catch((error: Error) => error)))),
      tags: new DataLoader((projects) =>
        Promise.all(
          projects.map(async (project) => {
            const page = await get<{ results: Tag[] }>(`projects/${project}/tags/?page_size=1000`);
            return new Map(page.results.map((tag) => [tag.id, tag]));
          }),
        ),
      ),
    };
  },
});

const server = createServer(yoga);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` }));
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => void pool.close().then(() => process.exit(0)));
});
