/** Today's utilization (midnight in the chosen zone to now) from `sessionUtilization`, MADSci's overall summary. */
import type { UtilizationResult } from './api';
import { authorizedDownload } from './ApiKeyButton';
import { formatNumber, shortId } from './format';
import { nameOf, type SourceNameMap } from './names';

type Summary = NonNullable<UtilizationResult['sessionUtilization']['report']['overall_summary']>;

interface Props {
  summary: Summary | null;
  error: string | null;
  csvUrl: string;
  names: SourceNameMap;
}

export function UtilizationSummary({ summary, error, csvUrl, names }: Props) {
  const nodes = Object.entries(summary?.node_summary ?? {});
  return (
    <section className="panel utilization" data-testid="utilization">
      <h2>
        Utilization today
        <a className="download small" href={csvUrl} download="sessions.csv" onClick={authorizedDownload}>
          CSV
        </a>
      </h2>
      {error ? (
        <p className="error">Utilization unavailable: {error}</p>
      ) : !summary ? (
        <p className="empty">Loading…</p>
      ) : (
        <>
          <div className="cards">
            <Card label="Average utilization" value={`${formatNumber(summary.average_system_utilization_percent)} %`} />
            <Card label="Sessions" value={String(summary.total_sessions ?? '–')} />
            <Card label="Runtime" value={`${formatNumber(summary.total_system_runtime_hours, 2)} h`} />
            <Card label="Active" value={`${formatNumber(summary.total_active_time_hours, 2)} h`} />
            <Card label="Experiments" value={String(summary.total_experiments ?? '–')} />
            <Card label="Nodes" value={String(summary.nodes_tracked ?? nodes.length)} />
          </div>
          {nodes.length > 0 && (
            <table className="nodes">
              <thead>
                <tr>
                  <th>Node</th>
                  <th>Utilization</th>
                  <th>Busy</th>
                </tr>
              </thead>
              <tbody>
                {nodes.map(([id, node]) => (
                  <tr key={id}>
                    <td title={id}>{nameOf(names, 'nodeId', id) ?? shortId(id)}</td>
                    <td>{formatNumber(node.average_utilization_percent)} %</td>
                    <td>{formatNumber(node.total_busy_time_hours, 2)} h</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function Card({ label, value }: { label: string; value: string }) {
  return (
    <div className="card">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}
