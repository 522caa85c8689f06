/** A minimal Server-Sent Events client for tests: frames as they arrive, over node:http. */
import { get, type IncomingMessage } from 'node:http';

export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

export interface SseStream {
  readonly status: number;
  readonly response: IncomingMessage;
  /** The next frame (comments and `retry:` lines skipped), or undefined when the stream ended. */
  next(): Promise<SseFrame | undefined>;
  /** How the stream ended: `ended` when the server ended it, `cut` when the connection broke first. */
  readonly ending: Promise<'ended' | 'cut'>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      response.setEncoding('utf8');
      let buffer = '';
      let ended = false;
      const frames: SseFrame[] = [];
      let waiting: (() => void) | undefined;
      let settle!: (how: 'ended' | 'cut') => void;
      const ending = new Promise<'ended' | 'cut'>((r) => (settle = r));
      const parse = (): void => {
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: { id?: string; event?: string; data?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = (frame.data === undefined ? '' : `${frame.data}\n`) + line.slice(6);
          }
          if (frame.data !== undefined) frames.push(frame as SseFrame);
        }
      };
      response.on('data', (chunk: string) => {
        buffer += chunk;
        parse();
        waiting?.();
      });
      response.on('end', () => {
        ended = true;
        settle('ended');
        waiting?.();
      });
      response.on('error', () => {
        ended = true;
        settle('cut');
        waiting?.();
      });
      response.on('close', () => {
        ended = true;
        settle('cut'); // after 'end', the first settle stands
        waiting?.();
      });
      resolve({
        status: response.statusCode ?? 0,
        response,
        ending,
        async next() {
          while (frames.length === 0 && !ended) await new Promise<void>((r) => (waiting = r));
          return frames.shift();
        },
        close() {
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
