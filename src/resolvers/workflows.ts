import type { Resolvers } from '../__generated__/resolvers-types.ts';

/** Workflow operations (queue, quality review, analytics, tiers, automation). */
export const workflowResolvers: Resolvers = {};
