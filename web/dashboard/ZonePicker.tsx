/** The time zone picker of the header: the browser's zone, UTC, common zones, then every zone the browser knows. */
import { useMemo } from 'react';
import { browserZone, zoneOptions } from './timezone';

export function ZonePicker({ zone, onChange }: { zone: string; onChange: (zone: string) => void }) {
  const { common, others } = useMemo(zoneOptions, []);
  const local = browserZone();
  const label = (name: string) => (name === local ? `${name} (browser)` : name);
  return (
    <label className="zone-picker">
      Time zone
      <select name="timezone" value={zone} onChange={(e) => onChange(e.target.value)}>
        {!common.includes(zone) && !others.includes(zone) && <option value={zone}>{label(zone)}</option>}
        {common.map((name) => (
          <option key={name} value={name}>
            {label(name)}
          </option>
        ))}
        {others.length > 0 && (
          <optgroup label="All zones">
            {others.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </optgroup>
        )}
      </select>
    </label>
  );
}
