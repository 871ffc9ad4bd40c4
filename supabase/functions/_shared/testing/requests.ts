// Requests to a function's handler as a client sends them, for the functions' tests.

/**
 * A POST to the function `name` (http://localhost/<name>; handlers do not read the path) with a
 * JSON body (a string is sent as it is: a signed webhook payload, or text that is not JSON) and
 * these headers.
 */
export function postJson(
  name: string,
  body: unknown,
  headers: Record<string, string> = {},
): Request {
  return new Request(`http://localhost/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
