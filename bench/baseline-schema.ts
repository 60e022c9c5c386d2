/**
 * What the two baselines of `npm run bench:overhead` (the bare-yoga floor and Apollo
 * Server) share, so that they serve the very same schema with the same resolvers and
 * differ only in their server and in how they call the backend: the wire rows, the
 * schema, the list's page arithmetic and the Assignment fields.
 */
import { DateTimeResolver } from 'graphql-scalars';

export interface Row {
  id: number;
  project: number;
  status: string;
  assignee: number | null;
  priority: number | null;
  created_at: string;
  tags: number[];
}
export interface Tag {
  id: number;
  name: string;
}

export const typeDefs = /* GraphQL */ `
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

/** The baselines' answers to the three queries, given each one's way of reading the backend. */
export interface Backend<Context> {
  assignment(ctx: Context, id: number): Promise<Row>;
  page(ctx: Context, page: number, size: number): Promise<{ results: Row[] }>;
  tagsOf(ctx: Context, project: number): Promise<Map<number, Tag>>;
}

export function baselineResolvers<Context>(backend: Backend<Context>) {
  return {
    DateTime: DateTimeResolver,
    Query: {
      assignment: (_: unknown, args: { id: string }, ctx: Context) => backend.assignment(ctx, Number(args.id)),
      assignmentsByIds: (_: unknown, args: { ids: string[] }, ctx: Context) =>
        Promise.all(args.ids.map((id) => backend.assignment(ctx, Number(id)).catch((error: Error) => error))),
      // Offset cursors ("offset:N" in base64url) read as the DRF pages that hold the slice.
      assignments: async (_: unknown, args: { first?: number | null; after?: string | null }, ctx: Context) => {
        const size = args.first ?? 20;
        const start = args.after ? Number(Buffer.from(args.after, 'base64url').toString('utf8').split(':')[1]) + 1 : 0;
        const firstPage = Math.floor(start / size) + 1;
        const pages = start % size === 0 ? [firstPage] : [firstPage, firstPage + 1];
        const results = await Promise.all(pages.map((page) => backend.page(ctx, page, size)));
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
        const byId = await backend.tagsOf(ctx, row.project);
        return row.tags.flatMap((id) => byId.get(id) ?? []);
      },
    },
  };
}
