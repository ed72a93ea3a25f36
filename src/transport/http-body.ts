/**
 * Reading an HTTP response body with a size limit, so a hostile or broken server cannot
 * make the client buffer without bound, and parsing it as the JSON object it must be.
 */

import { isObject } from '../base/is-object.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import { BODY_TOO_LARGE } from './operations-transport.js';

/**
 * The largest response body read by default: 16 MB, far above any real operation. Like
 * gRPC's receive limit (4 MB by default in grpc-js), it bounds what one response may cost.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * The body of `response` as text, at most `maxBytes` bytes. A larger body (by its
 * `content-length`, or once that many bytes have arrived) ends the read at once — the
 * rest is never downloaded — with RpcError RESOURCE_EXHAUSTED naming the limit, which no
 * retry policy retries (it carries no retry delay).
 */
export async function readBodyText(response: Response, maxBytes: number, method: string): Promise<string> {
  const tooLarge = (): RpcError =>
    new RpcError(
      Code.RESOURCE_EXHAUSTED,
      `HTTP response body is ${BODY_TOO_LARGE} (${maxBytes} bytes)`,
      [],
      method,
    );
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  const body = response.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Bounded by maxBytes, and in time by the attempt's deadline, whose signal ends the stream.
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/**
 * The JSON object of a 2xx body (`{}` for an empty body, as Empty responses come).
 * Anything else is a server fault: RpcError INTERNAL saying what came instead (text that
 * is not JSON, an array, null, a string, a number).
 */
export function jsonObjectOf(text: string, httpStatus: number, method: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RpcError(Code.INTERNAL, `HTTP ${httpStatus} response is not JSON`, [], method, cause);
  }
  if (!isObject(json)) {
    const kind = json === null ? 'null' : Array.isArray(json) ? 'an array' : `a ${typeof json}`;
    throw new RpcError(
      Code.INTERNAL,
      `HTTP ${httpStatus} response is ${kind}, not a JSON object`,
      [],
      method,
    );
  }
  return json;
}
