import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { isLoopbackHost, parseBaseUrl } from '../../src/transport/base-url.ts';

const KEY = 'AIza-cleartext-key-value';

describe('credentials over plain http', () => {
  it('are refused for a host that is not loopback, naming the option and never the value', () => {
    const cases: [string, ConstructorParameters<typeof OperationsRestClient>[0]][] = [
      ['apiKey', { baseUrl: 'http://api.example.com', apiKey: KEY }],
      ['token', { baseUrl: 'http://10.0.0.8:8080', token: async () => KEY }],
      [
        'headers "authorization"',
        { baseUrl: 'http://api.example.com', headers: { authorization: `Bearer ${KEY}` } },
      ],
      [
        'callDefaults.metadata "x-goog-api-key"',
        { baseUrl: 'http://api.example.com', callDefaults: { metadata: { 'x-goog-api-key': KEY } } },
      ],
    ];
    for (const [what, options] of cases) {
      assert.throws(
        () => new OperationsRestClient(options),
        (e) =>
          e instanceof TypeError &&
          e.message.startsWith(`${what} would be sent in cleartext`) &&
          !e.message.includes(KEY),
        what,
      );
    }
  });

  it('are refused per call too, before any request', async () => {
    const client = new OperationsRestClient({ baseUrl: 'http://api.example.com' });
    try {
      await assert.rejects(
        client.getOperation('operations/x', { metadata: { authorization: `Bearer ${KEY}` } }),
        (e) =>
          e instanceof TypeError && /metadata "authorization" would be sent in cleartext/.test(e.message),
      );
    } finally {
      client.close();
    }
  });

  it('are allowed over https, and over http to loopback addresses', () => {
    for (const baseUrl of [
      'https://api.example.com',
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:1',
    ]) {
      new OperationsRestClient({ baseUrl, apiKey: KEY }).close();
    }
    assert.equal(isLoopbackHost('127.1.2.3'), true);
    assert.equal(isLoopbackHost('127.example.com'), false);
  });
});

describe('parseBaseUrl', () => {
  it('refuses what is not an http(s) URL, and a URL carrying user:password', () => {
    assert.throws(() => parseBaseUrl('ftp://x'), /baseUrl must be an http\(s\) URL/);
    assert.throws(() => parseBaseUrl(42), /got number/);
    assert.throws(
      () => parseBaseUrl('https://user:hunter22@api.example.com'),
      (e) => e instanceof TypeError && !e.message.includes('hunter22'),
    );
  });
});
