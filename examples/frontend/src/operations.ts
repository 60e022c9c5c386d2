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
