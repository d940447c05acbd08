/** The events that arrived over the live subscription, newest on top. */
import type { EventRow } from './api';
import { Sources, Time } from './EventTable';
import { messageOf, sourceParts } from './format';
import { levelColor } from './levels';
import type { LiveStatus } from './live';
import type { SourceNameMap } from './names';

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

interface Props {
  events: EventRow[];
  status: LiveStatus;
  names: SourceNameMap;
  zone: string;
}

export function LiveFeed({ events, status, names, zone }: Props) {
  return (
    <section className="panel live-feed" data-testid="live-panel">
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
              <span className="time">
                <Time iso={event.eventTimestamp} zone={zone} />
              </span>
              <span className="message">{messageOf(event)}</span>
              <span className="source">
                <Sources parts={sourceParts(event, names)} />
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
