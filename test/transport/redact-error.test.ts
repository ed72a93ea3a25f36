import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { headerSecrets, redactRpcError, secretsOf } from '../../src/transport/redact-error.ts';
import { RpcError } from '../../src/wire/errors.ts';

const TOKEN = 'tok-3f9a1c77e2';
const KEY = 'AIza-key-88d2b1';

describe('secretsOf', () => {
  it('gives every header value, and the credentials after the scheme of an authorization value', () => {
    assert.deepEqual(
      secretsOf([
        ['authorization', `Bearer ${TOKEN}`],
        ['x-goog-api-key', KEY],
        ['Proxy-Authorization', 'Basic dXNlcjpwYXNz'],
      ]),
      [`Bearer ${TOKEN}`, TOKEN, KEY, 'Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    );
  });

  it('reads plain objects and Metadata alike (binary values as base64), and skips what it cannot read', () => {
    const md = new grpc.Metadata();
    md.set('x-goog-api-key', KEY);
    md.set('trace-bin', Buffer.from('binary-secret'));
    assert.deepEqual(headerSecrets([{ authorization: `Bearer ${TOKEN}` }, md]), [
      `Bearer ${TOKEN}`,
      TOKEN,
      KEY,
      Buffer.from('binary-secret').toString('base64').replace(/=+$/, ''),
    ]);
    const unreadable = { getMap: () => ({ k: 42 }), get: () => [42] };
    assert.deepEqual(headerSecrets([unreadable]), []);
  });
});

describe('redactRpcError', () => {
  /** A grpc-js ServiceError as a server that echoes the request's headers makes it. */
  function echoedServiceError(): grpc.ServiceError {
    const metadata = new grpc.Metadata();
    metadata.set('x-echo', `saw ${KEY}`);
    metadata.set('x-echo-bin', Buffer.from(`raw ${TOKEN}`));
    const text = `token ${TOKEN} key ${KEY}`;
    return Object.assign(new Error(`7 PERMISSION_DENIED: ${text}`), {
      code: 7,
      details: text,
      metadata,
    });
  }

  it('replaces each secret in the message, details (strings and bytes) and cause (message, details, stack, trailers)', () => {
    const cause = echoedServiceError();
    const error = new RpcError(
      7,
      cause.details,
      [
        {
          typeName: 'google.rpc.ErrorInfo',
          value: { reason: 'DENIED', metadata: { token: TOKEN, list: [KEY] } },
        },
        { typeName: 'acme.Unknown', value: undefined, bytes: Buffer.from(`x${KEY}y`) },
        { typeName: 'acme.Bytes', value: { blob: Buffer.from(TOKEN) } },
      ],
      'GetOperation',
      cause,
      undefined,
      1500,
    );
    const clean = redactRpcError(error, [TOKEN, KEY]);
    assert.ok(RpcError.is(clean));
    assert.equal(clean.message, 'PERMISSION_DENIED: token [REDACTED] key [REDACTED] (GetOperation)');
    assert.equal(clean.rawMessage, 'token [REDACTED] key [REDACTED]');
    assert.equal(clean.code, 7);
    assert.equal(clean.method, 'GetOperation');
    assert.equal(clean.retryDelayMs, 1500);
    assert.deepEqual(clean.details[0], {
      typeName: 'google.rpc.ErrorInfo',
      value: { reason: 'DENIED', metadata: { token: '[REDACTED]', list: ['[REDACTED]'] } },
    });
    assert.equal(Buffer.from(clean.details[1]?.bytes ?? []).toString(), 'x[REDACTED]y');
    assert.deepEqual(clean.details[2]?.value, { blob: Buffer.from('[REDACTED]') });
    const shown = [
      clean.message,
      clean.stack,
      inspect(clean, { depth: 8, showHidden: true }),
      JSON.stringify(clean),
      JSON.stringify(clean.details),
      inspect(clean.details, { depth: 8 }),
      Buffer.from(clean.details[1]?.bytes ?? []).toString(),
      String(cause.metadata.get('x-echo-bin')[0]),
    ].join('\n');
    for (const secret of [TOKEN, KEY]) assert.equal(shown.includes(secret), false, `${secret} shown`);
    assert.equal(cause.details, 'token [REDACTED] key [REDACTED]');
    assert.deepEqual(cause.metadata.get('x-echo'), ['saw [REDACTED]']);
  });

  it('returns the error itself when nothing is to be redacted, and ignores values shorter than 4 characters', () => {
    const error = new RpcError(5, 'operation abc not found', [], 'GetOperation');
    assert.equal(redactRpcError(error, []), error);
    assert.equal(redactRpcError(error, [TOKEN, 'abc']), error);
  });
});
