/**
 * The Kubernetes watch over the store (`?watch=1`), without HTTP: the events a watch of one kind
 * streams, as kube-apiserver streams them, for a route to write one line each.
 *
 * Where it starts: with `resourceVersion` absent, "" or "0" (or `sendInitialEvents=true`), a
 * synthetic ADDED for every object that matches now, then every later change; with "N", every
 * change after revision N. The initial state is one consistent list however it is paged: each
 * page is read at its own revision, the changes between the first page's revision and the last's
 * are then replayed, and a change is passed over when the page holding its key was read after it.
 * So, whatever writers do meanwhile, the initial events and the changes that follow them apply to
 * the state at the last page's revision with no gap and no duplicate, and memory holds one page.
 * The pages are in key order so that a key's page can be found: they are read by kind (and
 * namespace) and the selectors applied here, so their cost follows the kind, not the answer.
 *
 * Invariant: `#position` is a revision such that every matching change up to it has been handed
 * over (or is queued), and no later one. It moves as the store watch gives events. To move it over
 * changes that do not match (so BOOKMARKs carry a current revision and a resumed client is not
 * sent to compaction), the module catches up on a watch of every change (every revision is one
 * change, so each moves it exactly), and once that watch is level with the store it watches the
 * kind alone, from a revision equal to the store's: such a watch is live from its first event, so
 * while it waits for one, every matching change up to the store's revision has been handed over.
 *
 * Events: store `add`/`update`/`delete` become ADDED/MODIFIED/DELETED with the manifest at the
 * change's revision (a DELETED carries the last state at the deletion's revision). Label selector
 * transitions come from the store as add/delete; field selector transitions are made here the same
 * way (an update that starts matching is ADDED, one that stops is DELETED with the previous state),
 * as kube-apiserver's cacher does. Relationship changes are never sent.
 *
 * How it ends: `return()` (at once, every timer cleared, the store watch freed; `timeoutSeconds`
 * the same, after what is already queued); a compacted revision (one ERROR carrying the 410 Expired Status, then the end, so the
 * client lists again); a revision ahead of the store (the same 410: the client's history is not
 * this store's); a slow consumer (the store watch ends with OVERFLOW after the last event given,
 * and the stream ends cleanly: the client watches again from the last resourceVersion it saw,
 * which loses nothing); the store closing (cleanly; once past the initial state, after every
 * change committed before it). Any other
 * failure is one ERROR with its Status, then the end.
 */
import { compileFilter, type CompiledFilter } from '../events/event-filter.js';
import type { WatchIterator } from '../events/event-streams.js';
import type { ResourceEvent, StoreEvent, WatchFilter } from '../events/types.js';
import { matchesSelector, parseLabelSelector, type LabelSelector } from '../indices/label-selector.js';
import { StoreError, invalidArgument } from '../storage/errors.js';
import type { ResourceStore } from '../store/resource-store.js';
import { resourceKey } from '../model/resource-keys.js';
import type { JsonObject, Resource, ResourceRef } from '../model/types.js';
import { parseFieldSelector, type FieldSelector } from './field-selector.js';
import { bookmarkObject, toManifest } from './manifest.js';
import { ManifestTexts } from './manifest-texts.js';
import { expired, failure, statusOf } from './status.js';

/** What a watch asks for: the query parameters of a Kubernetes watch request, parsed. */
export interface KubeWatchOptions {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** One namespace; absent for all namespaces (and for cluster-scoped kinds). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Parsed with `parseFieldSelector(text, group, kind)`. */
  readonly fieldSelector?: string;
  /** Absent, "" or "0": start with the current state; "N": the changes after revision N. */
  readonly resourceVersion?: string;
  /** "NotOlderThan", required with `sendInitialEvents` and refused without it, as apimachinery's validation does. */
  readonly resourceVersionMatch?: string;
  /** true: the current state first (whatever `resourceVersion`); false: none (whatever `resourceVersion`). */
  readonly sendInitialEvents?: boolean;
  /** Send BOOKMARKs: every `bookmarkIntervalMs`, and (with `sendInitialEvents`) one ending the initial events. */
  readonly allowWatchBookmarks?: boolean;
  /** The stream ends after this many seconds; absent or 0 for never. */
  readonly timeoutSeconds?: number;
  /** Milliseconds between BOOKMARKs. Default 60,000. */
  readonly bookmarkIntervalMs?: number;
}

