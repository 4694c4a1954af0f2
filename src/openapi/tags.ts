/**
 * @module
 * The document's tags, by which the reference page groups operations; routes name theirs.
 */
export const GATEWAY_TAG = 'Gateway';
export const CANCELLATIONS_TAG = 'Cancellations';

export const CAPABILITY_TAGS = {
  flyte: 'Flyte Admin executions',
  azureml: 'Azure ML Execution Service',
} as const;

/** The `tags` list of the document, in the order the reference page shows them. */
export const TAGS = [
  { name: CAPABILITY_TAGS.flyte, description: 'Flyte Admin API: workflow executions' },
  { name: CAPABILITY_TAGS.azureml, description: 'Azure ML Execution Service: runs' },
  { name: GATEWAY_TAG, description: 'Health, upload slots and the MCP endpoint' },
  {
    name: CANCELLATIONS_TAG,
    description: 'Batch cancellation of Flyte executions and Azure ML runs, with a report per batch',
  },
];
