// The deploy domain: the manifest schema, bundling, content-addressed versions and the deploy operation.
export { bundleEntry, type FunctionPackage, MAX_BUNDLE_BYTES, MODULE_GLOBAL, packageFunction } from "./bundle.ts";
export { Deployer, type DeployOutcome } from "./deployer.ts";
export { type Manifest, type ManifestInput, manifestSchema, parseManifest, validateManifest } from "./manifest.ts";
export { normaliseSchedule, type Schedule, type ScheduleTimes, scheduleTimes } from "./schedule.ts";
export { canonicalJson, versionCode, versionId } from "./version.ts";
