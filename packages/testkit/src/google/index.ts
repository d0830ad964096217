export { mintServiceAccountKey, type MintedServiceAccount } from './service-account-key.js';
export {
  GOOGLE_TOKEN_AUDIENCE,
  GoogleTokenServer,
  startGoogleTokenServer,
  type AuthorizationResult,
  type GoogleTokenServerOptions,
  type IssuedToken,
  type KnownServiceAccount,
  type TokenGrant,
} from './token-server.js';
export {
  errorInfo,
  googleError,
  json,
  serveGoogle,
  type GoogleHandler,
  type GoogleRequest,
  type GoogleResponse,
  type RunningGoogleServer,
} from './http.js';
export {
  GcpServer,
  startGcpServer,
  type GcpApiName,
  type GcpBucket,
  type GcpFixture,
  type GcpFolder,
  type GcpInstance,
  type GcpNetwork,
  type GcpOrganization,
  type GcpProject,
  type GcpSubnetwork,
} from './gcp-server.js';
export { gcpEstate, type GcpEstateOptions } from './gcp-estate.js';
export * from '../google-directory/index.js';
