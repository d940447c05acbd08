/** Recent events, newest first; rows that arrived live are marked. */
import type { EventRow } from './api';
import { formatTime, messageOf, sourceSummary } from './format';
import { levelColor } from './levels';

interface Props {
  events: EventRow[];
  liveIds: ReadonlySet<string>;
}

export function EventTable({ events, liveIds }: Props) {
  if (events.length === 0) return <p className="empty">No events match these filters.</p>;
  return (
    <table className="events" data-testid="events-table">
      <thead>
        <tr>
          <th>Time</th>
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
            <td className="time" title={`received ${event.receivedAt}`}>
              {formatTime(event.eventTimestamp)}
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
            <td className="source" title={Object.values(event.source).filter(Boolean).join('\n')}>
              {sourceSummary(event)}
            </td>
            <td className="message">{messageOf(event)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
