/** Largest id the backend's integer primary keys hold (a signed 32-bit AutoField). */
const MAX_ID = 2 ** 31 - 1;

/** A Synapse id from text or a number, or null when it is not a positive integer id. */
export function toSynapseId(value: string | number): number | null {
  const text = String(value).trim();
  if (!/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_ID ? id : null;
}
