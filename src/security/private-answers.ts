import type { Plugin } from 'graphql-yoga';
import type { GatewayContext } from '../context.ts';

/**
 * Marks every answer that does not say otherwise `Cache-Control: private, no-store`: a
 * GraphQL answer is for the caller whose token it was read with, and a GET (urql's
 * queries, a `?documentId=` read) is what a shared cache would otherwise keep and hand to
 * the next caller. GraphiQL's page and files, which are the same for everyone, set their own.
 */
export function usePrivateAnswers(): Plugin<GatewayContext> {
  return {
    onResponse({ response }) {
      if (!response.headers.has('cache-control')) response.headers.set('cache-control', 'private, no-store');
    },
  };
}
