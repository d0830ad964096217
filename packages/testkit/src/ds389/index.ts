export {
  start389Ds,
  assert389DsInstalled,
  Ds389Error,
  INSTALL_389DS_SCRIPT,
  type Start389DsOptions,
  type Ds389Peer,
} from './launcher.js';
