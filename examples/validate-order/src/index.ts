// Validates an order POSTed as JSON: 201 with the parsed order and its total, or 400 with zod's issues.
// zod is an ordinary npm import; `pave deploy` bundles it into the version.
import { z } from "zod";

const OrderItem = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().positive().max(1000),
  /** Money as integer cents: no floating-point rounding in totals. */
  unitPriceCents: z.number().int().nonnegative(),
});

const Order = z.object({
  customerId: z.string().min(1),
  currency: z.enum(["EUR", "USD", "GBP"]).default("EUR"),
  items: z.array(OrderItem).min(1).max(100),
  note: z.string().max(500).optional(),
});

export type Order = z.infer<typeof Order>;

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method !== "POST") {
      return error(405, "MethodNotAllowed", "POST an order as JSON", { allow: "POST" });
    }

    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return error(400, "InvalidJson", "the body is not valid JSON");
    }

    const result = Order.safeParse(body);
    if (!result.success) {
      console.warn("rejected order:", result.error.issues.length, "issue(s)");
      return Response.json(
        { error: { code: "InvalidOrder", message: "the order is not valid", issues: result.error.issues } },
        { status: 400 },
      );
    }

    const order = result.data;
    const totalCents = order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
    console.log(
      `accepted order for ${order.customerId}: ${order.items.length} item(s), ${totalCents} ${order.currency} cents`,
    );
    return Response.json({ order, totalCents }, { status: 201 });
  },
};

function error(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
