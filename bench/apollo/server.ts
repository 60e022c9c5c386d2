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
import { baselineResolvers, typeDefs, type Row, type Tag } from '../baseline-schema.ts';

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

const resolvers = baselineResolvers<Context>({
  assignment: (ctx, id) => ctx.api.assignment(id),
  page: (ctx, page, size) => ctx.api.page(page, size),
  tagsOf: (ctx, project) => ctx.api.tagsOf(project),
});

const server = new ApolloServer<Context>({ typeDefs, resolvers });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => ({ api: new SynapseApi(req.headers.authorization ?? '') }),
});
console.log(JSON.stringify({ url: new URL('graphql', url).href }));
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
