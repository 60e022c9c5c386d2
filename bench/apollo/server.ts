/**
 * The Apollo baseline of `npm run bench:overhead`: Apollo Server 5 (its standalone HTTP
 * server, default options) with one `RESTDataSource` per request, as Apollo's docs set them
 * up, serving the floor's schema over the same REST calls: `GET assignments/{id}/` per id
 * (RESTDataSource deduplicates a repeated GET within a request), the page reads of the
 * list, one tag read per project per request, the caller's token forwarded in
 * `willSendRequest`. RESTDataSource fetches with its default fetch (node-fetch 2 over
 * Node's global agent, which keeps connections alive on Node 24). No limits, metrics or
 * logs: the widely used stack a team would otherwise pick, at its defaults.
 *
 * Env: APOLLO_BACKEND_URL (required). Listens on 127.0.0.1, port 0; prints one JSON line
 * `{"url": ...}` once it listens.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource, type AugmentedRequest } from '@apollo/datasource-rest';
import { DateTimeResolver } from 'graphql-scalars';

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

class SynapseApi extends RESTDataSource {
  override baseURL = process.env['APOLLO_BACKEND_URL'];
  private readonly authorization: string;

  constructor(authorization: string) {
    super();
    this.authorization = authorization;
  }

  override willSendRequest(_path: string, request: AugmentedRequest): void {
    request.headers['authorization'] = this.authorization;
  }

  assignment(id: number): Promise<Row> {
    return this.get<Row>(`assignments/${id}/`);
  }

  page(page: number, size: number): Promise<{ results: Row[] }> {
    return this.get<{ results: Row[] }>('sdk/assignments/', { params: { page: String(page), page_size: String(size) } });
  }

  async tagsOf(project: number): Promise<Map<number, Tag>> {
    const page = await this.get<{ results: Tag[] }>(`projects/${project}/tags/`, { params: { page_size: '1000' } });
    return new Map(page.results.map((tag) => [tag.id, tag]));
  }
}

interface Context {
  api: SynapseApi;
}

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
    assignment: (_: unknown, args: { id: string }, ctx: Context) => ctx.api.assignment(Number(args.id)),
    assignmentsByIds: (_: unknown, args: { ids: string[] }, ctx: Context) =>
      Promise.all(args.ids.map((id) => ctx.api.assignment(Number(id)).catch((error: Error) => error))),
    assignments: async (_: unknown, args: { first?: number | null; after?: string | null }, ctx: Context) => {
      const size = args.first ?? 20;
      const start = args.after ? Number(Buffer.from(args.after, 'base64url').toString('utf8').split(':')[1]) + 1 : 0;
      const firstPage = Math.floor(start / size) + 1;
      const pages = start % size === 0 ? [firstPage] : [firstPage, firstPage + 1];
      const results = await Promise.all(pages.map((page) => ctx.api.page(page, size)));
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
      const byId = await ctx.api.tagsOf(row.project);
      return row.tags.flatMap((id) => byId.get(id) ?? []);
    },
  },
};

const server = new ApolloServer<Context>({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => ({ api: new SynapseApi(req.headers.authorization ?? '') }),
});
console.log(JSON.stringify({ url: new URL('graphql', url).href }));
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
