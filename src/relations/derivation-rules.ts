/**
 * Derivation rules: functions from a resource's content to the relationships that content names,
 * which the store keeps true in the write path (derivation.ts). A rule has a name (stored on
 * every relationship it derives, as `derived`), a predicate type of its own (no two rules share
 * one, so a derived triple has one rule and one producing end), the kinds it reads, and its
 * direction: `out` when the resource is the subject of what it derives (Pod → Node), `in` when it
 * is the object (owner → owned). `derive` runs synchronously inside the write; what it throws, or
 * returns malformed, fails the write with INVALID_ARGUMENT naming the rule, and nothing is written.
 * `ServiceSelects` is the one built-in rule whose edges depend on the content of both ends; it is
 * not a `derive` function but the selector index (src/indices/selector-index.ts) and its
 * derivation (selector-derivation.ts). The rule set of a store is the built-ins it keeps plus the
 * rules registered on it.
 */
import { invalidArgument, StoreError } from '../storage/errors.js';
import { formatRef } from '../model/refs.js';
import type { RefInput, ResourceData, ResourceRef } from '../model/types.js';
import { normalizeRef } from '../model/validate.js';
import type { PackedPredicate, PredicateRegistry } from './predicates.js';

/** What a rule reads: a resource's new content (data parsed JSON, or a protobuf Any), deeply frozen. */
export interface DerivationSource {
  readonly ref: ResourceRef;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly data: ResourceData;
}

/** One relationship a rule derives: the other end (it need not be stored), and the predicate's fields. */
export interface DerivedEdge {
  readonly ref: RefInput;
  readonly value?: Readonly<Record<string, unknown>>;
}

/**
 * A rule of your own.
 *
 * @example
 * store.registerRule({
 *   name: 'UsesDatabase', predicate: 'example.v1.UsesDatabase', direction: 'out',
 *   kinds: [{ group: 'apps', kind: 'Deployment' }],
 *   derive: (r) => { const db = r.annotations['example.com/database']; return db ? [{ ref: { group: 'example.com', version: 'v1', kind: 'Database', namespace: r.ref.namespace, name: db } }] : []; },
 * });
 */
export interface DerivationRule {
  /** Its name, stored on each relationship it derives (letters, digits, `.`, `_`, `-`; unique in the store). */
  readonly name: string;
  /** The predicate type of what it derives (registered; full or short name); no other rule may use it. */
  readonly predicate: string;
  /** `out`: the resource is the subject of each relationship; `in`: the object. */
  readonly direction: 'out' | 'in';
  /** The kinds it reads, by group and kind (any version); every kind when absent. */
  readonly kinds?: ReadonlyArray<{ readonly group?: string; readonly kind: string }>;
  /** The relationships a resource's content names; each other end at most once. */
  derive(resource: DerivationSource): readonly DerivedEdge[];
}

/** A relationship a rule derived for one resource, ready to write. */
export interface PlannedEdge {
  readonly subject: ResourceRef;
  readonly predicate: PackedPredicate;
  readonly object: ResourceRef;
}

/** A rule as a store runs it: its predicate resolved to the full name; `rule` is absent for ServiceSelects. */
export interface ActiveRule {
  readonly name: string;
  readonly predicate: string;
  readonly direction: 'out' | 'in';
  readonly rule?: DerivationRule;
}

/** A rule with a `derive` function. */
export type ContentRule = ActiveRule & { readonly rule: DerivationRule };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const ANY_KIND = '\u0000every kind';

/** The name of the built-in rule that derives Service → Pod from selectors and labels. */
export const SERVICE_SELECTS_RULE = 'ServiceSelects';

/** The rules a store runs. */
export class RuleSet {
  readonly #predicates: PredicateRegistry;
  readonly #byName = new Map<string, ActiveRule>();
  readonly #byPredicate = new Map<string, string>();
  readonly #byKind = new Map<string, ContentRule[]>();
  readonly #selects: boolean;

  /** `builtins` are registered unless named in `disabled` (which must name built-ins or `ServiceSelects`). */
  constructor(predicates: PredicateRegistry, builtins: readonly DerivationRule[], disabled: readonly string[], selectsPredicate: string) {
    this.#predicates = predicates;
    const known = new Set([...builtins.map((rule) => rule.name), SERVICE_SELECTS_RULE]);
    disabled.forEach((name, i) => {
      if (!known.has(name)) throw invalidArgument(`options.derivation.disable[${i}]`, `${JSON.stringify(name)} is not a built-in rule (${[...known].join(', ')})`);
    });
    this.#selects = !disabled.includes(SERVICE_SELECTS_RULE);
    if (this.#selects) {
      this.#byName.set(SERVICE_SELECTS_RULE, { name: SERVICE_SELECTS_RULE, predicate: selectsPredicate, direction: 'out' });
      this.#byPredicate.set(selectsPredicate, SERVICE_SELECTS_RULE);
    }
    for (const rule of builtins) if (!disabled.includes(rule.name)) this.register(rule, 'rule');
  }

