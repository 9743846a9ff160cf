// Pave's version, reported by /healthz, the OpenAPI document and `pave --version`.
export const VERSION = "0.1.0";
