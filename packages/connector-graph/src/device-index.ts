import type { TenantSession } from './session.js';

/**
 * Intune (`azureADDeviceId`) and Defender (`aadDeviceId`) name an Entra device by its `deviceId`,
 * while Entra device records are keyed by their object `id` (what delta `@removed` reports). This maps
 * one to the other: filled by the devices read (complete after a full round), and otherwise asked of
 * Graph for just the ids still unknown, 20 per `$batch` (`/devices(deviceId='…')`, an alternate key).
 */
export class DeviceIndex {
  private readonly byDeviceId = new Map<string, string | null>();
  /** Every Entra device of the tenant was seen (a full devices round). */
  complete = false;

  add(device: Record<string, unknown>): void {
    if (typeof device.deviceId === 'string' && typeof device.id === 'string') this.byDeviceId.set(device.deviceId.toLowerCase(), device.id);
  }

  /** Object ids for these deviceIds; unknown ones are looked up unless the index is complete. */
  async resolve(session: TenantSession, deviceIds: Iterable<string>): Promise<Map<string, string>> {
    const wanted = [...new Set([...deviceIds].map((d) => d.toLowerCase()))];
    const missing = this.complete ? [] : wanted.filter((d) => !this.byDeviceId.has(d)).sort();
    if (missing.length > 0) {
      const results = await session.batch('devices', missing.map((d) => ({ url: `/devices(deviceId='${d}')?$select=id,deviceId` })));
      missing.forEach((d, i) => {
        const r = results[i]!;
        if (r.status === 200) this.byDeviceId.set(d, String((r.body as { id: unknown }).id));
        else if (r.status === 404) this.byDeviceId.set(d, null);
        else throw session.itemFailure(r, `GET /devices(deviceId='${d}')`, 'devices');
      });
    }
    const out = new Map<string, string>();
    for (const d of wanted) {
      const id = this.byDeviceId.get(d);
      if (id) out.set(d, id);
    }
    return out;
  }
}
