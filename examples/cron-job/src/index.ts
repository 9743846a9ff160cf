// A web-standard cron job: Pave calls `scheduled` on every tick of the manifest's `schedule`. It keeps a run
// count in kv, to show state carried from one tick to the next. No `fetch`: nothing calls it over HTTP.

/** The part of Cloudflare's ScheduledController Pave passes. */
interface ScheduledEvent {
  type: "scheduled";
  cron: string;
  /** Epoch ms the tick was due. */
  scheduledTime: number;
  noRetry(): void;
}

interface Env {
  STATE: {
    get(key: string): Promise<string | null>;
    put(key: string, value: string): Promise<void>;
  };
}

export default {
  async scheduled(event: ScheduledEvent, env: Env): Promise<void> {
    const runs = Number((await env.STATE.get("runs")) ?? "0") + 1;
    await env.STATE.put("runs", String(runs));
    console.log(`run ${runs} for the tick due at ${new Date(event.scheduledTime).toISOString()} (${event.cron})`);
  },
};
