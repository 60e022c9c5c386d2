import { JSONResolver, NonNegativeIntResolver, PositiveIntResolver, URLResolver } from 'graphql-scalars';
import { DateTimeScalar } from '../date-time.ts';
import type { Resolvers } from '../../__generated__/resolvers-types.ts';
import { assignmentResolvers } from './assignment.ts';
import { liveResolvers } from './live.ts';
import { reviewResolvers } from './review.ts';
import { tagManagementResolvers } from './tag-management.ts';
import { tagResolvers } from './tag.ts';
import { workflowResolvers } from './workflows.ts';

/** Every resolver map of the schema, merged by @graphql-tools/schema. */
export const resolvers: Resolvers[] = [
  {
    DateTime: DateTimeScalar,
    JSON: JSONResolver,
    URL: URLResolver,
    NonNegativeInt: NonNegativeIntResolver,
    PositiveInt: PositiveIntResolver,
  },
  assignmentResolvers,
  tagResolvers,
  workflowResolvers,
  liveResolvers,
  reviewResolvers,
  tagManagementResolvers,
];
