import type { SetAssignmentTagsPayload } from '../__generated__/resolvers-types.ts';
import type { WireAssignment, WireFile, WireTag } from '../contract/index.ts';
import type { AnalyticsResult, BacklogModel } from '../workflows/analytics.ts';

/** A tag with the project it was listed under (the wire tag does not say). */
export interface TagModel extends WireTag {
  projectId: number;
}

/** One entry of an assignment's `files` object. */
export interface AssignmentFileModel {
  key: string;
  file: WireFile;
}

/** One row of a connection page, with its absolute offset in the whole list. */
export interface AssignmentEdgeModel {
  offset: number;
  node: WireAssignment;
}

/** A page of the assignments connection as resolved from upstream. */
export interface AssignmentConnectionModel {
  edges: AssignmentEdgeModel[];
  /** Offset of the window asked for (also when it came back empty). */
  start: number;
  totalCount: number;
}

/** `setAssignmentTags`' payload as its resolver returns it: assignments by id, read back when selected. */
export type SetAssignmentTagsPayloadModel = Omit<SetAssignmentTagsPayload, 'assignments' | 'tags'> & {
  assignmentIds: number[];
  tags: TagModel[];
};
/**
 * A report as resolved: its window, known before any read; the figures of the streamed pass
 * and the backlog (when asked for) as promises, awaited by the fields that show them. So an
 * operation that defers those fields gets the window and the backlog first.
 */
export interface AssignmentAnalyticsModel extends Pick<AnalyticsResult, 'from' | 'to'> {
  pass: Promise<AnalyticsResult>;
  backlog: Promise<BacklogModel> | null;
}