/**
 * One watch event: a manifest, a BOOKMARK's object, or (for ERROR) a Status; with `json`, the
 * object's JSON text, where the watch had no field to test in it (the object is then made only
 * if read).
 */
export type KubeWatchEvent = {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: object;
  readonly json?: string;
};

/** A manifest's event by its text (from the manifest texts every watcher shares); the manifest object only if asked for. */
class ManifestEvent implements KubeWatchEvent {
  readonly #resource: Resource;
  readonly #revision: number;
  #object: JsonObject | undefined;

  constructor(
    readonly type: 'ADDED' | 'MODIFIED' | 'DELETED',
    resource: Resource,
    revision: number,
    readonly json: string,
  ) {
    this.#resource = resource;
    this.#revision = revision;
  }

  get object(): JsonObject {
    return (this.#object ??= toManifest(this.#resource, this.#revision));
  }
}

/** The default time between BOOKMARKs. */
export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
/** Objects read per page of the initial state, as client-go pages a list. */
const PAGE_SIZE = 500;
/** The longest delay Node's timers take. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/** Where the stream starts. */
type Start = { readonly list: true; readonly notOlderThan: number } | { readonly list: false; readonly after: number | undefined };

/** The options, checked and parsed. */
interface Plan {
  readonly type: { readonly group: string; readonly version: string; readonly kind: string };
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly labels: LabelSelector;
  readonly fields: FieldSelector;
  /** The kind's filter applied to a watch of every change. */
  readonly filter: CompiledFilter;
  readonly start: Start;
  readonly initialEventsEnd: boolean;
  readonly bookmarkIntervalMs: number | undefined;
  readonly timeoutMs: number | undefined;
}

const byteOrder = (key: string): Buffer => Buffer.from(key, 'utf8');

/**
 * The revision each page of the initial state was read at, by key range (pages in key order, as
 * the engine orders keys: UTF-8 bytes). A change to a key at or below its page's revision is in
 * the page already.
 */
class PageRevisions {
  /** The last key of each page but the last (consecutive pages read at one revision merged). */
  readonly #ends: Buffer[] = [];
  /** The revision of each page; one more than `#ends` once the last page is in. */
  readonly #revisions: number[] = [];

