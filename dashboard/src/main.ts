/**
 * The dashboard page: wires the counts, the finder, the graph, the resource panel and the live
 * feed. It reads `/stats`, starts the feed from the revision of that read (so the counts stay
 * exact), and shows the view the URL's fragment names. A change the feed brings that touches what
 * is drawn (a resource drawn, a relationship with an end drawn, the resource opened) redraws the
 * graph and the panel from the server, at most every 150 ms: the page always shows the store's
 * own answers, never a guess.
 */
import { ApiError, getJson, query, setTokenPrompt } from './api.js';
import { logChange } from './changes-log.js';
import { CountsPanel, type Stats } from './counts-panel.js';
import { Finder } from './finder.js';
import { GraphView, NODE_LIMIT } from './graph-view.js';
import { runLiveFeed, type FeedState } from './live-feed.js';
import { refKey, refLabel, shortPredicate, type Graph, type Ref, type StoreEvent } from './refs.js';
import { ResourcePanel } from './resource-panel.js';
import { askForToken } from './token-dialog.js';
import { DEFAULT_DEPTH, DEFAULT_DIRECTION, parseViewHash, viewHash, type Direction, type ViewState } from './view-state.js';

const REDRAW_DELAY_MS = 150;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const finder = new Finder(openRef);
const counts = new CountsPanel((types, namespaces) => finder.setChoices(types, namespaces));
const graph = new GraphView(byId('graph'), openRef);
const panel = new ResourcePanel(openRef);
const predicatesSeen = new Set<string>();
let view: ViewState | undefined;
let drawing = 0;

function openRef(ref: Ref): void {
  navigate({ ref, direction: view?.direction ?? DEFAULT_DIRECTION, depth: view?.depth ?? DEFAULT_DEPTH, predicates: view?.predicates });
}

/** Shows `state`: a new history entry, or in place of the current one (a control changed). */
function navigate(state: ViewState, replace = false): void {
  const hash = viewHash(state);
  if (replace) {
    history.replaceState(null, '', hash);
    void render();
  } else if (location.hash !== hash) {
    location.hash = hash;
  } else {
    void render();
  }
}

function graphStatus(message: string, state: 'loading' | 'ready' | 'error'): void {
  const status = byId('graph-status');
  status.textContent = message;
  byId('graph-area').dataset.state = state;
}

async function render(): Promise<void> {
  view = parseViewHash(location.hash);
  document.body.dataset.view = view === undefined ? 'start' : 'resource';
  if (view === undefined) return;
  document.title = `${refLabel(view.ref)} · resource-store`;
  byId<HTMLSelectElement>('direction').value = view.direction;
  byId<HTMLSelectElement>('depth').value = String(view.depth);
  renderPredicates();
  await Promise.all([drawGraph(), showPanel()]);
}

async function showPanel(): Promise<void> {
  if (view === undefined) return;
  try {
    await panel.show(view.ref);
  } catch (err) {
    byId('panel-meta').textContent = `could not read it: ${(err as Error).message}`;
  }
}

async function drawGraph(): Promise<void> {
  if (view === undefined) return;
  const state = view;
  const mine = ++drawing;
  graphStatus('reading the graph…', 'loading');
  try {
    const none = state.predicates !== undefined && state.predicates.length === 0;
    const answer = await getJson<Graph>(
      `/graph${query({ from: refKey(state.ref), direction: state.direction, maxDepth: none ? 0 : state.depth, limit: NODE_LIMIT, predicates: state.predicates?.join(',') })}`,
    );
    if (mine !== drawing) return;
    const seen = predicatesSeen.size;
    for (const edge of answer.edges) predicatesSeen.add(edge.predicate.type);
    if (predicatesSeen.size !== seen) renderPredicates();
    const drawn = await graph.draw(state.ref, answer);
    if (mine !== drawing) return;
    byId('graph-area').dataset.revision = String(answer.revision);
    graphStatus(
      `${drawn.nodes} resources and ${drawn.edges} relationships at revision ${answer.revision}, laid out in ${drawn.layoutMs} ms.` +
        (answer.truncated ? ` Only the first ${NODE_LIMIT} resources reached (breadth first) are shown: the rest are left out. Choose a smaller depth or fewer predicates to see them.` : ''),
      'ready',
    );
    byId('graph-area').dataset.truncated = String(answer.truncated);
  } catch (err) {
    if (mine === drawing) graphStatus(`could not read the graph: ${(err as Error).message}`, 'error');
  }
}

