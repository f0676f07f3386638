// Validates every object of a multi-document Kubernetes YAML (kubectl kustomize / helm template output) against the
// OpenAPI schemas of kubernetes-models (KEDA objects: @kubernetes-models/keda) and prints the objects as one JSON
// array on stdout, for the structural checks of tests/SisomCluster.Deploy.Tests.
//   node k8s-validate.mjs rendered.yaml      (or the YAML on stdin)
// Exit 1 with one line per problem on stderr: "<kind>/<name>: <what is wrong>".
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const source = process.argv[2] ? readFileSync(process.argv[2], "utf8") : readFileSync(0, "utf8");

// apiVersion "apps/v1" -> kubernetes-models/apps/v1/Kind; "v1" -> kubernetes-models/v1/Kind.
function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith("keda.sh/")) {
    return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

// KEDA's schema types trigger metadata as a free map of strings; the RabbitMQ scaler's own rules live here.
const rabbitModes = new Set(["QueueLength", "MessageRate"]);
const rabbitProtocols = new Set(["amqp", "http", "auto"]);
function checkScaledObject(object) {
  const problems = [];
  const triggers = object.spec?.triggers ?? [];
  if (triggers.length === 0) {
    problems.push("spec.triggers is empty");
  }
  triggers.forEach((trigger, i) => {
    if (trigger.type !== "rabbitmq") {
      return;
    }
    const m = trigger.metadata ?? {};
    const at = `spec.triggers[${i}].metadata`;
    if (!m.queueName) problems.push(`${at}.queueName is missing`);
    if (!rabbitModes.has(m.mode)) problems.push(`${at}.mode must be QueueLength or MessageRate, not ${JSON.stringify(m.mode)}`);
    if (!/^\d+(\.\d+)?$/.test(String(m.value ?? ""))) problems.push(`${at}.value must be a number as a string, not ${JSON.stringify(m.value)}`);
    if (m.protocol !== undefined && !rabbitProtocols.has(m.protocol)) problems.push(`${at}.protocol must be amqp, http or auto`);
    if (!m.host && !m.hostFromEnv && !trigger.authenticationRef) problems.push(`${at} needs host, hostFromEnv or an authenticationRef`);
  });
  const min = object.spec?.minReplicaCount ?? 0;
  const max = object.spec?.maxReplicaCount ?? 100;
  if (min > max) problems.push(`spec.minReplicaCount ${min} > spec.maxReplicaCount ${max}`);
  return problems;
}

const objects = [];
const problems = [];
let index = 0;
for (const doc of parseAllDocuments(source)) {
  index++;
  if (doc.errors.length > 0) {
    problems.push(`document ${index}: YAML error: ${doc.errors[0].message.split("\n")[0]}`);
    continue;
  }
  const object = doc.toJS();
  if (object === null || object === undefined) {
    continue;
  }
  const label = `${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
  if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    problems.push(`document ${index}: apiVersion and kind are required`);
    continue;
  }
  if (!object.metadata?.name) {
    problems.push(`${label}: metadata.name is required`);
  }
  let Model;
  try {
    Model = (await import(modulePath(object.apiVersion, object.kind)))[object.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    problems.push(`${label}: no model for ${object.apiVersion} ${object.kind} (unknown kind or apiVersion)`);
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    const details = error.errors?.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ") ?? error.message;
    problems.push(`${label}: ${details}`);
  }
  if (object.kind === "ScaledObject") {
    for (const p of checkScaledObject(object)) problems.push(`${label}: ${p}`);
  }
  objects.push(object);
}

if (objects.length === 0 && problems.length === 0) {
  problems.push("no objects in the input");
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
process.stdout.write(JSON.stringify(objects));
