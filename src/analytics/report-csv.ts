import Papa from 'papaparse';
import { csvCell, last8, PyFloat, type PyJson } from './python';

/** A report object's member (MADSci's `dict.get(key, default)`). */
type Obj = Record<string, PyJson>;
const obj = (value: PyJson | undefined): Obj => (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat) ? value : {});
const get = (o: Obj, key: string, fallback: PyJson = ''): PyJson => (key in o ? o[key]! : fallback);

/**
 * Rows written the way Python's csv module writes them (MADSci section 5.1): comma separated,
 * quotes only where needed, CRLF after every row (an empty row is just CRLF).
 */
function toCsv(rows: readonly (readonly PyJson[])[]): string {
  if (rows.length === 0) return '';
  return `${Papa.unparse(rows.map((row) => row.map(csvCell)), { newline: '\r\n' })}\r\n`;
}

/** The session report as MADSci's CSV (section 5.2). */
export function sessionReportCsv(report: PyJson): string {
  const root = obj(report);
  const meta = obj(root.report_metadata);
  const summary = obj(root.overall_summary);
  const rows: PyJson[][] = [
    ['=== UTILIZATION REPORT ==='],
    [],
    ['Report Metadata'],
    ['Generated At', get(meta, 'generated_at')],
    ['Analysis Start', get(meta, 'analysis_start')],
    ['Analysis End', get(meta, 'analysis_end')],
    ['Total Sessions', get(meta, 'total_sessions')],
    ['Analysis Duration (hours)', get(meta, 'analysis_duration_hours')],
    [],
    ['Overall Summary'],
    ['Total Sessions', get(summary, 'total_sessions')],
    ['Total System Runtime (hours)', get(summary, 'total_system_runtime_hours')],
    ['Total Active Time (hours)', get(summary, 'total_active_time_hours')],
    ['Average System Utilization (%)', get(summary, 'average_system_utilization_percent')],
    ['Total Experiments', get(summary, 'total_experiments')],
    ['Nodes Tracked', get(summary, 'nodes_tracked')],
    [],
  ];
  const sessions = Array.isArray(root.session_details) ? root.session_details : [];
  if (sessions.length > 0) {
    rows.push(['=== SESSION DETAILS ==='], ['Session Type', 'Session Name', 'Start Time', 'End Time', 'Duration (hours)', 'System Utilization (%)', 'Total Experiments', 'Nodes Active']);
    for (const item of sessions) {
      const s = obj(item);
      if ('error' in s) continue;
      rows.push(['session_type', 'session_name', 'start_time', 'end_time', 'duration_hours', 'system_utilization_percent', 'total_experiments', 'nodes_active'].map((key) => get(s, key)));
    }
    rows.push([]);
  }
  const nodes = obj(summary.node_summary);
  if (Object.keys(nodes).length > 0) {
    rows.push(['=== NODE SUMMARY ==='], ['Node ID', 'Average Utilization (%)', 'Total Busy Time (hours)', 'Sessions Active']);
    for (const [id, item] of Object.entries(nodes)) {
      const n = obj(item);
      rows.push([id, get(n, 'average_utilization_percent'), get(n, 'total_busy_time_hours'), get(n, 'sessions_active')]);
    }
  }
  return toCsv(rows);
}

/** The user report as MADSci's "detailed" CSV (section 5.3). */
export function userReportCsv(report: PyJson): string {
  const root = obj(report);
  const meta = obj(root.report_metadata);
  const system = obj(root.system_summary);
  const rows: PyJson[][] = [
    ['=== DETAILED USER UTILIZATION REPORT ==='],
    [],
    ['Report Metadata'],
    ['Generated At', get(meta, 'generated_at')],
    ['Analysis Start', get(meta, 'analysis_start')],
    ['Analysis End', get(meta, 'analysis_end')],
    ['Total Users', get(meta, 'total_users')],
    ['Total Workflows', get(meta, 'total_workflows')],
    [],
    ['System Summary'],
    ['Total Workflows', get(system, 'total_workflows')],
    ['Total Runtime (hours)', get(system, 'total_runtime_hours')],
    ['Average Workflow Duration (hours)', get(system, 'average_workflow_duration_hours')],
    ['Completion Rate (%)', get(system, 'completion_rate_percent')],
    ['Author Attribution Rate (%)', get(system, 'author_attribution_rate_percent')],
    [],
    ['=== USER DETAILS ==='],
    ['Author', 'Total Workflows', 'Completed', 'Failed', 'Cancelled', 'Total Runtime (hours)', 'Avg Duration (hours)', 'Completion Rate (%)', 'Shortest (hours)', 'Longest (hours)'],
  ];
  for (const item of Object.values(obj(root.user_utilization))) {
    const u = obj(item);
    rows.push(
      [
        'author', 'total_workflows', 'completed_workflows', 'failed_workflows', 'cancelled_workflows', 'total_runtime_hours',
        'average_workflow_duration_hours', 'completion_rate_percent', 'shortest_workflow_hours', 'longest_workflow_hours',
      ].map((key) => get(u, key)),
    );
  }
  return toCsv(rows);
}

