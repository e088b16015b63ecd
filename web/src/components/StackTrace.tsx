// An event's exceptions as Sentry stores them (`exception.values`, the cause first, the
// exception raised last at the end), shown the way people read them: the last exception first,
// then what it was raised from, each with its frames most recent call first. In-app frames are
// expanded with their source lines and local variables; library frames collapse to a line (all
// of them can be shown). When no frame is in-app, the most recent one is expanded.
import { useState } from "react";

export interface Frame {
  filename?: string | null;
  abs_path?: string | null;
  module?: string | null;
  function?: string | null;
  lineno?: number | null;
  colno?: number | null;
  in_app?: boolean | null;
  pre_context?: string[] | null;
  context_line?: string | null;
  post_context?: string[] | null;
  vars?: Record<string, unknown> | null;
  package?: string | null;
}

export interface ExceptionValue {
  type?: string | null;
  value?: string | null;
  module?: string | null;
  mechanism?: { type?: string; handled?: boolean | null } | null;
  stacktrace?: { frames?: Frame[] | null } | null;
}

/** `exception.values` of a stored event payload, or [] when it has none. */
export function exceptionsOf(payload: unknown): ExceptionValue[] {
  const exception = (payload as { exception?: unknown } | null)?.exception;
  const values = Array.isArray(exception) ? exception : (exception as { values?: unknown } | undefined)?.values;
  return Array.isArray(values) ? (values as ExceptionValue[]) : [];
}

export function StackTrace({ exceptions }: { exceptions: readonly ExceptionValue[] }) {
  const [showAll, setShowAll] = useState(false);
  const newestFirst = [...exceptions].reverse();
  const anyLibrary = exceptions.some((e) => (e.stacktrace?.frames ?? []).some((f) => !f.in_app));
  const anyInApp = exceptions.some((e) => (e.stacktrace?.frames ?? []).some((f) => f.in_app));
  return (
    <div className="stacktrace">
      {anyInApp && anyLibrary && (
        <label className="toggle small">
          <input type="checkbox" checked={showAll} onChange={(e) => setShowAll(e.target.checked)} /> Show library frames
        </label>
      )}
      {newestFirst.map((exception, i) => (
        <div className="exception" key={i}>
          {i > 0 && <div className="chain-note muted small">The above exception was raised while handling:</div>}
          <div className="exception-head">
            <span className="exception-type">{exception.type ?? "Error"}</span>
            {exception.value && <span className="exception-value">{exception.value}</span>}
          </div>
          {exception.mechanism && (
            <div className="muted small">
              mechanism: {exception.mechanism.type ?? "generic"}
              {exception.mechanism.handled === false && <span className="unhandled"> unhandled</span>}
              {exception.mechanism.handled === true && " (handled)"}
            </div>
          )}
          <Frames frames={exception.stacktrace?.frames ?? []} showAll={showAll || !anyInApp} />
        </div>
      ))}
    </div>
  );
}

function Frames({ frames, showAll }: { frames: readonly Frame[]; showAll: boolean }) {
  const recentFirst = [...frames].reverse();
  const anyInApp = frames.some((f) => f.in_app);
  const shown = recentFirst
    .map((frame, i) => ({ frame, i }))
    .filter(({ frame }) => showAll || frame.in_app);
  if (!frames.length) return <div className="muted small">No stack trace.</div>;
  const hidden = recentFirst.length - shown.length;
  return (
    <ol className="frames">
      {shown.map(({ frame, i }) => (
        <FrameView key={i} frame={frame} initiallyOpen={anyInApp ? !!frame.in_app : i === 0} />
      ))}
      {hidden > 0 && <li className="frames-hidden muted small">{hidden} library frames hidden</li>}
    </ol>
  );
}

function FrameView({ frame, initiallyOpen }: { frame: Frame; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const hasDetail = !!(frame.context_line || frame.vars);
  const where = frame.filename || frame.abs_path || frame.module || "<unknown>";
  return (
    <li className={`frame${frame.in_app ? " in-app" : ""}${open ? " open" : ""}`}>
      <button className="frame-head" onClick={() => hasDetail && setOpen(!open)} aria-expanded={open} disabled={!hasDetail}>
        <span className="frame-file">{where}</span>
        {frame.function && (
          <>
            {" "}
            <span className="muted">in</span> <span className="frame-function">{frame.function}</span>
          </>
        )}
        {frame.lineno != null && (
          <>
            {" "}
            <span className="muted">at line</span> <span className="frame-line">{frame.lineno}</span>
            {frame.colno != null && <span className="muted">:{frame.colno}</span>}
          </>
        )}
        {frame.in_app && <span className="badge in-app-badge">In App</span>}
        {hasDetail && <span className="chevron">{open ? "▾" : "▸"}</span>}
      </button>
      {open && hasDetail && (
        <div className="frame-body">
          {frame.context_line != null && <Context frame={frame} />}
          {frame.vars && Object.keys(frame.vars).length > 0 && <Vars vars={frame.vars} />}
        </div>
      )}
    </li>
  );
}

function Context({ frame }: { frame: Frame }) {
  const pre = frame.pre_context ?? [];
  const post = frame.post_context ?? [];
  const line = frame.lineno ?? pre.length + 1;
  const lines = [
    ...pre.map((text, i) => ({ n: line - pre.length + i, text, current: false })),
    { n: line, text: frame.context_line ?? "", current: true },
    ...post.map((text, i) => ({ n: line + 1 + i, text, current: false })),
  ];
  return (
    <ol className="context" start={lines[0].n}>
      {lines.map((l) => (
        <li key={l.n} className={l.current ? "current" : ""} value={l.n}>
          <span className="lineno">{l.n}</span>
          <code>{l.text}</code>
        </li>
      ))}
    </ol>
  );
}

function Vars({ vars }: { vars: Record<string, unknown> }) {
  return (
    <table className="vars">
      <tbody>
        {Object.entries(vars).map(([name, value]) => (
          <tr key={name}>
            <th>{name}</th>
            <td>
              <code>{typeof value === "string" ? value : JSON.stringify(value, null, 1)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
