"""Sentry's issue search syntax, parsed into a small list of typed filters.

Pure: text in, terms out, no I/O. The read models turn the terms into SQL
(`stackline/readmodels/issue_search.py`); this module must never know about tables.

The grammar, as Sentry's search bar speaks it (docs/search.md has the user's version):

    query  := term (whitespace term)*          terms are ANDed
    term   := '"' phrase '"'                    free text, spaces kept
            | ['!'] key ':' value               a filter, '!' negates it
            | word                              free text
    value  := '"' phrase '"' | non-space characters

Inside quotes, `\\"` is a quote and `\\\\` a backslash. A value may hold `*` wildcards (tags,
`release:`, `environment:`). Anything else is either a term or a `SearchSyntaxError` that names
the token at fault; parsing never fails in another way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATUSES = ("unresolved", "resolved", "ignored")
# Sentry's issue substatuses (`is:new`, ...), and `is:archived`, its newer name for ignored.
SUBSTATUSES = ("new", "ongoing", "regressed", "escalating")
IS_VALUES = (*STATUSES, "archived", *SUBSTATUSES, "assigned", "unassigned")
LEVELS = ("fatal", "error", "warning", "info", "debug")
MAX_TERMS = 50
# A key as Sentry writes them: tag names, `user.email`, `tags[foo]`, `os.name`, ...
_KEY = re.compile(r"[\w.\-\[\]]+")


class SearchSyntaxError(ValueError):
    """A query the search cannot understand; `token` is the part of it at fault."""

    def __init__(self, token: str, reason: str) -> None:
        super().__init__(f"invalid search term {token!r}: {reason}")
        self.token = token
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Status:
    """`is:unresolved`, `is:resolved`, `is:ignored` (`is:archived`)."""

    status: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Substatus:
    """`is:new`, `is:ongoing`, `is:regressed`, `is:escalating`."""

    substatus: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Assigned:
    """`assigned:<email>`; with `email` None, `is:assigned` (negated: `is:unassigned`)."""

    email: str | None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Level:
    level: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class TagValue:
    """Some event of the issue carried `key` with this value (`*` matches any run of
    characters). `release:` and `environment:` are tags too, as in Sentry."""

    key: str
    value: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class HasTag:
    """Some event of the issue carried `key`, whatever its value."""

    key: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """A case-insensitive substring of the issue's title or culprit (free text, `message:`)."""

    text: str
    negated: bool = False


Term = Status | Substatus | Assigned | Level | TagValue | HasTag | Text


def parse_query(query: str | None) -> tuple[Term, ...]:
    """The query's terms, in order; all of them must hold for an issue to match."""
    return tuple(term for _, term in parse_terms(query))


def parse_terms(query: str | None) -> tuple[tuple[str, Term], ...]:
    """Each term with its token as written, for searches that support only some kinds of term
    (`Project.events`) and must name the token they refuse."""
    terms: list[tuple[str, Term]] = []
    for token, negated, key, value in _tokens(query or ""):
        if len(terms) == MAX_TERMS:
            raise SearchSyntaxError(token, f"a search holds at most {MAX_TERMS} terms")
        terms.append((token, _term(token, negated, key, value)))
    return tuple(terms)


def _term(token: str, negated: bool, key: str | None, value: str) -> Term:
    if key is None:
        return Text(value, negated)
    match key:
        case "is":
            return _is_term(token, negated, value.lower())
        case "level":
            level = value.lower()
            if level not in LEVELS:
                raise SearchSyntaxError(token, f"unknown level {value!r}; use one of {', '.join(LEVELS)}")
            return Level(level, negated)
        case "assigned":
            if value.lower() == "me":
                raise SearchSyntaxError(
                    token, "'me' needs a signed-in user, and API tokens have none; use an email"
                )
            return Assigned(value, negated)
        case "has":
            if not _KEY.fullmatch(value):
                raise SearchSyntaxError(token, f"{value!r} is not a tag key")
            return HasTag(value, negated)
        case "message":
            return Text(value, negated)
        case _:
            return TagValue(key, value, negated)


# SDK logs' levels (`Project.logs(query:)`), with the issue search's `warning` as an alias.
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")


