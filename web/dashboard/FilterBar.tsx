/** The filter form. Every change applies at once (text fields after a short pause). */
import { LEVELS, SOURCE_FIELDS, type SourceField } from './api';
import { RANGE_PRESETS, type FilterForm, type RangePreset } from './filters';

interface Props {
  form: FilterForm;
  eventTypes: string[];
  onChange: (form: FilterForm) => void;
  onReset: () => void;
  /** The zone a custom range is read in. */
  zone: string;
}

export function FilterBar({ form, eventTypes, onChange, onReset, zone }: Props) {
  const set = <K extends keyof FilterForm>(key: K, value: FilterForm[K]) => onChange({ ...form, [key]: value });
  return (
    <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Event filters">
      <label>
        Level
        <select
          name="minLevel"
          value={form.minLevel}
          onChange={(e) => set('minLevel', e.target.value as FilterForm['minLevel'])}
        >
          <option value="">Any</option>
          {LEVELS.map((level) => (
            <option key={level} value={level}>
              {level === 'CRITICAL' ? 'CRITICAL' : `${level} and above`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Type
        <select name="eventType" value={form.eventType} onChange={(e) => set('eventType', e.target.value)}>
          <option value="">Any</option>
          {eventTypes.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </select>
      </label>
      <label className="source">
        Source
        <span className="joined">
          <select
            name="sourceField"
            value={form.sourceField}
            onChange={(e) => set('sourceField', e.target.value as SourceField)}
          >
            {SOURCE_FIELDS.map(([field, label]) => (
              <option key={field} value={field}>
                {label}
              </option>
            ))}
          </select>
          <input
            name="sourceIds"
            placeholder="ids, comma-separated"
            value={form.sourceIds}
            onChange={(e) => set('sourceIds', e.target.value)}
          />
        </span>
      </label>
      <label>
        Time
        <select name="range" value={form.range} onChange={(e) => set('range', e.target.value as RangePreset)}>
          {RANGE_PRESETS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {form.range === 'custom' && (
        <>
          <label>
            From <span className="zone">({zone})</span>
            <input
              type="datetime-local"
              name="from"
              step="1"
              value={form.from}
              onChange={(e) => set('from', e.target.value)}
            />
          </label>
          <label>
            To <span className="zone">({zone})</span>
            <input
              type="datetime-local"
              name="to"
              step="1"
              value={form.to}
              onChange={(e) => set('to', e.target.value)}
            />
          </label>
        </>
      )}
      <label className="grow">
        Text
        <input
          name="text"
          type="search"
          placeholder="search messages and data"
          value={form.text}
          onChange={(e) => set('text', e.target.value)}
        />
      </label>
      <button type="button" className="secondary" onClick={onReset}>
        Reset
      </button>
    </form>
  );
}
