/** Request factories for the Flyte integration suites. */

export const EXECUTIONS = '/v1/api/v1/executions';

export const launchPlan = {
  resource_type: 'LAUNCH_PLAN',
  project: 'flytesnacks',
  domain: 'development',
  name: 'lp',
  version: 'v1',
};

/** A minimal valid create-execution body. */
export const createBody = (name: string) => ({
  project: 'flytesnacks',
  domain: 'development',
  name,
  spec: { launch_plan: launchPlan },
});
