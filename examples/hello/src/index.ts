// A web-standard handler: Pave calls `fetch` with a Request and sends back the Response it returns.
// Under /fn/hello/ the function sees its own root, so /fn/hello/a/b arrives here as /a/b.

/** Longest name echoed back; anything longer is cut, so a huge query string cannot bloat the reply. */
const MAX_NAME = 64;

export default {
  fetch(request: Request): Response {
    const url = new URL(request.url);
    const name = url.searchParams.get("name")?.trim().slice(0, MAX_NAME);
    const message = name ? `hello, ${name}` : "hello from Pave";

    console.log(`${request.method} ${url.pathname}`, name ? `name=${name}` : "(no name)");

    return Response.json({
      message,
      path: url.pathname,
      method: request.method,
      time: new Date().toISOString(),
    });
  },
};
