// The telemetry domain: how invocations are recorded (activations, their logs and spans), counted (metrics,
// rollups), exported (OTLP) and priced (cost).
export { type CostGrouping, type CostReport, costReport, DEFAULT_PRICES, type Prices, priceOf } from "./cost.ts";
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
export { newActivationIds, newSpanId } from "./ids.ts";
export { Metrics, type RuntimeGauges } from "./metrics.ts";
export { OtlpExport, type OtlpOptions } from "./otlp.ts";
export { ActivationRecorder, type RecorderOptions, type SpanExport } from "./recorder.ts";
export {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  TRACESTATE_MAX_MEMBERS,
  type TraceParent,
} from "./trace-context.ts";
