// The deploy domain: the manifest schema, bundling, content-addressed versions and the deploy operation.
export { bundleEntry, type FunctionPackage, MAX_BUNDLE_BYTES, MODULE_GLOBAL, packageFunction } from "./bundle.ts";
export { Deployer, type DeployOutcome } from "./deployer.ts";
export {
  type CreatedEnvironment,
  Environments,
  type EnvironmentsDeps,
  isEmpty,
  type MissingSecret,
  PROD,
} from "./environments.ts";
export { type Expires, expiresSchema, functionExpiresAt, MAX_EXPIRY_MS } from "./expires.ts";
export { type Manifest, type ManifestInput, manifestSchema, parseManifest, validateManifest } from "./manifest.ts";
export { normaliseSchedule, type Schedule, type ScheduleTimes, scheduleTimes } from "./schedule.ts";
export { canonicalJson, versionCode, versionId } from "./version.ts";
