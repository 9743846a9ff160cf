export default {
  async fetch(request, env) {
    return new Response(String((await env.STOCK.get("sku-1")) ?? 0));
  },
};
