/**
 * flyteadmin's checks on a create request (`ValidateExecutionRequest` and friends), in the same order and
 * with the same messages, plus execution-name generation. One deliberate difference: flyteadmin lower-cases a
 * supplied name before matching it, so `MyRun` passes and the execution later fails in Kubernetes; the
 * emulator rejects upper case up front with the same 400 the regex produces, which is what a careful client
 * wants to learn from a sandbox.
 * @module
 */
import { randomInt } from 'node:crypto';
import { GrpcCode } from './constants.js';
import { messageField, type ProtoObject, stringField } from './proto-value.js';
import { badRequest, missingArgument, StatusError } from './status-error.js';

/** Kubernetes label-value limit, which execution names must respect. */
const MAX_NAME_LENGTH = 63;
const NAME_RE = /^[a-z][a-z\-0-9]*$/;
const NAME_RE_TEXT = String.raw`^[a-z][a-z\-0-9]*$`;
/** Alphabet of `k8s.io/apimachinery/pkg/util/rand.String`: no vowels or look-alikes. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_LABELS = 16;
const LABEL_NAME_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A fresh execution name the way flyteadmin makes one: `a` + 19 random characters (20 in all).
 * @example generateExecutionName() // 'a7xq2bk9v4rm5zt8hd6c'
 */
export function generateExecutionName(): string {
  let name = 'a';
  for (let i = 0; i < 19; i++) name += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return name;
}

/** `CheckValidExecutionID`, minus the lower-casing (see the module comment). */
function checkExecutionName(name: string): void {
  if (name.length > MAX_NAME_LENGTH) {
    throw badRequest(`size of name exceeded length ${MAX_NAME_LENGTH} : ${name}`);
  }
  if (!NAME_RE.test(name)) {
    throw badRequest(`invalid name format: ${name}, does not match regex '${NAME_RE_TEXT}'`);
  }
}

/** `ValidateProjectAndDomain` against the emulator's registered projects and configured domains. */
function checkProjectAndDomain(
  project: string,
  domain: string,
  registered: { projects: readonly string[]; domains: readonly string[] },
): void {
  if (!registered.projects.includes(project)) {
    throw badRequest(
      `failed to validate that project [${project}] and domain [${domain}] are registered, err: [project [${project}] not found]`,
    );
  }
  if (!registered.domains.includes(domain)) throw badRequest(`domain [${domain}] is unrecognized by system`);
}

function checkLabels(labels: ProtoObject | undefined): void {
  const values = messageField(labels, 'values') ?? {};
  const entries = Object.entries(values);
  if (entries.length > MAX_LABELS) throw badRequest(`labels map cannot exceed ${MAX_LABELS} entries`);
  for (const [key, value] of entries) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const keyOk =
      name.length <= 63 &&
      LABEL_NAME_RE.test(name) &&
      (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN_RE.test(prefix)));
    if (!keyOk) throw badRequest(`invalid label key [${key}]: [not a Kubernetes qualified name]`);
    const text = typeof value === 'string' ? value : '';
    if (text !== '' && (text.length > 63 || !LABEL_NAME_RE.test(text))) {
      throw badRequest(`invalid label value [${text}]: [not a valid Kubernetes label value]`);
    }
  }
}

function checkInputs(inputs: ProtoObject | undefined): void {
  for (const [name, literal] of Object.entries(messageField(inputs, 'literals') ?? {})) {
    if (name === '') throw badRequest('missing key in inputs');
    if (literal === undefined || literal === null)
      throw badRequest(`missing valid literal in inputs ${name}`);
  }
}

/** Launch references an execution may start from; anything else is a 400 naming the allowed set. */
const LAUNCHABLE = ['TASK', 'LAUNCH_PLAN'];

/**
 * `ValidateExecutionRequest` for a canonical `admin.ExecutionCreateRequest` (inputs already merged).
 * Throws the first failure as a code-3 `StatusError`.
 */
export function validateCreateRequest(
  request: ProtoObject,
  registered: { projects: readonly string[]; domains: readonly string[] },
): void {
  const project = stringField(request, 'project');
  const domain = stringField(request, 'domain');
  const name = stringField(request, 'name');
  if (project === '') throw missingArgument('project');
  if (domain === '') throw missingArgument('domain');
  if (name !== '') checkExecutionName(name);
  checkProjectAndDomain(project, domain, registered);
  const spec = messageField(request, 'spec');
  if (spec === undefined) throw missingArgument('spec');
  const launchPlan = messageField(spec, 'launch_plan');
  if (launchPlan === undefined) throw missingArgument('id');
  for (const field of ['project', 'domain', 'name', 'version']) {
    if (stringField(launchPlan, field) === '') throw missingArgument(field);
  }
  const resourceType = stringField(launchPlan, 'resource_type') || 'UNSPECIFIED';
  if (!LAUNCHABLE.includes(resourceType)) {
    // Go prints the accepted set as a map sorted by enum number: TASK (1) before LAUNCH_PLAN (3).
    throw new StatusError(
      GrpcCode.INVALID_ARGUMENT,
      `Invalid reference entity resource type [${resourceType}], only [map[TASK:<nil> LAUNCH_PLAN:<nil>]] allowed`,
    );
  }
  checkInputs(messageField(request, 'inputs'));
  checkLabels(messageField(spec, 'labels'));
}
