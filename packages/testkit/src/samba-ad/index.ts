export {
  startSambaAd,
  assertSambaAdInstalled,
  SambaAdError,
  SAMPLE_AD_LDIF,
  INSTALL_SAMBA_AD_SCRIPT,
  type StartSambaAdOptions,
  type SambaAdPeer,
} from './launcher.js';
