// The deploy domain: the manifest schema, bundling, content-addressed versions and the deploy operation.
export { type FunctionPackage, MAX_BUNDLE_BYTES, MODULE_GLOBAL, bundleEntry, packageFunction } from "./bundle.ts";
export { type Manifest, type ManifestInput, manifestSchema, parseManifest, validateManifest } from "./manifest.ts";
export { canonicalJson, versionId } from "./version.ts";
export { type DeployOutcome, Deployer } from "./deployer.ts";
