export { googleCredentials, type GoogleCredentials } from './client.js';
export { parseCredentialsJson, isServiceAccountKey, type CredentialsJson, type ServiceAccountKey } from './credentials-json.js';
export { classifyGoogleError, googleErrorFacts, type GoogleCallContext, type GoogleErrorFacts } from './errors.js';
export {
  GOOGLE_IAM_CREDENTIALS_URL,
  GOOGLE_TOKEN_URL,
  googleAuthOptionsOf,
  googleCredentialsSchema,
  googleEndpointsSchema,
  rootUrlOf,
  serviceAccountEmailSchema,
  type GoogleAuthOptions,
  type GoogleEndpoints,
} from './options.js';