  /** A page that ends with `lastKey` (undefined for the last page), read at `revision`. */
  add(lastKey: string | undefined, revision: number): void {
    if (this.#revisions.at(-1) === revision) {
      this.#revisions.pop();
      if (this.#ends.length === this.#revisions.length + 1) this.#ends.pop();
    }
    this.#revisions.push(revision);
    if (lastKey !== undefined) this.#ends.push(byteOrder(lastKey));
  }

  /** Whether the page holding `ref` was read at or after `revision`. */
  covers(ref: ResourceRef, revision: number): boolean {
    const key = byteOrder(resourceKey(ref));
    let low = 0;
    let high = this.#ends.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (Buffer.compare(key, this.#ends[mid]!) <= 0) high = mid;
      else low = mid + 1;
    }
    return revision <= this.#revisions[low]!;
  }
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw invalidArgument(field, 'must be a string');
  return value;
}

/** A ref field: a string (non-empty unless `emptyAllowed`), never the store's `*` wildcard. */
function refField(value: unknown, field: string, emptyAllowed: boolean): string {
  if (typeof value !== 'string' || (value === '' && !emptyAllowed) || value === '*') throw invalidArgument(field, `must be a ${emptyAllowed ? '' : 'non-empty '}string other than "*"`);
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgument(field, 'must be true or false');
  return value;
}

/** apimachinery's `validateWatchOptions`: `sendInitialEvents` and `resourceVersionMatch=NotOlderThan` go together. */
function checkWatchList(match: string | undefined, sendInitialEvents: boolean | undefined): void {
  const given = match !== undefined && match !== '';
  if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    throw invalidArgument('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
  }
  if (given && sendInitialEvents === undefined) {
    throw invalidArgument('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  if (given && match !== 'NotOlderThan') throw invalidArgument('resourceVersionMatch', `Unsupported value: ${JSON.stringify(match)}: supported values: "NotOlderThan"`);
}

/** Where to start, as kube-apiserver decides (`areInitialEventsRequired`, `getStartWatchResourceVersion`). */
function startOf(resourceVersion: string | undefined, sendInitialEvents: boolean | undefined): Start {
  let after: number | undefined;
  if (resourceVersion !== undefined && resourceVersion !== '' && resourceVersion !== '0') {
    after = /^[0-9]+$/.test(resourceVersion) ? Number(resourceVersion) : Number.NaN;
    if (!Number.isSafeInteger(after)) throw invalidArgument('resourceVersion', `invalid resource version: ${JSON.stringify(resourceVersion)}`);
  }
  const initial = sendInitialEvents ?? after === undefined;
  return initial ? { list: true, notOlderThan: after ?? 0 } : { list: false, after };
}

function delay(value: unknown, field: string, scale: number, zeroIsNone: boolean): number | undefined {
  if (value === undefined || (zeroIsNone && value === 0)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < (zeroIsNone ? 0 : 1)) {
    throw invalidArgument(field, `must be a number from ${zeroIsNone ? 0 : 1}, got ${JSON.stringify(value)}`);
  }
  return Math.min(Math.ceil(value * scale), MAX_DELAY_MS);
}

function plan(options: KubeWatchOptions): Plan {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object');
  const group = refField(options.group ?? '', 'group', true);
  const version = refField(options.version, 'version', false);
  const kind = refField(options.kind, 'kind', false);
  const fields = parseFieldSelector(optionalString(options.fieldSelector, 'fieldSelector') ?? '', group, kind);
  // A field selector naming one namespace narrows the reads to it (it still decides each object).
  const namespace = options.namespace === undefined ? fields.narrowing.namespace : refField(options.namespace, 'namespace', true);
  const labelSelector = optionalString(options.labelSelector, 'labelSelector');
  const sendInitialEvents = optionalBoolean(options.sendInitialEvents, 'sendInitialEvents');
  const bookmarks = optionalBoolean(options.allowWatchBookmarks, 'allowWatchBookmarks') === true;
  checkWatchList(optionalString(options.resourceVersionMatch, 'resourceVersionMatch'), sendInitialEvents);
  const type = { group, version, kind };
  const filter = compileFilter({ type, ...(namespace === undefined ? {} : { namespace }), ...(labelSelector === undefined ? {} : { labelSelector }) }, String);
  return {
    type,
    namespace,
    labelSelector,
    labels: parseLabelSelector(labelSelector ?? ''),
    fields,
    filter,
    start: startOf(optionalString(options.resourceVersion, 'resourceVersion'), sendInitialEvents),
    initialEventsEnd: sendInitialEvents === true && bookmarks,
    bookmarkIntervalMs: bookmarks ? (delay(options.bookmarkIntervalMs, 'bookmarkIntervalMs', 1, false) ?? DEFAULT_BOOKMARK_INTERVAL_MS) : undefined,
    timeoutMs: delay(options.timeoutSeconds, 'timeoutSeconds', 1000, true),
  };
}

/** The 410 for a revision the store has not reached: the client lists again, as for a compacted one. */
function tooLarge(requested: number, current: number): object {
  return failure('Expired', `too large resource version: ${requested}, current: ${current}`);
}

/** The initial state being read: where the next page starts, and what the pages read so far were read at. */
interface Listing {
  readonly continue?: string;
  readonly pages: PageRevisions;
  /** The first page's revision. */
  readonly first?: number;
}

/** The watch (see the module comment): a pull iterator whose every `next()` takes one event. */
class KubeWatch implements AsyncIterableIterator<KubeWatchEvent> {
  readonly #store: ResourceStore;
  readonly #plan: Plan;
  readonly #texts: ManifestTexts;
  readonly #queue: KubeWatchEvent[] = [];
  readonly #waiting: Array<(result: IteratorResult<KubeWatchEvent>) => void> = [];
  readonly #timers: NodeJS.Timeout[] = [];
  /** While the initial state is being read. */
  #listing: Listing | undefined;
  /** While catching up after the initial pages: the last page's revision and the pages' revisions. */
  #catchUp: { readonly until: number; readonly pages: PageRevisions } | undefined;
  #source: WatchIterator | undefined;
  /** Whether `#source` watches every change (catching up) rather than the kind alone. */
  #everyChange = false;
  /** The revision the store watch started from (what a COMPACTED failure refers to). */
  #from = 0;
  /** See the module comment. */
  #position = 0;
  #busy = false;
  /** No more events are made; the queue drains, then `next()` answers done. */
  #ended = false;

  constructor(store: ResourceStore, plan: Plan, texts: ManifestTexts) {
    this.#store = store;
    this.#plan = plan;
    this.#texts = texts;
    const { start } = plan;
    if (start.list) this.#listing = { pages: new PageRevisions() };
    else this.#position = start.after ?? store.revision;
    if (plan.bookmarkIntervalMs !== undefined) this.#timers.push(setInterval(this.#bookmark, plan.bookmarkIntervalMs));
    if (plan.timeoutMs !== undefined) this.#timers.push(setTimeout(() => this.#end(), plan.timeoutMs));
  }

  next(): Promise<IteratorResult<KubeWatchEvent>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#produce();
    });
  }

