import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { characterLimitPlugin } from '@escape.tech/graphql-armor-character-limit';
import { NoSchemaIntrospectionCustomRule, type GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { SecurityConfig } from '../config.ts';
import { useCostLimit } from './cost.ts';
import { documentLimitError, foundIn, type DocumentLimit } from './limit-errors.ts';
import { withExtensions } from '../graphql/errors.ts';
import { isExecutionResult } from '../graphql/results.ts';

/**
 * Plugins that refuse a hostile document while it is parsed or validated: before
 * the context exists, so before any upstream call. Order matters: armor's token
 * limit replaces the parse function, and the character limit wraps whatever parse
 * function it finds, so it must come after armor to run first.
 */
export function documentLimitPlugins(security: SecurityConfig): Plugin[] {
  const expose = security.exposeLimits;
  // Armor always writes its figures for us (exposeLimits: true); documentLimitError decides what the client sees.
  // Validation rules report instead of throwing: a throw would skip the other rules
  // and bypass yoga's validation-error handling (code, HTTP 400).
  const rule = (limit: DocumentLimit, max: number) => ({
    n: max,
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(documentLimitError(limit, { found: foundIn(error.message), max }, expose)),
    ],
  });
  // Parsing has no validation context: these throw our error, as a syntax error is thrown.
  const thrown = (limit: DocumentLimit, max: number) => ({
    exposeLimits: true,
    onReject: [
      (_context: unknown, error: GraphQLError) => {
        throw documentLimitError(limit, { found: foundIn(error.message), max }, expose);
      },
    ],
  });
  return [
    EnvelopArmorPlugin({
      maxDepth: { ...rule('depth', security.maxDepth), flattenFragments: true },
      maxAliases: rule('aliases', security.maxAliases),
      maxDirectives: rule('directives', security.maxDirectives),
      maxTokens: { n: security.maxTokens, ...thrown('tokens', security.maxTokens) },
      // Ours knows variables and list arguments (see cost.ts); armor's suggestion
      // mask misses enum suggestions (see useHideSuggestions).
      costLimit: { enabled: false },
      blockFieldSuggestion: { enabled: false },
    }) as Plugin,
    characterLimitPlugin({ maxLength: security.maxQueryChars, ...thrown('characters', security.maxQueryChars) }) as Plugin,
    useCostLimit({ maxCost: security.maxCost, exposeLimits: expose }),
    ...(security.introspection ? [] : [useDisableIntrospection(), useHideSuggestions()]),
  ];
}

/** Refuses `__schema` and `__type` during validation (`__typename` stays allowed). */
function useDisableIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
    },
  };
}

/** graphql-js' "Did you mean …?" sentences, including "Did you mean the enum value …?". */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * Removes suggestions from every error message (validation, variable coercion):
 * with introspection off they would reveal the schema one guess at a time.
 * Armor's mask matches only `Did you mean "…"?`, not enum-value suggestions.
 */
function useHideSuggestions(): Plugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (Array.isArray(result) || !isExecutionResult(result) || !result.errors) return;
      if (!result.errors.some((error) => error.message.includes('Did you mean'))) return;
      setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
    },
  };
}

function withoutSuggestion(error: GraphQLError): GraphQLError {
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return withExtensions(error, { ...(error.extensions as Record<string, unknown> | undefined) }, message);
}

