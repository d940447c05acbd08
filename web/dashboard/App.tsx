/**
 * The lab dashboard: recent events with filters, a live feed, events over time, today's
 * utilization and CSV downloads, all through the public GraphQL API (HTTP for queries, graphql-ws
 * for the live feed) and the `/export` downloads.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { apiKeyHeaders } from '../shared/api-key';
import { graphqlFetch } from '../shared/graphql-fetch';
import {
  COUNTS_QUERY,
  EVENT_TYPES_QUERY,
  EVENTS_QUERY,
  UTILIZATION_QUERY,
  type CountsResult,
  type EventFilter,
  type EventRow,
  type EventsResult,
  type EventTypesResult,
  type UtilizationResult,
} from './api';
import { ApiKeyButton, authorizedDownload } from './ApiKeyButton';
import { EventsChart } from './EventsChart';
import { EventTable } from './EventTable';
import { FilterBar } from './FilterBar';
import { chartWindow, csvExportUrl, EMPTY_FORM, filterKey, toEventFilter, type FilterForm } from './filters';
import { newestFirst } from './format';
import { LiveBadge, LiveFeed } from './LiveFeed';
import { useLiveEvents, type LiveConnection } from './live';
import { useSourceNames } from './names';
import { readZone, writeZone } from './timezone';
import { zonedMidnight } from './zoned-time';
import { UtilizationSummary } from './UtilizationSummary';
import { ZonePicker } from './ZonePicker';

/** What the server puts in the page (see src/ide/dashboard.route.ts). */
export interface DashboardConfig {
  graphqlPath: string;
  subscriptionPath: string;
  exportEventsCsvPath: string;
  exportUtilizationCsvPath: string;
  /** Where the IDE is, when it is enabled. */
  idePath: string | null;
  pageSize: number;
}

interface Applied {
  form: string;
  filter: EventFilter;
  key: string;
}

/** What the applied filter follows: the form, and the zone when a custom range is read in it. */
function formKey(form: FilterForm, zone: string): string {
  return JSON.stringify([form, form.range === 'custom' ? zone : null]);
}

function applyForm(form: FilterForm, zone: string): Applied {
  const filter = toEventFilter(form, Date.now(), zone);
  return { form: formKey(form, zone), filter, key: filterKey(filter) };
}

interface EventsState {
  rows: EventRow[];
  totalCount: number | null;
  endCursor: string | null;
  hasNextPage: boolean;
  loading: boolean;
  error: string | null;
}

