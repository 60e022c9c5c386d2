import { GraphQLError, type ASTNode } from 'graphql';

/** The document limits, as `extensions.limit` names them. */
export type DocumentLimit = 'cost' | 'depth' | 'aliases' | 'directives' | 'tokens' | 'characters';

const number = (value: number) => value.toLocaleString('en-US');

/**
 * The refusal of a document that breaks a limit: `DOCUMENT_LIMIT_EXCEEDED`, which limit
 * (`extensions.limit`), and a sentence without armor's misleading "Syntax Error:" prefix.
 * With EXPOSE_LIMITS off (production), the structural limits (depth, aliases, directives,
 * tokens, characters) keep their figures to themselves, so probing learns nothing; the
 * code and the limit's name stay, since a client needs them to react. The cost and its
 * limit are shown whatever the setting: they are on every response (`extensions.cost`),
 * as Shopify shows its query costs, since a client cannot stay under a budget it cannot see.
 */
export function documentLimitError(
  limit: DocumentLimit,
  figures: { found?: number | undefined; max: number },
  exposeLimits: boolean,
  nodes?: readonly ASTNode[],
): GraphQLError {
  const show = exposeLimits || limit === 'cost';
  const { found, max } = figures;
  return new GraphQLError(show ? exposedMessage(limit, found, max) : HIDDEN_MESSAGES[limit], {
    ...(nodes ? { nodes } : {}),
    extensions: {
      code: 'DOCUMENT_LIMIT_EXCEEDED',
      retryable: false,
      limit,
      ...(show ? { max, ...(found === undefined ? {} : { found }) } : {}),
    },
  });
}

function exposedMessage(limit: DocumentLimit, found: number | undefined, max: number): string {
  switch (limit) {
    case 'cost':
      return `Query cost ${number(found ?? max + 1)} exceeds the limit of ${number(max)}.`;
    case 'depth':
      return found === undefined ? `Query depth exceeds the limit of ${number(max)}.` : `Query depth ${number(found)} exceeds the limit of ${number(max)}.`;
    case 'aliases':
      return `Query has ${found === undefined ? 'more' : number(found)} aliases; the limit is ${number(max)} (__typename not counted).`;
    case 'directives':
      return `Query has ${found === undefined ? 'more' : number(found)} directives; the limit is ${number(max)}.`;
    case 'tokens':
      return `Query has more than ${number(max)} tokens, the limit.`;
    case 'characters':
      return `Query has ${found === undefined ? 'more' : number(found)} characters; the limit is ${number(max)} (variables not counted).`;
  }
}

const HIDDEN_MESSAGES: Record<DocumentLimit, string> = {
  cost: 'Query cost exceeds the limit.',
  depth: 'Query depth exceeds the limit.',
  aliases: 'Query has too many aliases.',
  directives: 'Query has too many directives.',
  tokens: 'Query has too many tokens.',
  characters: 'Query has too many characters.',
};

/** The count in armor's exposed message (`… exceeded, found 16.`); armor is always told to expose it to us. */
export function foundIn(armorMessage: string): number | undefined {
  const match = /found (\d+)/.exec(armorMessage);
  return match ? Number(match[1]) : undefined;
}