  /** Ends the watch at once: a waiting `next()` settles with done, timers are cleared, the store watch is freed. */
  return(): Promise<IteratorResult<KubeWatchEvent>> {
    this.#queue.length = 0;
    this.#end();
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<KubeWatchEvent>> {
    void this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Hands queued events to waiting `next()` calls; makes more while some still wait. */
  #deliver(): void {
    while (this.#waiting.length > 0 && this.#queue.length > 0) this.#waiting.shift()!({ done: false, value: this.#queue.shift()! });
    if (this.#waiting.length === 0) return;
    if (this.#ended) for (const resolve of this.#waiting.splice(0)) resolve(DONE);
    else this.#produce();
  }

  #produce(): void {
    if (this.#busy || this.#ended) return;
    this.#busy = true;
    this.#step().then(
      () => this.#stepped(),
      (err: unknown) => {
        this.#fail(err);
        this.#stepped();
      },
    );
  }

  #stepped(): void {
    this.#busy = false;
    this.#deliver();
  }

  /** One step: a page of the initial state, starting the store watch, or one event from it. */
  async #step(): Promise<void> {
    if (this.#listing !== undefined) return this.#readPage(this.#listing);
    if (this.#source === undefined) return this.#watch();
    const result = await this.#source.next();
    if (this.#ended) return;
    if (result.done === true) return this.#end();
    this.#take(result.value);
  }

  async #readPage(listing: Listing): Promise<void> {
    const { type, namespace, labels, fields } = this.#plan;
    if (listing.first === undefined && this.#plan.start.list && this.#plan.start.notOlderThan > this.#store.revision) {
      return this.#failWith(tooLarge(this.#plan.start.notOlderThan, this.#store.revision));
    }
    const page = await this.#store.list({
      type,
      ...(namespace === undefined ? {} : { namespace }),
      limit: PAGE_SIZE,
      ...(listing.continue === undefined ? {} : { continue: listing.continue }),
    });
    if (this.#ended) return;
    for (const item of page.items) {
      if (!matchesSelector(labels, item.labels)) continue;
      if (fields.requirements.length === 0) {
        this.#queue.push(new ManifestEvent('ADDED', item, item.revision, this.#texts.of(item, item.revision)));
        continue;
      }
      const manifest = toManifest(item, item.revision);
      if (fields.matches(manifest)) this.#queue.push({ type: 'ADDED', object: manifest });
    }
    const last = page.items.at(-1);
    const more = page.continue !== undefined && last !== undefined;
    listing.pages.add(more ? resourceKey(last.ref) : undefined, page.revision);
    const first = listing.first ?? page.revision;
    if (more) {
      this.#listing = { continue: page.continue, pages: listing.pages, first };
      return;
    }
    this.#listing = undefined;
    this.#position = first;
    if (page.revision > first) this.#catchUp = { until: page.revision, pages: listing.pages };
    else this.#initialEventsEnd();
  }

  /** Starts the store watch from `#position`: the kind alone when level with the store, else every change. */
  #watch(): void {
    const from = this.#position;
    const now = this.#store.revision;
    if (from > now) return this.#failWith(tooLarge(from, now));
    this.#from = from;
    this.#everyChange = from !== now;
    const { type, namespace, labelSelector } = this.#plan;
    const filter: WatchFilter = this.#everyChange
      ? { relationships: true }
      : { type, ...(namespace === undefined ? {} : { namespace }), ...(labelSelector === undefined ? {} : { labelSelector }) };
    this.#source = this.#store.watch(filter, { fromRevision: from });
  }

  #take(event: StoreEvent): void {
    this.#position = event.revision;
    if (!this.#everyChange) return this.#send(event as ResourceEvent);
    const seen = this.#plan.filter.match(event);
    const catchUp = this.#catchUp;
    if (seen?.kind === 'resource' && catchUp?.pages.covers(seen.resource.ref, seen.revision) !== true) this.#send(seen);
    if (catchUp !== undefined && event.revision >= catchUp.until) {
      this.#catchUp = undefined;
      this.#initialEventsEnd();
    }
    if (this.#catchUp === undefined && event.revision === this.#store.revision) {
      // Level with the store: from here on, a watch of the kind alone is live from its first event.
      const every = this.#source;
      this.#source = undefined;
      void every?.return?.();
      this.#watch();
    }
  }

  /** Queues the watch event a matching store change makes, with the field selector's transitions. */
  #send(event: ResourceEvent): void {
    const { fields } = this.#plan;
    if (fields.requirements.length === 0) {
      const type = event.type === 'add' ? 'ADDED' : event.type === 'delete' ? 'DELETED' : 'MODIFIED';
      this.#queue.push(new ManifestEvent(type, event.resource, event.revision, this.#texts.of(event.resource, event.revision)));
      return;
    }
    const manifest = toManifest(event.resource, event.revision);
    const now = fields.matches(manifest);
    if (event.type !== 'update') {
      if (now) this.#queue.push({ type: event.type === 'add' ? 'ADDED' : 'DELETED', object: manifest });
      return;
    }
    const previous: JsonObject | undefined = event.previous === undefined ? undefined : toManifest(event.previous, event.revision);
    const before = previous !== undefined && fields.matches(previous);
    if (now) this.#queue.push({ type: before ? 'MODIFIED' : 'ADDED', object: manifest });
    else if (before) this.#queue.push({ type: 'DELETED', object: previous });
  }