@dataclass(frozen=True, slots=True)
class LogTraceId:
    """`trace:<id>` (or `trace_id:`): the records of one trace."""

    trace_id: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class LogAttribute:
    """`<attribute>:<value>`: the record carries the attribute with this value, as text."""

    key: str
    value: str
    negated: bool = False


LogTerm = Level | LogTraceId | LogAttribute | Text


def parse_log_query(query: str | None) -> tuple[LogTerm, ...]:
    """A logs search in the same syntax: free text (and `message:`) in the body, `level:`,
    `trace:`, and any other key an attribute's value."""
    terms: list[LogTerm] = []
    for token, negated, key, value in _tokens(query or ""):
        if len(terms) == MAX_TERMS:
            raise SearchSyntaxError(token, f"a search holds at most {MAX_TERMS} terms")
        if key is None or key == "message":
            terms.append(Text(value, negated))
        elif key == "level":
            level = {"warning": "warn", "critical": "fatal"}.get(value.lower(), value.lower())
            if level not in LOG_LEVELS:
                raise SearchSyntaxError(token, f"unknown level {value!r}; use one of {', '.join(LOG_LEVELS)}")
            terms.append(Level(level, negated))
        elif key in ("trace", "trace_id"):
            terms.append(LogTraceId(value.replace("-", "").lower(), negated))
        else:
            terms.append(LogAttribute(key, value, negated))
    return tuple(terms)


def _is_term(token: str, negated: bool, value: str) -> Term:
    if value in STATUSES:
        return Status(value, negated)
    if value == "archived":
        return Status("ignored", negated)
    if value in SUBSTATUSES:
        return Substatus(value, negated)
    if value == "assigned":
        return Assigned(None, negated)
    if value == "unassigned":
        return Assigned(None, not negated)
    raise SearchSyntaxError(token, f"unknown status {value!r}; use one of {', '.join(IS_VALUES)}")


def _tokens(query: str) -> list[tuple[str, bool, str | None, str]]:
    """(token as written, negated, key or None for free text, value) for each term."""
    found: list[tuple[str, bool, str | None, str]] = []
    i, end = 0, len(query)
    while i < end:
        if query[i].isspace():
            i += 1
            continue
        start = i
        if query[i] == '"':
            text, i = _quoted(query, i)
            if text:
                found.append((query[start:i], False, None, text))
            continue
        j = i
        while j < end and not query[j].isspace() and query[j] not in ':"':
            j += 1
        if j < end and query[j] == ":":
            prefix = query[i:j]
            negated = prefix.startswith("!")
            key = prefix[1:] if negated else prefix
            if not key:
                raise SearchSyntaxError(_rest_of_word(query, start), "empty key before ':'")
            if _KEY.fullmatch(key):
                j += 1
                if j < end and query[j] == '"':
                    value, i = _quoted(query, j, start)
                else:
                    i = j
                    while i < end and not query[i].isspace():
                        i += 1
                    value = query[j:i]
                token = query[start:i]
                if i < end and not query[i].isspace():
                    raise SearchSyntaxError(
                        token + _rest_of_word(query, i), "text right after a closing quote"
                    )
                if not value:
                    raise SearchSyntaxError(token, f"empty value after '{prefix}:'")
                found.append((token, negated, key, value))
                continue
        # Free text: the whole run of non-space characters, quotes and colons included.
        i = start
        while i < end and not query[i].isspace():
            i += 1
        found.append((query[start:i], False, None, query[start:i]))
    return found


def _quoted(query: str, quote: int, token_start: int | None = None) -> tuple[str, int]:
    """The text between the quote at `quote` and its closing quote, and the index after it."""
    chars = []
    i = quote + 1
    while i < len(query):
        char = query[i]
        if char == "\\" and i + 1 < len(query) and query[i + 1] in '"\\':
            chars.append(query[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(chars), i + 1
        chars.append(char)
        i += 1
    start = quote if token_start is None else token_start
    raise SearchSyntaxError(query[start:], "unterminated quote")


def _rest_of_word(query: str, start: int) -> str:
    end = start
    while end < len(query) and not query[end].isspace():
        end += 1
    return query[start:end]
