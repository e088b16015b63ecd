// Inline SVG (as Charts.tsx, no chart library): a category's items per day, stacked as accepted,
// rate limited and dropped, with a legend.
import type { OutcomeDay } from "../lib/health";

const SERIES: { key: keyof Omit<OutcomeDay, "day">; label: string; className: string }[] = [
  { key: "accepted", label: "accepted", className: "o-accepted" },
  { key: "rateLimited", label: "rate limited", className: "o-limited" },
  { key: "dropped", label: "invalid, filtered or discarded", className: "o-dropped" },
];

export function OutcomeChart({ days }: { days: readonly OutcomeDay[] }) {
  const width = 720;
  const height = 120;
  const top = 8;
  const bottom = 18;
  const left = 34;
  const total = (d: OutcomeDay) => d.accepted + d.rateLimited + d.dropped;
  const max = Math.max(1, ...days.map(total));
  const plot = width - left;
  const bar = days.length ? plot / days.length : plot;
  const scale = (n: number) => (n / max) * (height - top - bottom);
  const every = Math.ceil(days.length / 6);
  const label = (day: string) => {
    const d = new Date(`${day}T00:00:00Z`);
    return `${d.toLocaleString("en", { month: "short", timeZone: "UTC" })} ${d.getUTCDate()}`;
  };
  return (
    <div>
      <svg className="stats-chart outcome-chart" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label="outcomes per day">
        <text x={left - 6} y={top + 4} className="axis" textAnchor="end">
          {max}
        </text>
        <text x={left - 6} y={height - bottom} className="axis" textAnchor="end">
          0
        </text>
        <line x1={left} x2={width} y1={height - bottom + 0.5} y2={height - bottom + 0.5} className="sparkline-base" />
        {days.map((d, i) => {
          let y = height - bottom;
          return (
            <g key={d.day}>
              <title>{`${label(d.day)}: ${d.accepted} accepted, ${d.rateLimited} rate limited, ${d.dropped} dropped`}</title>
              {SERIES.map((s) => {
                const value = d[s.key];
                if (!value) return null;
                const h = Math.max(1.5, scale(value));
                y -= h;
                return <rect key={s.key} className={s.className} x={left + i * bar + 1} width={Math.max(1, bar - 2)} y={y} height={h} />;
              })}
              {i % every === 0 && (
                <text x={left + i * bar + bar / 2} y={height - 4} className="axis" textAnchor="middle">
                  {label(d.day)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <div className="legend small muted">
        {SERIES.map((s) => (
          <span key={s.key}>
            <span className={`swatch ${s.className}`} /> {s.label}
          </span>
        ))}
      </div>
    </div>
  );
}
