// The gateway domain: the data-plane HTTP handler and the invoker it shares with the control API.
export { createGatewayHandler, type GatewayOptions, invokeIds, isGatewayPath, responseTraceparent } from "./http.ts";
export { type InvokeIds, type InvokeOutcome, Invoker } from "./invoker.ts";