  /** The predicate types the rules pack their relationships with. */
  get predicates(): PredicateRegistry {
    return this.#predicates;
  }

  /** Whether ServiceSelects runs. */
  get selects(): boolean {
    return this.#selects;
  }

  /** Adds a rule; INVALID_ARGUMENT when it is malformed or its name or predicate is taken. */
  register(rule: DerivationRule, field: string): void {
    if (typeof rule !== 'object' || rule === null) throw invalidArgument(field, 'must be { name, predicate, direction, kinds?, derive }');
    if (typeof rule.name !== 'string' || !NAME.test(rule.name)) throw invalidArgument(`${field}.name`, 'must be 1 to 63 letters, digits, ".", "_" or "-"');
    if (this.#byName.has(rule.name)) throw invalidArgument(`${field}.name`, `a rule named ${rule.name} is already registered`);
    const predicate = this.#predicates.resolve(rule.predicate, `${field}.predicate`);
    const owner = this.#byPredicate.get(predicate);
    if (owner !== undefined) throw invalidArgument(`${field}.predicate`, `${predicate} is derived by rule ${owner} already: each rule has a predicate type of its own`);
    if (rule.direction !== 'out' && rule.direction !== 'in') throw invalidArgument(`${field}.direction`, 'must be out or in');
    if (typeof rule.derive !== 'function') throw invalidArgument(`${field}.derive`, 'must be a function');
    let kinds: string[] = [ANY_KIND];
    if (rule.kinds !== undefined) {
      if (!Array.isArray(rule.kinds)) throw invalidArgument(`${field}.kinds`, 'must be an array of { group?, kind }');
      kinds = rule.kinds.map((k: unknown, i) => {
        const { group = '', kind } = (k ?? {}) as { group?: unknown; kind?: unknown };
        if (typeof group !== 'string' || typeof kind !== 'string' || kind === '') throw invalidArgument(`${field}.kinds[${i}]`, 'must be { group?, kind }');
        return kindKey(group, kind);
      });
    }
    const active: ContentRule = { name: rule.name, predicate, direction: rule.direction, rule };
    this.#byName.set(rule.name, active);
    this.#byPredicate.set(predicate, rule.name);
    for (const kind of new Set(kinds)) this.#byKind.set(kind, [...(this.#byKind.get(kind) ?? []), active]);
  }

  /** The rules that read resources of this group and kind, in the order they were registered. */
  forKind(ref: ResourceRef): ContentRule[] {
    const specific = this.#byKind.get(kindKey(ref.group, ref.kind));
    const any = this.#byKind.get(ANY_KIND);
    if (specific === undefined) return any ?? [];
    if (any === undefined) return specific;
    const order = [...this.#byName.values()];
    return [...any, ...specific].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  }

  /** The rule of this name, if the store runs it. */
  get(name: string): ActiveRule | undefined {
    return this.#byName.get(name);
  }

  /** Every rule the store runs, ServiceSelects included. */
  all(): ActiveRule[] {
    return [...this.#byName.values()];
  }

  /**
   * The relationships `rule` derives from `source`, checked and packed. Throws INVALID_ARGUMENT
   * naming the rule when it throws or returns something malformed.
   */
  plan(active: ContentRule, source: DerivationSource): PlannedEdge[] {
    const field = `rules.${active.name}`;
    const failed = (message: string, cause?: unknown): StoreError =>
      new StoreError('INVALID_ARGUMENT', `${field}: failed on ${formatRef(source.ref)}: ${message}`, { field, ...(cause === undefined ? {} : { cause }) });
    let edges: readonly DerivedEdge[];
    try {
      edges = active.rule.derive(source);
    } catch (cause) {
      throw failed(cause instanceof Error ? cause.message : String(cause), cause);
    }
    if (!Array.isArray(edges)) throw failed('derive() must return an array of { ref, value? }');
    const planned: PlannedEdge[] = [];
    const seen = new Set<string>();
    for (const edge of edges as unknown[]) {
      try {
        const { ref, value } = (edge ?? {}) as DerivedEdge;
        const other = normalizeRef(ref, 'ref');
        const id = JSON.stringify(other);
        if (seen.has(id)) throw invalidArgument('ref', `${formatRef(other)} is derived twice: derive each other end once`);
        seen.add(id);
        const predicate = this.#predicates.pack({ type: active.predicate, value: value ?? {} }, 'value');
        planned.push(active.direction === 'out' ? { subject: source.ref, predicate, object: other } : { subject: other, predicate, object: source.ref });
      } catch (cause) {
        throw failed(cause instanceof Error ? cause.message : String(cause), cause);
      }
    }
    return planned;
  }
}

function kindKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}
