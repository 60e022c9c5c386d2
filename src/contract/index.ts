/**
 * The Synapse HITL REST contract as types and constants (../shared/synapse-contract.md).
 * Imported by the upstream client and by the embedded backend; imports nothing of ours.
 */
export * from './assignment.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './instant.ts';
export * from './pagination.ts';
export * from './routes.ts';
export * from './tags.ts';
export * from './v2.ts';
