/** Recent events, newest first; rows that arrived live are marked. */
import type { EventRow } from './api';
import { messageOf, sourceParts, type SourcePart } from './format';
import { levelColor } from './levels';
import type { SourceNameMap } from './names';
import { formatTime } from './zoned-time';

interface Props {
  events: EventRow[];
  liveIds: ReadonlySet<string>;
  names: SourceNameMap;
  zone: string;
}

/** An event's sources, by name where the events name them; each id in full on hover. */
export function Sources({ parts }: { parts: SourcePart[] }) {
  return (
    <>
      {parts.map((part) => (
        <span key={`${part.label}:${part.id}`} className="source-part" title={`${part.label} ${part.id}`}>
          <span className="source-label">{part.label}</span>{' '}
          <span className={part.named ? 'source-name' : 'source-id'}>{part.text}</span>
        </span>
      ))}
    </>
  );
}

/** An instant in the chosen zone, with the zone's short name. */
export function Time({ iso, zone }: { iso: string; zone: string }) {
  const { text, zoneName } = formatTime(iso, zone);
  return (
    <>
      {text} <span className="zone">{zoneName}</span>
    </>
  );
}

export function EventTable({ events, liveIds, names, zone }: Props) {
  if (events.length === 0) return <p className="empty">No events match these filters.</p>;
  return (
    <table className="events" data-testid="events-table">
      <thead>
        <tr>
          <th>
            Time <span className="zone">({zone})</span>
          </th>
          <th>Level</th>
          <th>Type</th>
          <th>Source</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr
            key={event.id}
            data-event-id={event.id}
            data-level={event.logLevel}
            className={liveIds.has(event.id) ? 'live' : undefined}
          >
            <td className="time" title={`${event.eventTimestamp}, received ${event.receivedAt}`}>
              <Time iso={event.eventTimestamp} zone={zone} />
            </td>
            <td>
              <span className="level" style={{ background: levelColor(event.logLevel) }}>
                {event.logLevel}
              </span>
              {event.alert && (
                <span className="alert" title="alert">
                  !
                </span>
              )}
            </td>
            <td className="type">{event.eventType}</td>
            <td className="source">
              <Sources parts={sourceParts(event, names)} />
            </td>
            <td className="message">{messageOf(event)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
