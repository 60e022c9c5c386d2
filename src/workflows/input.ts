import type { UserError, UserErrorCode } from '../__generated__/resolvers-types.ts';

/** A problem with a mutation's input, reported in `userErrors` (nothing is changed). */
export function userError(code: UserErrorCode, message: string, field: (string | number)[] | null = null): UserError {
  return { code, message, field: field?.map(String) ?? null };
}

/** Longest tag name accepted in mutation input (Synapse tag names are short labels). */
const MAX_TAG_NAME_LENGTH = 100;

/** A trimmed tag name, or a user error at `field` when it is empty or too long. */
export function parseTagName(raw: string, field: (string | number)[]): { name: string } | { error: UserError } {
  const name = raw.trim();
  if (name === '' || name.length > MAX_TAG_NAME_LENGTH) {
    return { error: userError('INVALID', `A tag name must have 1 to ${MAX_TAG_NAME_LENGTH} characters.`, field) };
  }
  return { name };
}

/** A tag name with the input field it came from, so an unknown name is reported at its own field. */
export interface NamedTag {
  name: string;
  field: (string | number)[];
}
