export { startNatsServer, INSTALL_NATS_SCRIPT, type NatsPeer, type StartNatsOptions } from './launcher.js';
