import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** `PRAGMA user_version`: 0 for a new database, else the schema version that wrote it. */
export function userVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * A statement that, like better-sqlite3's before it, ignores named parameters its SQL does
 * not use: callers pass one parameter object to several statements of a transaction.
 */
export function prepareStatement(db: DatabaseSync, sql: string): StatementSync {
  const statement = db.prepare(sql);
  statement.setAllowUnknownNamedParameters(true);
  return statement;
}

/** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
