"""A generated grouping corpus: events built by the real `sentry-sdk`, each labelled with the
logical issue it belongs to, to measure how well `group_event` groups (see
`test_grouping_quality.py` and `bench/grouping_quality.py`).

    generate(seed) -> [(label, event_payload), ...]
    measure(corpus) -> GroupingQuality  (pairwise precision and recall, and what was split or merged)

The events come from a small fake shop application whose modules are compiled from the source
strings below into module objects named `shop.*` with files under `/srv/shop` (the SDK's
`project_root`, so the SDK marks their frames in-app itself), plus a fake third-party library
`paylib` under `/srv/shop/.venv/lib/python3.11/site-packages` (so the SDK marks it not in-app).
The application is compiled several times, once per "release", each with a different number of
blank lines before each module, so one function's frames carry different line numbers from one
release to the next while module and function stay the same. Every event goes through the SDK's
own capture path (`capture_exception`, `capture_message`, `capture_event`) into a transport that
keeps the envelopes, and the payload is the envelope's event item parsed from its JSON bytes:
exactly what `/api/{project}/envelope/` receives.

What "the same logical issue" means here (the label):

- An exception: the same exception type(s) raised at the same place and reached through the same
  in-app call chain. The exception's value (ids, amounts, hosts), the line numbers (the code moved
  between releases), library and standard-library frames, the thread it ran in, and everything
  on the scope (user, tags, breadcrumbs, contexts) do not matter. A different in-app caller chain
  into the same failing function is a different issue: that is Sentry's choice (it groups by the
  in-app stack), and so ours; the `callers/*` family pins it down.
- Chained exceptions (`raise X from Y`, implicit `__context__`): the whole chain counts, so the
  same outer exception with a cause of another type is another issue.
- Direct recursion: the depth does not matter. Sentry ignores a frame identical to the one before
  it (same file, function and line: `is_recursion_v1` in its grouping strategies), so a recursive
  walk that fails at depth 3 and at depth 17 is one issue there. Every event in the family
  recurses at least once: Sentry would still split a failure at depth 1 (no recursive frame at
  all) from the deeper ones. Mutual recursion (a -> b -> a) is not collapsed by Sentry either,
  so it is not in the corpus.
- An exception without any in-app frame (raised inside a library, or never raised): its type and
  its value with the variable parts (numbers, ids, URLs, addresses, dates) taken out.
- A message: its template. For `capture_message(f"...")` that is the text with the variable parts
  taken out, plus quoted values (`'orders'`); for a `logentry` with `message` and `params` it is
  the `message` template itself, whatever the params are.
- A custom fingerprint decides alone: one fingerprint on different errors is one issue;
  `["{{ default }}", tenant]` splits the default issue per tenant; `["{{ default }}"]` alone is the
  same as no fingerprint.

Not in the corpus, on purpose: cases where this project's grouping knowingly differs from Sentry.
Sentry hashes a Python frame's context line and we do not, so two same-named methods of one
module (or two lambdas) raising one exception type group together here and apart in Sentry; and
a stack trace only under `threads` (`attach_stacktrace=True` on a message) is not read at all.

Deterministic for a seed, and fast: about half a second for ~500 events.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import string
import threading
import types
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from stackline.domain.grouping import GroupingResult, group_event

PROJECT_ROOT = "/srv/shop"
SITE_PACKAGES = f"{PROJECT_ROOT}/.venv/lib/python3.11/site-packages"
RELEASES = 4
MAX_PADDING = 40  # blank lines before a module's code, per release

# --- the fake application ------------------------------------------------------------------
# Module name -> source. Modules reach each other through globals named after their last dotted
# part(s) (see _ALIASES), injected once every module of a release is built.

SOURCES: dict[str, str] = {
    "paylib.client": """
class HTTPError(Exception):
    pass


class Client:
    def __init__(self, base="https://api.paylib.example"):
        self.base = base

    def get(self, path, failure="http"):
        return self._request("GET", path, failure)

    def charge(self, amount_cents, failure="connection"):
        return self._request("POST", "/v1/charges", failure)

    def _request(self, method, path, failure):
        if failure == "http":
            raise HTTPError(f"503 Server Error: Service Unavailable for url: {self.base}{path}")
        if failure == "connection":
            raise ConnectionError(
                "HTTPSConnectionPool(host='api.paylib.example', port=443): "
                f"Max retries exceeded with url: {path}"
            )
        raise TimeoutError(f"{method} {path}: read timed out after {len(path) % 9 + 1}s")
""",
    "shop.views": """
def checkout(order_no, amount_cents, card_number):
    return billing.checkout(order_no, amount_cents, card_number)


def profile(user_id):
    user = users.load_user(user_id)
    return {"name": user["name"]}


def cart_update(raw_quantity):
    quantity = cart.parse_quantity(raw_quantity)
    return {"quantity": quantity}


