// Validate a Teams app manifest against the official JSON schema for its manifestVersion,
// as shipped in Microsoft's @microsoft/app-manifest package: offline, no schema download.
// Usage: node manifest/validate.js path/to/manifest.json   (exit 1 with the schema's messages)
const fs = require("fs");
const path = require("path");
const { AppManifestUtils } = require("@microsoft/app-manifest");

async function main() {
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const version = manifest.manifestVersion;
  const schemaPath = path.join(
    path.dirname(require.resolve("@microsoft/app-manifest/package.json")),
    "build", "json-schemas", "teams", `v${version}`, "MicrosoftTeams.schema.json",
  );
  if (!fs.existsSync(schemaPath)) {
    console.error(`No bundled schema for manifestVersion ${JSON.stringify(version)}`);
    process.exit(1);
  }
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const errors = await AppManifestUtils.validateAgainstSchema(manifest, schema);
  if (errors.length) {
    for (const error of errors) console.error(error);
    process.exit(1);
  }
  console.log(`manifest valid against the v${version} schema`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
