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
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';
import { baselineResolvers, typeDefs, type Row, type Tag } from '../baseline-schema.ts';

type Context = {
  get<T>(path: string): Promise<T>;
  assignments: DataLoader<number, Row>;
  tags: DataLoader<number, Map<number, Tag>>;
};

const backend = new URL(process.env['FLOOR_BACKEND_URL'] ?? '');
const basePath = backend.pathname;
const pool = new Pool(backend.origin, { connections: 64 });

const resolvers = baselineResolvers<Context>({
  assignment: (ctx, id) => ctx.assignments.load(id),
  page: (ctx, page, size) => ctx.get<{ results: Row[] }>(`sdk/assignments/?page=${page}&page_size=${size}`),
  tagsOf: (ctx, project) => ctx.tags.load(project),
});

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