function renderPredicates(): void {
  const box = byId('predicates');
  const chosen = view?.predicates;
  box.replaceChildren(
    ...[...predicatesSeen].sort().map((type) => {
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.value = type;
      input.checked = chosen === undefined || chosen.includes(type);
      input.addEventListener('change', onPredicatesChanged);
      label.append(input, ` ${shortPredicate(type)}`);
      return label;
    }),
  );
}

function onPredicatesChanged(): void {
  if (view === undefined) return;
  const inputs = [...byId('predicates').querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
  const checked = inputs.filter((input) => input.checked).map((input) => input.value);
  navigate({ ...view, predicates: checked.length === inputs.length ? undefined : checked }, true);
}

let redraw: ReturnType<typeof setTimeout> | undefined;
let redrawPanel = false;

function onEvent(event: StoreEvent): void {
  counts.apply(event);
  logChange(event);
  if (event.kind === 'relationship' && !predicatesSeen.has(event.relationship.predicate.type)) {
    predicatesSeen.add(event.relationship.predicate.type);
    renderPredicates();
  }
  if (view === undefined) return;
  const keys = event.kind === 'resource' ? [refKey(event.resource.ref)] : [refKey(event.relationship.subject), refKey(event.relationship.object)];
  const opened = refKey(view.ref);
  if (!keys.some((key) => key === opened || graph.has(key))) return;
  redrawPanel ||= keys.includes(opened);
  redraw ??= setTimeout(() => {
    redraw = undefined;
    void drawGraph();
    if (redrawPanel) void showPanel();
    redrawPanel = false;
  }, REDRAW_DELAY_MS);
}

function onFeedState(state: FeedState, detail: string): void {
  const status = byId('feed-status');
  status.dataset.state = state;
  status.textContent = state;
  status.title = detail;
}

async function readStats(): Promise<number> {
  const stats = await getJson<Stats>('/stats');
  counts.reset(stats);
  return stats.revision;
}

function bindControls(): void {
  byId('direction').addEventListener('change', (event) => {
    if (view !== undefined) navigate({ ...view, direction: (event.target as HTMLSelectElement).value as Direction }, true);
  });
  byId('depth').addEventListener('change', (event) => {
    if (view !== undefined) navigate({ ...view, depth: Number((event.target as HTMLSelectElement).value) }, true);
  });
  byId('back').addEventListener('click', () => history.back());
  byId('fit').addEventListener('click', () => graph.fit());
  byId('zoom-in').addEventListener('click', () => graph.zoom(1.25));
  byId('zoom-out').addEventListener('click', () => graph.zoom(0.8));
  window.addEventListener('hashchange', () => void render());
  window.addEventListener('resize', () => graph.fit());
  document.addEventListener('keydown', (event) => {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || event.target instanceof HTMLTextAreaElement;
    if (event.key === '/' && !typing) {
      event.preventDefault();
      byId('find-name').focus();
    }
  });
}

async function start(): Promise<void> {
  setTokenPrompt(askForToken);
  bindControls();
  let revision: number;
  try {
    revision = await readStats();
  } catch (err) {
    byId('feed-status').textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : 'the server cannot be reached';
    return;
  }
  void render();
  void runLiveFeed(revision, { onEvent, onState: onFeedState, resync: async () => {
    const at = await readStats();
    void drawGraph();
    return at;
  } }, new AbortController().signal);
}

void start();
