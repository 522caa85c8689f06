/**
 * Calls to the store's API from the page, with the bearer token when the server wants one. The
 * token is asked for once (the first 401), kept in sessionStorage (gone when the tab closes) and
 * sent as `Authorization: Bearer`, never in a URL. A 401 with a token kept means it is wrong: it is
 * forgotten and asked for again. Errors carry the server's `{ code, message }`.
 */

const TOKEN_KEY = 'resource-store.token';

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Asks the person for the token; resolves with it. Set by the page (a dialog). */
export type TokenPrompt = (wrong: boolean) => Promise<string>;

let prompt: TokenPrompt | undefined;
let asking: Promise<string> | undefined;

/** Sets how the token is asked for. */
export function setTokenPrompt(ask: TokenPrompt): void {
  prompt = ask;
}

/** The headers that carry the token, when one is kept. */
export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** After a 401: asks for the token (once, however many calls wait for it) and keeps it. */
export async function askToken(): Promise<void> {
  if (prompt === undefined) throw new ApiError(401, 'UNAUTHENTICATED', 'this server needs a token');
  const wrong = sessionStorage.getItem(TOKEN_KEY) !== null;
  sessionStorage.removeItem(TOKEN_KEY);
  asking ??= prompt(wrong).finally(() => (asking = undefined));
  sessionStorage.setItem(TOKEN_KEY, await asking);
}

/** GETs `path` (with its query) as JSON; asks for the token on a 401 and tries again. */
export async function getJson<T>(path: string): Promise<T> {
  for (;;) {
    const response = await fetch(path, { headers: { accept: 'application/json', ...authHeaders() } });
    if (response.status === 401) {
      await askToken();
      continue;
    }
    const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
    if (!response.ok) throw new ApiError(response.status, body.code ?? 'INTERNAL', body.message ?? `${path}: HTTP ${response.status}`);
    return body as T;
  }
}

/** A query string of the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}
