/** What `adminCall` answers: the status, the body as text and parsed (undefined when empty or not JSON), the headers. */
export interface AdminAnswer {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/**
 * One call to the admin API that answers whatever the status, for specs that look at refusals as well
 * (`adminRequest` of tools/support throws on them). A string `body` is sent as it is (malformed JSON on
 * purpose), anything else as JSON; without a token, the call carries no authorization header.
 */
export async function adminCall(
  url: string,
  token: string | null | undefined,
  method: string,
  body?: unknown,
): Promise<AdminAnswer> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}
