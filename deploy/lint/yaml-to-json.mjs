// Prints a one-document YAML file (docker/compose.yaml, a chart's values.yaml) as JSON, for the structural checks
// of tests/SisomCluster.Deploy.Tests. Exit 1 with "FILE: line L: message" on a YAML error.
//   node yaml-to-json.mjs FILE
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

const file = process.argv[2];
if (!file) {
  console.error("usage: node yaml-to-json.mjs FILE");
  process.exit(2);
}
const doc = parseDocument(readFileSync(file, "utf8"), { prettyErrors: true, merge: true });
if (doc.errors.length > 0) {
  const e = doc.errors[0];
  console.error(`${file}: line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}`);
  process.exit(1);
}
process.stdout.write(JSON.stringify(doc.toJS({ maxAliasCount: 100 })));
