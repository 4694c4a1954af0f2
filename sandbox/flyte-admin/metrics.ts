/**
 * GetExecutionMetrics: the span tree flyteadmin's metrics manager builds, over a synthetic single-node,
 * single-task workflow (the emulator has no node or task executions). Depth handling follows
 * `parseExecution`/`parseNodeExecution`/`parseTaskExecutions`: depth 0 is the bare root; each level expands
 * one step (workflow → node → task); a negative depth never reaches 0 and so expands everything.
 * Node and task boundaries are placed at fixed fractions of the running time so spans nest plausibly.
 * @module
 */
import { type SpanOperation, TERMINAL_PHASES } from './constants.js';
import { formatTimestamp, messageField, type ProtoObject, stringField } from './proto-value.js';
import type { ExecutionRecord } from './store.js';
import { phaseAt } from './timeline.js';

type Operation = keyof typeof SpanOperation;

function operation(start: number, end: number, id: Operation): ProtoObject {
  return { start_time: formatTimestamp(start), end_time: formatTimestamp(end), operation_id: id, spans: [] };
}

interface TaskTimes {
  created: number;
  started: number;
  /** When the plugin finished; undefined while the task still runs. */
  ended?: number;
  updated: number;
}

function taskSpan(record: ExecutionRecord, times: TaskTimes): ProtoObject {
  const launchPlan = messageField(record.spec, 'launch_plan') ?? {};
  const name = stringField(launchPlan, 'name');
  const spans = [operation(times.created, times.started, 'TASK_SETUP')];
  if (times.ended === undefined) spans.push(operation(times.started, times.updated, 'TASK_RUNTIME'));
  else
    spans.push(
      operation(times.started, times.ended, 'TASK_RUNTIME'),
      operation(times.ended, times.updated, 'TASK_TEARDOWN'),
    );
  return {
    start_time: formatTimestamp(times.created),
    end_time: formatTimestamp(times.updated),
    task_id: {
      task_id: {
        resource_type: 'TASK',
        project: stringField(launchPlan, 'project'),
        domain: stringField(launchPlan, 'domain'),
        name: record.launchEntity === 'task' ? name : `${name}.n0`,
        version: stringField(launchPlan, 'version'),
      },
      node_execution_id: { node_id: 'n0', execution_id: { ...record.id } },
      retry_attempt: 0,
    },
    spans,
  };
}

/**
 * The root span of an execution at `now`, expanded `depth` levels.
 * @example executionSpan(record, Date.now(), 0) // { start_time, end_time, workflow_id, spans: [] }
 */
export function executionSpan(record: ExecutionRecord, now: number, depth: number): ProtoObject {
  const state = phaseAt(record.timeline, now);
  const createdAt = record.timeline.createdAt;
  const root: ProtoObject = {
    start_time: formatTimestamp(createdAt),
    end_time: formatTimestamp(state.updatedAt),
    workflow_id: { ...record.id },
    spans: [],
  };
  if (depth === 0) return root;
  if (state.startedAt === undefined) {
    // The start node has not run yet: everything so far is workflow set-up.
    root.spans = [operation(createdAt, state.updatedAt, 'WORKFLOW_SETUP')];
    return root;
  }
  const start = state.startedAt;
  const terminal = TERMINAL_PHASES.has(state.phase);
  const end = terminal ? state.updatedAt : Math.max(now, start);
  const at = (fraction: number) => Math.round(start + (end - start) * fraction);
  const task: TaskTimes = terminal
    ? { created: at(0.02), started: at(0.05), ended: at(0.95), updated: at(0.96) }
    : { created: at(0.02), started: at(0.05), updated: end };
  const nodeUpdated = terminal ? at(0.98) : end;
  const nodeSpans: ProtoObject[] = [];
  if (depth - 1 !== 0) {
    nodeSpans.push(operation(start, task.created, 'NODE_SETUP'));
    if (depth - 2 !== 0) nodeSpans.push(taskSpan(record, task));
    if (nodeUpdated >= task.updated) nodeSpans.push(operation(task.updated, nodeUpdated, 'NODE_TEARDOWN'));
  }
  const spans: ProtoObject[] = [
    operation(createdAt, start, 'WORKFLOW_SETUP'),
    {
      start_time: formatTimestamp(start),
      end_time: formatTimestamp(nodeUpdated),
      node_id: { node_id: 'n0', execution_id: { ...record.id } },
      spans: nodeSpans,
    },
  ];
  if (terminal) spans.push(operation(nodeUpdated, state.updatedAt, 'WORKFLOW_TEARDOWN'));
  root.spans = spans;
  return root;
}
