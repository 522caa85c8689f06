/**
 * Kubernetes label selectors: parsing the string form, matching a label set, and the canonical
 * form that query plans and continue tokens are derived from.
 *
 * Grammar (as `kubectl -l` and apimachinery `labels.Parse` accept it, without `<`/`>`):
 *   selector    := "" | requirement ("," requirement)*
 *   requirement := key | "!" key | key ("=" | "==" | "!=") value | key ("in" | "notin") "(" values ")"
 * `=`/`==` becomes `in` with one value and `!=` becomes `notin` with one value. As in Kubernetes,
 * `notin` and `!=` also match resources that lack the key. Keys and values are validated by the
 * label rules, so a malformed selector fails with INVALID_ARGUMENT naming the position.
 */
import { StoreError, brief } from '../storage/errors.js';
import { labelValueProblem, qualifiedNameProblem } from '../model/label-rules.js';

/** A requirement on a label's value: it is (`in`) or is not (`notin`) one of `values`. */
export interface SetRequirement {
  readonly key: string;
  readonly op: 'in' | 'notin';
  readonly values: readonly string[];
}

/** One requirement of a selector. */
export type Requirement = SetRequirement | { readonly key: string; readonly op: 'exists' | 'notexists' };

/** A parsed selector: every requirement must hold. No requirements selects everything. */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
}

type Token = { kind: 'word' | 'op'; text: string; pos: number };

const OPERATOR_CHARS = new Set(['!', '=', '(', ')', ',']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '=' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '==', pos: i });
      i += 2;
    } else if (c === '!' && input[i + 1] === '=') {
      tokens.push({ kind: 'op', text: '!=', pos: i });
      i += 2;
    } else if (OPERATOR_CHARS.has(c)) {
      tokens.push({ kind: 'op', text: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < input.length && !OPERATOR_CHARS.has(input[i]!) && !/\s/.test(input[i]!)) i++;
      tokens.push({ kind: 'word', text: input.slice(start, i), pos: start });
    }
  }
  return tokens;
}

function fail(message: string, pos: number): never {
  throw new StoreError('INVALID_ARGUMENT', `labelSelector: ${message} at position ${pos}`, { field: 'labelSelector' });
}

class Parser {
  #i = 0;
  readonly #tokens: Token[];
  readonly #end: number;

  constructor(input: string) {
    this.#tokens = tokenize(input);
    this.#end = input.length;
  }

  parse(): LabelSelector {
    const requirements: Requirement[] = [];
    if (this.#tokens.length === 0) return { requirements };
    for (;;) {
      requirements.push(this.#requirement());
      const next = this.#next();
      if (next === undefined) return { requirements };
      if (next.text !== ',' || next.kind !== 'op') fail(`expected ',' but found ${brief(next.text)}`, next.pos);
    }
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#i];
  }

  #next(): Token | undefined {
    return this.#tokens[this.#i++];
  }

  #pos(): number {
    return this.#peek()?.pos ?? this.#end;
  }

  #key(): string {
    const token = this.#next();
    if (token === undefined || token.kind !== 'word') fail('expected a label key', token?.pos ?? this.#end);
    const problem = qualifiedNameProblem(token.text);
    if (problem) fail(`invalid label key ${brief(token.text)}: ${problem}`, token.pos);
    return token.text;
  }

  #value(): string {
    const token = this.#peek();
    if (token === undefined || token.kind === 'op') return ''; // `key=` selects the empty value
    this.#i++;
    const problem = labelValueProblem(token.text);
    if (problem) fail(`invalid label value ${brief(token.text)}: ${problem}`, token.pos);
    return token.text;
  }

  #requirement(): Requirement {
    const first = this.#peek();
    if (first?.kind === 'op' && first.text === '!') {
      this.#i++;
      return { key: this.#key(), op: 'notexists' };
    }
    const key = this.#key();
    const op = this.#peek();
    if (op === undefined || (op.kind === 'op' && op.text === ',')) return { key, op: 'exists' };
    this.#i++;
    if (op.kind === 'op' && (op.text === '=' || op.text === '==')) return { key, op: 'in', values: [this.#value()] };
    if (op.kind === 'op' && op.text === '!=') return { key, op: 'notin', values: [this.#value()] };
    if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      return { key, op: op.text, values: this.#valueSet() };
    }
    return fail(`expected '=', '==', '!=', 'in' or 'notin' after ${brief(key)} but found ${brief(op.text)}`, op.pos);
  }

  #valueSet(): string[] {
    const open = this.#next();
    if (open?.text !== '(' || open.kind !== 'op') fail("expected '('", open?.pos ?? this.#end);
    const values = new Set<string>();
    for (;;) {
      values.add(this.#value());
      const next = this.#next();
      if (next?.kind === 'op' && next.text === ')') return [...values].sort();
      if (next?.kind !== 'op' || next.text !== ',') fail("expected ',' or ')' in value list", next?.pos ?? this.#pos());
    }
  }
}

/**
 * Parses a Kubernetes label selector.
 *
 * @example parseLabelSelector('app=web,tier!=db,env in (a,b),!legacy')
 */
export function parseLabelSelector(input: string): LabelSelector {
  if (typeof input !== 'string') {
    throw new StoreError('INVALID_ARGUMENT', 'labelSelector: must be a string', { field: 'labelSelector' });
  }
  return new Parser(input).parse();
}

/** True when `labels` satisfy every requirement of `selector`. */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const req of selector.requirements) {
    const has = Object.hasOwn(labels, req.key);
    switch (req.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !req.values.includes(labels[req.key]!)) return false;
        break;
      case 'notin':
        if (has && req.values.includes(labels[req.key]!)) return false;
        break;
    }
  }
  return true;
}

function formatRequirement(req: Requirement): string {
  switch (req.op) {
    case 'exists':
      return req.key;
    case 'notexists':
      return `!${req.key}`;
    default:
      return `${req.key} ${req.op} (${req.values.join(',')})`;
  }
}

/**
 * The selector in canonical form: its requirements without repeats, in the order of their printed
 * forms (values are already sorted). Selectors that differ only in how they were written are equal
 * in this form, so whatever is derived from it (a query plan, a printed form) is equal too.
 */
export function canonicalSelector(selector: LabelSelector): LabelSelector {
  const byForm = new Map<string, Requirement>();
  for (const req of selector.requirements) byForm.set(formatRequirement(req), req);
  return { requirements: [...byForm.keys()].sort().map((form) => byForm.get(form)!) };
}

/** The selector in a canonical string form: requirements sorted, values sorted. Equal selectors print equally. */
export function formatSelector(selector: LabelSelector): string {
  return canonicalSelector(selector).requirements.map(formatRequirement).join(',');
}
