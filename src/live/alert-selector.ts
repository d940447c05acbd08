import type { Selector } from '../store/event-store';

/**
 * Which events are alerts (docs/madsci-compatibility.md#d28-which-events-alert-and-the-alert-mail): `alert: true`, or a level at or above `level`
 * (`ALERT_LEVEL`, default 40 = ERROR). One selector, evaluated with mingo by the `alertRaised`
 * subscription and by alert delivery alike.
 */
export function alertSelector(level: number): Selector {
  return { $or: [{ alert: true }, { log_level: { $gte: level } }] };
}
