// The deploy domain: the manifest schema, bundling, content-addressed versions, the deploy operation, and traffic:
// aliases, weighted splits, the router that picks a version per request, rollback and promote, canary analysis.
export { AliasRouter, type Route } from "./alias-router.ts";
export { ALIAS_NAME, AliasControl, type AliasRequest } from "./aliases.ts";
export {
  Approvals,
  type DeployOptions,
  factsOf,
  PENDING_TTL_MS,
  type PendingView,
  type Submitted,
} from "./approvals.ts";
export { bundleEntry, type FunctionPackage, MAX_BUNDLE_BYTES, MODULE_GLOBAL, packageFunction } from "./bundle.ts";
export { type CanaryClock, CanaryControl, canaryWeight } from "./canary.ts";
export { analysisSince, decide, figuresOf, P99_FLOOR_MS, P99_MIN_REQUESTS } from "./canary-analysis.ts";
export { CANARY_DEFAULTS, canaryPlan, canaryPolicySchema } from "./canary-policy.ts";
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
export { type ShadowReport, shadowReport } from "./shadow-report.ts";
export {
  BUCKETS,
  bucketOf,
  type Canary,
  canaryOf,
  checkTarget,
  parsePercent,
  pick,
  whole,
  withCanary,
} from "./traffic.ts";
export { canonicalJson, versionCode, versionId } from "./version.ts";
export { diffVersions, resolveVersion, type VersionDiff } from "./versions.ts";
