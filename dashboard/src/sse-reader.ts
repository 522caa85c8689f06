/**
 * Server-Sent Events read with fetch, not EventSource: EventSource cannot send headers, and the
 * token must travel as `Authorization`, never in the URL. The parser follows the event-stream
 * format (lines ending in LF, CR or CRLF; `field: value`; a blank line dispatches; `id`, `event`,
 * `data` (joined by LF), `retry`; comments ignored). Each stream resumes from the last id it saw,
 * sent as `Last-Event-ID` on the next connection.
 */

/** One dispatched event. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/** Parses an event stream fed in chunks of text. */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  /** The reconnection delay the server asked for (`retry:`), if any. */
  retry: number | undefined;

  constructor(readonly onMessage: (message: SseMessage) => void) {}

  /** Takes the next chunk; dispatches every event it completes. */
  push(chunk: string): void {
    this.#buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for the next chunk.
      if (match === null || (match[0] === '\r' && match.index === this.#buffer.length - 1)) return;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      this.#line(line);
    }
  }

  #line(line: string): void {
    if (line === '') {
      if (this.#data.length > 0) this.onMessage({ id: this.#id, event: this.#event || 'message', data: this.#data.join('\n') });
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * Reads one connection of an event stream to its end. Resolves when the server ends it; rejects
 * when the connection fails or `signal` aborts. A non-2xx answer rejects with its Response.
 */
export async function readEventStream(url: string, headers: Record<string, string>, parser: SseParser, signal: AbortSignal, onOpen: () => void): Promise<void> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, cache: 'no-store', signal });
  if (!response.ok || response.body === null) throw response;
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.push(value);
  }
}
