/**
 * The graph around a resource, drawn with cytoscape.js in a layered (dagre) layout: a node per
 * resource reached (colour by kind; a missing end, a ref no stored resource answers, drawn hollow
 * and dashed and labelled "missing"), an edge per relationship labelled by its predicate, derived
 * edges solid grey and users' own edges dashed blue. Clicking a node opens it; clicking an edge
 * follows it to its other end. A graph too large to read whole opens at a readable zoom around the
 * resource opened; it pans by dragging, zooms by the wheel or the toolbar's buttons. The same nodes and edges are listed as buttons below the drawing,
 * for the keyboard and screen readers. A graph the server cut at the node limit says so.
 */
import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { refKey, refLabel, shortPredicate, type Graph, type Ref } from './refs.js';

cytoscape.use(dagre);

/** The most nodes a graph shows; beyond it the server cuts the walk (breadth first) and the page says so. */
export const NODE_LIMIT = 500;

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#e15759', '#9c755f', '#bab0ac', '#ff9da7'];

function kindColour(kind: string): string {
  let hash = 0;
  for (const char of kind) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      shape: 'round-rectangle',
      'background-color': 'data(colour)',
      'background-opacity': 0.25,
      label: 'data(label)',
      color: '#111',
      'font-size': 11,
      'text-wrap': 'wrap',
      'text-valign': 'center',
      'text-halign': 'center',
      width: 'data(width)',
      height: 'data(height)',
      'border-width': 2,
      'border-color': 'data(colour)',
    },
  },
  { selector: 'node.root', style: { 'border-width': 4, 'border-color': '#111', 'font-weight': 'bold' } },
  { selector: 'node.missing', style: { 'background-opacity': 0, 'border-style': 'dashed', 'border-color': '#555', color: '#555' } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      'line-color': '#888',
      'target-arrow-color': '#888',
      label: 'data(label)',
      'font-size': 9,
      color: '#333',
      'text-rotation': 'autorotate',
      'text-background-color': '#fff',
      'text-background-opacity': 0.85,
      'text-background-padding': '1',
    },
  },
  { selector: 'edge.user', style: { 'line-style': 'dashed', 'line-color': '#1f5fbf', 'target-arrow-color': '#1f5fbf', color: '#1f5fbf' } },
  { selector: ':selected', style: { 'overlay-color': '#1f5fbf', 'overlay-opacity': 0.2 } },
];

/** The box a label needs at the nodes' font size (DejaVu Sans 11 px), so the layout keeps labels apart. */
const CHAR_WIDTH = 6.6;
const LINE_HEIGHT = 14;

/** The smallest zoom at which labels can be read: a larger graph opens at it, centred on its root. */
const READABLE_ZOOM = 0.6;

/** Above this many nodes, ranks come from the longest path (fast) rather than network simplex (tidier, slower). */
const FAST_RANKING_ABOVE = 150;

/** What a drawing took and showed. */
export interface Drawn {
  readonly nodes: number;
  readonly edges: number;
  readonly layoutMs: number;
}

/** The graph canvas and its accessible lists. */
export class GraphView {
  readonly #cy: Core;
  readonly #open: (ref: Ref) => void;
  #root: string | undefined;