def cart_total(lines):
    return cart.total(lines)


def invoice(order):
    return invoices.render_invoice(order)


def webhook(body):
    return webhooks.parse_payload(body)


def payment_webhook(body):
    return payments.parse_event(body)


def checkout_api(sku, quantity):
    inventory.reserve(sku, quantity)
    return {"reserved": quantity}


def signup(form):
    forms.validate_email(form["email"])
    forms.validate_phone(form["phone"])
    return form


def category_page(tree, path):
    return catalog.find_path(tree, path)
""",
    "shop.billing": """
class PaymentDeclined(Exception):
    pass


def checkout(order_no, amount_cents, card_number):
    fee = amount_cents // 100
    charge_card(order_no, amount_cents + fee, card_number)


def charge_card(order_no, amount_cents, card_number):
    if amount_cents > 0:
        raise PaymentDeclined(
            f"card ending {card_number[-4:]} declined for order #{order_no}: {amount_cents / 100:.2f} EUR"
        )


def charge_with_provider(amount_cents):
    return paylib_client.Client().charge(amount_cents)


def refund(charge_id):
    return paylib_client.Client().get(f"/v1/refunds/{charge_id}", failure="timeout")
""",
    "shop.users": """
USERS = {1: {"name": "ada"}, 2: {"name": "grace"}}


def load_user(user_id):
    return USERS[user_id]
""",
    "shop.cart": """
def parse_quantity(raw):
    return int(raw)


def total(lines):
    return sum(line["price_cents"] * line["quantity"] for line in lines)
""",
    "shop.reports": """
def conversion_rate(orders, visits):
    return orders / visits


def build_one(report_id):
    raise ValueError(f"report {report_id} has no rows")


def build_all(report_ids, pool):
    futures = [pool.submit(build_one, report_id) for report_id in report_ids]
    results = []
    for future in futures:
        results.append(future.result())
    return results
""",
    "shop.tasks": """
def daily_report(day, orders, visits):
    return reports.conversion_rate(orders, visits)


def restock(sku, quantity):
    inventory.reserve(sku, quantity)
""",
    "shop.cli": """
def import_orders(rows):
    for row in rows:
        inventory.reserve(row["sku"], row["quantity"])
""",
    "shop.inventory": """
class OutOfStock(Exception):
    pass


STOCK = {}


def reserve(sku, quantity):
    left = STOCK.get(sku, 0)
    if left < quantity:
        raise OutOfStock(f"SKU {sku} has {left} left, {quantity} requested")
""",
    "shop.invoices": """
def render_invoice(order):
    return order["customer"]["name"].upper()
""",
    "shop.webhooks": """
import json


def parse_payload(body):
    return json.loads(body)
""",
    "shop.payments": """
def parse_event(body):
    amount = int(body["amount"])
    return amount + body["fee"]
""",
    "shop.forms": """
def validate_email(value):
    if "@" not in value:
        raise ValueError("invalid input")


def validate_phone(value):
    if not value.isdigit():
        raise ValueError("invalid input")
""",
    "shop.api.v1.serializers": """
class ValidationError(Exception):
    pass


def validate(payload):
    if "id" not in payload:
        raise ValidationError("invalid input")
""",
    "shop.api.v2.serializers": """
class ValidationError(Exception):
    pass


def validate(payload):
    if "id" not in payload:
        raise ValidationError("invalid input")
""",
    "shop.storage": """
class StorageUnavailable(Exception):
    pass


def _connect(host, port, mode):
    if mode == "refused":
        raise ConnectionRefusedError(111, f"Connection refused: {host}:{port}")
    raise TimeoutError(f"timed out connecting to {host}:{port}")


def save(key, blob, host, port, mode):
    try:
        _connect(host, port, mode)
    except OSError as error:
        raise StorageUnavailable(f"cannot store {key} ({len(blob)} bytes)") from error
""",
    "shop.profiles": """
class ProfileMissing(Exception):
    pass


CACHE = {}


def get_profile(user_id):
    try:
        return CACHE[user_id]
    except KeyError:
        raise ProfileMissing(f"no profile for user {user_id}")
""",
    "shop.config": """
class ConfigError(Exception):
    pass


SETTINGS = {}


def get_setting(name):
    try:
        return SETTINGS[name]
    except KeyError:
        raise ConfigError(f"missing setting {name}") from None
""",
    "shop.gateway": """
class GatewayError(Exception):
    pass


def fetch_rates(currency):
    try:
        return paylib_client.Client().get(f"/v1/rates/{currency}")
    except paylib_client.HTTPError as error:
        raise GatewayError(f"rates for {currency} unavailable") from error
""",
    "shop.search": """
class SearchBackendError(Exception):
    pass


def query(index, text):
    raise SearchBackendError(f"index {index} rejected a query of {len(text)} chars")
""",
    "shop.workers": """
import sentry_sdk


def handle_job(job):
    return job["payload"]["order_id"]


