/**
 * @module
 * Every operation the gateway serves. Surfaces read this list; adding an operation is one
 * entry in a capability file.
 */
import { flyteOperations } from './flyte.js';
import type { Operation } from './operation.js';

export const operations: readonly Operation[] = [...flyteOperations];

export type { Operation } from './operation.js';
