export * from './elder-emulator/index.js';
export * from './slapd/index.js';
export * from './samba-ad/index.js';
export * from './ds389/index.js';
export type { DirectoryPeer } from './peer/directory.js';
export * from './worker-env-example.js';
export * from './microsoft/index.js';
export * from './google-directory/index.js';
export * from './aws/index.js';
