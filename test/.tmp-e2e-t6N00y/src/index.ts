export default { fetch: () => new Response("plain") };