def consume(jobs):
    for job in jobs:
        try:
            handle_job(job)
        except Exception:
            sentry_sdk.capture_exception()
""",
    "shop.batch": """
def process_batch(items):
    def _apply(item):
        return item["sku"].strip()

    out = []
    for item in items:
        out.append(_apply(item))
    return out
""",
    "shop.feeds": """
def sort_entries(entries):
    return sorted(entries, key=lambda entry: entry["published"])
""",
    "shop.catalog": """
class CategoryNotFound(Exception):
    pass


def find_path(node, path):
    if not path:
        return node
    child = node["children"].get(path[0])
    if child is None:
        raise CategoryNotFound(f"no category {path[0]!r} under {node['slug']!r}")
    return find_path(child, path[1:])
""",
}

# The global name each module is reachable by from the others.
_ALIASES = {name: name.removeprefix("shop.").replace(".", "_") for name in SOURCES}


class _SourceLoader:
    """Gives the SDK the module's source, so frames carry context lines as for a real file."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get_source(self, name: str) -> str:
        return self.source


def _path(module: str) -> str:
    root = SITE_PACKAGES if module.startswith("paylib") else PROJECT_ROOT
    return f"{root}/{module.replace('.', '/')}.py"


def build_release(rng: random.Random) -> types.SimpleNamespace:
    """One compilation of the whole application, every module shifted by its own blank lines."""
    modules: dict[str, types.ModuleType] = {}
    for name, source in SOURCES.items():
        padded = "\n" * rng.randint(0, MAX_PADDING) + source
        module = types.ModuleType(name)
        module.__file__ = _path(name)
        module.__loader__ = _SourceLoader(padded)  # type: ignore[assignment]
        modules[name] = module
        exec(compile(padded, module.__file__, "exec"), module.__dict__)
    for module in modules.values():
        module.__dict__.update({_ALIASES[name]: other for name, other in modules.items()})
    return types.SimpleNamespace(**{_ALIASES[name]: module for name, module in modules.items()})


# --- capturing through the SDK -------------------------------------------------------------


class CapturingTransport(Transport):
    """Keeps the envelopes the SDK hands over instead of sending them."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[Envelope] = []
        self._lock = threading.Lock()

    def capture_envelope(self, envelope: Envelope) -> None:
        with self._lock:
            self.envelopes.append(envelope)


@contextmanager
def _sdk() -> Iterator[CapturingTransport]:
    """A client with a capturing transport for the duration; the previous client comes back after."""
    previous = sentry_sdk.get_client()
    transport = CapturingTransport()
    sentry_sdk.init(
        dsn="https://public@stackline.invalid/1",
        transport=transport,
        default_integrations=False,
        auto_enabling_integrations=False,
        enable_backpressure_handling=False,
        project_root=PROJECT_ROOT,
        release="shop@2.4.0",
        environment="production",
        server_name="web-1",
    )
    try:
        yield transport
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(previous)


def _event_payloads(envelope: Envelope) -> list[dict[str, Any]]:
    """The envelope's event items as a server parses them: from their JSON bytes."""
    return [json.loads(item.payload.get_bytes()) for item in envelope.items if item.type == "event"]


def _raise_and_capture(call: Callable[[], Any]) -> None:
    """The web framework's part: call the handler, report what escapes (not in-app code)."""
    try:
        call()
    except Exception:
        sentry_sdk.capture_exception()


# --- varying values ------------------------------------------------------------------------

_NAMES = ["ada", "grace", "linus", "barbara", "ken", "margaret", "dennis", "frances", "alan", "radia"]
_DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "example.co.uk"]
_MOUNTS = ["/", "/var", "/srv/data", "/tmp"]


