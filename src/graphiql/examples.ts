/** Variables as GraphiQL shows them: indented JSON. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A default GraphiQL tab: a named operation and its variables as JSON text. */
export interface ExampleTab {
  query: string;
  variables?: string;
}

/**
 * One ready-to-run example per query and mutation, with ids that exist in the embedded
 * backend's seed (project 1 holds assignments 1, 5, 9, ...; every project has the same tag names).
 * The first line of each is a comment GraphiQL shows above the operation.
 */
export const exampleTabs: readonly ExampleTab[] = [
  {
    // GraphiQL leaves the variables editor empty for the tab open at first load (graphql/graphiql#3392),
    // so this first tab carries its example values as variable defaults and runs with no variables.
    query: /* GraphQL */ `# A page of assignments. Next page: set the variables to {"after": "<pageInfo.endCursor>"}.
query ListAssignments(
  $filter: AssignmentFilter = { project: 1, status: PENDING }
  $orderBy: AssignmentOrder = { field: CREATED_AT, direction: DESC }
  $first: Int = 3
  $after: String
) {
  assignments(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      status
      assigneeId
      priority
      createdAt
      tags {
        name
        color
      }
    }
  }
}
`,
  },
  {
    query: /* GraphQL */ `# One assignment by id; an unknown or unreadable id gives null and a NOT_FOUND or FORBIDDEN error.
query GetAssignment($id: ID!) {
  assignment(id: $id) {
    id
    projectId
    status
    assigneeId
    priority
    data
    files {
      key
      url
    }
    metadata
    tags {
      id
      name
    }
    createdAt
    updatedAt
    ageHours
  }
}
`,
    variables: json({ id: '1' }),
  },
  {
    query: /* GraphQL */ `# Several assignments in one call, in the order asked; 999999 does not exist, so it is null with an error at its path.
query AssignmentsByIds($ids: [ID!]!) {
  assignmentsByIds(ids: $ids) {
    id
    projectId
    status
    tags {
      name
    }
  }
}
`,
    variables: json({ ids: ['1', '2', '5', '999999'] }),
  },
  {
    query: /* GraphQL */ `# Every tag of a project: the names and ids setAssignmentTags accepts for its assignments.
query ProjectTags($projectId: ID!) {
  tags(projectId: $projectId) {
    id
    name
    color
    description
  }
}
`,
    variables: json({ projectId: '1' }),
  },
  {
    query: /* GraphQL */ `# Adds tags by name; input problems (try the name "needs-review") come back in userErrors and nothing changes.
mutation TagAssignments($input: SetAssignmentTagsInput!) {
  setAssignmentTags(input: $input) {
    assignments {
      id
      tags {
        name
      }
    }
    tags {
      id
      name
      projectId
    }
    writeCalls
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({ input: { assignmentIds: ['1', '5'], tagNames: ['needs_review'], mode: 'ADD' } }),
  },
  {
    query: /* GraphQL */ `# What reviewers said (Synapse v2): the newest reviews with their reasons, and where the assignment stands in review.
query AssignmentReviews($id: ID!) {
  assignment(id: $id) {
    id
    reviewStatus
    reviewerId
    reviews(first: 5) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        authorId
        comment
        createdAt
        tags {
          name
        }
      }
    }
  }
}
`,
    variables: json({ id: '17' }),
  },
  {
    query: /* GraphQL */ `# Creates a project tag (a preview here: remove dryRun to create it); a name the project has is a userError.
mutation CreateTag($input: CreateTagInput!) {
  createTag(input: $input) {
    tag {
      id
      name
    }
    projectTags {
      name
    }
    dryRun
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({ input: { projectId: '1', name: 'second_look', category: 'PROJECT', description: 'Look again before export', dryRun: true } }),
  },
  {
    query: /* GraphQL */ `# Deletes a project tag by name or id, off every assignment and review (a preview here: remove dryRun to delete it).
mutation DeleteTag($input: DeleteTagInput!) {
  deleteTag(input: $input) {
    deletedTag {
      id
      name
    }
    dryRun
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({ input: { projectId: '1', name: 'low_priority', dryRun: true } }),
  },
];
