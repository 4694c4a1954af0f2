/**
 * Azure ML pieces shared by the big-zip and soak benches: the workspace the gateway allows,
 * its startrun path, the example run definition and zip, and a look into the staging
 * container for leaked blobs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';

export const WORKSPACE = '00000000-0000-0000-0000-000000000000/rg-ml/ws-bench';
const [SUBSCRIPTION, RESOURCE_GROUP, NAME] = WORKSPACE.split('/') as [string, string, string];

/** The gateway's path of an experiment operation, e.g. `startrun`. */
export function experimentPath(operation: string, experiment = 'exp-bench'): string {
  return (
    `/v1/execution/v1-0/subscriptions/${SUBSCRIPTION}/resourcegroups/${RESOURCE_GROUP}` +
    `/providers/microsoft-machinelearningservices/workspaces/${NAME}/experiments/${experiment}/${operation}`
  );
}

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples');

export const runDefinition = (): unknown =>
  JSON.parse(readFileSync(join(EXAMPLES, 'run-definition.json'), 'utf8'));

/** A small startrun form: the example definition and `examples/project.zip`. */
export function smallStartRunForm(): FormData {
  const form = new FormData();
  form.append(
    'runDefinitionFile',
    new Blob([JSON.stringify(runDefinition())], { type: 'application/json' }),
    'definition.json',
  );
  form.append(
    'projectZipFile',
    new Blob([readFileSync(join(EXAMPLES, 'project.zip'))], { type: 'application/zip' }),
    'project.zip',
  );
  return form;
}

/** Environment of a gateway process that serves Azure ML against these emulators. */
export function azureMlEnv(azuremlUrl: string, storage: string): Record<string, string> {
  return {
    AZUREML_ENDPOINT: azuremlUrl,
    AZUREML_AUTH: 'none',
    AZUREML_WORKSPACES: WORKSPACE,
    AzureWebJobsStorage: storage,
  };
}

/** Names of the blobs left in the staging container (none after every run has ended). */
export async function stagedBlobs(connectionString: string, container = 'staging'): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  if (!(await client.exists())) return [];
  const names: string[] = [];
  // Uncommitted blocks too: a failed upload must not leave billable blocks nobody lists.
  for await (const blob of client.listBlobsFlat({ includeUncommitedBlobs: true })) names.push(blob.name);
  return names;
}