/** The periods report as MADSci's CSV (section 5.4). */
export function periodsReportCsv(report: PyJson): string {
  const root = obj(report);
  const meta = obj(root.summary_metadata);
  const key = obj(root.key_metrics);
  const rows: PyJson[][] = [
    ['=== UTILIZATION PERIODS REPORT ==='],
    [],
    ['Metadata'],
    ['Analysis Type', get(meta, 'analysis_type')],
    ['Generated At', get(meta, 'generated_at')],
    ['Period Start', get(meta, 'period_start')],
    ['Period End', get(meta, 'period_end')],
    ['User Timezone', get(meta, 'user_timezone')],
    ['Total Periods', get(meta, 'total_periods')],
    [],
    ['Key Metrics'],
    ['Average Utilization (%)', get(key, 'average_utilization')],
    ['Peak Utilization (%)', get(key, 'peak_utilization')],
    ['Peak Period', get(key, 'peak_period')],
    ['Total Experiments', get(key, 'total_experiments')],
    ['Total Runtime (hours)', get(key, 'total_runtime_hours')],
    ['Total Active Time (hours)', get(key, 'total_active_time_hours')],
    ['Active Periods', get(key, 'active_periods')],
    ['Total Periods', get(key, 'total_periods')],
    [],
    ['=== TIME SERIES DATA ==='],
    ['Period Number', 'Period Type', 'Period Display', 'Date', 'Start Time', 'Utilization (%)', 'Experiments', 'Runtime (hours)'],
  ];
  const system = obj(root.time_series).system;
  for (const item of Array.isArray(system) ? system : []) {
    const p = obj(item);
    rows.push(['period_number', 'period_type', 'period_display', 'date', 'start_time', 'utilization', 'experiments', 'runtime_hours'].map((k) => get(p, k)));
  }
  rows.push([], ['=== NODE SUMMARY ===']);
  const nodes = obj(root.node_summary);
  if (Object.keys(nodes).length > 0) {
    rows.push(['Node ID', 'Node Name', 'Display Name', 'Average Utilization (%)', 'Peak Utilization (%)', 'Peak Period', 'Total Busy (hours)']);
    for (const [id, item] of Object.entries(nodes)) {
      const n = obj(item);
      rows.push([
        get(n, 'node_id', id), get(n, 'node_name'), get(n, 'display_name', `Node ${last8(id)}`), get(n, 'average_utilization'),
        get(n, 'peak_utilization'), get(n, 'peak_period'), get(n, 'total_busy_hours'),
      ]);
    }
  } else {
    rows.push([get(meta, 'analysis_type') === 'daily' ? 'No node activity detected during this daily analysis period' : 'No node data available for this time period']);
  }
  rows.push([]);
  const workcells = obj(root.workcell_summary);
  if (Object.keys(workcells).length > 0) {
    rows.push(
      ['=== WORKCELL SUMMARY ==='],
      ['Workcell ID', 'Workcell Name', 'Display Name', 'Average Utilization (%)', 'Peak Utilization (%)', 'Peak Period', 'Total Experiments', 'Total Runtime (hours)', 'Total Active Time (hours)'],
    );
    for (const [id, item] of Object.entries(workcells)) {
      const w = obj(item);
      rows.push([
        get(w, 'workcell_id', id), get(w, 'workcell_name'), get(w, 'display_name', `Workcell ${last8(id)}`), get(w, 'average_utilization'),
        get(w, 'peak_utilization'), get(w, 'peak_period'), get(w, 'total_experiments'), get(w, 'total_runtime_hours'), get(w, 'total_active_time_hours'),
      ]);
    }
    rows.push([]);
  }
  const users = obj(root.user_utilization);
  if (Object.keys(users).length > 0) {
    rows.push(['=== USER UTILIZATION ==='], ['Author', 'Total Workflows', 'Total Runtime (hours)', 'Completion Rate (%)', 'Average Workflow Duration (hours)']);
    const list = 'top_users' in users ? (Array.isArray(users.top_users) ? users.top_users : []) : Object.values(users).filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v));
    for (const item of list) {
      const u = obj(item);
      rows.push(['author', 'total_workflows', 'total_runtime_hours', 'completion_rate_percent', 'average_workflow_duration_hours'].map((k) => get(u, k)));
    }
    rows.push([]);
  }
  const details = obj(root.experiment_details);
  const experiments = Array.isArray(details.experiments) ? details.experiments : [];
  if (experiments.length > 0) {
    rows.push(['=== EXPERIMENT DETAILS ==='], ['Experiment ID', 'Experiment Name', 'Start Time', 'End Time', 'Status', 'Duration (hours)', 'Duration Display']);
    for (const item of experiments) {
      const x = obj(item);
      rows.push([
        get(x, 'experiment_id'), get(x, 'experiment_name', 'Unknown Experiment'), get(x, 'start_time'), get(x, 'end_time'),
        get(x, 'status'), get(x, 'duration_hours'), get(x, 'duration_display'),
      ]);
    }
    const total = typeof details.total_experiments === 'number' ? details.total_experiments : experiments.length;
    if (experiments.length < total) rows.push([`... and ${total - experiments.length} more experiments`]);
    rows.push([]);
  }
  return toCsv(rows);
}
