/**
 * The HTTP/JSON face of the fake server: operations.proto's HTTP bindings (and a `:wait`
 * binding for WaitOperation) served with node:http on a loopback port, answering from the
 * same store through the same call pipeline as gRPC (counting, faults, latency, stop).
 *
 * Routes, for any operation name (its segments percent-decoded one by one):
 *   GET    /v1/{name}           GetOperation; ListOperations when the last segment is
 *                               `operations` (the path names the collection; query `filter`,
 *                               `pageSize`, `pageToken`, `returnPartialSuccess`)
 *   DELETE /v1/{name}           DeleteOperation
 *   POST   /v1/{name}:cancel    CancelOperation
 *   POST   /v1/{name}:wait      WaitOperation, body `{ "timeout": "5s" }`
 * Bodies are proto3 JSON; failures are Google's JSON error format
 * `{ "error": { "code": <http>, "message", "status": "NOT_FOUND", "details": [ … ] } }`.
 * (Over ~250 lines: the five HTTP routes of the fake server and their JSON mapping; each
 * route is a few lines and they share one request pipeline.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { durationFromJson, listResponseToJson, operationToJson, statusToJson } from '../proto/json.js';
import type { Registry } from '../proto/registry.js';
import { Code, codeName } from '../wire/code.js';
import type { ListOperationsPage, RawOperation, RawStatus } from '../wire/types.js';
import type { OperationsMethod } from './faults.js';

/** Most request bodies the gateway reads, in bytes. */
const MAX_BODY_BYTES = 1 << 20;

/** Most entries `requests` keeps (the oldest are dropped). */
export const MAX_LOGGED_REQUESTS = 1000;

/** One request as it arrived: the method and the raw request target (path and query, undecoded). */
export interface HttpRequestRecord {
  /** The HTTP method. */
  readonly method: string;
  /** The path and query requested. */
  readonly url: string;
}

/** Runs one Operations call through the fake server; `reply` is called at most once. Returns a way to abandon it. */
export type Dispatch = (
  method: OperationsMethod,
  request: object,
  reply: grpc.sendUnaryData<object>,
) => { abandon(): void };

/** The HTTP status standing for a gRPC code (the inverse of google.rpc.Code's mapping). */
export function httpStatusFromCode(code: number): number {
  switch (code) {
    case Code.OK:
      return 200;
    case Code.CANCELLED:
      return 499;
    case Code.INVALID_ARGUMENT:
    case Code.FAILED_PRECONDITION:
    case Code.OUT_OF_RANGE:
      return 400;
    case Code.DEADLINE_EXCEEDED:
      return 504;
    case Code.NOT_FOUND:
      return 404;
    case Code.ALREADY_EXISTS:
    case Code.ABORTED:
      return 409;
    case Code.PERMISSION_DENIED:
      return 403;
    case Code.RESOURCE_EXHAUSTED:
      return 429;
    case Code.UNIMPLEMENTED:
      return 501;
    case Code.UNAVAILABLE:
      return 503;
    case Code.UNAUTHENTICATED:
      return 401;
    default:
      return 500;
  }
}

/** A parsed route, or the error to answer with. */
type Route =
  | { readonly ok: true; readonly method: OperationsMethod; readonly request: object }
  | { readonly ok: false; readonly code: number; readonly message: string };

function fail(code: number, message: string): Route {
  return { ok: false, code, message };
}

/** Maps a request to an Operations call. `body` is the parsed JSON body (POST only). */
function route(httpMethod: string, target: URL, body: unknown): Route {
  const path = target.pathname;
  if (!path.startsWith('/v1/')) return fail(Code.NOT_FOUND, `no route for ${httpMethod} ${path}`);
  const raw = path.slice('/v1/'.length).split('/');
  const last = raw[raw.length - 1] ?? '';
  const colon = last.lastIndexOf(':');
  const verb = colon < 0 ? '' : last.slice(colon + 1);
  if (colon >= 0) raw[raw.length - 1] = last.slice(0, colon);
  let segments: string[];
  try {
    segments = raw.map(decodeURIComponent);
  } catch {
    return fail(Code.INVALID_ARGUMENT, `malformed percent-encoding in ${path}`);
  }
  if (segments.some((s) => s === '')) return fail(Code.NOT_FOUND, `no route for ${httpMethod} ${path}`);
  const name = segments.join('/');
  const query = target.searchParams;
  if (httpMethod === 'GET' && verb === '') {
    if (segments[segments.length - 1] !== 'operations')
      return { ok: true, method: 'GetOperation', request: { name } };
    const sizeText = query.get('pageSize') ?? query.get('page_size') ?? '0';
    const pageSize = Number(sizeText);
    if (!Number.isInteger(pageSize))
      return fail(Code.INVALID_ARGUMENT, `invalid pageSize ${JSON.stringify(sizeText)}`);
    const partial = query.get('returnPartialSuccess') ?? query.get('return_partial_success') ?? 'false';
    return {
      ok: true,
      method: 'ListOperations',
      request: {
        name,
        filter: query.get('filter') ?? '',
        pageSize,
        pageToken: query.get('pageToken') ?? query.get('page_token') ?? '',
        returnPartialSuccess: partial === 'true',
      },
    };
  }
  if (httpMethod === 'DELETE' && verb === '')
    return { ok: true, method: 'DeleteOperation', request: { name } };
  if (httpMethod === 'POST' && verb === 'cancel')
    return { ok: true, method: 'CancelOperation', request: { name } };
  if (httpMethod === 'POST' && verb === 'wait') {
    const timeout =
      typeof body === 'object' && body !== null ? (body as { timeout?: unknown }).timeout : undefined;
    if (timeout === undefined) return { ok: true, method: 'WaitOperation', request: { name, timeout: null } };
    const ms = durationFromJson(timeout);
    if (ms === undefined) return fail(Code.INVALID_ARGUMENT, `invalid timeout ${JSON.stringify(timeout)}`);
    const seconds = Math.trunc(ms / 1000);
    const nanos = Math.round((ms - seconds * 1000) * 1e6);
    return {
      ok: true,
      method: 'WaitOperation',
      request: { name, timeout: { seconds: String(seconds), nanos } },
    };
  }
  return fail(Code.NOT_FOUND, `no route for ${httpMethod} ${path}`);
}

