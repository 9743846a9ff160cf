export default {
  async fetch(request, env) {
    await env.CARTS.put("cart-1", "x");
    const up = await fetch("http://127.0.0.1:45597/hello?token=secret", { headers: { traceparent: "forged" } });
    const stock = await env.INVENTORY.fetch("/stock");
    await env.ORDERS.publish({ order: 1 });
    return new Response((await up.text()) + " / " + (await stock.text()));
  },
};
