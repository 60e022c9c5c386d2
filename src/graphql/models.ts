import type {
  CreateTagPayload,
  DeleteTagPayload,
  ReviewAssignmentsPayload,
  ReviewWriteError,
  ReviewWriteStatus,
  SetAssignmentTagsPayload,
  TagWriteAction,
} from '../__generated__/resolvers-types.ts';
import type { WireAssignment, WireFile, WireReview, WireTag } from '../contract/index.ts';
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

/**
 * A review as resolved: what a list or a write answered (a lean list item has no author,
 * text or tags: those fields then read the detail), and the project its tag ids are of.
 */
export interface ReviewModel {
  projectId: number;
  row: { id: number } & Partial<WireReview>;
}

/** A review in a connection; its cursor says where the next page starts after it. */
export interface ReviewEdgeModel {
  cursor: string;
  node: ReviewModel;
}

/** A page of an assignment's reviews. */
export interface ReviewConnectionModel {
  edges: ReviewEdgeModel[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

/** One assignment's outcome of `reviewAssignments`. */
export interface AssignmentReviewResultModel {
  assignmentId: number;
  verdictTag: TagModel | null;
  verdictTagWritten: boolean;
  removedTags: TagModel[];
  status: ReviewWriteStatus;
  review: ReviewModel | null;
  error: ReviewWriteError | null;
}

/** A `set_tags` call of a review run, its tag resolved. */
export interface ReviewTagWriteModel {
  action: TagWriteAction;
  tag: TagModel;
  assignmentIds: number[];
}

/** `reviewAssignments`' payload as its resolver returns it. */
export type ReviewAssignmentsPayloadModel = Omit<ReviewAssignmentsPayload, 'results' | 'tagWrites' | 'failedAssignmentIds'> & {
  results: AssignmentReviewResultModel[];
  tagWrites: ReviewTagWriteModel[];
  failedAssignmentIds: number[];
};

/** `createTag`'s payload: the tag is read from the project's list again (with its color) when selected. */
export type CreateTagPayloadModel = Omit<CreateTagPayload, 'tag' | 'projectTags'> & { projectId: number | null; tagId: number | null };

/** `deleteTag`'s payload: the project's list is read again when selected. */
export type DeleteTagPayloadModel = Omit<DeleteTagPayload, 'deletedTag' | 'projectTags'> & { projectId: number | null; deletedTag: TagModel | null };
