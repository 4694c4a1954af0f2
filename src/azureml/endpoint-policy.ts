/**
 * @module
 * Where the gateway may send Azure ML calls, per Azure cloud: the ARM endpoint and audience
 * the workspace lookup uses, and the host names a discovered Execution Service endpoint must
 * end in. The managed identity's token goes to whatever endpoint discovery names, so a
 * discovery answer (or an ARM `discoveryUrl`) naming any other host is refused: a compromised
 * or spoofed answer cannot send the token elsewhere.
 *
 * Cloud values are azure-ai-ml's (`azure/ai/ml/_azure_environments.py`: `resource_manager`,
 * `aml_resource_id`); the host domains are the Azure ML firewall list (learn.microsoft.com
 * `how-to-access-azureml-behind-firewall`: `*.api.azureml.ms`, `*.experiments.azureml.net`)
 * and the private-link names (`how-to-custom-dns`: `<workspace-id>.workspace.<region>.api.azureml.ms`,
 * China `…api.ml.azure.cn`, US Gov `…api.ml.azure.us`).
 */
import type { Settings } from '../config.js';

/** AZURE_CLOUD's values, azure-ai-ml's cloud names. */
export type AzureCloud = Settings['AZURE_CLOUD'];

export interface CloudEndpoints {
  /** ARM origin for the workspace GET. */
  resourceManager: string;
  /** Entra scope of an ARM-audience token (what the Execution Service accepts too). */
  armScope: string;
  /** Host suffixes an Azure ML data-plane endpoint of this cloud ends in (after a dot). */
  mlDomains: readonly string[];
}

export const CLOUDS: Record<AzureCloud, CloudEndpoints> = {
  AzureCloud: {
    resourceManager: 'https://management.azure.com',
    armScope: 'https://management.azure.com/.default',
    // The v1 SDK's `history` key was `https://<region>.experiments.azureml.net` in 2020 discovery answers.
    mlDomains: ['api.azureml.ms', 'experiments.azureml.net'],
  },
  AzureChinaCloud: {
    resourceManager: 'https://management.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
    mlDomains: ['ml.azure.cn'],
  },
  AzureUSGovernment: {
    resourceManager: 'https://management.usgovcloudapi.net',
    armScope: 'https://management.usgovcloudapi.net/.default',
    mlDomains: ['ml.azure.us'],
  },
};

/** The public cloud's ARM scope: AZUREML_SCOPE's default, which follows AZURE_CLOUD when left as is. */
export const PUBLIC_ARM_SCOPE = CLOUDS.AzureCloud.armScope;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether `url` is on a loopback host (the emulators in tests and `npm start`). */
export function isLoopbackUrl(url: string): boolean {
  return URL.canParse(url) && LOOPBACK_HOSTS.has(new URL(url).hostname.toLowerCase());
}

export interface EndpointPolicy {
  cloud: AzureCloud;
  /** Also accept http(s) on a loopback host: only when ARM itself is the loopback emulator. */
  allowLoopback: boolean;
}

/** Why an endpoint was refused; the message is safe to show (it names the host, never a token). */
export class RefusedEndpointError extends Error {
  override name = 'RefusedEndpointError';
}

/**
 * The endpoint as a base URL (origin plus any path, no trailing slash) when it is one the
 * gateway may call: https on the default port, a host under the cloud's Azure ML domains, no
 * credentials, query or fragment; or, with `allowLoopback`, a loopback host.
 * @throws RefusedEndpointError naming what is wrong
 * @example
 * allowedEndpoint('https://westeurope.api.azureml.ms/', { cloud: 'AzureCloud', allowLoopback: false })
 * // 'https://westeurope.api.azureml.ms'
 */
export function allowedEndpoint(value: unknown, policy: EndpointPolicy): string {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new RefusedEndpointError('it is not a URL');
  const url = new URL(value);
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  if (url.username || url.password || url.search || url.hash)
    throw new RefusedEndpointError(`${url.host} carries credentials, a query or a fragment`);
  if (policy.allowLoopback && LOOPBACK_HOSTS.has(host) && /^https?:$/.test(url.protocol)) return base;
  if (url.protocol !== 'https:') throw new RefusedEndpointError(`${url.host} is not https`);
  if (url.port !== '') throw new RefusedEndpointError(`${url.host} is not on the https port`);
  const domains = CLOUDS[policy.cloud].mlDomains;
  if (!domains.some((domain) => host.endsWith(`.${domain}`)))
    throw new RefusedEndpointError(
      `${host} is not an Azure ML host of ${policy.cloud} (*.${domains.join(', *.')})`,
    );
  return base;
}
