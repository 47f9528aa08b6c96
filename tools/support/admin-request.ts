/**
 * One call to the admin API with a bearer token, for specs, benchmarks and tools that drive it: the
 * body as JSON when given, the answer parsed (undefined when empty, as a 204), and any status from 400
 * up thrown as an error naming the call, the status and what the server said.
 */
export async function adminRequest<T = unknown>(
  url: string,
  token: string,
  method: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${new URL(url).pathname}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
