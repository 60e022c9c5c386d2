/** Why the workflows refuse an input; the schema's UserErrorCode has values of the same names. */
export type InputProblemCode = 'INVALID' | 'TOO_MANY';

/** A problem with a mutation's input, as a payload's `userErrors` reports it (nothing is changed). */
export interface InputProblem<Code extends string = InputProblemCode> {
  code: Code;
  message: string;
  /** Path to the input field at fault; null when no single field is. */
  field: string[] | null;
}

/** One place that turns a field path into strings; the GraphQL layer calls it with codes of its own (UNKNOWN_TAG...). */
export function userError<Code extends string>(code: Code, message: string, field: (string | number)[] | null = null): InputProblem<Code> {
  return { code, message, field: field?.map(String) ?? null };
}

/** Longest tag name accepted in mutation input (Synapse tag names are short labels). */
const MAX_TAG_NAME_LENGTH = 100;

/** A trimmed tag name, or a user error at `field` when it is empty or too long. */
export function parseTagName(raw: string, field: (string | number)[]): { name: string } | { error: InputProblem } {
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
