/**
 * The operations the IDE opens with, one tab each: the main things a lab does with this API.
 * GraphiQL shows them only when the browser has no saved tabs yet.
 */
export interface ExampleTab {
  query: string;
  variables?: string;
}

export const EXAMPLE_TABS: readonly ExampleTab[] = [
  {
    query: `# Recent events, newest first. Page on with \`after: pageInfo.endCursor\`.
query RecentEvents($filter: EventFilter, $first: Int = 20) {
  events(filter: $filter, first: $first) {
    totalCount
    nodes {
      id
      eventType
      logLevel
      eventTimestamp
      source { nodeId workcellId experimentId workflowId }
      eventData
    }
    pageInfo { endCursor hasNextPage }
  }
}
`,
    variables: JSON.stringify({ filter: { minLevel: 'INFO' } }, null, 2),
  },
  {
    query: `# Live events over WebSocket (graphql-ws). Log one from another tab to see it arrive.
subscription LiveEvents($filter: EventFilter) {
  eventLogged(filter: $filter) {
    id
    eventType
    logLevel
    eventTimestamp
    source { nodeId workcellId }
    eventData
  }
}
`,
    variables: JSON.stringify({ filter: { minLevel: 'DEBUG' } }, null, 2),
  },
  {
    query: `# Log an event. Sending the same \`id\` again returns the stored event unchanged.
mutation LogEvent($event: EventInput!) {
  logEvent(event: $event) {
    id
    receivedAt
  }
}
`,
    variables: JSON.stringify(
      { event: { eventType: 'NODE_START', logLevel: 'INFO', eventData: { message: 'arm online' } } },
      null,
      2,
    ),
  },
  {
    query: `# Events per hour and level (bucket boundaries in the given time zone).
query EventsPerHour($filter: EventFilter, $timezone: String = "UTC") {
  eventCounts(filter: $filter, groupBy: LOG_LEVEL, bucket: HOUR, timezone: $timezone) {
    key
    bucketStart
    count
  }
}
`,
    variables: JSON.stringify({ filter: { minLevel: 'INFO' } }, null, 2),
  },
  {
    query: `# Alerts as they are raised (alert = true, or a level at or above the alert level).
subscription Alerts {
  alertRaised {
    id
    eventType
    logLevel
    eventTimestamp
    eventData
  }
}
`,
  },
  {
    query: `# MADSci's raw MongoDB selector over the stored (snake_case) documents.
query RawSelector {
  queryEvents(selector: { log_level: { $gte: 30 } }, limit: 10) {
    id
    eventType
    logLevel
    eventTimestamp
  }
}

query Health {
  health {
    healthy
    version
    uptimeSeconds
    database { engine connected latencyMs }
  }
}
`,
  },
];
