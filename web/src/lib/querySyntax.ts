// The issue search syntax as the search box sees it: split into spans for highlighting, the
// server's error message turned back into the token at fault, and completions for keys and the
// values the server knows. Validation stays on the server (stackline/domain/search.py): this
// lexer only colours what is typed and never refuses a query.

export type SpanKind = "space" | "negation" | "key" | "value" | "text";

export interface Span {
  kind: SpanKind;
  text: string;
  start: number;
}

export const KEYS = ["is", "level", "release", "environment", "assigned", "has", "message"] as const;

export const VALUES: Record<string, readonly string[]> = {
  is: ["unresolved", "resolved", "ignored", "new", "ongoing", "regressed", "escalating", "assigned", "unassigned"],
  level: ["fatal", "error", "warning", "info", "debug"],
};

const KEY = /^[\w.\-[\]]+$/;

/** The end of a quoted run starting at `i` (a `"`), honouring `\"` and `\\`; unterminated: the end. */
function quotedEnd(query: string, i: number): number {
  let j = i + 1;
  while (j < query.length) {
    if (query[j] === "\\" && j + 1 < query.length) j += 2;
    else if (query[j] === '"') return j + 1;
    else j += 1;
  }
  return query.length;
}

function wordEnd(query: string, i: number): number {
  let j = i;
  while (j < query.length && !/\s/.test(query[j])) j += 1;
  return j;
}

/** Spans covering the whole query, in order (their texts concatenate back to it). */
export function lex(query: string): Span[] {
  const spans: Span[] = [];
  let i = 0;
  const push = (kind: SpanKind, start: number, end: number) => {
    if (end > start) spans.push({ kind, text: query.slice(start, end), start });
  };
  while (i < query.length) {
    if (/\s/.test(query[i])) {
      const start = i;
      while (i < query.length && /\s/.test(query[i])) i += 1;
      push("space", start, i);
      continue;
    }
    const start = i;
    if (query[i] === '"') {
      i = quotedEnd(query, i);
      push("text", start, i);
      continue;
    }
    let j = i;
    while (j < query.length && !/\s/.test(query[j]) && query[j] !== ":" && query[j] !== '"') j += 1;
    if (query[j] === ":") {
      const negated = query[i] === "!";
      const key = query.slice(negated ? i + 1 : i, j);
      if (key && KEY.test(key)) {
        if (negated) push("negation", i, i + 1);
        push("key", negated ? i + 1 : i, j + 1);
        const valueStart = j + 1;
        const valueEnd = query[valueStart] === '"' ? quotedEnd(query, valueStart) : wordEnd(query, valueStart);
        push("value", valueStart, valueEnd);
        // Text glued to a closing quote is the server's error to report; show it as text.
        i = valueEnd;
        const rest = wordEnd(query, i);
        push("text", i, rest);
        i = rest;
        continue;
      }
    }
    i = wordEnd(query, start);
    push("text", start, i);
  }
  return spans;
}

/** The token a server error names (`invalid search term 'is:sleeping': ...`), or null. */
export function errorToken(message: string): { token: string; reason: string } | null {
  const match = /invalid search term (['"])(.*?)\1: (.*)$/s.exec(message);
  return match ? { token: match[2], reason: match[3] } : null;
}

/** Where the word under the caret starts and ends. */
function wordAt(query: string, caret: number): [number, number] {
  let start = caret;
  while (start > 0 && !/\s/.test(query[start - 1])) start -= 1;
  let end = caret;
  while (end < query.length && !/\s/.test(query[end])) end += 1;
  return [start, end];
}

/** Completions for the word under the caret: keys (`lev` → `level:`), or values of `is:` and
 * `level:` (`is:un` → `is:unresolved`). Each is the whole replacement word. */
export function completions(query: string, caret: number): string[] {
  const [start] = wordAt(query, caret);
  const word = query.slice(start, caret);
  const negation = word.startsWith("!") ? "!" : "";
  const bare = word.slice(negation.length);
  const colon = bare.indexOf(":");
  if (colon < 0) {
    if (!bare) return [];
    return KEYS.filter((k) => k.startsWith(bare.toLowerCase()) && k !== bare).map((k) => `${negation}${k}:`);
  }
  const key = bare.slice(0, colon).toLowerCase();
  const value = bare.slice(colon + 1).toLowerCase();
  const values = VALUES[key] ?? [];
  return values.filter((v) => v.startsWith(value) && v !== value).map((v) => `${negation}${key}:${v}`);
}

/** The query with the word under the caret replaced by `completion`, and the caret after it. */
export function applyCompletion(query: string, caret: number, completion: string): { query: string; caret: number } {
  const [start, end] = wordAt(query, caret);
  const spacer = completion.endsWith(":") ? "" : " ";
  const tail = query.slice(end);
  const glue = spacer && !tail.startsWith(" ") ? spacer : "";
  const next = query.slice(0, start) + completion + glue + tail;
  return { query: next, caret: start + completion.length + glue.length };
}