  constructor(container: HTMLElement, open: (ref: Ref) => void) {
    this.#open = open;
    this.#cy = cytoscape({ container, style: STYLE, minZoom: 0.05, maxZoom: 3, boxSelectionEnabled: false });
    this.#cy.on('tap', 'node', (event) => open(event.target.data('ref') as Ref));
    this.#cy.on('tap', 'edge', (event) => {
      const edge = event.target;
      const target = edge.data('target') === this.#root ? edge.data('subject') : edge.data('object');
      open(target as Ref);
    });
  }

  /** True when the resource of this key is drawn now. */
  has(key: string): boolean {
    return this.#cy.getElementById(key).nonempty();
  }

  /** Draws `graph` around `root`; resolves when laid out. */
  draw(root: Ref, graph: Graph): Promise<Drawn> {
    this.#root = refKey(root);
    const elements: ElementDefinition[] = [];
    for (const node of graph.nodes) {
      const key = refKey(node.ref);
      const missing = node.resource === undefined;
      const name = node.ref.namespace === '' ? node.ref.name : `${node.ref.namespace}/${node.ref.name}`;
      const lines = [node.ref.kind, name, ...(missing ? ['(missing)'] : [])];
      elements.push({
        group: 'nodes',
        data: {
          id: key,
          ref: node.ref,
          colour: kindColour(node.ref.kind),
          label: lines.join('\n'),
          width: Math.max(...lines.map((line) => line.length)) * CHAR_WIDTH + 16,
          height: lines.length * LINE_HEIGHT + 10,
        },
        classes: [key === this.#root ? 'root' : '', missing ? 'missing' : ''].join(' ').trim(),
      });
    }
    for (const edge of graph.edges) {
      const source = refKey(edge.subject);
      const target = refKey(edge.object);
      elements.push({
        group: 'edges',
        data: { id: `${source}|${edge.predicate.type}|${target}`, source, target, subject: edge.subject, object: edge.object, label: shortPredicate(edge.predicate.type) },
        classes: edge.derived === undefined ? 'user' : 'derived',
      });
    }
    const cy = this.#cy;
    cy.resize(); // the box may have been hidden or resized since the last drawing
    cy.batch(() => {
      cy.elements().remove();
      cy.add(elements);
    });
    this.#list(graph);
    const started = performance.now();
    return new Promise((resolve) => {
      const layout = cy.layout({ name: 'dagre', rankDir: 'TB', ranker: graph.nodes.length > FAST_RANKING_ABOVE ? 'longest-path' : 'network-simplex', nodeSep: 12, rankSep: 45, edgeSep: 8, fit: true, padding: 24, animate: false } as cytoscape.LayoutOptions);
      layout.one('layoutstop', () => {
        const root = cy.getElementById(this.#root!);
        root.select();
        // A graph too large to read whole opens around its root; "Fit all" shows the whole.
        if (cy.zoom() < READABLE_ZOOM) {
          cy.zoom(READABLE_ZOOM);
          cy.center(root);
        }
        resolve({ nodes: graph.nodes.length, edges: graph.edges.length, layoutMs: Math.round(performance.now() - started) });
      });
      layout.run();
    });
  }

  /** Fits the whole drawing to its box (after the box changed size, or when asked). */
  fit(): void {
    this.#cy.resize();
    this.#cy.fit(undefined, 24);
  }

  /** Zooms in (factor above 1) or out about the centre of the box. */
  zoom(factor: number): void {
    const cy = this.#cy;
    cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  }

  #list(graph: Graph): void {
    const nodes = document.getElementById('graph-nodes')!;
    nodes.replaceChildren(
      ...[...graph.nodes]
        .sort((a, b) => a.depth - b.depth || refLabel(a.ref).localeCompare(refLabel(b.ref)))
        .map((node) => {
          const item = document.createElement('li');
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'link';
          button.dataset.ref = refKey(node.ref);
          button.dataset.kind = node.ref.kind;
          if (node.resource === undefined) button.dataset.missing = 'true';
          button.textContent = `${refLabel(node.ref)}${node.resource === undefined ? ' (missing)' : ''}`;
          button.addEventListener('click', () => this.#open(node.ref));
          item.append(button);
          return item;
        }),
    );
    const edges = document.getElementById('graph-edges')!;
    edges.replaceChildren(
      ...graph.edges.map((edge) => {
        const item = document.createElement('li');
        item.dataset.derived = String(edge.derived !== undefined);
        item.textContent = `${refLabel(edge.subject)} —${shortPredicate(edge.predicate.type)}→ ${refLabel(edge.object)} ${edge.derived === undefined ? '(user)' : '(derived)'}`;
        return item;
      }),
    );
    document.getElementById('graph-edge-count')!.textContent = String(graph.edges.length);
  }
}
