/**
 * The emulators' own HTTP control surface under `/_emulator/`, for tests and tools that drive a running
 * emulator from another process (e.g. `npm run emulator:flyte`): fault switches, the request journal and a
 * full reset, plus any endpoints an emulator adds (e.g. a run listing). These requests are never
 * journaled, faulted or authenticated, and answer plain JSON (`{"error": …}` on misuse) rather than the
 * emulated service's error shape, so they cannot be mistaken for its answers.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { type FaultControl, parseFaultSettings } from './faults.js';
import { sendJson } from './http-io.js';
import type { RecordedRequest } from './journal.js';

/** Prefix of the control endpoints; requests there are neither journaled nor faulted. */
export const CONTROL_PREFIX = '/_emulator/';

export interface ControlTarget {
  faults: FaultControl;
  journal: RecordedRequest[];
  /** Fields added to the `/_emulator/requests` answer beside `requests` (e.g. token counters). */
  journalExtras(): Record<string, unknown>;
  /** Empties the journal and whatever `journalExtras` reports. */
  clearJournal(): void;
  reset(): void;
}

/** One control operation: takes the raw request body, returns status and JSON body; throw for a 400. */
export type ControlHandler = (body: string) => { status: number; body: unknown };
/** Path → method → handler. */
export type ControlEndpoints = Record<string, Record<string, ControlHandler>>;

/**
 * The endpoints every emulator has: `/_emulator/faults`, `/_emulator/requests`, `/_emulator/reset`.
 * @example handleControl(method, path, body, { ...commonControlEndpoints(target), ...mine }, res);
 */
export function commonControlEndpoints(target: ControlTarget): ControlEndpoints {
  const journalView = () => ({ requests: target.journal, ...target.journalExtras() });
  return {
    '/_emulator/faults': {
      GET: () => ({ status: 200, body: target.faults.snapshot() }),
      PUT: (body) => {
        target.faults.set(parseFaultSettings(body.trim() === '' ? {} : JSON.parse(body)));
        return { status: 200, body: target.faults.snapshot() };
      },
      DELETE: () => {
        target.faults.clear();
        return { status: 200, body: target.faults.snapshot() };
      },
    },
    '/_emulator/requests': {
      GET: () => ({ status: 200, body: journalView() }),
      DELETE: () => {
        target.clearJournal();
        return { status: 200, body: journalView() };
      },
    },
    '/_emulator/reset': {
      POST: () => {
        target.reset();
        return { status: 200, body: {} };
      },
    },
  };
}

/**
 * Answers one control request.
 * @example
 * // PUT /_emulator/faults  {"status429":{"count":1,"retryAfterSeconds":2}}
 * // → 200 {"latencyMs":0,"status429":{"count":1,"retryAfterSeconds":2}}
 */
export function handleControl(
  method: string,
  path: string,
  body: string,
  endpoints: ControlEndpoints,
  response: ServerResponse,
): void {
  const endpoint = endpoints[path];
  if (!endpoint) {
    sendJson(response, 404, { error: `unknown emulator control endpoint ${path}` });
    return;
  }
  const handler = endpoint[method];
  if (!handler) {
    sendJson(
      response,
      405,
      { error: `${method} is not supported on ${path}` },
      { allow: Object.keys(endpoint).join(', ') },
    );
    return;
  }
  try {
    const answer = handler(body);
    sendJson(response, answer.status, answer.body);
  } catch (error) {
    sendJson(response, 400, { error: (error as Error).message });
  }
}
