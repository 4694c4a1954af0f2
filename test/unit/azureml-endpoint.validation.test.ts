/**
 * Which discovered endpoints the gateway may send its managed identity's token to: https
 * hosts under the cloud's Azure ML domains (regional and private-link), loopback only when
 * ARM itself is the loopback emulator; and how a data-plane path names its workspace.
 */
import { describe, expect, it } from 'vitest';
import { workspaceOfPath } from '../../src/azureml/endpoint-client.js';
import {
  allowedEndpoint,
  type EndpointPolicy,
  RefusedEndpointError,
} from '../../src/azureml/endpoint-policy.js';

const PUBLIC: EndpointPolicy = { cloud: 'AzureCloud', allowLoopback: false };
const CHINA: EndpointPolicy = { cloud: 'AzureChinaCloud', allowLoopback: false };
const GOV: EndpointPolicy = { cloud: 'AzureUSGovernment', allowLoopback: false };
const EMULATOR: EndpointPolicy = { cloud: 'AzureCloud', allowLoopback: true };

describe('allowedEndpoint', () => {
  it.each([
    ['https://westeurope.api.azureml.ms', PUBLIC, 'https://westeurope.api.azureml.ms'],
    ['https://westeurope.api.azureml.ms/', PUBLIC, 'https://westeurope.api.azureml.ms'],
    ['https://WestEurope.API.AzureML.ms:443', PUBLIC, 'https://westeurope.api.azureml.ms'],
    ['https://westeurope.experiments.azureml.net', PUBLIC, 'https://westeurope.experiments.azureml.net'],
    ['https://westeurope.api.azureml.ms/discovery', PUBLIC, 'https://westeurope.api.azureml.ms/discovery'],
    // private link: <workspace-id>.workspace.<region>.api.azureml.ms (how-to-custom-dns)
    [
      'https://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.westeurope.api.azureml.ms',
      PUBLIC,
      'https://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.westeurope.api.azureml.ms',
    ],
    ['https://chinaeast2.api.ml.azure.cn', CHINA, 'https://chinaeast2.api.ml.azure.cn'],
    [
      'https://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.chinaeast2.api.ml.azure.cn',
      CHINA,
      'https://0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.workspace.chinaeast2.api.ml.azure.cn',
    ],
    ['https://usgovvirginia.api.ml.azure.us', GOV, 'https://usgovvirginia.api.ml.azure.us'],
    ['http://127.0.0.1:53117', EMULATOR, 'http://127.0.0.1:53117'],
    ['http://localhost:8090/', EMULATOR, 'http://localhost:8090'],
    ['https://westeurope.api.azureml.ms', EMULATOR, 'https://westeurope.api.azureml.ms'],
  ])('accepts %s (%o)', (value, policy, expected) => {
    expect(allowedEndpoint(value, policy)).toBe(expected);
  });

  it.each([
    ['https://attacker.example.net', PUBLIC, 'attacker.example.net is not an Azure ML host of AzureCloud'],
    ['http://westeurope.api.azureml.ms', PUBLIC, 'is not https'],
    ['https://westeurope.api.azureml.ms:8443', PUBLIC, 'is not on the https port'],
    ['https://api.azureml.ms.attacker.example.net', PUBLIC, 'is not an Azure ML host'],
    ['https://evilapi.azureml.ms', PUBLIC, 'is not an Azure ML host'],
    ['https://api.azureml.ms', PUBLIC, 'is not an Azure ML host'],
    ['https://user:pw@westeurope.api.azureml.ms', PUBLIC, 'credentials, a query or a fragment'],
    ['https://westeurope.api.azureml.ms/?x=1', PUBLIC, 'credentials, a query or a fragment'],
    ['https://westeurope.api.azureml.ms#.x', PUBLIC, 'credentials, a query or a fragment'],
    // another cloud's hosts are refused: the token's audience is this cloud's
    ['https://westeurope.api.azureml.ms', CHINA, 'is not an Azure ML host of AzureChinaCloud'],
    ['https://chinaeast2.api.ml.azure.cn', GOV, 'is not an Azure ML host of AzureUSGovernment'],
    // loopback only for the loopback emulator
    ['http://127.0.0.1:53117', PUBLIC, 'is not https'],
    ['https://127.0.0.1', PUBLIC, 'is not an Azure ML host'],
    ['http://10.0.0.4', EMULATOR, 'is not https'],
    ['ftp://127.0.0.1', EMULATOR, 'is not https'],
    ['not a url', PUBLIC, 'it is not a URL'],
    [42, PUBLIC, 'it is not a URL'],
    [null, PUBLIC, 'it is not a URL'],
  ])('refuses %s (%o)', (value, policy, why) => {
    expect(() => allowedEndpoint(value, policy)).toThrow(RefusedEndpointError);
    expect(() => allowedEndpoint(value, policy)).toThrow(why);
  });
});

describe('workspaceOfPath', () => {
  it('reads the workspace of an Execution Service path, percent-decoded', () => {
    expect(
      workspaceOfPath(
        '/execution/v1.0/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg%2Ea' +
          '/providers/Microsoft.MachineLearningServices/workspaces/ws-1/experiments/e/runId/r/cancel',
      ),
    ).toEqual({
      subscriptionId: '00000000-0000-0000-0000-000000000000',
      resourceGroup: 'rg.a',
      workspace: 'ws-1',
    });
  });

  it('names none for a path without a workspace scope', () => {
    expect(workspaceOfPath('/api/v1/executions/p/d/n')).toBeUndefined();
    expect(workspaceOfPath('/execution/v1.0/subscriptions/s/resourceGroups/rg')).toBeUndefined();
  });
});