const EMPTY_EVENTS: EventsState = {
  rows: [],
  totalCount: null,
  endCursor: null,
  hasNextPage: false,
  loading: true,
  error: null,
};
const LIVE_FEED_SIZE = 30;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function App({ config, live }: { config: DashboardConfig; live: LiveConnection }) {
  const [zone, setZoneState] = useState(readZone);
  const setZone = (next: string) => {
    writeZone(next);
    setZoneState(next);
  };
  const [form, setForm] = useState<FilterForm>(EMPTY_FORM);
  const [applied, setApplied] = useState<Applied>(() => applyForm(EMPTY_FORM, zone));
  const [events, setEvents] = useState<EventsState>(EMPTY_EVENTS);
  const [liveEvents, setLiveEvents] = useState<EventRow[]>([]);
  const [liveIds, setLiveIds] = useState<ReadonlySet<string>>(new Set());
  const [eventTypes, setEventTypes] = useState<string[]>([]);
  const [counts, setCounts] = useState<{
    data: CountsResult['eventCounts'];
    window: ReturnType<typeof chartWindow>;
    zone: string;
  } | null>(null);
  const [countsError, setCountsError] = useState<string | null>(null);
  const [countsTick, setCountsTick] = useState(0);
  const [utilization, setUtilization] = useState<{
    summary: NonNullable<UtilizationResult['sessionUtilization']['report']['overall_summary']> | null;
    error: string | null;
  }>({ summary: null, error: null });
  const [today, setToday] = useState(() => todayWindow(zone));
  const gql = useCallback(
    <T,>(query: string, variables?: Record<string, unknown>, signal?: AbortSignal) =>
      graphqlFetch<T>(config.graphqlPath, query, variables, signal, apiKeyHeaders()),
    [config.graphqlPath],
  );

  // Apply the form a moment after the last change (typing in a text box sends one query).
  useEffect(() => {
    const timer = setTimeout(
      () => setApplied((previous) => (previous.form === formKey(form, zone) ? previous : applyForm(form, zone))),
      250,
    );
    return () => clearTimeout(timer);
  }, [form, zone]);

  // Every id shown, so a live event the query also returned is not shown twice.
  const shownIds = useRef(new Set<string>());
  // Live events that came while the first page was loading, merged into it when it lands.
  const pendingLive = useRef<EventRow[]>([]);
  const firstPageLoaded = useRef(false);

  // First page of events for the applied filter.
  useEffect(() => {
    const controller = new AbortController();
    setEvents((previous) => ({ ...previous, loading: true, error: null }));
    setLiveEvents([]);
    setLiveIds(new Set());
    pendingLive.current = [];
    shownIds.current = new Set();
    firstPageLoaded.current = false;
    gql<EventsResult>(EVENTS_QUERY, { filter: applied.filter, first: config.pageSize }, controller.signal).then(
      ({ events: page }) => {
        const byId = new Map(page.nodes.map((row) => [row.id, row]));
        let extra = 0;
        for (const row of pendingLive.current) {
          if (!byId.has(row.id)) {
            byId.set(row.id, row);
            extra++;
          }
        }
        pendingLive.current = [];
        firstPageLoaded.current = true;
        const rows = [...byId.values()].sort(newestFirst);
        shownIds.current = new Set(byId.keys());
        setEvents({
          rows,
          totalCount: page.totalCount + extra,
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loading: false,
          error: null,
        });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        firstPageLoaded.current = true;
        setEvents({
          ...EMPTY_EVENTS,
          rows: pendingLive.current.sort(newestFirst),
          totalCount: null,
          loading: false,
          error: message(error),
        });
        pendingLive.current = [];
      },
    );
    return () => controller.abort();
  }, [applied, gql, config.pageSize]);

  const loadMore = () => {
    if (!events.endCursor) return;
    setEvents((previous) => ({ ...previous, loading: true }));
    gql<EventsResult>(EVENTS_QUERY, { filter: applied.filter, first: config.pageSize, after: events.endCursor }).then(
      ({ events: page }) => {
        const fresh = page.nodes.filter((row) => !shownIds.current.has(row.id));
        for (const row of fresh) shownIds.current.add(row.id);
        setEvents((previous) => ({
          ...previous,
          rows: [...previous.rows, ...fresh].sort(newestFirst),
          endCursor: page.pageInfo.endCursor,
          hasNextPage: page.pageInfo.hasNextPage,
          loading: false,
        }));
      },
      (error: unknown) => setEvents((previous) => ({ ...previous, loading: false, error: message(error) })),
    );
  };

  // Live events: into the feed, into the table at their place, and the chart recounted shortly.
  const onLiveEvent = useCallback((event: EventRow) => {
    if (shownIds.current.has(event.id)) return;
    shownIds.current.add(event.id);
    setLiveEvents((previous) => [event, ...previous].slice(0, LIVE_FEED_SIZE));
    setLiveIds((previous) => new Set(previous).add(event.id));
    if (!firstPageLoaded.current) {
      pendingLive.current.push(event);
      setCountsTick((tick) => tick + 1);
      return;
    }
    setEvents((previous) => {
      const last = previous.rows.at(-1);
      // Older than everything loaded while more pages exist: it belongs to a later page.
      const belongsHere = !previous.hasNextPage || !last || newestFirst(event, last) < 0;
      return {
        ...previous,
        rows: belongsHere ? [...previous.rows, event].sort(newestFirst) : previous.rows,
        totalCount: (previous.totalCount ?? 0) + 1,
      };
    });
    setCountsTick((tick) => tick + 1);
  }, []);
  const liveStatus = useLiveEvents(live, applied.filter, applied.key, onLiveEvent);

  // Events over time: counted when the filter changes, recounted a second after live events
  // stop coming in.
  const lastCounted = useRef<{ applied: Applied | null; tick: number }>({ applied: null, tick: 0 });
  useEffect(() => {
    const controller = new AbortController();
    const filterChanged = lastCounted.current.applied !== applied;
    lastCounted.current = { applied, tick: countsTick };
    const timer = setTimeout(
      () => {
        const window = chartWindow(applied.filter, Date.now());
        gql<CountsResult>(
          COUNTS_QUERY,
          { filter: { ...applied.filter, from: window.from, to: window.to }, bucket: window.bucket, timezone: zone },
          controller.signal,
        ).then(
          (result) => {
            setCounts({ data: result.eventCounts, window, zone });
            setCountsError(null);
          },
          (error: unknown) => {
            if (!controller.signal.aborted) setCountsError(message(error));
          },
        );
      },
      filterChanged ? 0 : 1000,
    );
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [applied, countsTick, gql, zone]);

  // Today's utilization (since midnight in the chosen zone), refreshed every minute.
  useEffect(() => {
    setToday(todayWindow(zone));
    const timer = setInterval(() => setToday(todayWindow(zone)), 60_000);
    return () => clearInterval(timer);
  }, [zone]);
  useEffect(() => {
    const controller = new AbortController();
    gql<UtilizationResult>(UTILIZATION_QUERY, today, controller.signal).then(
      (result) => {
        const report = result.sessionUtilization.report;
        const summary = report.overall_summary ?? null;
        const error = report.error ?? summary?.error ?? null;
        setUtilization({ summary: error ? null : summary, error });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setUtilization({ summary: null, error: message(error) });
      },
    );
    return () => controller.abort();
  }, [today, gql]);

  // The event types, for the type filter.
  useEffect(() => {
    gql<EventTypesResult>(EVENT_TYPES_QUERY).then(
      (result) => setEventTypes((result.__type?.enumValues ?? []).map((value) => value.name)),
      () => setEventTypes([]),
    );
  }, [gql]);

  // Names for the sources on screen (table, live feed, utilization's nodes).
  const sources = useMemo(
    () => [...events.rows, ...liveEvents].map((event) => event.source),
    [events.rows, liveEvents],
  );
  const utilizationNodeIds = useMemo(() => Object.keys(utilization.summary?.node_summary ?? {}), [utilization.summary]);
  const names = useSourceNames(sources, utilizationNodeIds, gql);

  const csvUrl = useMemo(
    () => csvExportUrl(config.exportEventsCsvPath, applied.filter),
    [applied, config.exportEventsCsvPath],
  );
  const utilizationCsvUrl = `${config.exportUtilizationCsvPath}?${new URLSearchParams(today).toString()}`;

  return (
    <div className="dashboard">
      <header>
        <h1>Lab events</h1>
        <LiveBadge status={liveStatus} />
        <nav>
          <ZonePicker zone={zone} onChange={setZone} />
          {config.idePath && <a href={config.idePath}>GraphQL IDE</a>}
          <a href="/metrics">Metrics</a>
          <ApiKeyButton />
        </nav>
      </header>
      <FilterBar
        form={form}
        eventTypes={eventTypes}
        onChange={setForm}
        onReset={() => setForm(EMPTY_FORM)}
        zone={zone}
      />
      <div className="panels">
        <section className="panel chart-panel">
          <h2>Events over time {counts && <small>per {counts.window.bucket.toLowerCase()}, by level</small>}</h2>
          {countsError ? (
            <p className="error">Counts unavailable: {countsError}</p>
          ) : counts ? (
            <EventsChart counts={counts.data} window={counts.window} zone={counts.zone} />
          ) : (
            <p className="empty">Loading…</p>
          )}
        </section>
        <UtilizationSummary
          summary={utilization.summary}
          error={utilization.error}
          csvUrl={utilizationCsvUrl}
          names={names}
        />
        <section className="panel events-panel">
          <h2>
            Events
            <small data-testid="events-count">
              {events.totalCount === null ? '' : `${events.rows.length} of ${events.totalCount}`}
            </small>
            <a
              className="download"
              href={csvUrl}
              download="events.csv"
              onClick={authorizedDownload}
              data-testid="csv-download"
            >
              Download CSV
            </a>
          </h2>
          {events.error && <p className="error">{events.error}</p>}
          {events.loading && events.rows.length === 0 ? (
            <p className="empty">Loading…</p>
          ) : (
            <EventTable events={events.rows} liveIds={liveIds} names={names} zone={zone} />
          )}
          {events.hasNextPage && (
            <button type="button" className="secondary more" onClick={loadMore} disabled={events.loading}>
              Load more
            </button>
          )}
        </section>
        <LiveFeed events={liveEvents} status={liveStatus} names={names} zone={zone} />
      </div>
    </div>
  );
}

/** Midnight in the zone to now, as ISO instants. */
function todayWindow(zone: string): { from: string; to: string } {
  const now = Date.now();
  return { from: new Date(zonedMidnight(now, zone)).toISOString(), to: new Date(now).toISOString() };
}
