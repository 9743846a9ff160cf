// The telemetry domain: how invocations are recorded (activations and their logs) and counted (metrics).
export { type CostGrouping, type CostReport, costReport, DEFAULT_PRICES, type Prices } from "./cost.ts";
export { Metrics, type RuntimeGauges } from "./metrics.ts";
export { ActivationRecorder, type RecorderOptions } from "./recorder.ts";
