/**
 * Builds the canonical `admin.Execution` a client sees for a stored record at one instant: the spec as
 * stored and a closure derived from the phase timeline (`started_at`, `duration`, `updated_at`, and the
 * `output_result` oneof: outputs on success, error on failure, abort metadata once terminated). The list
 * view drops the deprecated input copies and trims error messages, as `ListExecutions` does.
 * @module
 */
import { DEFAULTS } from './constants.js';
import {
  cloneProto,
  formatDuration,
  formatTimestamp,
  messageField,
  type ProtoObject,
} from './proto-value.js';
import type { ExecutionRecord } from './store.js';
import { type PhaseState, phaseAt } from './timeline.js';

export type ExecutionView = 'get' | 'list';

/** Cuts to at most `bytes` UTF-8 bytes without splitting a character (`strings.ToValidUTF8`). */
function trimUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= bytes) return text;
  return buffer
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

/** URI propeller writes a successful run's outputs to, in the sandbox's bucket layout. */
function outputsUri(record: ExecutionRecord): string {
  const { project, domain, name } = record.id;
  return `${DEFAULTS.metadataPrefix}/${project}-${domain}-${name}/end-node/data/0/outputs.pb`;
}

function outputResult(record: ExecutionRecord, state: PhaseState, view: ExecutionView): ProtoObject {
  switch (state.phase) {
    case 'SUCCEEDED':
      return { outputs: { uri: outputsUri(record) } };
    case 'FAILING':
    case 'FAILED': {
      const { code, message, kind } = record.failure;
      const text = view === 'list' ? trimUtf8(message, DEFAULTS.listErrorMessageBytes) : message;
      return { error: { code, message: text, kind, timestamp: formatTimestamp(state.updatedAt) } };
    }
    case 'ABORTING':
    case 'ABORTED': {
      // Seeded ABORTED runs have no abort request; admin then synthesises metadata from the cause column.
      const abort = record.timeline.abort;
      return { abort_metadata: { cause: abort?.cause ?? '', principal: abort?.principal ?? '' } };
    }
    default:
      return {};
  }
}

/**
 * The execution as GetExecution (`view: 'get'`) or ListExecutions (`'list'`) returns it at `now`.
 * @example renderExecution(record, Date.now(), 'get').closure // { phase: 'RUNNING', … }
 */
export function renderExecution(record: ExecutionRecord, now: number, view: ExecutionView): ProtoObject {
  const state = phaseAt(record.timeline, now);
  const spec = cloneProto(record.spec);
  if (view === 'list') delete spec.inputs;
  const createdAt = formatTimestamp(record.timeline.createdAt);
  const metadata = messageField(spec, 'metadata');
  const closure: ProtoObject = {
    ...outputResult(record, state, view),
    phase: state.phase,
    started_at: state.startedAt === undefined ? undefined : formatTimestamp(state.startedAt),
    duration: state.durationMs === undefined ? undefined : formatDuration(state.durationMs),
    created_at: createdAt,
    updated_at: formatTimestamp(state.updatedAt),
    notifications: cloneProto(messageField(spec, 'notifications')?.notifications ?? []),
    workflow_id: cloneProto(record.workflowId),
    state_change_details: {
      state: 'EXECUTION_ACTIVE',
      occurred_at: createdAt,
      principal: metadata?.principal ?? '',
    },
  };
  return { id: { ...record.id }, spec, closure };
}
