/**
 * @module
 * Route templates as the Functions host reads them (`v1/api/{id-project}/{*rest}`): literal
 * segments, `{name}` parameters that take one whole segment, and a trailing `{*name}`
 * catch-all. Matching works on raw path segments and decodes each one afterwards, so an
 * encoded slash (`..%2F`) stays inside its segment and is judged by the parameter's schema.
 */

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'rest'; name: string };

export interface RouteTemplate {
  template: string;
  segments: Segment[];
}

/** Parses `a/{b}/{*c}` (no leading slash). */
export function parseTemplate(template: string): RouteTemplate {
  const segments: Segment[] = template
    .split('/')
    .filter((s) => s !== '')
    .map((part) => {
      const rest = /^\{\*([^{}]+)\}$/.exec(part);
      if (rest?.[1]) return { kind: 'rest', name: rest[1] };
      const param = /^\{([^{}*]+)\}$/.exec(part);
      if (param?.[1]) return { kind: 'param', name: param[1] };
      return { kind: 'literal', value: part.toLowerCase() };
    });
  return { template, segments };
}

/**
 * Matches a URL path against a template; returns decoded params or `null`.
 * @example
 * matchTemplate(parseTemplate('v1/x/{id}'), '/v1/x/a%2Fb') // { id: 'a/b' }
 */
export function matchTemplate(route: RouteTemplate, pathname: string): Record<string, string> | null {
  const parts = pathSegments(pathname);
  return parts ? matchSegments(route, parts) : null;
}

/**
 * `matchTemplate` on a path already split by `pathSegments`, so a router tries many
 * templates against one split.
 */
export function matchSegments(route: RouteTemplate, parts: readonly string[]): Record<string, string> | null {
  const { segments } = route;
  // Without a catch-all, only a path of as many segments can match.
  if (segments.at(-1)?.kind !== 'rest' && parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === 'rest') {
      params[segment.name] = parts.slice(i).map(decode).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return null;
    if (segment.kind === 'literal') {
      if (decode(part).toLowerCase() !== segment.value) return null;
    } else {
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : null;
}

function decode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The segments of a path as the host's routing sees them: one leading and one trailing slash
 * are ignored; any other empty segment stays, and no literal or parameter matches it (only a
 * catch-all takes it). A path that starts with `//` matches no route at all.
 */
export function pathSegments(pathname: string): string[] | null {
  if (pathname.startsWith('//')) return null;
  const parts = pathname.split('/');
  if (parts[0] === '') parts.shift();
  if (parts.at(-1) === '') parts.pop();
  return parts;
}
