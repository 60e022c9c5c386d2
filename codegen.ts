import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Resolver types generated from schema/*.graphql. Mappers point GraphQL types at the
 * shapes resolvers really pass around (upstream wire rows), so a resolver returning
 * the wrong shape fails `npm run typecheck`.
 */
const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  emitLegacyCommonJSImports: false,
  generates: {
    'src/__generated__/resolvers-types.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        importExtension: '.ts',
        contextType: '../context.ts#GatewayContext',
        mappers: {
          Assignment: '../contract/index.ts#WireAssignment',
          Tag: '../graphql/models.ts#TagModel',
          AssignmentFile: '../graphql/models.ts#AssignmentFileModel',
          AssignmentConnection: '../graphql/models.ts#AssignmentConnectionModel',
          AssignmentEdge: '../graphql/models.ts#AssignmentEdgeModel',
          StatusCount: '../workflows/analytics.ts#StatusCountModel',
          AssigneeTierGroup: '../workflows/assignee-tiers.ts#AssigneeTierGroupModel',
          SetAssignmentTagsPayload: '../graphql/models.ts#SetAssignmentTagsPayloadModel',
          AssignmentAnalytics: '../graphql/models.ts#AssignmentAnalyticsModel',
          AssigneePerformance: '../workflows/analytics.ts#AssigneePerformanceModel',
          AnalyticsSeriesPoint: '../workflows/analytics.ts#SeriesPointModel',
          AnalyticsBacklog: '../workflows/analytics.ts#BacklogModel',
          HoursPercentiles: '../workflows/percentiles.ts#PercentilesModel',
          Review: '../graphql/models.ts#ReviewModel',
          ReviewConnection: '../graphql/models.ts#ReviewConnectionModel',
          ReviewEdge: '../graphql/models.ts#ReviewEdgeModel',
          AssignmentReviewResult: '../graphql/models.ts#AssignmentReviewResultModel',
          ReviewTagWrite: '../graphql/models.ts#ReviewTagWriteModel',
          ReviewAssignmentsPayload: '../graphql/models.ts#ReviewAssignmentsPayloadModel',
          CreateTagPayload: '../graphql/models.ts#CreateTagPayloadModel',
          DeleteTagPayload: '../graphql/models.ts#DeleteTagPayloadModel',
        },
        // GraphQL enum values stay as declared (PENDING); src/graphql/enums.ts maps them onto the
        // REST strings. (Internal enum values would break printing of enum defaults
        // nested in input objects, such as the automation rules.)
        enumsAsTypes: true,
        scalars: {
          ID: { input: 'string', output: 'string | number' },
          DateTime: { input: '../contract/instant.ts#Instant', output: '../graphql/date-time.ts#DateTimeOutput' },
          JSON: { input: 'unknown', output: 'unknown' },
          URL: { input: 'URL', output: 'URL | string' },
          NonNegativeInt: { input: 'number', output: 'number' },
          PositiveInt: { input: 'number', output: 'number' },
        },
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        maybeValue: 'T | null',
        inputMaybeValue: 'T | null | undefined',
      },
    },
  },
};

export default config;
