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
/** A report as resolved: the streamed figures, and the backlog when the operation asked for it. */
export interface AssignmentAnalyticsModel extends AnalyticsResult {
  backlog: BacklogModel | null;
}
