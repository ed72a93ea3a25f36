/**
 * The base URL of the HTTP transport, checked: http(s) only, and no credentials (API key,
 * bearer token, authorization headers) over plain http except to a loopback address.
 */

/** True for a loopback host: `localhost`, 127.0.0.0/8 or `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** `baseUrl` parsed; throws TypeError naming it when it is not an http(s) URL. */
export function parseBaseUrl(baseUrl: unknown): URL {
  const bad = (): TypeError =>
    new TypeError(
      `baseUrl must be an http(s) URL (got ${typeof baseUrl === 'string' ? JSON.stringify(baseUrl.slice(0, 200)) : typeof baseUrl})`,
    );
  if (typeof baseUrl !== 'string') throw bad();
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw bad();
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad();
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(
      'baseUrl must not carry credentials (user:password@); use the token or headers options',
    );
  }
  return url;
}

/** Headers that carry credentials. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-goog-api-key', 'proxy-authorization', 'cookie']);

/** True for a header name that carries credentials (`authorization`, `x-goog-api-key`, …). */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase());
}

/**
 * Throws TypeError when credentials (`what`: the option that gives them) would go in
 * cleartext: over plain http to a host that is not loopback.
 */
export function checkCleartext(url: URL, what: string): void {
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new TypeError(
      `${what} would be sent in cleartext to ${url.host} over plain http; use an https baseUrl (plain http is allowed only to loopback addresses)`,
    );
  }
}
