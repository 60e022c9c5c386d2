import type { ManifestEntry } from './manifest.ts';

/** A document a manifest holds. */
export interface TrustedDocument {
  body: string;
  /** Lowercase hex SHA-256 of the body. */
  sha256: string;
}

/** One manifest file, read and checked, with the client its path names. */
export interface LoadedManifest {
  /** Path relative to the manifests' folder. */
  file: string;
  client: string;
  /** Undefined for `<client>.json` directly in the folder. */
  version: string | undefined;
  entries: ManifestEntry[];
}

/**
 * The documents one lookup may find: every id form of each document (`sha256:<hex>`, bare
 * hex, and the manifest's own id, a SHA-1 or a custom one), and its text. `null` marks an
 * id that two manifests of the scope give different documents (only custom ids can): it
 * resolves in a narrower scope, or not at all.
 */
export interface Scope {
  byId: ReadonlyMap<string, TrustedDocument | null>;
  byText: ReadonlySet<string>;
}

/** An id two manifests give different documents, said once when the set loads. */
export interface AmbiguousId {
  id: string;
  files: string[];
}

/**
 * Every manifest of the folder, indexed once so that a request's lookup is one Map read:
 * a client that names itself (`graphql-client-name`, and `graphql-client-version` for one
 * build) looks in its own manifests only; an unnamed or unknown client in all of them.
 * Immutable: a reload builds a new set and swaps it whole.
 */
export class DocumentSet {
  /** Manifest files read. */
  readonly files: number;
  /** Distinct documents across all manifests. */
  readonly documents: number;
  /** Client names, sorted. */
  readonly clients: readonly string[];
  readonly ambiguous: readonly AmbiguousId[];
  readonly #all: Scope;
  readonly #byClient = new Map<string, Scope>();
  readonly #byVersion = new Map<string, Map<string, Scope>>();

  constructor(manifests: readonly LoadedManifest[]) {
    const ambiguous = new Map<string, Set<string>>();
    const build = (members: readonly LoadedManifest[]) => buildScope(members, ambiguous);
    this.#all = build(manifests);
    const clients = [...new Set(manifests.map((manifest) => manifest.client))].sort();
    for (const client of clients) {
      const own = manifests.filter((manifest) => manifest.client === client);
      this.#byClient.set(client, build(own));
      const versions = new Map<string, Scope>();
      for (const manifest of own) if (manifest.version !== undefined) versions.set(manifest.version, build([manifest]));
      this.#byVersion.set(client, versions);
    }
    this.files = manifests.length;
    this.documents = this.#all.byText.size;
    this.clients = clients;
    this.ambiguous = [...ambiguous].map(([id, files]) => ({ id, files: [...files].sort() }));
  }

  /** Where a request of this client looks: its build's manifest, else its manifests, else all. */
  scope(name: string | null, version: string | null): Scope {
    const client = name === null ? undefined : this.#byClient.get(name);
    if (client === undefined) return this.#all;
    return (version === null ? undefined : this.#byVersion.get(name!)?.get(version)) ?? client;
  }

  /** Whether the manifests name this client. */
  hasClient(name: string): boolean {
    return this.#byClient.has(name);
  }

  /** Whether this client has a manifest of this version. */
  hasVersion(name: string, version: string): boolean {
    return this.#byVersion.get(name)?.has(version) ?? false;
  }
}

/** The empty set: no manifest, every id unknown. */
export const NO_DOCUMENTS = new DocumentSet([]);

function buildScope(manifests: readonly LoadedManifest[], ambiguous: Map<string, Set<string>>): Scope {
  const byId = new Map<string, TrustedDocument | null>();
  const byText = new Set<string>();
  const origin = new Map<string, string>();
  for (const manifest of manifests) {
    for (const entry of manifest.entries) {
      const document: TrustedDocument = { body: entry.body, sha256: entry.sha256 };
      byText.add(entry.body);
      for (const id of new Set([entry.id, `sha256:${entry.sha256}`, entry.sha256])) {
        const known = byId.get(id);
        if (known === undefined) {
          byId.set(id, document);
          origin.set(id, manifest.file);
        } else if (known === null || known.body !== entry.body) {
          byId.set(id, null);
          ambiguous.set(id, (ambiguous.get(id) ?? new Set()).add(origin.get(id)!).add(manifest.file));
        }
      }
    }
  }
  return { byId, byText };
}