  #initialEventsEnd(): void {
    const { type } = this.#plan;
    if (this.#plan.initialEventsEnd) this.#queue.push({ type: 'BOOKMARK', object: bookmarkObject(type.group, type.version, type.kind, this.#position, true) });
  }

  /** The periodic BOOKMARK, at the latest revision the stream has handed everything up to (none while the initial events run). */
  readonly #bookmark = (): void => {
    if (this.#ended || this.#listing !== undefined || this.#catchUp !== undefined || this.#queue.length > 0) return;
    // Waiting on a live watch of the kind: every matching change up to the store's revision is handed over.
    if (this.#busy && this.#source !== undefined && !this.#everyChange) this.#position = Math.max(this.#position, this.#store.revision);
    const { type } = this.#plan;
    this.#queue.push({ type: 'BOOKMARK', object: bookmarkObject(type.group, type.version, type.kind, this.#position) });
    this.#deliver();
  };

  /** Ends the stream as its failure asks (see the module comment). */
  #fail(err: unknown): void {
    if (this.#ended) return;
    const error = err instanceof StoreError ? err : new StoreError('INTERNAL', `the watch failed: ${(err as Error)?.message}`, { cause: err });
    if (error.code === 'OVERFLOW' || error.code === 'CLOSED') return this.#end();
    this.#failWith(error.code === 'COMPACTED' ? expired(this.#from, error.details.revision ?? this.#from) : statusOf(error));
  }

  #failWith(status: object): void {
    this.#queue.push({ type: 'ERROR', object: status });
    this.#end();
  }

  /** Makes no more events: clears the timers and frees the store watch; what is queued is still given. */
  #end(): void {
    if (!this.#ended) {
      this.#ended = true;
      for (const timer of this.#timers.splice(0)) clearTimeout(timer);
      const source = this.#source;
      this.#source = undefined;
      this.#listing = undefined;
      void source?.return?.();
    }
    this.#deliver();
  }
}

/**
 * A Kubernetes watch of one kind (see the module comment): an async iterator of watch events, for
 * a route to write as `watchLine(event.type, event.object, event.json)`. `texts` holds the
 * manifest texts the watch shares with other watches and reads (by default, none are kept).
 *
 * @throws StoreError INVALID_ARGUMENT at once for bad options (a malformed selector or
 *   resourceVersion, a field the kind does not select on, `sendInitialEvents` without
 *   `resourceVersionMatch=NotOlderThan` or the reverse, a bad timeout or interval).
 * @example
 * const watch = kubeWatch(store, { group: '', version: 'v1', kind: 'Pod', namespace: 'web', resourceVersion: '42' });
 * for await (const event of watch) response.write(watchLine(event.type, event.object, event.json));
 */
export function kubeWatch(store: ResourceStore, options: KubeWatchOptions, texts = new ManifestTexts(0)): AsyncIterableIterator<KubeWatchEvent> {
  return new KubeWatch(store, plan(options), texts);
}