/** Google's JSON error body for `code`, `message` and details (given as a google.rpc.Status). */
export function errorBody(
  code: number,
  message: string,
  status: RawStatus | undefined,
  registry: Registry,
): object {
  let details: unknown[] = [];
  if (status !== undefined) {
    try {
      details = [...(statusToJson(status, registry).details ?? [])];
    } catch {
      details = [];
    }
  }
  return {
    error: {
      code: httpStatusFromCode(code),
      message,
      status: codeName(code),
      ...(details.length === 0 ? {} : { details }),
    },
  };
}

/** The HTTP/JSON gateway of one fake server. */
export class HttpGateway {
  /** `'http://127.0.0.1:PORT'`. */
  readonly url: string;
  /** The port bound. */
  readonly port: number;
  /** Requests received, oldest first (at most MAX_LOGGED_REQUESTS), as they arrived on the wire. */
  readonly requests: HttpRequestRecord[] = [];
  readonly #server: Server;

  private constructor(server: Server, url: string, port: number) {
    this.#server = server;
    this.url = url;
    this.port = port;
  }

  /** Listens on `host:port` (0 for any free port). Rejects when the port cannot be bound. */
  static async listen(options: {
    readonly host: string;
    readonly port: number;
    readonly registry: Registry;
    readonly dispatch: Dispatch;
  }): Promise<HttpGateway> {
    let gateway: HttpGateway | undefined;
    // Requests arrive only after `listen` resolved, when `gateway` is set.
    const server = createServer((req, res) => {
      if (gateway !== undefined) gateway.#handle(req, res, options.registry, options.dispatch);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    gateway = new HttpGateway(server, `http://${host}:${port}`, port);
    return gateway;
  }

  /** Stops listening and drops every connection (open calls are abandoned by the server). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse, registry: Registry, dispatch: Dispatch): void {
    const method = req.method ?? 'GET';
    this.requests.push({ method, url: req.url ?? '' });
    if (this.requests.length > MAX_LOGGED_REQUESTS) this.requests.shift();
    const send = (status: number, body: object): void => {
      if (res.headersSent || res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(text);
    };
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        send(413, errorBody(Code.INVALID_ARGUMENT, 'request body too large', undefined, registry));
        return;
      }
      let body: unknown;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {
        send(400, errorBody(Code.INVALID_ARGUMENT, 'request body is not JSON', undefined, registry));
        return;
      }
      const target = new URL(req.url ?? '/', 'http://gateway');
      const r = route(method, target, body);
      if (!r.ok) {
        send(httpStatusFromCode(r.code), errorBody(r.code, r.message, undefined, registry));
        return;
      }
      const call = dispatch(r.method, r.request, (error, value) => {
        if (error !== null) {
          const code = error.code ?? Code.UNKNOWN;
          const message = error.details ?? ('message' in error ? String(error.message) : '');
          const trailer = error.metadata?.get('grpc-status-details-bin')[0];
          let status: RawStatus | undefined;
          if (trailer instanceof Uint8Array) {
            try {
              status = registry.decodeStatus(trailer);
            } catch {
              status = undefined;
            }
          }
          send(httpStatusFromCode(code), errorBody(code, message, status, registry));
          return;
        }
        try {
          send(200, toJson(r.method, value, registry));
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          send(
            500,
            errorBody(Code.INTERNAL, `cannot show the response as JSON: ${reason}`, undefined, registry),
          );
        }
      });
      res.on('close', () => {
        if (!res.writableFinished) call.abandon();
      });
    });
  }
}

/** The proto3 JSON body of a successful call. */
function toJson(method: OperationsMethod, value: unknown, registry: Registry): object {
  switch (method) {
    case 'GetOperation':
    case 'WaitOperation':
      return operationToJson(value as RawOperation, registry);
    case 'ListOperations':
      return listResponseToJson(value as ListOperationsPage, registry);
    default:
      return {};
  }
}
