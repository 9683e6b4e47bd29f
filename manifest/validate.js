// Validate a Teams app manifest against the official JSON schema for its manifestVersion,
// as shipped in Microsoft's @microsoft/app-manifest package: offline, no schema download.
// Each localization file it names (localizationInfo.additionalLanguages, beside the manifest) is
// validated against the localization schema of the same version, as Teams requires.
// Usage: node manifest/validate.js path/to/manifest.json   (exit 1 with the schema's messages)
const fs = require("fs");
const path = require("path");
const { AppManifestUtils } = require("@microsoft/app-manifest");

function schemaFor(version, name) {
  const schemaPath = path.join(
    path.dirname(require.resolve("@microsoft/app-manifest/package.json")),
    "build", "json-schemas", "teams", `v${version}`, name,
  );
  if (!fs.existsSync(schemaPath)) {
    console.error(`No bundled ${name} for manifestVersion ${JSON.stringify(version)}`);
    process.exit(1);
  }
  return JSON.parse(fs.readFileSync(schemaPath, "utf8"));
}

// The bundled localization schemas write some keys as `...\b]\.description$`: a lone "]" that
// Ajv's unicode regular expressions refuse ("Lone quantifier brackets"), so nothing validates.
// Escape that bracket (same meaning) before compiling.
function repairPatterns(schema) {
  const fixed = {};
  for (const [pattern, rule] of Object.entries(schema.patternProperties || {})) {
    let key = pattern;
    try {
      new RegExp(key, "u");
    } catch {
      key = key.replace(/\\b\]/g, "\\b\\]");
    }
    fixed[key] = rule;
  }
  return { ...schema, patternProperties: fixed };
}

async function main() {
  const manifestPath = process.argv[2];
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  const version = manifest.manifestVersion;
  const errors = await AppManifestUtils.validateAgainstSchema(manifest, schemaFor(version, "MicrosoftTeams.schema.json"));
  const languages = (manifest.localizationInfo && manifest.localizationInfo.additionalLanguages) || [];
  for (const { languageTag, file } of languages) {
    const filePath = path.join(path.dirname(manifestPath), file);
    if (!fs.existsSync(filePath)) {
      errors.push(`${languageTag}: localization file ${file} is missing beside the manifest`);
      continue;
    }
    const strings = JSON.parse(fs.readFileSync(filePath, "utf8"));
    const schema = repairPatterns(schemaFor(version, "MicrosoftTeams.Localization.schema.json"));
    for (const error of await AppManifestUtils.validateAgainstSchema(strings, schema)) {
      errors.push(`${file}: ${error}`);
    }
    if (!String(strings.$schema || "").includes(`/v${version}/`)) {
      errors.push(`${file}: $schema must be the v${version} localization schema, like the manifest's version`);
    }
  }
  if (errors.length) {
    for (const error of errors) console.error(error);
    process.exit(1);
  }
  console.log(`manifest valid against the v${version} schema` + (languages.length ? `, with ${languages.length} localization file(s)` : ""));
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
