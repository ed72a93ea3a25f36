import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../src/transport/http-body.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { loopbackServer } from './loopback-http.ts';

const MB = 1024 * 1024;

/** A server streaming `totalBytes` of a JSON string body in 64 KB chunks (no content-length); counts what it wrote. */
async function streamingServer(totalBytes: number) {
  const state = { written: 0 };
  const server = await loopbackServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    res.write('{"name":"operations/x","x":"');
    state.written = 0;
    const pump = (): void => {
      while (state.written < totalBytes && !res.destroyed) {
        state.written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('"}');
    };
    res.on('close', () => res.off('drain', pump));
    pump();
  });
  return { ...server, state };
}

function assertTooLarge(e: unknown, limit: number): true {
  assert.ok(RpcError.is(e), String(e));
  assert.equal(e.code, Code.RESOURCE_EXHAUSTED);
  assert.match(e.message, new RegExp(`maxResponseBytes \\(${limit} bytes\\)`));
  return true;
}

describe('maxResponseBytes', () => {
  it('is 16 MB by default', () => {
    assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 16 * MB);
  });

  it('ends a streamed body early with RESOURCE_EXHAUSTED naming the limit, and does not retry it', async () => {
    const server = await streamingServer(64 * MB);
    const client = new OperationsRestClient({ baseUrl: server.url, maxResponseBytes: MB });
    try {
      await assert.rejects(client.getOperation('operations/x'), (e) => assertTooLarge(e, MB));
      assert.equal(server.requests.length, 1, 'not retried');
      assert.ok(server.state.written < 32 * MB, `the server wrote ${server.state.written} bytes of 64 MB`);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('refuses a body whose content-length is over the limit without reading it', async () => {
    const server = await loopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * MB) });
      res.write('{"name":"');
    });
    const client = new OperationsRestClient({ baseUrl: server.url, maxResponseBytes: MB });
    try {
      await assert.rejects(client.getOperation('operations/x'), (e) => assertTooLarge(e, MB));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('applies to error bodies too, and reads a body at the limit', async () => {
    const body = JSON.stringify({ name: 'operations/x', done: false });
    const server = await loopbackServer((req, res) => {
      res.writeHead(req.url?.includes('big') === true ? 500 : 200, { 'content-type': 'application/json' });
      res.end(req.url?.includes('big') === true ? 'x'.repeat(2048) : body);
    });
    const client = new OperationsRestClient({ baseUrl: server.url, maxResponseBytes: body.length });
    try {
      assert.equal((await client.getOperation('operations/x')).name, 'operations/x');
      await assert.rejects(client.getOperation('operations/big'), (e) => assertTooLarge(e, body.length));
    } finally {
      client.close();
      await server.close();
    }
  });

  it('must be a whole number of bytes >= 1', () => {
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      assert.throws(
        () => new OperationsRestClient({ baseUrl: 'http://127.0.0.1:1', maxResponseBytes: bad }),
        (e) => e instanceof RangeError && /maxResponseBytes/.test(e.message),
      );
    }
  });
});
