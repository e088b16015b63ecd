"""The issue search parser: Sentry's syntax in, typed terms out, or an error naming the token."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stackline.domain.search import (
    MAX_TERMS,
    Assigned,
    HasTag,
    Level,
    SearchSyntaxError,
    Status,
    Substatus,
    TagValue,
    Text,
    parse_query,
)


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        (None, ()),
        ("   ", ()),
        ("is:unresolved", (Status("unresolved"),)),
        ("is:resolved", (Status("resolved"),)),
        ("is:ignored", (Status("ignored"),)),
        ("is:archived", (Status("ignored"),)),
        ("!is:resolved", (Status("resolved", negated=True),)),
        ("is:REGRESSED", (Substatus("regressed"),)),
        ("is:assigned", (Assigned(None),)),
        ("is:unassigned", (Assigned(None, negated=True),)),
        ("!is:unassigned", (Assigned(None),)),
        ("level:error", (Level("error"),)),
        ("level:Warning", (Level("warning"),)),
        ("!level:info", (Level("info", negated=True),)),
        ("release:web@1.2.0", (TagValue("release", "web@1.2.0"),)),
        ("environment:production", (TagValue("environment", "production"),)),
        ("!environment:staging", (TagValue("environment", "staging", negated=True),)),
        ("assigned:ann@example.com", (Assigned("ann@example.com"),)),
        ("!assigned:ann@example.com", (Assigned("ann@example.com", negated=True),)),
        ("has:browser", (HasTag("browser"),)),
        ("!has:browser", (HasTag("browser", negated=True),)),
        ("browser:Firefox", (TagValue("browser", "Firefox"),)),
        ("os.name:Linux user.email:a@b", (TagValue("os.name", "Linux"), TagValue("user.email", "a@b"))),
        ('key:"a b"', (TagValue("key", "a b"),)),
        ('message:"foo bar"', (Text("foo bar"),)),
        ('!message:"foo bar"', (Text("foo bar", negated=True),)),
        ('"foo  bar"', (Text("foo  bar"),)),
        ('key:"say \\"hi\\" \\\\o/"', (TagValue("key", 'say "hi" \\o/'),)),
        ("server:web-*", (TagValue("server", "web-*"),)),
        ("Timeout in handler", (Text("Timeout"), Text("in"), Text("handler"))),
        ("!bang", (Text("!bang"),)),
        ("a(b):c", (Text("a(b):c"),)),
        ('""', ()),
        (
            'is:unresolved level:error release:1.0 checkout "card declined"',
            (
                Status("unresolved"),
                Level("error"),
                TagValue("release", "1.0"),
                Text("checkout"),
                Text("card declined"),
            ),
        ),
    ],
)
def test_queries_parse_into_terms(query: str | None, terms: tuple) -> None:
    assert parse_query(query) == terms


@pytest.mark.parametrize(
    ("query", "token", "reason"),
    [
        ("is:bogus", "is:bogus", "unknown status 'bogus'"),
        ("level:error is:sleepy", "is:sleepy", "unknown status"),
        ("level:severe", "level:severe", "unknown level 'severe'"),
        ("!level:loud x", "!level:loud", "unknown level"),
        (":value", ":value", "empty key"),
        ("ok !:value", "!:value", "empty key"),
        ('message:"foo bar', 'message:"foo bar', "unterminated quote"),
        ('level:error "open phrase', '"open phrase', "unterminated quote"),
        ("level:", "level:", "empty value"),
        ('key:"" x', 'key:""', "empty value"),
        ('key:"a"b', 'key:"a"b', "closing quote"),
        ("has:a+b", "has:a+b", "not a tag key"),
        ("assigned:me", "assigned:me", "API tokens have none"),
    ],
)
def test_bad_queries_name_the_token(query: str, token: str, reason: str) -> None:
    with pytest.raises(SearchSyntaxError) as raised:
        parse_query(query)
    assert raised.value.token == token
    assert repr(token) in str(raised.value)
    assert reason in str(raised.value)


def test_a_query_holds_a_bounded_number_of_terms() -> None:
    assert len(parse_query(" ".join(["x"] * MAX_TERMS))) == MAX_TERMS
    with pytest.raises(SearchSyntaxError, match="at most"):
        parse_query(" ".join(["x"] * (MAX_TERMS + 1)))


@given(st.text())
def test_any_text_parses_or_raises_the_search_error(query: str) -> None:
    try:
        terms = parse_query(query)
    except SearchSyntaxError as error:
        assert error.token and error.token in query
        return
    for term in terms:
        assert isinstance(term, (Status, Substatus, Assigned, Level, TagValue, HasTag, Text))


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1), min_size=1, max_size=5
    )
)
def test_quoted_values_come_back_as_written(values: list[str]) -> None:
    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    query = " ".join(f"k:{quote(v)}" for v in values)
    assert parse_query(query) == tuple(TagValue("k", v) for v in values)


@given(
    st.sampled_from(["is:", "level:", "!is:", "!level:"]),
    st.text(min_size=1).filter(lambda s: not any(c.isspace() or c == '"' for c in s)),
)
def test_is_and_level_accept_only_their_words(prefix: str, value: str) -> None:
    try:
        (term,) = parse_query(prefix + value)
    except SearchSyntaxError as error:
        assert error.token == prefix + value
        return
    assert isinstance(term, (Status, Substatus, Assigned, Level))
    assert term.negated == (prefix.startswith("!") != (value.lower() == "unassigned"))
