import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../observability/logger.ts';
import { DocumentSet, NO_DOCUMENTS, type LoadedManifest } from './document-set.ts';
import { ManifestError, parseManifest } from './manifest.ts';

/** Deepest folder nesting read under the manifests' folder; also stops a symlink loop. */
const MAX_DEPTH = 8;
/** Quiet time after the last change before a reload: a deploy writes several files, an editor writes one in steps. */
const DEBOUNCE_MS = 200;

/**
 * Every `*.json` file under `dir` (any depth up to MAX_DEPTH, symlinks followed), as paths
 * relative to it, sorted. Names starting with `.` are skipped: Kubernetes mounts a
 * ConfigMap as `..data/` and timestamped folders beside the files' symlinks.
 */
export function manifestFiles(dir: string, depth = 0, prefix = ''): string[] {
  if (depth > MAX_DEPTH) return [];
  const files: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    if (name.startsWith('.')) continue;
    const relative = prefix === '' ? name : `${prefix}/${name}`;
    const stats = statSync(join(dir, relative));
    if (stats.isDirectory()) files.push(...manifestFiles(dir, depth + 1, relative));
    else if (stats.isFile() && name.endsWith('.json')) files.push(relative);
  }
  return files;
}

/** The client a manifest's path names: `web/1.4.0.json` is `web` version `1.4.0`, `web.json` is `web`. */
export function clientOfPath(file: string): { client: string; version: string | undefined } {
  const parts = file.slice(0, -'.json'.length).split('/');
  return parts.length === 1 ? { client: parts[0]!, version: undefined } : { client: parts[0]!, version: parts.slice(1).join('/') };
}

/** Reads and checks every manifest of the folder; throws a ManifestError for the first malformed one. */
export function readDocumentSet(dir: string): DocumentSet {
  const manifests: LoadedManifest[] = manifestFiles(dir).map((file) => ({
    file,
    ...clientOfPath(file),
    entries: parseManifest(readFileSync(join(dir, file), 'utf8'), file),
  }));
  return new DocumentSet(manifests);
}

/**
 * The trusted documents in force: read from TRUSTED_DOCUMENTS_DIR at start (a malformed
 * manifest throws, so the process does not start), then again on every change in the
 * folder and on `reload()` (SIGHUP). A reload builds a whole new set and swaps it in one
 * assignment, so a request sees either the old set or the new one, never a mix, and none
 * is dropped; a reload that meets a malformed manifest logs its file and line and keeps
 * the last good set.
 */
export class ManifestStore {
  #set: DocumentSet;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #dir: string | undefined;
  readonly #logger: Logger;

  constructor(dir: string | undefined, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
    this.#set = dir === undefined ? NO_DOCUMENTS : readDocumentSet(dir);
    if (dir !== undefined) this.#loaded('start');
  }

  /** The set in force now; hold it for the whole of one request. */
  get current(): DocumentSet {
    return this.#set;
  }

  /** Reads the folder again; false (the last good set kept) when a manifest is malformed or unreadable. */
  reload(reason: string): boolean {
    if (this.#dir === undefined) return true;
    let next: DocumentSet;
    try {
      next = readDocumentSet(this.#dir);
    } catch (error) {
      const where = error instanceof ManifestError ? { file: error.file, line: error.line } : {};
      this.#logger.error(
        { reason, ...where, error: (error as Error).message, kept: { files: this.#set.files, documents: this.#set.documents } },
        'trusted documents: manifests refused, the last good set stays in force',
      );
      return false;
    }
    this.#set = next;
    this.#loaded(reason);
    return true;
  }

  /** Reloads after every change in the folder (recursive), once it has been quiet for DEBOUNCE_MS. */
  watch(): void {
    if (this.#dir === undefined || this.#watcher) return;
    this.#watcher = watch(this.#dir, { recursive: true }, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.reload('change'), DEBOUNCE_MS);
      this.#timer.unref();
    });
    this.#watcher.on('error', (error) => this.#logger.error({ err: error, dir: this.#dir }, 'trusted documents: watching the folder failed; SIGHUP still reloads'));
    // Watching must not keep a stopping process alive.
    this.#watcher.unref();
  }

  /** Stops watching (the process on shutdown, the gateway on dispose). */
  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #loaded(reason: string): void {
    const set = this.#set;
    this.#logger.info({ reason, dir: this.#dir, files: set.files, documents: set.documents, clients: set.clients }, 'trusted documents loaded');
    for (const { id, files } of set.ambiguous) {
      this.#logger.warn({ id, files }, 'trusted documents: one id, different documents: it resolves only for a client that names its own manifest');
    }
  }
}
