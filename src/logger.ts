// The server's own log: structured JSON lines (pino, which fastify already uses). Injected everywhere, so
// tests capture or silence it; nothing deep inside calls console.
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  return destination ? pino({ level }, destination) : pino({ level });
}
