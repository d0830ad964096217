/**
 * Microsoft's national clouds: where to log in, where Graph and the Defender API live, and the
 * resource ids tokens are requested for (https://learn.microsoft.com/graph/deployments,
 * https://learn.microsoft.com/defender-endpoint/gov). The resource id of a token is not the host it is
 * sent to: every Defender host takes a token for `https://api.securitycenter.microsoft.com`.
 */
export const CLOUDS = ['global', 'usgov', 'usgov-dod', 'china'] as const;
export type Cloud = (typeof CLOUDS)[number];

export interface CloudEndpoints {
  login: string;
  graph: string;
  defender: string;
  /** Token audience (resource id) for Graph. */
  graphAudience: string;
  /** Token audience for the Defender for Endpoint API. */
  defenderAudience: string;
}

export const CLOUD_ENDPOINTS: Record<Cloud, CloudEndpoints> = {
  global: {
    login: 'https://login.microsoftonline.com',
    graph: 'https://graph.microsoft.com',
    defender: 'https://api.security.microsoft.com',
    graphAudience: 'https://graph.microsoft.com',
    defenderAudience: 'https://api.securitycenter.microsoft.com',
  },
  usgov: {
    login: 'https://login.microsoftonline.us',
    graph: 'https://graph.microsoft.us',
    defender: 'https://api-gcc.securitycenter.microsoft.us',
    graphAudience: 'https://graph.microsoft.us',
    defenderAudience: 'https://api-gcc.securitycenter.microsoft.us',
  },
  'usgov-dod': {
    login: 'https://login.microsoftonline.us',
    graph: 'https://dod-graph.microsoft.us',
    defender: 'https://api-gov.securitycenter.microsoft.us',
    graphAudience: 'https://dod-graph.microsoft.us',
    defenderAudience: 'https://api-gov.securitycenter.microsoft.us',
  },
  china: {
    login: 'https://login.chinacloudapi.cn',
    graph: 'https://microsoftgraph.chinacloudapi.cn',
    defender: 'https://api.securitycenter.azure.cn',
    graphAudience: 'https://microsoftgraph.chinacloudapi.cn',
    defenderAudience: 'https://api.securitycenter.azure.cn',
  },
};

/** The cloud's endpoints with the config's `endpoints` overrides (audiences never change). */
export function endpointsFor(cloud: Cloud, overrides: Partial<Pick<CloudEndpoints, 'login' | 'graph' | 'defender'>> = {}): CloudEndpoints {
  const base = CLOUD_ENDPOINTS[cloud];
  const trim = (u: string | undefined) => u?.replace(/\/+$/, '');
  return {
    ...base,
    login: trim(overrides.login) ?? base.login,
    graph: trim(overrides.graph) ?? base.graph,
    defender: trim(overrides.defender) ?? base.defender,
  };
}
