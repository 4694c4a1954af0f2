/**
 * @module
 * Every operation the gateway serves. Surfaces read this list; adding an operation is one
 * entry in a capability file.
 */
import { azuremlOperations } from './azureml.js';
import { flyteOperations } from './flyte.js';
import type { Operation } from './operation.js';

export const operations: readonly Operation[] = [...flyteOperations, ...azuremlOperations];

export type { Operation } from './operation.js';
