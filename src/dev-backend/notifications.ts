import type { RequestContext } from './context.ts';
import { forbidden } from './errors.ts';
import type { DevNotification } from './store.ts';

/**
 * `GET _dev/notifications/`: not part of Synapse. Lets tests and demos read back what
 * `notify=true` recorded; admins only, since notifications name other users.
 */
export function listNotifications(context: RequestContext): { results: DevNotification[] } {
  if (!context.principal.user.isAdmin) throw forbidden();
  return { results: context.store.listNotifications() };
}
