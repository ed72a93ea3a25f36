/**
 * HTTP rules in the notation of `google.api.http` annotations, e.g.
 * `'GET /v1/{name=operations/**}'` or `'POST /v1beta/{name=operations/*}:cancel'`:
 * a method, literal path text, one `{name=…}` variable and more literal text (a `:verb`
 * included). The variable's pattern is made of literal segments, `*` (exactly one segment)
 * and a final `**` (zero or more segments); `{name}` means `{name=*}`.
 *
 * Expanding a name checks it against the pattern first (and refuses `.` and `..`
 * segments, raw or percent-encoded, which URL resolution would turn into another path),
 * then percent-encodes each of its segments separately, so the `/` between segments is never encoded (google-gax encodes
 * it, which breaks multi-segment names) while every other reserved character is.
 */

/** HTTP rules per method, e.g. `{ get: 'GET /v1beta/{name=operations/*}' }`. */
export interface HttpRules {
  /** GetOperation, e.g. `GET /v1beta/{name=operations/*}`. */
  readonly get?: string;
  /** ListOperations. */
  readonly list?: string;
  /** CancelOperation. */
  readonly cancel?: string;
  /** DeleteOperation. */
  readonly delete?: string;
  /** WaitOperation has no HTTP binding in operations.proto; give one to use it (POST with `{ timeout }`). */
  readonly wait?: string;
}

/** The bindings of operations.proto. There is none for WaitOperation. */
export const DEFAULT_HTTP_RULES = Object.freeze({
  get: 'GET /v1/{name=operations/**}',
  list: 'GET /v1/{name=operations}',
  cancel: 'POST /v1/{name=operations/**}:cancel',
  delete: 'DELETE /v1/{name=operations/**}',
} as const);

/** HTTP methods a rule may use. */
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** A parsed rule. */
export interface HttpRule {
  /** The rule as written. */
  readonly source: string;
  /** `'GET'`, `'POST'`, … */
  readonly method: string;
  /** Literal path text before the variable, e.g. `'/v1/'`. */
  readonly before: string;
  /** The variable's pattern segments, e.g. `['operations', '**']`. */
  readonly pattern: readonly string[];
  /** Literal text after the variable, e.g. `':cancel'` or `'/operations'`. */
  readonly after: string;
}

/** Parses `'METHOD /path/{name=pattern}rest'`. Throws TypeError naming the rule when it is malformed. */
export function parseHttpRule(source: string, what = 'rule'): HttpRule {
  const bad = (why: string): TypeError =>
    new TypeError(`${what} ${JSON.stringify(source)} is not a valid HTTP rule: ${why}`);
  if (typeof source !== 'string') throw bad('expected a string like "GET /v1/{name=operations/**}"');
  const match = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(source);
  if (match === null) throw bad('expected "METHOD /path/{name=…}"');
  const method = (match[1] ?? '').toUpperCase();
  const path = match[2] ?? '';
  if (!METHODS.has(method)) throw bad(`unsupported method ${method}`);
  const open = path.indexOf('{');
  const close = path.indexOf('}');
  if (open < 0 || close < open || path.indexOf('{', open + 1) >= 0) {
    throw bad('the path needs exactly one {name=…} variable');
  }
  const variable = path.slice(open + 1, close);
  const eq = variable.indexOf('=');
  const field = (eq < 0 ? variable : variable.slice(0, eq)).trim();
  if (field !== 'name') throw bad(`the variable must be "name" (got ${JSON.stringify(field)})`);
  const pattern = eq < 0 ? ['*'] : variable.slice(eq + 1).split('/');
  pattern.forEach((segment, i) => {
    if (segment === '') throw bad('empty segment in the variable pattern');
    if (segment === '**' && i !== pattern.length - 1) throw bad('"**" may only be the last segment');
    if (segment !== '*' && segment !== '**' && /[*{}]/.test(segment)) throw bad(`bad segment ${segment}`);
  });
  return { source, method, before: path.slice(0, open), pattern, after: path.slice(close + 1) };
}

/** The pattern as written, e.g. `'operations/**'`. */
export function patternText(rule: HttpRule): string {
  return rule.pattern.join('/');
}

/** True when `name` matches the rule's pattern (segment by segment; no segment may be empty). */
export function matchesPattern(rule: HttpRule, name: string): boolean {
  const segments = name.split('/');
  if (segments.some((s) => s === '')) return false;
  for (const [i, p] of rule.pattern.entries()) {
    if (p === '**') return true;
    const segment = segments[i];
    if (segment === undefined || (p !== '*' && p !== segment)) return false;
  }
  return segments.length === rule.pattern.length;
}

/** The name a pattern of literal segments only stands for (`'operations'` of `{name=operations}`), else undefined. */
export function literalName(rule: HttpRule): string | undefined {
  return rule.pattern.some((p) => p === '*' || p === '**') ? undefined : rule.pattern.join('/');
}

/** Percent-encodes one path segment: every reserved character is encoded (`/` cannot occur in a segment). */
export function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** True for a segment that means "this" or "parent" in a URL path: `.` or `..`, also as `%2e` / `%2E`. */
function isDotSegment(segment: string): boolean {
  return /^(?:\.|%2e){1,2}$/i.test(segment);
}

/**
 * The request path for `name`: the literal text around the name's segments, each
 * percent-encoded on its own. Throws TypeError naming the name and the pattern when the
 * name does not match it or has a `.` / `..` segment (raw or percent-encoded), before
 * any request is made.
 */
export function expandPath(rule: HttpRule, name: string): string {
  const dots = name.split('/').find(isDotSegment);
  if (dots !== undefined) {
    throw new TypeError(
      `name ${JSON.stringify(name.slice(0, 200))} has a ${JSON.stringify(dots)} segment, which would leave the template {name=${patternText(rule)}} of HTTP rule ${JSON.stringify(rule.source)}`,
    );
  }
  if (!matchesPattern(rule, name)) {
    throw new TypeError(
      `name ${JSON.stringify(name)} does not match the template {name=${patternText(rule)}} of HTTP rule ${JSON.stringify(rule.source)}`,
    );
  }
  return rule.before + name.split('/').map(encodeSegment).join('/') + rule.after;
}
