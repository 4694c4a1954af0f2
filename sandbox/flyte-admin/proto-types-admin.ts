/**
 * Descriptor tables for the `flyteidl.admin` and `flyteidl.service` messages the seven execution endpoints
 * (and the auth discovery endpoints) read and write, plus the registry that joins them with the core tables.
 * Request messages are listed too: the gateway decodes bodies and query strings against them, which is where
 * unknown-field and type errors come from.
 * @module
 */
import { createRegistry, type EnumTable, type MessageTable, type ProtoRegistry } from './proto-schema.js';
import { CORE_ENUMS, CORE_MESSAGES } from './proto-types-core.js';

const PHASE = 'enum:core.WorkflowExecution.Phase';

const ADMIN_MESSAGES: MessageTable = {
  'admin.ExecutionCreateRequest': {
    project: 'string',
    domain: 'string',
    name: 'string',
    spec: 'admin.ExecutionSpec',
    inputs: 'core.LiteralMap',
    org: 'string',
  },
  'admin.ExecutionRelaunchRequest': {
    id: 'core.WorkflowExecutionIdentifier',
    name: 'string',
    overwrite_cache: 'bool',
  },
  'admin.ExecutionRecoverRequest': {
    id: 'core.WorkflowExecutionIdentifier',
    name: 'string',
    metadata: 'admin.ExecutionMetadata',
  },
  'admin.ExecutionCreateResponse': { id: 'core.WorkflowExecutionIdentifier' },
  'admin.WorkflowExecutionGetRequest': { id: 'core.WorkflowExecutionIdentifier' },
  'admin.ExecutionTerminateRequest': { id: 'core.WorkflowExecutionIdentifier', cause: 'string' },
  'admin.ExecutionTerminateResponse': {},
  'admin.WorkflowExecutionGetMetricsRequest': { id: 'core.WorkflowExecutionIdentifier', depth: 'int32' },
  'admin.WorkflowExecutionGetMetricsResponse': { span: 'core.Span' },
  'admin.ResourceListRequest': {
    id: 'admin.NamedEntityIdentifier',
    limit: 'uint32',
    token: 'string',
    filters: 'string',
    sort_by: 'admin.Sort',
  },
  'admin.NamedEntityIdentifier': { project: 'string', domain: 'string', name: 'string', org: 'string' },
  'admin.Sort': { key: 'string', direction: 'enum:admin.Sort.Direction' },
  'admin.Execution': {
    id: 'core.WorkflowExecutionIdentifier',
    spec: 'admin.ExecutionSpec',
    closure: 'admin.ExecutionClosure',
  },
  'admin.ExecutionList': { executions: 'repeated admin.Execution', token: 'string' },
  'admin.ExecutionSpec': {
    launch_plan: 'core.Identifier',
    inputs: 'core.LiteralMap',
    metadata: 'admin.ExecutionMetadata',
    notifications: 'admin.NotificationList oneof:notification_overrides',
    disable_all: 'bool oneof:notification_overrides',
    labels: 'admin.Labels',
    annotations: 'admin.Annotations',
    security_context: 'core.SecurityContext',
    auth_role: 'admin.AuthRole',
    quality_of_service: 'core.QualityOfService',
    max_parallelism: 'int32',
    raw_output_data_config: 'admin.RawOutputDataConfig',
    cluster_assignment: 'admin.ClusterAssignment',
    interruptible: 'BoolValue',
    overwrite_cache: 'bool',
    envs: 'admin.Envs',
    tags: 'repeated string',
    execution_cluster_label: 'admin.ExecutionClusterLabel',
    execution_env_assignments: 'repeated core.ExecutionEnvAssignment',
  },
  'admin.ExecutionMetadata': {
    mode: 'enum:admin.ExecutionMetadata.ExecutionMode',
    principal: 'string',
    nesting: 'uint32',
    scheduled_at: 'Timestamp',
    parent_node_execution: 'core.NodeExecutionIdentifier',
    reference_execution: 'core.WorkflowExecutionIdentifier',
    system_metadata: 'admin.SystemMetadata',
    artifact_ids: 'repeated core.ArtifactID',
  },
  'admin.SystemMetadata': { execution_cluster: 'string', namespace: 'string' },
  'admin.NotificationList': { notifications: 'repeated admin.Notification' },
  'admin.Notification': {
    phases: `repeated ${PHASE}`,
    email: 'admin.EmailNotification oneof:type',
    pager_duty: 'admin.PagerDutyNotification oneof:type',
    slack: 'admin.SlackNotification oneof:type',
  },
  'admin.EmailNotification': { recipients_email: 'repeated string', template: 'string' },
  'admin.PagerDutyNotification': { recipients_email: 'repeated string', template: 'string' },
  'admin.SlackNotification': { recipients_email: 'repeated string', template: 'string' },
  'admin.Labels': { values: 'map string' },
  'admin.Annotations': { values: 'map string' },
  'admin.Envs': { values: 'repeated core.KeyValuePair' },
  'admin.AuthRole': { assumable_iam_role: 'string', kubernetes_service_account: 'string' },
  'admin.RawOutputDataConfig': { output_location_prefix: 'string' },
  'admin.ClusterAssignment': { cluster_pool_name: 'string' },
  'admin.ExecutionClusterLabel': { value: 'string' },
  'admin.ExecutionClosure': {
    outputs: 'admin.LiteralMapBlob oneof:output_result',
    error: 'core.ExecutionError oneof:output_result',
    abort_cause: 'string oneof:output_result',
    abort_metadata: 'admin.AbortMetadata oneof:output_result',
    output_data: 'core.LiteralMap oneof:output_result',
    computed_inputs: 'core.LiteralMap',
    phase: PHASE,
    started_at: 'Timestamp',
    duration: 'Duration',
    created_at: 'Timestamp',
    updated_at: 'Timestamp',
    notifications: 'repeated admin.Notification',
    workflow_id: 'core.Identifier',
    state_change_details: 'admin.ExecutionStateChangeDetails',
  },
  'admin.LiteralMapBlob': { values: 'core.LiteralMap oneof:data', uri: 'string oneof:data' },
  'admin.AbortMetadata': { cause: 'string', principal: 'string' },
  'admin.ExecutionStateChangeDetails': {
    state: 'enum:admin.ExecutionState',
    occurred_at: 'Timestamp',
    principal: 'string',
  },
  'admin.EventFailureReason': {
    already_in_terminal_state: 'admin.EventErrorAlreadyInTerminalState oneof:reason',
    incompatible_cluster: 'admin.EventErrorIncompatibleCluster oneof:reason',
  },
  'admin.EventErrorAlreadyInTerminalState': { current_phase: 'string' },
  'admin.EventErrorIncompatibleCluster': { cluster: 'string' },
  'service.OAuth2MetadataRequest': {},
  'service.PublicClientAuthConfigRequest': {},
  'service.OAuth2MetadataResponse': {
    issuer: 'string',
    authorization_endpoint: 'string',
    token_endpoint: 'string',
    response_types_supported: 'repeated string',
    scopes_supported: 'repeated string',
    token_endpoint_auth_methods_supported: 'repeated string',
    jwks_uri: 'string',
    code_challenge_methods_supported: 'repeated string',
    grant_types_supported: 'repeated string',
    device_authorization_endpoint: 'string',
  },
  'service.PublicClientAuthConfigResponse': {
    client_id: 'string',
    redirect_uri: 'string',
    scopes: 'repeated string',
    authorization_metadata_key: 'string',
    service_http_endpoint: 'string',
    audience: 'string',
  },
};

export const ADMIN_ENUMS: EnumTable = {
  'admin.Sort.Direction': ['DESCENDING', 'ASCENDING'],
  'admin.ExecutionState': ['EXECUTION_ACTIVE', 'EXECUTION_ARCHIVED'],
};

/** Every message and enum the emulator speaks. Built once at import; a bad table throws here. */
export const REGISTRY: ProtoRegistry = createRegistry(
  { ...CORE_MESSAGES, ...ADMIN_MESSAGES },
  { ...CORE_ENUMS, ...ADMIN_ENUMS },
);
