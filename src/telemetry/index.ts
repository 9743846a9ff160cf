// The telemetry domain: how invocations are recorded (activations and their logs).
export { ActivationRecorder, type RecorderOptions } from "./recorder.ts";
