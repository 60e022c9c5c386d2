import { graphql } from './__generated__/gql.ts';

/** What a review list shows of one assignment. */
export const AssignmentCard = graphql(`
  fragment AssignmentCard on Assignment {
    id
    status
    priority
    createdAt
    metadata
    files {
      key
      url
    }
    tags {
      id
      name
      color
    }
  }
`);

/** One page of a filtered list, with the Relay cursor fields both clients paginate by. */
export const AssignmentsPage = graphql(`
  query AssignmentsPage($filter: AssignmentFilter, $first: Int, $after: String) {
    assignments(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...AssignmentCard
        }
      }
    }
  }
`);

/** What the review page shows of one assignment: its card and its three latest reviews (who, why, when, the verdict tag). */
export const ReviewCard = graphql(`
  fragment ReviewCard on Assignment {
    ...AssignmentCard
    reviews(first: 3) {
      nodes {
        id
        authorId
        comment
        createdAt
        tags {
          name
        }
      }
    }
  }
`);

/** One page of the review queue: each card with its latest reviews, one v2 call per card. */
export const ReviewQueuePage = graphql(`
  query ReviewQueuePage($filter: AssignmentFilter, $first: Int, $after: String) {
    assignments(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ReviewCard
      }
    }
  }
`);

/** A verdict with its reason; each assignment comes back as it is after the tags and the review were written. */
export const ReviewAssignments = graphql(`
  mutation ReviewAssignments($input: ReviewAssignmentsInput!) {
    reviewAssignments(input: $input) {
      results {
        assignmentId
        status
        error {
          code
          message
        }
        assignment {
          ...ReviewCard
        }
      }
      failedAssignmentIds
      userErrors {
        field
        message
        code
      }
    }
  }
`);

/** Adds tags by name; the payload's assignments are as they are after the write. */
export const TagAssignments = graphql(`
  mutation TagAssignments($input: SetAssignmentTagsInput!) {
    setAssignmentTags(input: $input) {
      assignments {
        ...AssignmentCard
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`);

/**
 * What the dashboard shows: the queue as it stands and the window first (two one-row reads),
 * then, deferred, what one streamed pass over the window finds: the daily series the chart
 * draws (one point per local day, zeros included) and the completion percentiles.
 */
export const Dashboard = graphql(`
  query Dashboard($filter: AssignmentFilter, $days: Int, $asOf: DateTime, $timeZone: String!) {
    assignmentAnalytics(filter: $filter, days: $days, asOf: $asOf) {
      from
      to
      backlog {
        pending
        inProgress
        oldestPendingAgeHours
      }
      ... @defer(label: "pass") {
        hoursToComplete {
          p50
          p90
        }
        daily: series(bucket: DAY, timeZone: $timeZone) {
          date
          created
          completed
          rejected
          medianHoursToComplete
        }
      }
    }
  }
`);
