/** The events that arrived over the live subscription, newest on top. */
import type { EventRow } from './api';
import { formatTime, messageOf } from './format';
import { levelColor } from './levels';
import type { LiveStatus } from './live';

export function LiveBadge({ status }: { status: LiveStatus }) {
  const label = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Reconnecting…',
    unavailable: 'Live feed unavailable',
  }[status.state];
  return (
    <span
      className={`badge ${status.state}`}
      data-testid="live-status"
      title={status.state === 'unavailable' ? status.message : undefined}
    >
      <span className="dot" /> {label}
    </span>
  );
}

export function LiveFeed({ events, status }: { events: EventRow[]; status: LiveStatus }) {
  return (
    <section className="panel live-feed">
      <h2>
        Live feed <LiveBadge status={status} />
      </h2>
      {status.state === 'unavailable' && <p className="error">{status.message}</p>}
      {events.length === 0 ? (
        <p className="empty">Waiting for events matching the filters…</p>
      ) : (
        <ol data-testid="live-feed">
          {events.map((event) => (
            <li key={event.id} data-event-id={event.id}>
              <span className="level small" style={{ background: levelColor(event.logLevel) }}>
                {event.logLevel}
              </span>
              <span className="type">{event.eventType}</span>
              <span className="time">{formatTime(event.eventTimestamp)}</span>
              <span className="message">{messageOf(event)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
