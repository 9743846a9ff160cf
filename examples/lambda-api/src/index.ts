// A Lambda-style handler, as it would run behind API Gateway (HTTP API, payload v2.0): HTTP requests arrive as
// v2.0 events; `pave invoke` hands over its JSON payload as the event itself, which this function echoes.

/** The fields of an API Gateway HTTP API (payload v2.0) event that this function reads. */
interface HttpApiEvent {
  rawPath: string;
  queryStringParameters?: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: { http: { method: string; sourceIp: string } };
}

/** The part of the Lambda context this function reads. */
interface Context {
  awsRequestId: string;
  functionName: string;
  getRemainingTimeInMillis(): number;
}

interface HttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

export const handler = async (event: unknown, context: Context): Promise<HttpResult | object> => {
  if (!isHttpEvent(event)) {
    // A direct invoke: the payload is the event, and the returned object is the invoke's result.
    return { received: event, requestId: context.awsRequestId };
  }

  const method = event.requestContext.http.method;
  console.log(`${method} ${event.rawPath}`, `remaining=${context.getRemainingTimeInMillis()}ms`);

  if (method === "GET") {
    return json(200, {
      message: `hello from ${context.functionName}`,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      requestId: context.awsRequestId,
      remainingMs: context.getRemainingTimeInMillis(),
    });
  }

  if (method === "POST") {
    const contentType = event.headers["content-type"] ?? "";
    if (!contentType.startsWith("application/json") || event.isBase64Encoded) {
      return json(415, { error: "send a JSON body with content-type: application/json" });
    }
    try {
      return json(200, { path: event.rawPath, received: JSON.parse(event.body ?? "null") as unknown });
    } catch {
      return json(400, { error: "the body is not valid JSON" });
    }
  }

  return json(405, { error: `${method} is not allowed` }, { allow: "GET, POST" });
};

function isHttpEvent(event: unknown): event is HttpApiEvent {
  return typeof event === "object" && event !== null && "requestContext" in event && "rawPath" in event;
}

/** API Gateway wants the body as a string: serialise it here, once. */
function json(statusCode: number, data: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(data) };
}
