/** A tag of one project (`GET projects/{id}/tags/`). */
export interface WireTag {
  id: number;
  name: string;
  color: string;
  description: string;
}

/** Body of `POST assignments/set_tags/` in the seed's form. */
export interface WireSetTagsBody {
  assignment_ids: number[];
  tag_ids: number[];
}

/** Body of `POST assignments/set_tags/` in the newer SDK generation's form. */
export interface WireSetTagsActionBody {
  ids: number[];
  tags: number[];
  action: 'add' | 'remove';
}

/** What a `set_tags` call did: the seed's form says add or replace, the newer one add or remove. */
export type WireSetTagsAction = 'add' | 'replace' | 'remove';

/** The operation result object `set_tags` answers with. */
export interface WireSetTagsResult {
  updated: number;
  assignment_ids: number[];
  tag_ids: number[];
  action: WireSetTagsAction;
  notified: number;
}
