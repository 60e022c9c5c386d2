import type { Resolvers } from '../../__generated__/resolvers-types.ts';
import type { WireAssignment } from '../../contract/index.ts';
import type { GatewayContext } from '../../context.ts';
import { LiveEnd, type LiveEvent } from '../../live/live-updates.ts';
import { gatewayError, unauthenticatedError } from '../errors.ts';
import { createLoaders } from '../loaders/create-loaders.ts';
import { toWireFilter } from './args.ts';

/** Subscriptions: the streams come from src/live/; this only checks the caller and the filter. */
export const liveResolvers: Resolvers = {
  Subscription: {
    assignmentUpdated: {
      subscribe: (_root, { filter }, ctx) => {
        // Subscriptions do not pass through onExecute, where anonymous operations are refused.
        if (!ctx.credentials) throw unauthenticatedError();
        const stream = ctx.live.subscribe(ctx.credentials, toWireFilter(filter));
        // The request's client ends with its response (deadline, cancellation); a stream's
        // events resolve their fields (tags...) long after, with a client of their own.
        ctx.client = ctx.live.clientFor(ctx.credentials);
        return stream;
      },
      // The stream's last event may say why it ends (token refused, too slow...): the subscriber gets it as an error.
      resolve: (event: LiveEvent, _args: unknown, ctx: GatewayContext): WireAssignment => {
        if (event instanceof LiveEnd) throw gatewayError(event.code, event.message, event.extensions);
        // Fresh loaders per event: one event's tag lists must not be served to the next hours later.
        ctx.loaders = createLoaders(ctx.client);
        return event;
      },
    },
  },
};
