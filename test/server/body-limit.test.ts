/** A body over the limit: every client reads the 413, however it sends and reads. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { request, startServer } from '../helpers/server.js';

const BODY = Buffer.from(JSON.stringify({ name: 'big', data: { s: 'x'.repeat(8 << 20) } }));

/**
 * POSTs `BODY` the way simple clients (Python's urllib, many scripts) do: the whole request first,
 * then the answer. Resolves with the status line, or the socket error that stopped it.
 */
function sendThenRead(port: number, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.pause(); // reads nothing until the request is sent
    let answer = '';
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const line = answer.indexOf('\r\n');
      if (line >= 0) {
        resolve(answer.slice(0, line));
        socket.destroy();
      }
    });
    socket.on('end', () => resolve(answer === '' ? 'closed without an answer' : answer));
    const head = `POST /api/v1/namespaces/web/pods HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${chunked ? 'transfer-encoding: chunked' : `content-length: ${BODY.length}`}\r\n\r\n`;
    void (async () => {
      const write = (data: Buffer | string) => new Promise<void>((done, fail) => socket.write(data, (err) => (err ? fail(err) : done())));
      try {
        await write(head);
        for (let at = 0; at < BODY.length; at += 1 << 20) {
          const part = BODY.subarray(at, at + (1 << 20));
          await write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
        }
        if (chunked) await write('0\r\n\r\n');
        socket.resume();
      } catch {
        // the socket's error event resolves
      }
    })();
  });
}

describe('a request body over the limit', () => {
  it('lets every client that sends 8 MiB read the 413, 20 times in a row, with or without a content-length', async () => {
    const server = await startServer();
    try {
      const port = Number(new URL(server.url).port);
      for (const chunked of [false, true]) {
        const answers = [];
        for (let i = 0; i < 20; i++) answers.push(await sendThenRead(port, chunked));
        assert.deepEqual(answers, Array(20).fill('HTTP/1.1 413 Payload Too Large'), chunked ? 'chunked' : 'content-length');
      }
      const fetched = [];
      for (let i = 0; i < 20; i++) fetched.push((await request(`${server.url}/api/v1/namespaces/web/pods`, { method: 'POST', raw: BODY.toString() })).body.reason);
      assert.deepEqual(fetched, Array(20).fill('RequestEntityTooLarge'));
      assert.equal((await request(`${server.url}/batch`, { method: 'POST', raw: BODY.toString() })).body.code, 'TOO_LARGE', 'the store\'s own routes answer in their shape');
      assert.equal((await request(`${server.url}/api/v1/namespaces/web/pods/big`)).status, 404);
    } finally {
      await server.stop();
    }
  });
});
