import { json, type ExampleTab } from './examples.ts';

/**
 * GraphiQL tabs, one per workflow operation (graphiql.ts shows them). They run
 * against the embedded backend's project 1 as they are; the mutations are
 * previews (`dryRun: true`), so trying a tab never changes data.
 */
export const workflowExampleTabs: (ExampleTab & { title: string })[] = [
  {
    title: 'Queue',
    query: `# Pending count, in-progress workload per assignee, and who has capacity.
query AssignmentQueue($filter: AssignmentFilter, $max: Int) {
  assignmentQueue(filter: $filter, maxAssignmentsPerUser: $max) {
    pendingCount
    inProgressCount
    userWorkload {
      assigneeId
      inProgress
    }
    availableAssigneeIds
  }
}
`,
    variables: json({ filter: { project: '1' }, max: 10 }),
  },
  {
    title: 'Quality review (preview)',
    query: `# Tags completed assignments by your scores: >= 0.9 approved, >= 0.7 needs_review, else rejected.
mutation QualityReview($input: ApplyQualityReviewInput!) {
  applyQualityReview(input: $input) {
    results {
      assignment {
        id
        status
      }
      score
      tagName
    }
    skipped {
      assignmentId
      reason
      message
    }
    summary {
      tagName
      count
    }
    dryRun
    writeCalls
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({
      input: {
        filter: { project: '1' },
        scores: [
          { assignmentId: '17', score: 0.95 },
          { assignmentId: '21', score: 0.8 },
          { assignmentId: '25', score: 0.4 },
          { assignmentId: '1', score: 0.99 },
        ],
        dryRun: true,
      },
    }),
  },
  {
    title: 'Analytics',
    query: `# Totals, status breakdown and per-assignee figures over the last 30 days.
query Analytics($filter: AssignmentFilter, $days: Int) {
  assignmentAnalytics(filter: $filter, days: $days) {
    from
    to
    totalAssignments
    statusBreakdown {
      status
      count
    }
    completionRate
    averageHoursToComplete
    assigneePerformance {
      assigneeId
      total
      pending
      inProgress
      completed
      rejected
      completionRate
      averageHoursToComplete
    }
  }
}
`,
    variables: json({ filter: { project: '1' }, days: 30 }),
  },
  {
    title: 'Dashboard',
    query: `# What a review dashboard draws, from one streamed read: a daily and a weekly series in your
# time zone, how long completion takes (median and slow tail), who carries the load, and the queue now.
query Dashboard($filter: AssignmentFilter, $days: Int, $timeZone: String!) {
  assignmentAnalytics(filter: $filter, days: $days) {
    from
    to
    daily: series(bucket: DAY, timeZone: $timeZone) {
      date
      start
      hours
      created
      completed
      rejected
      medianHoursToComplete
    }
    weekly: series(bucket: WEEK, timeZone: $timeZone) {
      date
      created
      completed
      rejected
    }
    hoursToComplete {
      count
      p50
      p90
      p99
      max
      exact
    }
    assigneePerformance {
      assigneeId
      completed
      completedPerDay
      hoursToComplete {
        p50
        p90
      }
    }
    backlog {
      pending
      inProgress
      oldestPendingAgeHours
    }
  }
}
`,
    variables: json({ filter: { project: '1' }, days: 14, timeZone: 'Asia/Seoul' }),
  },
  {
    title: 'Tag by assignee tier (preview)',
    query: `# Groups completed assignments by assignee; 50+ high_performer, 20+ regular_performer, else new_contributor.
mutation AssigneeTiers($input: TagAssignmentsByAssigneeTierInput!) {
  tagAssignmentsByAssigneeTier(input: $input) {
    groups {
      assigneeId
      assignmentCount
      tagName
    }
    summary {
      tagName
      count
    }
    dryRun
    writeCalls
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({ input: { filter: { project: '1' }, dryRun: true } }),
  },
  {
    title: 'Automation rules (preview)',
    query: `# Pending > 24 h: urgent; in progress > 72 h: escalated; completed > 168 h: archived.
mutation Automation($input: RunAssignmentAutomationInput!) {
  runAssignmentAutomation(input: $input) {
    summary {
      rule
      tagName
      matched
      alreadyTagged
      newlyTagged
    }
    actions {
      assignment {
        id
        status
      }
      rule
      tagName
      ageHours
      alreadyTagged
    }
    asOf
    dryRun
    writeCalls
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({ input: { filter: { project: '1' }, dryRun: true } }),
  },
  {
    title: 'Review with a reason (preview)',
    query: `# Rejects with a reason: the rejected tag (approved and needs_review taken off), and one review per assignment holding the comment.
# Without dryRun it writes; send it again with the same idempotencyKey and only the reviews that failed are written.
mutation ReviewWithReason($input: ReviewAssignmentsInput!) {
  reviewAssignments(input: $input) {
    results {
      assignmentId
      status
      verdictTag {
        name
      }
      removedTags {
        name
      }
      review {
        id
        comment
      }
      error {
        code
        message
      }
    }
    tagWrites {
      action
      tag {
        name
      }
      assignmentIds
    }
    failedAssignmentIds
    dryRun
    writeCalls
    userErrors {
      field
      message
      code
    }
  }
}
`,
    variables: json({
      input: {
        assignmentIds: ['17', '21'],
        verdict: 'REJECT',
        comment: 'Boxes are too loose around the small objects; see guideline 3.',
        reviewTagNames: ['blurry'],
        idempotencyKey: 'graphiql-example-1',
        dryRun: true,
      },
    }),
  },
];
