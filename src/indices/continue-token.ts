/**
 * Continue tokens for paged lists and queries: opaque to callers, and unforgeable.
 *
 * A token holds where the last page stopped (which scan of the query plan, and the last key read
 * in it) and a fingerprint of the query it belongs to and of the scans that answer it, signed
 * with an HMAC under a secret the store keeps in its key space. A token edited by hand, minted by
 * another store, or passed to a different query or to a query planned with other scans fails
 * with INVALID_ARGUMENT: a position is only ever used in the scan it was read from. Each page
 * reads the latest committed state: an item that did not change between pages is returned
 * exactly once.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { StoreError } from '../storage/errors.js';

/** Where a paged query resumes. */
export interface ContinuePosition {
  /** The index of the scan in the query's plan. */
  readonly scan: number;
  /** The last key the previous page read in that scan; the next page starts after it. */
  readonly after: string;
}

const VERSION = 1;
const MAC_BYTES = 16;
const MAX_TOKEN_LENGTH = 16 * 1024;

function invalid(message: string): StoreError {
  return new StoreError('INVALID_ARGUMENT', `continue: ${message}`, { field: 'continue' });
}

/** A fingerprint of a query in its canonical form with its plan's scans: equal queries give equal fingerprints. */
export function queryFingerprint(canonicalQuery: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonicalQuery)).digest('base64url').slice(0, 22);
}

/** Mints and opens continue tokens under one secret. */
export class ContinueTokens {
  readonly #secret: Uint8Array;

  constructor(secret: Uint8Array) {
    this.#secret = secret;
  }

  #mac(payload: string): Buffer {
    return createHmac('sha256', this.#secret).update(payload).digest().subarray(0, MAC_BYTES);
  }

  /** A token that resumes `fingerprint`'s query at `position`. */
  mint(fingerprint: string, position: ContinuePosition): string {
    const payload = Buffer.from(JSON.stringify({ v: VERSION, q: fingerprint, s: position.scan, k: position.after }))
      .toString('base64url');
    return `${payload}.${this.#mac(payload).toString('base64url')}`;
  }

  /** The position a token resumes at; INVALID_ARGUMENT unless this store minted it for this query. */
  open(token: unknown, fingerprint: string): ContinuePosition {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw invalid('must be a token returned by a previous page');
    }
    const dot = token.indexOf('.');
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    if (dot < 0 || mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.#mac(payload))) {
      throw invalid('is not a token this store issued');
    }
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      v?: unknown;
      q?: unknown;
      s?: unknown;
      k?: unknown;
    };
    if (parsed.v !== VERSION || typeof parsed.s !== 'number' || typeof parsed.k !== 'string') {
      throw invalid('is not a token of this version of the store');
    }
    if (parsed.q !== fingerprint) throw invalid('belongs to a different query');
    return { scan: parsed.s, after: parsed.k };
  }
}
