/**
 * Manifest texts by resource state: the JSON text `manifestText` makes of a resource at a
 * revision, kept so that the reads, list items and watch events of one state are made once, and
 * every watcher of a kind is sent the one text, as kube-apiserver's watch cache keeps an object
 * serialized once for all its watchers. A state is its resource's key and the revision of its
 * last change (every write of a resource takes a new one), so a held text is never a stale one:
 * a resource written since has another revision, and its text is made again.
 *
 * Bounded by texts and by their length, least recently used out first.
 */
import { LRUCache } from 'lru-cache';
import { resourceKey } from '../model/resource-keys.js';
import type { Resource } from '../model/types.js';
import { manifestText } from './manifest.js';

/** The default bound: 32 Mi characters of text (bytes, for the ASCII that manifests mostly are). */
export const DEFAULT_MANIFEST_TEXT_BYTES = 32 * 1024 * 1024;
const MAX_TEXTS = 200_000;

interface Held {
  /** The revision of the state's last change, and the revision it was made at (a deletion's, for a DELETED event). */
  readonly state: number;
  readonly revision: number;
  readonly text: string;
}

export class ManifestTexts {
  readonly #lru: LRUCache<string, Held> | undefined;

  /** Texts up to `maxBytes` characters in all; 0 keeps none. */
  constructor(maxBytes = DEFAULT_MANIFEST_TEXT_BYTES) {
    if (maxBytes > 0) {
      this.#lru = new LRUCache<string, Held>({ max: MAX_TEXTS, maxSize: maxBytes, sizeCalculation: (held) => Math.max(1, held.text.length) });
    }
  }

  /** `manifestText(resource, revision)`, made once per state and revision. */
  of(resource: Resource, revision: number): string {
    if (this.#lru === undefined) return manifestText(resource, revision);
    const key = resourceKey(resource.ref);
    const held = this.#lru.get(key);
    if (held !== undefined && held.state === resource.revision && held.revision === revision) return held.text;
    const text = manifestText(resource, revision);
    this.#lru.set(key, { state: resource.revision, revision, text });
    return text;
  }
}
