export {
  startSlapd,
  assertSlapdInstalled,
  SlapdError,
  SAMPLE_LDIF,
  INSTALL_SLAPD_SCRIPT,
  type StartSlapdOptions,
  type SlapdPeer,
} from './launcher.js';
export { generateUsersLdif, FIXTURE_SUFFIX } from './ldif.js';
