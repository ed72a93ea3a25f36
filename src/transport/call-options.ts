/**
 * The check of the options every RPC method takes (`CallOptions`): times, signal, retry
 * policy and request headers, before any RPC.
 */
import { checkOptionalMs, checkRetry, checkSignal } from '../base/validate.js';
import { checkHeaders } from './headers.js';
import type { CallOptions } from './operations-transport.js';

/**
 * The options every RPC method takes, checked; throws TypeError / RangeError naming the
 * option (and for `metadata`, the header, never its value).
 */
export function checkCallOptions(options: CallOptions | undefined, where = 'options'): CallOptions {
  if (options === undefined) return {};
  checkOptionalMs(options.timeoutMs, `${where}.timeoutMs`);
  checkSignal(options.signal, `${where}.signal`);
  checkRetry(options.retry, `${where}.retry`);
  checkHeaders(options.metadata, `${where}.metadata`);
  return options;
}