def _email(rng: random.Random) -> str:
    tag = rng.choice(["x", "news", "shop"])
    return f"{rng.choice(_NAMES)}.{rng.randint(1, 999)}+{tag}@{rng.choice(_DOMAINS)}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"2001:db8:{rng.randint(0, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
    return ".".join(str(rng.randint(1, 254)) for _ in range(4))


def _token(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))


def _moment(rng: random.Random) -> dt.datetime:
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return start + dt.timedelta(seconds=rng.randint(0, 400 * 86400), microseconds=rng.randint(1, 999_999))


def _rfc2822(moment: dt.datetime, *, usegmt: bool = False) -> str:
    return email.utils.format_datetime(moment.replace(microsecond=0), usegmt=usegmt)


def _slack_hook(rng: random.Random) -> str:
    team, bot = _token(rng, 8).upper(), _token(rng, 10).upper()
    return f"https://hooks.slack.com/services/T{team}/B{bot}/{_token(rng, 24)}"


def _tree(depth: int) -> dict[str, Any]:
    """A category chain `root > c1 > ... > c{depth}`."""
    node: dict[str, Any] = {"slug": f"c{depth}", "children": {}}
    for level in range(depth - 1, -1, -1):
        node = {"slug": f"c{level}" if level else "root", "children": {f"c{level + 1}": node}}
    return node


# --- the logical issues --------------------------------------------------------------------

# What each family of issues (the label's part before the `/`) is there to test.
FAMILIES = {
    "exception": "one bug, many values, code at other lines; `['{{ default }}']` alone; raised in `json`",
    "callers": "one failing function reached through three in-app caller chains: three issues",
    "same-place": "KeyError, ValueError, TypeError from one function: three issues",
    "same-message": "one type and message from different functions or modules: separate issues",
    "chained": "`raise X from Y`, implicit context, `from None`, a cause of another type, a library cause",
    "message": "`capture_message(f'...')`: ints, UUIDs, e-mails, IPs, URLs, hex, quotes, 6 date styles",
    "logentry": "`logentry` template + params (names no parameterizer could spot)",
    "fingerprint": "one fingerprint over three errors; `{{ default }}` + tenant; `{{ default }}` + a name",
    "threads": "reported in a `threading.Thread` or inline; raised in a pool, re-raised by `Future.result()`",
    "nested": "a closure, a `lambda` sort key, a generator expression",
    "recursion": "direct recursion, 1 to 30 recursive calls deep before it fails",
    "library-only": "raised in a site-packages library, no in-app frame: type and parameterized value",
    "unraised": "`capture_exception(exc)` of an exception never raised: no stack at all",
}

# One release of the application: its modules by alias (`app.views`, `app.api_v1_serializers`),
# plus `app.pool`, the thread pool the whole corpus shares.
App = types.SimpleNamespace
Capture = Callable[[App, random.Random], None]


@dataclass(frozen=True, slots=True)
class Issue:
    label: str  # "{family}/{issue}"
    capture: Capture  # makes the SDK send exactly one event
    fingerprint: Callable[[random.Random], list[str] | None] | None = None  # set on the scope first


def _exception_issues() -> list[Issue]:
    def checkout(app: App, rng: random.Random) -> None:
        order, amount = f"{rng.randint(10**5, 10**7)}", rng.randint(100, 10**6)
        card = f"4111{rng.randint(10**11, 10**12 - 1)}"
        _raise_and_capture(lambda: app.views.checkout(order, amount, card))

    def profile(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.views.profile(rng.randint(3, 10**6)))

    def cart_update(app: App, rng: random.Random) -> None:
        raw = rng.choice(["3x", "", "ten", "1e3", "12.5", f"{rng.randint(1, 9)} pcs", "4O"])
        _raise_and_capture(lambda: app.views.cart_update(raw))

    def daily_report(app: App, rng: random.Random) -> None:
        day = f"2024-{rng.randint(1, 12):02d}-01"
        _raise_and_capture(lambda: app.tasks.daily_report(day, rng.randint(0, 99), 0))

    def invoice(app: App, rng: random.Random) -> None:
        order = {"id": rng.randint(1, 10**6), "customer": {"name": None}}
        _raise_and_capture(lambda: app.views.invoice(order))

    def webhook(app: App, rng: random.Random) -> None:
        body = rng.choice(["", "{", '{"id": 1,', "<html>502 Bad Gateway</html>", "null x", "{'a': 1}"])
        _raise_and_capture(lambda: app.views.webhook(body + " " * rng.randint(0, 3)))

    def default_only(rng: random.Random) -> list[str] | None:
        """`["{{ default }}"]` alone is no fingerprint: some events of the issue carry it."""
        return ["{{ default }}"] if rng.random() < 0.4 else None

    return [
        Issue("exception/payment-declined", checkout),
        Issue("exception/user-missing", profile, default_only),
        Issue("exception/bad-quantity", cart_update),
        Issue("exception/zero-visits", daily_report),
        Issue("exception/invoice-without-name", invoice),
        Issue("exception/webhook-bad-json", webhook),  # raised in the standard library's `json`
    ]


def _caller_issues() -> list[Issue]:
    """One failing function (`inventory.reserve`) reached through three in-app caller chains."""

    def sku(rng: random.Random) -> str:
        return f"SKU-{rng.randint(100, 999)}"

    def from_api(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.views.checkout_api(sku(rng), rng.randint(1, 20)))

    def from_task(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.tasks.restock(sku(rng), rng.randint(1, 20)))

    def from_cli(app: App, rng: random.Random) -> None:
        rows = [{"sku": sku(rng), "quantity": rng.randint(1, 20)} for _ in range(rng.randint(1, 4))]
        _raise_and_capture(lambda: app.cli.import_orders(rows))

    return [
        Issue("callers/reserve-from-api", from_api),
        Issue("callers/reserve-from-task", from_task),
        Issue("callers/reserve-from-cli", from_cli),
    ]


def _same_place_issues() -> list[Issue]:
    """`payments.parse_event` fails with a different exception type depending on the body."""

    def missing_amount(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.views.payment_webhook({"fee": rng.randint(0, 99)}))

    def bad_amount(app: App, rng: random.Random) -> None:
        amount = rng.choice(["12,50", "abc", "", f"{rng.randint(1, 99)} EUR"])
        _raise_and_capture(lambda: app.views.payment_webhook({"amount": amount, "fee": 1}))

    def null_fee(app: App, rng: random.Random) -> None:
        body = {"amount": str(rng.randint(1, 999)), "fee": None}
        _raise_and_capture(lambda: app.views.payment_webhook(body))

    return [
        Issue("same-place/parse-event-keyerror", missing_amount),
        Issue("same-place/parse-event-valueerror", bad_amount),
        Issue("same-place/parse-event-typeerror", null_fee),
    ]


def _same_message_issues() -> list[Issue]:
    """`ValueError("invalid input")` / `ValidationError("invalid input")` from different functions."""

    def bad_email(app: App, rng: random.Random) -> None:
        form = {"email": f"{rng.choice(_NAMES)}.example.com", "phone": str(rng.randint(10**8, 10**9))}
        _raise_and_capture(lambda: app.views.signup(form))

    def bad_phone(app: App, rng: random.Random) -> None:
        form = {"email": _email(rng), "phone": f"+{rng.randint(1, 99)} {rng.randint(10**6, 10**7)}"}
        _raise_and_capture(lambda: app.views.signup(form))

    def v1(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.api_v1_serializers.validate({"name": rng.choice(_NAMES)}))

    def v2(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.api_v2_serializers.validate({"name": rng.choice(_NAMES)}))

    return [
        Issue("same-message/validate-email", bad_email),
        Issue("same-message/validate-phone", bad_phone),
        Issue("same-message/api-v1-validate", v1),  # same function name, another module
        Issue("same-message/api-v2-validate", v2),
    ]


def _chained_issues() -> list[Issue]:
    def store(mode: str) -> Capture:
        def capture(app: App, rng: random.Random) -> None:
            key, blob = f"uploads/{_uuid(rng)}.png", b"x" * rng.randint(1, 5000)
            host, port = _ip(rng), rng.randint(1024, 65535)
            _raise_and_capture(lambda: app.storage.save(key, blob, host, port, mode))

        return capture

    def profile(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.profiles.get_profile(rng.randint(1, 10**6)))

    def setting(app: App, rng: random.Random) -> None:
        name = rng.choice(["SMTP_HOST", "S3_BUCKET", "STRIPE_KEY", "FEATURE_FLAGS_URL"])
        _raise_and_capture(lambda: app.config.get_setting(name))

    def rates(app: App, rng: random.Random) -> None:
        currency = rng.choice(["EUR", "USD", "GBP", "JPY", "CHF"])
        _raise_and_capture(lambda: app.gateway.fetch_rates(currency))

    return [
        Issue("chained/storage-refused", store("refused")),  # `raise ... from error`
        Issue("chained/storage-timeout", store("timeout")),  # the same, with a cause of another type
        Issue("chained/profile-missing-implicit", profile),  # raised while handling a KeyError
        Issue("chained/config-from-none", setting),  # `raise ... from None`: no chain is sent
        Issue("chained/gateway-from-library", rates),  # the cause raised in the library
    ]


def _message(make: Callable[[random.Random], str], level: str = "error") -> Capture:
    def capture(app: App, rng: random.Random) -> None:
        sentry_sdk.capture_message(make(rng), level=level)

    return capture


def _message_issues() -> list[Issue]:
    """`capture_message(f"...")`: only the formatted text, so parameterization decides."""

    def payment(rng: random.Random) -> str:
        order = f"ORD-{rng.randint(2020, 2025)}-{rng.randint(1, 10**6):06d}"
        amount = rng.randint(1, 10**5) / 100
        return f"order {order} payment of {amount:.2f} EUR failed after {rng.randint(2, 9)} retries"

    def cache(rng: random.Random) -> str:
        digest = f"{rng.getrandbits(128):032x}"
        return f"cache entry {digest} for {_email(rng)} evicted after {rng.randint(1, 60)}s"

    def slow_query(rng: random.Random) -> str:
        table = rng.choice(["orders", "users", "carts"])
        return f"slow query on table '{table}' took {rng.randint(500, 9000)} ms"

    def webhook(rng: random.Random) -> str:
        return f"webhook delivery to {_slack_hook(rng)} failed with status {rng.choice([400, 404, 410, 500])}"

    def lock(rng: random.Random) -> str:
        return f"lock 'reindex' held since {_moment(rng).timestamp():.3f} by worker {rng.randint(1, 64)}"

    return [
        Issue(
            "message/user-not-found",
            _message(lambda rng: f"user {rng.randint(1, 10**7)} not found", "warning"),
        ),
        Issue(
            "message/session-expired", _message(lambda rng: f"session {_uuid(rng)} expired for {_email(rng)}")
        ),
        Issue(
            "message/connection-refused",
            _message(  # IPv4 and IPv6
                lambda rng: f"connection to {_ip(rng)} port {rng.randint(1024, 65535)} refused"
            ),
        ),
        Issue("message/payment-retries", _message(payment)),
        Issue("message/slow-query", _message(slow_query, "warning")),  # a quoted value
        Issue("message/webhook-delivery", _message(webhook)),  # a URL with a secret token
        Issue("message/cache-evicted", _message(cache, "info")),  # a hex digest
        Issue(
            "message/disk-full",
            _message(lambda rng: f"disk '{rng.choice(_MOUNTS)}' is {rng.randint(90, 100)}% full", "warning"),
        ),
        Issue(
            "message/disk-not-mounted", _message(lambda rng: f"disk '{rng.choice(_MOUNTS)}' is not mounted")
        ),
        # Timestamps, each code path writing its own the way Python code does:
        Issue(
            "message/timestamp-isoformat",
            _message(  # 2024-03-05T10:11:12.123456+00:00
                lambda rng: (
                    f"cron job 'nightly-export' skipped: the run started at {_moment(rng).isoformat()} "
                    "is still running"
                ),
                "warning",
            ),
        ),
        Issue(
            "message/timestamp-str",
            _message(  # 2024-03-05 10:11:12.123456
                lambda rng: f"token for {_email(rng)} expired at {_moment(rng).replace(tzinfo=None)}"
            ),
        ),
        Issue(
            "message/timestamp-ctime",
            _message(  # Tue Mar  5 10:11:12 2024
                lambda rng: f"backup of 'orders' started {_moment(rng).ctime()} has not finished"
            ),
        ),
        Issue(
            "message/timestamp-rfc2822",
            _message(  # Tue, 05 Mar 2024 10:11:12 +0000
                lambda rng: f"mail to {_email(rng)} deferred, retry after {_rfc2822(_moment(rng))}", "warning"
            ),
        ),
        Issue(
            "message/timestamp-http-date",
            _message(  # Tue, 05 Mar 2024 10:11:12 GMT
                lambda rng: f"upstream cache stale: Last-Modified {_rfc2822(_moment(rng), usegmt=True)}",
                "info",
            ),
        ),
        Issue("message/timestamp-epoch", _message(lock)),  # 1709633472.123
    ]


def _logentry_issues() -> list[Issue]:
    """`logging`-style events: a template and its params, as the SDK's logging integration sends."""

    def logged(template: str, params: Callable[[random.Random], Any]) -> Capture:
        def capture(app: App, rng: random.Random) -> None:
            values = params(rng)
            sentry_sdk.capture_event(
                {
                    "logentry": {"message": template, "params": values, "formatted": template % values},
                    "logger": "shop.accounts",
                    "level": "error",
                }
            )

        return capture

    reasons = ["card expired", "insufficient funds", "do not honor", "issuer unavailable"]
    return [
        # Plain names as params: only the template can group these.
        Issue("logentry/user-not-found", logged("user %s not found", lambda rng: (rng.choice(_NAMES),))),
        Issue(
            "logentry/payment-failed",
            logged("payment %s failed: %r", lambda rng: (f"pay_{_token(rng, 14)}", rng.choice(reasons))),
        ),
        Issue(
            "logentry/import-failed",
            logged(
                "import of %(file)s failed at row %(row)d",
                lambda rng: {"file": f"{rng.choice(_NAMES)}-orders.csv", "row": rng.randint(1, 10**5)},
            ),
        ),
    ]


TENANTS = ("acme", "globex", "initech")


def _fingerprint_issues() -> list[Issue]:
    def provider_down(app: App, rng: random.Random) -> None:
        """Three different errors that one fingerprint puts together."""
        kind = rng.randrange(3)
        if kind == 0:
            _raise_and_capture(lambda: app.billing.charge_with_provider(rng.randint(100, 10**5)))
        elif kind == 1:
            _raise_and_capture(lambda: app.billing.refund(f"ch_{_token(rng, 24)}"))
        else:
            since = _moment(rng).ctime()
            sentry_sdk.capture_message(f"payment provider status page reports an outage since {since}")

    def search(app: App, rng: random.Random) -> None:
        index, text = f"products-{rng.randint(1, 9)}", _token(rng, rng.randint(1, 80))
        _raise_and_capture(lambda: app.search.query(index, text))

    def nightly_import(app: App, rng: random.Random) -> None:
        file = f"{rng.choice(_NAMES)}-{rng.randint(1, 99)}.csv"
        sentry_sdk.capture_message(f"import of '{file}' failed at row {rng.randint(1, 10**5)}")

    def per_tenant(tenant: str) -> Callable[[random.Random], list[str]]:
        return lambda rng: ["{{default}}", f"tenant:{tenant}"]

    return [
        Issue("fingerprint/payment-provider-down", provider_down, lambda rng: ["payment-provider-down"]),
        Issue("fingerprint/nightly-import", nightly_import, lambda rng: ["nightly-import", "{{ default }}"]),
        *(Issue(f"fingerprint/search-{tenant}", search, per_tenant(tenant)) for tenant in TENANTS),
    ]


def _thread_issues() -> list[Issue]:
    def worker(app: App, rng: random.Random) -> None:
        """The app's own worker loop reports the failure, in a thread or in the calling one."""
        jobs = [{"payload": {"order_id": 1}}] * rng.randint(0, 2)
        jobs.append({"payload": {"sku": f"SKU-{rng.randint(1, 999)}"}})
        if rng.random() < 0.5:
            name = f"worker-{rng.randint(1, 8)}"
            thread = threading.Thread(target=app.workers.consume, args=(jobs,), name=name)
            thread.start()
            thread.join()
        else:
            app.workers.consume(jobs)

    def pool(app: App, rng: random.Random) -> None:
        """Raised in a pool thread, re-raised by `Future.result()` in the caller's."""
        ids = [rng.randint(1, 10**6) for _ in range(rng.randint(1, 3))]
        _raise_and_capture(lambda: app.reports.build_all(ids, app.pool))

    return [
        Issue("threads/worker-job-without-order", worker),
        Issue("threads/report-pool", pool),
    ]


def _nested_issues() -> list[Issue]:
    def closure(app: App, rng: random.Random) -> None:
        items = [{"sku": f" SKU-{i} "} for i in range(rng.randint(0, 3))] + [{"name": rng.choice(_NAMES)}]
        _raise_and_capture(lambda: app.batch.process_batch(items))

    def lambda_key(app: App, rng: random.Random) -> None:
        entries = [{"published": i} for i in range(rng.randint(1, 3))] + [{"title": rng.choice(_NAMES)}]
        _raise_and_capture(lambda: app.feeds.sort_entries(entries))

    def generator_expression(app: App, rng: random.Random) -> None:
        lines = [{"price_cents": rng.randint(1, 999), "quantity": rng.choice([1, 2, None])} for _ in range(3)]
        lines.append({"price_cents": 5, "quantity": None})
        _raise_and_capture(lambda: app.views.cart_total(lines))

    return [
        Issue("nested/closure", closure),
        Issue("nested/lambda", lambda_key),
        Issue("nested/generator-expression", generator_expression),
    ]


def _recursion_issues() -> list[Issue]:
    def walk(app: App, rng: random.Random) -> None:
        """Fails below 1 to 30 levels of `find_path` calling itself."""
        depth = rng.randint(1, 30)
        path = [f"c{level}" for level in range(1, depth + 1)]
        path.append(rng.choice(["sale", "new", f"x{rng.randint(1, 99)}"]))
        _raise_and_capture(lambda: app.views.category_page(_tree(depth), path))

    return [Issue("recursion/category-walk", walk)]


def _library_only_issues() -> list[Issue]:
    """Raised inside the library and caught by framework code: not one in-app frame."""

    def http_error(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.paylib_client.Client().get(f"/v1/charges/ch_{_token(rng, 24)}"))

    def connection_error(app: App, rng: random.Random) -> None:
        _raise_and_capture(lambda: app.paylib_client.Client().charge(rng.randint(1, 10**5)))

    return [
        Issue("library-only/http-503", http_error),  # the value holds a URL with an id
        Issue("library-only/connection-error", connection_error),
    ]


def _unraised_issues() -> list[Issue]:
    """Exceptions built and captured without being raised: no stack trace at all."""

    def quota_exceeded(app: App, rng: random.Random) -> None:
        limit, account = rng.choice([1000, 5000, 10**5]), rng.randint(1, 10**6)
        usage = f"{limit + rng.randint(1, 99)}/{limit}"
        sentry_sdk.capture_exception(RuntimeError(f"quota exceeded for account {account}: {usage}"))

    def quota_missing(app: App, rng: random.Random) -> None:
        sentry_sdk.capture_exception(RuntimeError(f"no quota configured for plan {_uuid(rng)}"))

    return [
        Issue("unraised/quota-exceeded", quota_exceeded),
        Issue("unraised/quota-missing", quota_missing),
    ]


def issues() -> list[Issue]:
    return [
        *_exception_issues(),
        *_caller_issues(),
        *_same_place_issues(),
        *_same_message_issues(),
        *_chained_issues(),
        *_message_issues(),
        *_logentry_issues(),
        *_fingerprint_issues(),
        *_thread_issues(),
        *_nested_issues(),
        *_recursion_issues(),
        *_library_only_issues(),
        *_unraised_issues(),
    ]


# --- the scope of one request: everything here must not matter to grouping ------------------


def _decorate(scope: sentry_sdk.Scope, rng: random.Random, release: int) -> None:
    user_id = rng.randint(1, 10**6)
    scope.set_user({"id": str(user_id), "email": f"user{user_id}@example.com", "ip_address": _ip(rng)})
    scope.set_tag("region", rng.choice(["eu-west-1", "us-east-1", "ap-south-1"]))
    scope.set_tag("release_train", f"2.{release}")
    scope.set_context("request", {"id": _uuid(rng), "path": f"/api/orders/{rng.randint(1, 10**6)}"})
    for step in range(rng.randint(0, 4)):
        category = rng.choice(["http", "query", "cache"])
        data = {"duration_ms": rng.randint(1, 900)}
        scope.add_breadcrumb(category=category, message=f"step {step}", data=data)


def generate(seed: int = 0, events_per_issue: tuple[int, int] = (5, 13)) -> list[tuple[str, dict[str, Any]]]:
    """(label, event payload) pairs for every logical issue, in a shuffled but seeded order."""
    rng = random.Random(seed)
    releases = [build_release(rng) for _ in range(RELEASES)]
    plan = [issue for issue in issues() for _ in range(rng.randint(*events_per_issue))]
    rng.shuffle(plan)
    corpus: list[tuple[str, dict[str, Any]]] = []
    with _sdk() as transport, ThreadPoolExecutor(max_workers=2) as pool:
        for release in releases:
            release.pool = pool
        for issue in plan:
            release = rng.randrange(RELEASES)
            sent = len(transport.envelopes)
            with sentry_sdk.isolation_scope() as scope:
                _decorate(scope, rng, release)
                if issue.fingerprint is not None and (fingerprint := issue.fingerprint(rng)) is not None:
                    scope.fingerprint = fingerprint
                issue.capture(releases[release], rng)
            events = [event for envelope in transport.envelopes[sent:] for event in _event_payloads(envelope)]
            if len(events) != 1:
                raise RuntimeError(f"{issue.label}: expected one event, the SDK sent {len(events)}")
            corpus.append((issue.label, events[0]))
    return corpus


# --- measuring -----------------------------------------------------------------------------


def family(label: str) -> str:
    return label.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class GroupingQuality:
    """Pairwise scores of a grouping against the labels: of the pairs of events placed in one
    group, the share that share a label (precision); of the pairs that share a label, the share
    placed in one group (recall)."""

    events: int
    labels: int
    groups: int
    pairs_grouped: int  # pairs of events with one hash
    pairs_labelled: int  # pairs of events with one label
    pairs_both: int
    split: dict[str, Counter[str]]  # label -> events per hash, for labels spread over several hashes
    merged: dict[str, Counter[str]]  # hash -> events per label, for hashes holding several labels
    results: dict[str, GroupingResult]  # hash -> one grouping result with that hash

    @property
    def precision(self) -> float:
        return self.pairs_both / self.pairs_grouped if self.pairs_grouped else 1.0

    @property
    def recall(self) -> float:
        return self.pairs_both / self.pairs_labelled if self.pairs_labelled else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def diagnostics(self) -> str:
        """Which labels were split and which groups merged labels, with the components of each
        group involved: what to look at when a score drops."""
        lines: list[str] = []
        for label, hashes in sorted(self.split.items()):
            lines.append(f"SPLIT {label} over {len(hashes)} groups:")
            lines.extend(f"    {count:3} x {self._describe(h)}" for h, count in hashes.most_common())
        for h, labels in sorted(self.merged.items(), key=lambda item: sorted(item[1])):
            lines.append(f"MERGED {dict(labels.most_common())} in {self._describe(h)}")
        return "\n".join(lines) or "every label is exactly one group"

    def _describe(self, h: str) -> str:
        result = self.results[h]
        return f"{h[:8]} {result.variant} {list(result.components)}"


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def measure(
    corpus: Sequence[tuple[str, dict[str, Any]]],
    group: Callable[[dict[str, Any]], GroupingResult] = group_event,
) -> GroupingQuality:
    cells: Counter[tuple[str, str]] = Counter()
    results: dict[str, GroupingResult] = {}
    for label, event in corpus:
        result = group(event)
        results.setdefault(result.hash, result)
        cells[label, result.hash] += 1
    by_label: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_hash: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for (label, h), count in cells.items():
        by_label[label][h] += count
        by_hash[h][label] += count
    return GroupingQuality(
        events=len(corpus),
        labels=len(by_label),
        groups=len(by_hash),
        pairs_grouped=sum(_pairs(sum(c.values())) for c in by_hash.values()),
        pairs_labelled=sum(_pairs(sum(c.values())) for c in by_label.values()),
        pairs_both=sum(_pairs(count) for count in cells.values()),
        split={label: hashes for label, hashes in by_label.items() if len(hashes) > 1},
        merged={h: labels for h, labels in by_hash.items() if len(labels) > 1},
        results=results,
    )
