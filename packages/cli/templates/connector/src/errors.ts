/** Stable codes: the runner and users match on these, never on message text. */
export const HostsApiErrorCode = {
  Unreachable: 'HOSTS_API_UNREACHABLE',
  Unauthorized: 'HOSTS_API_UNAUTHORIZED',
  Forbidden: 'HOSTS_API_FORBIDDEN',
  BadResponse: 'HOSTS_API_BAD_RESPONSE',
} as const;
export type HostsApiErrorCode = (typeof HostsApiErrorCode)[keyof typeof HostsApiErrorCode];

export class HostsApiError extends Error {
  override readonly name = 'HostsApiError';
  constructor(
    readonly code: HostsApiErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}
