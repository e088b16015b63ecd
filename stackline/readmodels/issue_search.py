"""Search terms (`stackline/domain/search.py`) as SQL conditions on the `issues` read model,
the same on SQLite and PostgreSQL.

Tag terms (and `release:`, `environment:`, which are tags) ask whether any event of the issue
carried the value: `issue_tags` holds every (issue, key, value) the issue has seen, and its
`ix_issue_tags_key_value` index answers "which issues saw key=value". Free text is a
case-insensitive substring of the title or the culprit (and a short id such as `WEB-2` also
matches that issue's `short_id`): ILIKE on PostgreSQL, served by pg_trgm
GIN indexes (migration 0005), and `lower(..) LIKE lower(..)` on SQLite (ASCII case folding).

These conditions never filter by tenant themselves: the caller (`queries.issues_page`,
`queries.issue_count`) always adds the organization and project.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, true

from stackline.domain.search import Assigned, HasTag, Level, Status, Substatus, TagValue, Term, Text
from stackline.readmodels.schema import issue_tags, issues

# The issue projector keeps at most this much of a tag's key and value.
TAG_TEXT_LIMIT = 200
_ESCAPE = "\\"
# A short id as `stackline/projections/issues.py` writes them: the project slug, a dash, and a
# Crockford base32 number (`WEB-1A`); any case.
SHORT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*-[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]+")


def search_condition(terms: Sequence[Term], *, counting: bool = False) -> ColumnElement[bool]:
    """One condition that holds for the issues every term matches. `counting`: the query visits
    every match (totalCount) rather than walking the sort's index until a page is full, which
    changes how a tag term is best asked (see `_seen`)."""
    return and_(true(), *(_condition(term, counting) for term in terms))


def _condition(term: Term, counting: bool) -> ColumnElement[bool]:
    match term:
        case Status(status=status):
            matched = issues.c.status == status
        case Substatus(substatus=substatus):
            matched = and_(issues.c.status == "unresolved", issues.c.substatus == substatus)
        case Level(level=level):
            matched = issues.c.level == level
        case Assigned(email=None):
            matched = issues.c.assignee.is_not(None)
        case Assigned(email=email):
            assert email is not None
            matched = and_(issues.c.assignee.is_not(None), func.lower(issues.c.assignee) == email.lower())
        case HasTag(key=key):
            matched = _seen(counting, issue_tags.c.key == key[:TAG_TEXT_LIMIT])
        case TagValue(key=key, value=value):
            matched = _seen(
                counting, issue_tags.c.key == key[:TAG_TEXT_LIMIT], _value_matches(value[:TAG_TEXT_LIMIT])
            )
        case Text(text=text):
            pattern = f"%{_escape_like(text)}%"
            in_title: ColumnElement[bool] = issues.c.title.ilike(pattern, escape=_ESCAPE)
            in_culprit = issues.c.culprit.ilike(pattern, escape=_ESCAPE)
            if SHORT_ID.fullmatch(text):  # `WEB-2` finds that issue, as in Sentry's search bar
                in_title = or_(in_title, issues.c.short_id == text.upper())
            if term.negated:  # spelled out, as a NULL culprit must not hide the issue
                return and_(not_(in_title), or_(issues.c.culprit.is_(None), not_(in_culprit)))
            matched = or_(in_title, in_culprit)
        case _:
            raise TypeError(f"not a search term: {term!r}")
    return not_(matched) if term.negated else matched


def _seen(counting: bool, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Some event of the issue carried such a tag. PostgreSQL plans both spellings as the same
    semi-join; SQLite runs them as written. For a page, a correlated EXISTS: one primary-key
    probe per issue walked in the sort's index order, stopping when the page is full. For a
    count, `id IN (..)`: the matching issue ids once, by `ix_issue_tags_key_value` (a probe
    per issue would cost 10x more on 10 k issues)."""
    if counting:
        return issues.c.id.in_(select(issue_tags.c.issue_id).where(*conditions))
    return exists().where(issue_tags.c.issue_id == issues.c.id, *conditions)


def _value_matches(value: str) -> ColumnElement[bool]:
    if "*" not in value:
        return issue_tags.c.value == value
    # Wildcards match case-insensitively: SQLite's LIKE folds ASCII case anyway, so ILIKE keeps
    # both engines answering alike.
    pattern = "%".join(_escape_like(part) for part in value.split("*"))
    return issue_tags.c.value.ilike(pattern, escape=_ESCAPE)


def _escape_like(text: str) -> str:
    return text.replace(_ESCAPE, _ESCAPE * 2).replace("%", _ESCAPE + "%").replace("_", _ESCAPE + "_")
