import { describe, expect, it } from 'vitest';
import {
  CANCEL_OPERATIONS,
  cancelInput,
  routeParams,
  targetSchema,
} from '../../src/cancellations/targets.js';
import { validateInput } from '../../src/catalog/validate.js';
import { loadSettings } from '../../src/config.js';
import { azuremlTarget, flyteTarget } from '../helpers/cancellations.js';

const settings = loadSettings({});

/** A batch target and its single-run operation must accept and refuse the same values. */
describe('batch targets and their cancel operations agree', () => {
  it.each([
    { target: flyteTarget('nightly-etl-0001'), cause: 'cleanup' },
    { target: flyteTarget(`a${'b'.repeat(62)}`), cause: 'c'.repeat(2048) },
    { target: azuremlTarget('exp-a_run-1'), cause: 'ignored for Azure ML' },
    {
      target: { ...azuremlTarget(`R${'x'.repeat(255)}`), resourceGroupName: 'rg.(x)_y-z' },
      cause: undefined,
    },
  ])('takes $target.kind target as the operation would', ({ target, cause }) => {
    // Act
    const parsed = targetSchema.parse(target);
    const { op, input } = cancelInput(parsed, cause);

    // Assess
    expect(op).toBe(CANCEL_OPERATIONS[target.kind]);
    const body = target.kind === 'flyte' ? { cause } : undefined;
    expect(validateInput(op, { params: routeParams(parsed), query: {}, body }, settings)).toStrictEqual(
      input,
    );
  });

  it.each([
    flyteTarget('Upper-Case'),
    flyteTarget('x'.repeat(64)),
    { ...flyteTarget('ok'), project: 'has space' },
    { ...flyteTarget('ok'), domain: '../etc' },
    azuremlTarget('bad id!'),
    { ...azuremlTarget('ok'), subscriptionId: 'not-a-guid' },
    { ...azuremlTarget('ok'), workspaceName: '-leading-dash' },
  ])('refuses what the operation refuses: %o', (target) => {
    // Act
    const batch = targetSchema.safeParse(target);
    const op = CANCEL_OPERATIONS[target.kind];
    const single = () =>
      validateInput(op, { params: routeParams(target as never), query: {}, body: undefined }, settings);

    // Assess
    expect(batch.success).toBe(false);
    expect(single).toThrow(/validation failed|must|Invalid/i);
  });
});
