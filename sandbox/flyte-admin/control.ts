/**
 * The emulator's own HTTP control surface under `/_emulator/`, for tests and tools that drive a running
 * emulator from another process (e.g. `npm run emulator:flyte`): fault switches, the request journal and a
 * full reset. These requests are never journaled, faulted or authenticated, and answer plain JSON
 * (`{"error": …}` on misuse) rather than gRPC status bodies, so they cannot be mistaken for Flyte answers.
 * @module
 */
import type { ServerResponse } from 'node:http';
import { type FaultControl, parseFaultSettings } from './faults.js';
import { sendJson } from './http-io.js';
import type { RecordedRequest } from './journal.js';

export interface ControlTarget {
  faults: FaultControl;
  journal: RecordedRequest[];
  tokenRequests(): number;
  clearJournal(): void;
  reset(): void;
}

type ControlHandler = (target: ControlTarget, body: string) => { status: number; body: unknown };

function journalView(target: ControlTarget) {
  return { requests: target.journal, tokenRequests: target.tokenRequests() };
}

/** Path → method → handler. */
const ENDPOINTS: Record<string, Record<string, ControlHandler>> = {
  '/_emulator/faults': {
    GET: (target) => ({ status: 200, body: target.faults.snapshot() }),
    PUT: (target, body) => {
      target.faults.set(parseFaultSettings(body.trim() === '' ? {} : JSON.parse(body)));
      return { status: 200, body: target.faults.snapshot() };
    },
    DELETE: (target) => {
      target.faults.clear();
      return { status: 200, body: target.faults.snapshot() };
    },
  },
  '/_emulator/requests': {
    GET: (target) => ({ status: 200, body: journalView(target) }),
    DELETE: (target) => {
      target.clearJournal();
      return { status: 200, body: journalView(target) };
    },
  },
  '/_emulator/reset': {
    POST: (target) => {
      target.reset();
      return { status: 200, body: {} };
    },
  },
};

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
  target: ControlTarget,
  response: ServerResponse,
): void {
  const endpoint = ENDPOINTS[path];
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
    const answer = handler(target, body);
    sendJson(response, answer.status, answer.body);
  } catch (error) {
    sendJson(response, 400, { error: (error as Error).message });
  }
}
