export { startAwsFake, type AwsFake, type AwsFakeOptions, type AwsCredentials, type AwsRequestRecord, type DenyFault, type ThrottleFault } from './server.js';
export * from './world.js';
export { verifySignature, parseAuthorization, type SignatureCheck } from './sigv4.js';
