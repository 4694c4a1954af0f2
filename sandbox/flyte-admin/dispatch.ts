/**
 * Maps each gateway route's operation name to the function that serves it. The execution operations are
 * stateless over the store; the two auth discovery operations need the auth service and the emulator's
 * own URL, and answer UNIMPLEMENTED when auth is off, because flyteadmin then does not register
 * `AuthMetadataService` at all and the gateway relays gRPC's answer.
 * @module
 */
import type { AuthService } from './auth.js';
import { GrpcCode } from './constants.js';
import {
  createExecution,
  getExecution,
  getExecutionMetrics,
  listExecutionsOperation,
  type Operation,
  recoverExecution,
  relaunchExecution,
  terminateExecution,
} from './operations.js';
import type { OperationName } from './routes.js';
import { StatusError } from './status-error.js';

/** What the discovery operations need from the emulator. */
export interface DispatchState {
  auth: AuthService;
  baseUrl(): string;
}

function discovery(state: DispatchState, build: () => ReturnType<Operation>): ReturnType<Operation> {
  if (!state.auth.enabled) {
    throw new StatusError(GrpcCode.UNIMPLEMENTED, 'unknown service flyteidl.service.AuthMetadataService');
  }
  return build();
}

/**
 * The operation serving a route.
 * @example operationFor(state, 'GetExecution')(ctx, { id: { project, domain, name } }).typeName // 'admin.Execution'
 */
export function operationFor(state: DispatchState, name: OperationName): Operation {
  switch (name) {
    case 'CreateExecution':
      return createExecution;
    case 'RecoverExecution':
      return recoverExecution;
    case 'RelaunchExecution':
      return relaunchExecution;
    case 'ListExecutions':
      return listExecutionsOperation;
    case 'GetExecution':
      return getExecution;
    case 'TerminateExecution':
      return terminateExecution;
    case 'GetExecutionMetrics':
      return getExecutionMetrics;
    case 'GetOAuth2Metadata':
      return () =>
        discovery(state, () => ({
          typeName: 'service.OAuth2MetadataResponse',
          value: state.auth.oauth2Metadata(state.baseUrl()),
        }));
    case 'GetPublicClientConfig':
      return () =>
        discovery(state, () => ({
          typeName: 'service.PublicClientAuthConfigResponse',
          value: state.auth.publicClientConfig(),
        }));
  }
}

/** Operations the gateway serves without authentication. */
export const ANONYMOUS: ReadonlySet<OperationName> = new Set(['GetOAuth2Metadata', 'GetPublicClientConfig']);
