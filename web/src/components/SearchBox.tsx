// The issue search box: the server's query syntax (docs/search.md), coloured as it is typed,
// with completions for keys and `is:` / `level:` values, submitted on Enter. A syntax error the
// server reports is shown under the box with the token at fault marked in it.
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { applyCompletion, completions, errorToken, lex } from "../lib/querySyntax";

export function SearchBox({
  value,
  onSubmit,
  error,
}: {
  value: string;
  onSubmit: (query: string) => void;
  error?: string | null;
}) {
  const [draft, setDraft] = useState(value);
  const [caret, setCaret] = useState(value.length);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const [navigated, setNavigated] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const mirror = useRef<HTMLDivElement>(null);

  useEffect(() => setDraft(value), [value]);

  const options = open ? completions(draft, caret).slice(0, 8) : [];
  const fault = error ? errorToken(error) : null;
  const faultAt = fault ? draft.indexOf(fault.token) : -1;

  function choose(completion: string) {
    const next = applyCompletion(draft, caret, completion);
    setDraft(next.query);
    setCaret(next.caret);
    setActive(0);
    setNavigated(false);
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(next.caret, next.caret);
      input.current?.focus();
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (options.length && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      setActive((a) => (a + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
      setNavigated(true);
    } else if (options.length && event.key === "Tab") {
      event.preventDefault();
      choose(options[active] ?? options[0]);
    } else if (event.key === "Enter") {
      event.preventDefault();
      // Enter takes a completion only once the user has moved onto one with the arrows.
      if (options.length && navigated) choose(options[active]);
      else {
        setOpen(false);
        onSubmit(draft.trim());
      }
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  }

  return (
    <div className="search">
      <div className={fault || error ? "search-field has-error" : "search-field"}>
        <div className="search-mirror" ref={mirror} aria-hidden="true">
          {lex(draft).map((span) => {
            const inFault = faultAt >= 0 && span.start >= faultAt && span.start < faultAt + (fault?.token.length ?? 0);
            return (
              <span key={span.start} className={`q-${span.kind}${inFault ? " q-fault" : ""}`}>
                {span.text}
              </span>
            );
          })}
        </div>
        <input
          ref={input}
          className="search-input"
          aria-label="Search issues"
          aria-invalid={error ? true : undefined}
          spellCheck={false}
          autoComplete="off"
          placeholder="is:unresolved level:error release:1.2 text…"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setActive(0);
            setNavigated(false);
            setOpen(true);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onScroll={(e) => {
            if (mirror.current) mirror.current.scrollLeft = e.currentTarget.scrollLeft;
          }}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
        />
        {options.length > 0 && (
          <ul className="completions" role="listbox">
            {options.map((option, i) => (
              <li
                key={option}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : ""}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(option);
                }}
              >
                {option}
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <div className="search-error" role="alert">
          {fault ? (
            <>
              <code>{fault.token}</code>: {fault.reason}
            </>
          ) : (
            error
          )}
        </div>
      )}
    </div>
  );
}
