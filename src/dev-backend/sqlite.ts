import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';

/** `PRAGMA user_version`: 0 for a new database, else the schema version that wrote it. */
export function userVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/**
 * A statement that, like better-sqlite3's before it, ignores named parameters its SQL does
 * not use: callers pass one parameter object to several statements of a transaction.
 */
function prepareStatement(db: DatabaseSync, sql: string): StatementSync {
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

/** Prepared statements of one database, each prepared once, with typed row readers. */
export class Statements {
  private readonly prepared = new Map<string, StatementSync>();
  /** The same, answering each row as an array (see `column`). */
  private readonly arrays = new Map<string, StatementSync>();

  constructor(readonly db: DatabaseSync) {}

  prepare(sql: string): StatementSync {
    let statement = this.prepared.get(sql);
    if (!statement) {
      statement = prepareStatement(this.db, sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }

  /** Every row of a query, typed as its SELECT list says. */
  rows<T>(sql: string, ...params: [Record<string, SQLInputValue>] | SQLInputValue[]): T[] {
    return this.prepare(sql).all(...(params as SQLInputValue[])) as unknown as T[];
  }

  /** The first row of a query, if any. */
  row<T>(sql: string, ...params: [Record<string, SQLInputValue>] | SQLInputValue[]): T | undefined {
    return this.prepare(sql).get(...(params as SQLInputValue[])) as unknown as T | undefined;
  }

  /** The first column of every row (ids, counts): rows as arrays, no object per row. */
  column(sql: string, params: Record<string, SQLInputValue> | SQLInputValue): unknown[] {
    let statement = this.arrays.get(sql);
    if (!statement) {
      statement = prepareStatement(this.db, sql);
      statement.setReturnArrays(true);
      this.arrays.set(sql, statement);
    }
    return (statement.all(params as SQLInputValue) as unknown as unknown[][]).map((row) => row[0]);
  }
}
