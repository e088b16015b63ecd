// Inline SVG charts (no chart library): the issue list's 24 h sparkline and the issue page's
// stats chart over 24 h / 14 d / 30 d buckets.

export interface Bucket {
  start: string;
  count: number;
  users?: number;
}

export function Sparkline({ buckets, width = 96, height = 24 }: { buckets: readonly Bucket[]; width?: number; height?: number }) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const bar = buckets.length ? width / buckets.length : width;
  const total = buckets.reduce((sum, b) => sum + b.count, 0);
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${total} events in 24 hours`}
    >
      <title>{`${total} events in the last 24 hours`}</title>
      <line x1="0" x2={width} y1={height - 0.5} y2={height - 0.5} className="sparkline-base" />
      {buckets.map((b, i) => {
        const h = b.count ? Math.max(1.5, (b.count / max) * (height - 2)) : 0;
        return <rect key={b.start} x={i * bar + 0.5} width={Math.max(1, bar - 1)} y={height - h} height={h} />;
      })}
    </svg>
  );
}

export function StatsChart({ buckets, period }: { buckets: readonly Bucket[]; period: "HOUR_24" | "DAY_14" | "DAY_30" }) {
  const width = 720;
  const height = 120;
  const top = 8;
  const bottom = 18;
  const left = 34;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const plot = width - left;
  const bar = buckets.length ? plot / buckets.length : plot;
  const scale = (n: number) => (n / max) * (height - top - bottom);
  const label = (iso: string) => {
    const d = new Date(iso);
    return period === "HOUR_24"
      ? `${String(d.getUTCHours()).padStart(2, "0")}:00`
      : `${d.toLocaleString("en", { month: "short", timeZone: "UTC" })} ${d.getUTCDate()}`;
  };
  const every = Math.ceil(buckets.length / 6);
  return (
    <svg className="stats-chart" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="events over time">
      <text x={left - 6} y={top + 4} className="axis" textAnchor="end">
        {max}
      </text>
      <text x={left - 6} y={height - bottom} className="axis" textAnchor="end">
        0
      </text>
      <line x1={left} x2={width} y1={height - bottom + 0.5} y2={height - bottom + 0.5} className="sparkline-base" />
      {buckets.map((b, i) => {
        const h = b.count ? Math.max(1.5, scale(b.count)) : 0;
        return (
          <g key={b.start}>
            <rect x={left + i * bar + 1} width={Math.max(1, bar - 2)} y={height - bottom - h} height={h}>
              <title>{`${label(b.start)}: ${b.count} events${b.users !== undefined ? `, ${b.users} users` : ""}`}</title>
            </rect>
            {i % every === 0 && (
              <text x={left + i * bar + bar / 2} y={height - 4} className="axis" textAnchor="middle">
                {label(b.start)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
