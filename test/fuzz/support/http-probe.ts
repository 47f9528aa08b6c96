/** One HTTP request of a fuzz case, with a hard 5 s limit, and everything a property looks at. */
export interface HttpRequest {
  method: string;
  path: string;
  /** Query parameters in order; a value may hold lone surrogates (sent as WTF-8 escapes). */
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HttpAnswer {
  /** 0 when no answer came. */
  status: number;
  text: string;
  /** Every header name and value, one per line (for the secret search). */
  headerText: string;
  ms: number;
  /** `hang` (no answer in 5 s) or `crash` (the connection failed) when no answer came. */
  failure?: 'hang' | 'crash';
  error?: string;
}

export const REQUEST_TIMEOUT_MS = 5000;

/** Percent-encodes like encodeURIComponent, but a lone surrogate goes out as its 3 WTF-8 bytes instead of throwing. */
export function encodeComponent(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += encodeURIComponent(value.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
      continue;
    }
    out += encodeURIComponent(value[i]);
  }
  return out;
}

export function encodeQuery(query: Array<[string, string]>): string {
  return query.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
}

export async function httpCall(base: string, request: HttpRequest): Promise<HttpAnswer> {
  const query = request.query && request.query.length > 0 ? `?${encodeQuery(request.query)}` : '';
  const started = Date.now();
  try {
    const res = await fetch(`${base}${request.path}${query}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    const headerText = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    return { status: res.status, text, headerText, ms: Date.now() - started };
  } catch (err) {
    // undici refuses some requests before sending them (a bad header value): a defect of the case, not of the node.
    if (err instanceof TypeError && err.message !== 'fetch failed') throw err;
    const error =
      err instanceof Error
        ? `${err.name}: ${err.message} ${(err as { cause?: Error }).cause?.message ?? ''}`
        : String(err);
    const hang = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { status: 0, text: '', headerText: '', ms: Date.now() - started, failure: hang ? 'hang' : 'crash', error };
  }
}
