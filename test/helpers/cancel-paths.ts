/**
 * Where a batch target's cancel lands on its emulator (the path the journal records), for the
 * batch-cancellation tests and `bench:cancel`. No test-runner imports, so the bench can use it.
 */

/** A batch target as the REST body and the queue messages spell it. */
export type CancelTarget =
  | { kind: 'flyte'; project: string; domain: string; name: string }
  | {
      kind: 'azureml';
      subscriptionId: string;
      resourceGroupName: string;
      workspaceName: string;
      experimentName: string;
      runId: string;
    };

/** The emulator path a target's cancel reaches. */
export function upstreamPath(target: CancelTarget): string {
  return target.kind === 'flyte'
    ? `/api/v1/executions/${target.project}/${target.domain}/${target.name}`
    : `/execution/v1.0/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroupName}` +
        `/providers/Microsoft.MachineLearningServices/workspaces/${target.workspaceName}` +
        `/experiments/${target.experimentName}/runId/${target.runId}/cancel`;
}
