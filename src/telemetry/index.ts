// The telemetry domain: how invocations are recorded (activations and their logs), counted (metrics, rollups) and priced.
export { type CostGrouping, type CostReport, costReport, DEFAULT_PRICES, type Prices } from "./cost.ts";
export {
  type FunctionMetrics,
  functionMetrics,
  MAX_POINTS,
  type MetricsFigures,
  type MetricsPoint,
  type MetricsSummary,
  metricsSummary,
  type SummaryRow,
  stepSpan,
} from "./function-metrics.ts";
export { addHistogram, estimatePercentile } from "./histogram.ts";
export { Metrics, type RuntimeGauges } from "./metrics.ts";
export { ActivationRecorder, type RecorderOptions } from "./recorder.ts";
