/**
 * Resume tokens: an operation's name and declared types in one opaque string, so a
 * process can stop and a later one (another client, another machine) can wait on the same
 * operation with the same typed result.
 */

/** What a token holds. */
export interface ResumeState {
  readonly name: string;
  readonly responseType?: string;
  readonly metadataType?: string;
}

const PREFIX = 'lro1.';

/** Encodes the state as `lro1.<base64url JSON>`. */
export function encodeResumeToken(state: ResumeState): string {
  const body: Record<string, string> = { n: state.name };
  if (state.responseType !== undefined) body.r = state.responseType;
  if (state.metadataType !== undefined) body.m = state.metadataType;
  return PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Decodes a token. Throws TypeError saying what is wrong with it. */
export function decodeResumeToken(token: unknown): ResumeState {
  if (typeof token !== 'string' || !token.startsWith(PREFIX)) {
    throw new TypeError(`invalid resume token: expected a string starting with "${PREFIX}"`);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new TypeError('invalid resume token: the body is not base64url JSON');
  }
  if (typeof body !== 'object' || body === null)
    throw new TypeError('invalid resume token: the body is not an object');
  const { n, r, m } = body as Record<string, unknown>;
  if (typeof n !== 'string' || n === '') throw new TypeError('invalid resume token: no operation name');
  if ((r !== undefined && typeof r !== 'string') || (m !== undefined && typeof m !== 'string')) {
    throw new TypeError('invalid resume token: type names must be strings');
  }
  return {
    name: n,
    ...(r === undefined ? {} : { responseType: r }),
    ...(m === undefined ? {} : { metadataType: m }),
  };
}
