"""Every setting declared once, read from the environment by one loader.

A :class:`Setting` says everything about one environment variable: its type (which parses
and checks the text), default, description, section and whether it is secret or required in
production. The core declares its own here (:data:`SETTINGS`); each feature declares its own
next to its code with the same type and exposes them as ``SETTINGS``; the composition root
hands all of them to :func:`load_settings`. The loader checks every variable and reports all
problems at once, one line each, so a deployment is fixed in one round instead of one
variable per restart. ``docs/configuration.md`` is written from the same declarations
(``rufbereit config docs``), so the documentation cannot drift from the code.

The result is a read-only :class:`Settings` mapping (typed access: ``settings[SECRET_KEY]``
is a ``str``), mirrored into ``app.config`` under the same keys because the code reads
``current_app.config[...]`` everywhere.

Adding a setting is one declaration: ``NAME = SETTINGS.add("NAME", Int(min=0), 5, "What it
does.", section=...)``.

A fast path on the voice webhooks gets a switch here while it is weighed, on by default,
whose off is the plain library path, so that ``scripts/bench_calls.py --compare --setting``
can measure it against that path in one run (docs/benchmarks.md, "Mechanisms"); none is
left: every one measured so far did not pay its way and was removed.
"""

from __future__ import annotations

import copy
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

if TYPE_CHECKING:
    from flask import Flask

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

DEFAULT_SQLITE_URL = "sqlite:///var/rufbereit.db"
#: Environments with built-in development secrets and relaxed cookies; every other one
#: (``production`` is the default) must be given its secrets.
DEVELOPMENT_ENVS = frozenset({"development", "testing"})


class ConfigError(ValueError):
    """The environment does not make a valid configuration; one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# -- types -------------------------------------------------------------------------------------


class Kind(Generic[T]):
    """How a setting's text becomes a value. ``parse`` raises ``ValueError`` with the rest of
    the sentence after the variable's name (``"must be a whole number"``)."""

    #: The message already quotes the offending part (lists, mappings), so the loader does
    #: not append the whole value.
    quotes_input: ClassVar[bool] = False

    def parse(self, raw: str) -> T:
        raise NotImplementedError

    def describe(self) -> str:
        """The type column of the documentation."""
        raise NotImplementedError

    def show(self, value: T) -> str:
        """A value written the way it is set in the environment."""
        return str(value)


@dataclass(frozen=True)
class Str(Kind[str]):
    def parse(self, raw: str) -> str:
        return raw

    def describe(self) -> str:
        return "text"


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{low:g}–{high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return ""


def _check_range(value: float, low: float | None, high: float | None) -> None:
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise ValueError(f"must be between {low:g} and {high:g}")
        if low is not None:
            raise ValueError(f"must be at least {low:g}")
        raise ValueError(f"must be at most {high:g}")


@dataclass(frozen=True)
class Int(Kind[int]):
    min: int | None = None
    max: int | None = None

    def parse(self, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        _check_range(value, self.min, self.max)
        return value

    def describe(self) -> str:
        return f"integer {_range_text(self.min, self.max)}".strip()


@dataclass(frozen=True)
class Float(Kind[float]):
    min: float | None = None
    max: float | None = None

    def parse(self, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
        if not math.isfinite(value):
            raise ValueError("must be a number")
        _check_range(value, self.min, self.max)
        return value

    def describe(self) -> str:
        return f"number {_range_text(self.min, self.max)}".strip()

    def show(self, value: float) -> str:
        return f"{value:g}"


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Bool(Kind[bool]):
    def parse(self, raw: str) -> bool:
        text = raw.lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true or false (or 1/0, yes/no, on/off)")

    def describe(self) -> str:
        return "boolean"

    def show(self, value: bool) -> str:
        return "true" if value else "false"


@dataclass(frozen=True)
class Choice(Kind[str]):
    """One of a few words; ``upper``/``lower`` normalise the case before comparing."""

    options: tuple[str, ...]
    case: str = ""  # "upper", "lower" or "" (exact)

    def parse(self, raw: str) -> str:
        text = raw.upper() if self.case == "upper" else raw.lower() if self.case == "lower" else raw
        if text not in self.options:
            raise ValueError(f"must be one of {', '.join(self.options)}")
        return text

    def describe(self) -> str:
        return "one of " + ", ".join(f"`{option}`" for option in self.options)


@dataclass(frozen=True)
class TimeZone(Kind[str]):
    def parse(self, raw: str) -> str:
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Berlin") from None
        return raw

    def describe(self) -> str:
        return "time zone (IANA)"


@dataclass(frozen=True)
class Region(Kind[str]):
    """Where numbers typed without a country code are from (``phonenumbers``' regions)."""

    def parse(self, raw: str) -> str:
        region = raw.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a two-letter region code such as DE")
        return region

    def describe(self) -> str:
        return "region code (e.g. `DE`)"


@dataclass(frozen=True)
class E164(Kind[str]):
    """A phone number in international format, stored as E.164 (``+4930120099``)."""

    def parse(self, raw: str) -> str:
        try:
            number = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError("must be a phone number in international format such as +4930120099")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def describe(self) -> str:
        return "phone number (E.164)"


_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")


@dataclass(frozen=True)
class Sender(Kind[str]):
    """Who texts come from: a Twilio Messaging Service SID or a phone number."""

    def parse(self, raw: str) -> str:
        if _MESSAGING_SERVICE.fullmatch(raw):
            return raw
        try:
            return E164().parse(raw)
        except ValueError:
            raise ValueError(
                "must be a Messaging Service SID (MG followed by 32 hex digits) or a phone "
                "number in international format such as +4915799990000"
            ) from None

    def describe(self) -> str:
        return "Messaging Service SID or phone number (E.164)"


@dataclass(frozen=True)
class Url(Kind[str]):
    schemes: tuple[str, ...] = ("http", "https")
    #: Drop a trailing slash, so paths can be appended with ``+ "/twilio/…"``.
    strip_slash: bool = False

    def parse(self, raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in self.schemes or not (parts.netloc or parts.path):
            *others, last = (f"{scheme}://" for scheme in self.schemes)
            starts = f"{', '.join(others)} or {last}" if others else last
            raise ValueError(f"must be a URL starting with {starts}")
        return raw.rstrip("/") if self.strip_slash else raw

    def describe(self) -> str:
        return "URL (" + ", ".join(f"`{scheme}://`" for scheme in self.schemes) + ")"


@dataclass(frozen=True)
class DatabaseUrl(Kind[str]):
    def parse(self, raw: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        example = "such as postgresql+psycopg://user@host/rufbereit or sqlite:///var/rufbereit.db"
        try:
            url = make_url(raw)
        except ArgumentError:
            raise ValueError(f"must be a database URL {example}") from None
        try:
            url.get_dialect()
        except NoSuchModuleError:
            raise ValueError(
                f"names an unknown database {url.drivername!r}: use a URL {example}"
            ) from None
        return raw

    def describe(self) -> str:
        return "database URL (SQLAlchemy)"


@dataclass(frozen=True)
class Folder(Kind[str]):
    def parse(self, raw: str) -> str:
        if not Path(raw).is_dir():
            raise ValueError("must be an existing folder")
        return raw

    def describe(self) -> str:
        return "folder"


@dataclass(frozen=True)
class ListOf(Kind[list[T]]):
    """Comma-separated values, each checked by ``item``."""

    item: Kind[T]
    quotes_input: ClassVar[bool] = True

    def parse(self, raw: str) -> list[T]:
        values = []
        for part in raw.split(","):
            if part.strip():
                try:
                    values.append(self.item.parse(part.strip()))
                except ValueError as exc:
                    raise ValueError(f"entry {part.strip()!r} {exc}") from None
        return values

    def describe(self) -> str:
        return f"comma-separated list: {self.item.describe()}"

    def show(self, value: list[T]) -> str:
        return ",".join(self.item.show(v) for v in value)


@dataclass(frozen=True)
class MapOf(Kind[dict[K, V]]):
    """``key=value`` pairs separated by commas (or semicolons)."""

    key: Kind[K]
    value: Kind[V]
    example: str = ""
    quotes_input: ClassVar[bool] = True

    def parse(self, raw: str) -> dict[K, V]:
        result: dict[K, V] = {}
        for part in raw.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise ValueError(f"entry {part!r} must look like {self.example or 'key=value'}")
            left, right = (p.strip() for p in part.split("=", 1))
            try:
                result[self.key.parse(left)] = self.value.parse(right)
            except ValueError as exc:
                raise ValueError(f"entry {part!r}: {exc}") from None
        return result

    def describe(self) -> str:
        return f"comma-separated `key=value` pairs: {self.key.describe()} → {self.value.describe()}"

    def show(self, value: dict[K, V]) -> str:
        return ",".join(f"{self.key.show(k)}={self.value.show(v)}" for k, v in value.items())


# -- declarations ------------------------------------------------------------------------------

#: ``(values so far) -> default``: a default that depends on other settings.
Derived = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable."""

    #: The environment variable.
    name: str
    kind: Kind[T]
    #: Used when the variable is unset or empty; a callable derives it from the other values.
    default: T | Derived
    #: One line in English, for the documentation.
    description: str
    section: str
    #: The ``app.config`` key (the variable's name unless they differ).
    key: str = ""
    #: Never printed (documentation shows no default, problems do not echo the value).
    secret: bool = False
    #: Outside development and tests an empty value stops the start; ``hint`` says what to do.
    required_in_production: bool = False
    hint: str = ""
    #: How the documentation shows a derived default.
    default_doc: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)
        if callable(self.default) and not self.default_doc:
            raise ValueError(f"{self.name}: a derived default needs default_doc")


class Declarations(list[Setting[Any]]):
    """The settings one package declares, in documentation order."""

    def add(
        self, name: str, kind: Kind[T], default: T | Derived, description: str, **options: Any
    ) -> Setting[T]:
        """Declare a setting (``options``: the other fields of :class:`Setting`)."""
        setting = Setting(name, kind, default, description, **options)
        self.append(setting)
        return setting


class Settings(Mapping[str, Any]):
    """The validated configuration, read-only; ``settings[SETTING]`` is typed by the
    declaration, ``settings["KEY"]`` works like ``app.config``."""

    def __init__(self, values: Mapping[str, Any], declarations: Iterable[Setting[Any]]) -> None:
        self._values = MappingProxyType(dict(values))
        self.declarations: tuple[Setting[Any], ...] = tuple(declarations)

    @overload
    def __getitem__(self, key: Setting[T]) -> T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: Setting[Any] | str) -> Any:
        return self._values[key.key if isinstance(key, Setting) else key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        secret = {s.key for s in self.declarations if s.secret}
        shown = {k: ("***" if k in secret and v else v) for k, v in self._values.items()}
        return f"Settings({shown})"


def current_settings(app: Flask | None = None) -> Settings:
    """The settings ``app`` (default: the current app) was built with."""
    from flask import current_app

    return (app or current_app).extensions["rufbereit.settings"]


# -- the loader --------------------------------------------------------------------------------


def load_settings(
    declarations: Iterable[Setting[Any]],
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, check and complete every declared setting, or raise :class:`ConfigError` with
    every problem found.

    ``env`` defaults to ``os.environ``; an empty variable counts as unset. ``overrides``
    (by ``app.config`` key: tests, scripts) are taken as given, already typed, and win over
    the environment; the production checks apply to the result.
    """
    env = os.environ if env is None else env
    overrides = overrides or {}
    declared = _unique(declarations)
    values: dict[str, Any] = {}
    problems: list[str] = []
    derived: list[Setting[Any]] = []
    for setting in declared:
        if setting.key in overrides:
            values[setting.key] = overrides[setting.key]
            continue
        raw = env.get(setting.name, "").strip()
        if raw:
            try:
                values[setting.key] = setting.kind.parse(raw)
            except ValueError as exc:
                quiet = setting.secret or setting.kind.quotes_input
                shown = "" if quiet else f", got {raw!r}"
                problems.append(f"{setting.name} {exc}{shown}")
        elif callable(setting.default):
            derived.append(setting)
        else:
            values[setting.key] = copy.deepcopy(setting.default)
    for setting in derived:
        values[setting.key] = setting.default(values)
    if values.get(ENV_NAME.key, "production") not in DEVELOPMENT_ENVS:
        problems.extend(
            f"{s.name} is not set: {s.hint}"
            for s in declared
            if s.required_in_production and not values.get(s.key)
        )
    problems.extend(_cross_checks(values))
    if problems:
        raise ConfigError(problems)
    return Settings(values, declared)


def _unique(declarations: Iterable[Setting[Any]]) -> list[Setting[Any]]:
    declared = list(declarations)
    seen: set[str] = set()
    for setting in declared:
        for name in {setting.name, setting.key}:
            if name in seen:
                raise ValueError(f"setting {name} is declared twice")
            seen.add(name)
    return declared


def _cross_checks(values: Mapping[str, Any]) -> Iterator[str]:
    yield from _mail_checks(values)
    if values.get(TELEPHONY_BACKEND.key) == "twilio":
        missing = [s.name for s in (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN) if not values.get(s.key)]
        if missing:
            yield f"TELEPHONY_BACKEND=twilio needs {' and '.join(missing)}: set them from the Twilio console, or set TELEPHONY_BACKEND=console"


def _mail_checks(values: Mapping[str, Any]) -> Iterator[str]:
    """E-mail enabled (``MAIL_BACKEND`` not ``off``) outside development needs a real
    backend, so no e-mail is silently only logged."""
    backend = values.get("MAIL_BACKEND", "off")
    if backend == "off":
        return
    if values.get(ENV_NAME.key, "production") not in DEVELOPMENT_ENVS and backend == "console":
        yield "MAIL_BACKEND=console only logs e-mails: set MAIL_BACKEND=smtp with SMTP_HOST and MAIL_FROM, or MAIL_BACKEND=off"
    if backend == "smtp":
        missing = [s.name for s in (SMTP_HOST, MAIL_FROM) if not values.get(s.key)]
        if missing:
            yield f"MAIL_BACKEND=smtp needs {' and '.join(missing)}: set them, or set MAIL_BACKEND=off"
        if bool(values.get(SMTP_USERNAME.key)) != bool(values.get(SMTP_PASSWORD.key)):
            yield "SMTP_USERNAME and SMTP_PASSWORD go together: set both, or neither"
    if values.get(MAIL_FROM.key) and "@" not in values[MAIL_FROM.key]:
        yield "MAIL_FROM must be an e-mail address, e.g. `Rufbereit <hilfe@example.org>`"


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The core's settings from ``env`` as a plain dict (for scripts that pass a whole
    configuration to ``create_app``)."""
    return dict(load_settings(SETTINGS, env))


# -- documentation -----------------------------------------------------------------------------

DOCS_HEADER = """\
# Configuration

<!-- Written by `rufbereit config docs > docs/configuration.md` from the settings declared
in the code (hotline/core/config.py, hotline/rosters/config.py, dispatch/config.py); a test
fails when this file and the declarations differ. -->

All configuration comes from environment variables; an empty variable counts as unset.
`RUFBEREIT_ENV` is `production` unless set: then the web app and the worker refuse to start
while a variable marked *required in production* is missing, and name what to set.
`rufbereit config check` checks the current environment and lists every problem (exit 1).
With `RUFBEREIT_ENV=development` (as `scripts/run` sets it) the secrets have fixed
development values, so several web workers share sessions without any set-up.
"""


def render_docs(declarations: Iterable[Setting[Any]]) -> str:
    """``docs/configuration.md``: a table per section, in declaration order."""
    sections: dict[str, list[Setting[Any]]] = {}
    for setting in _unique(declarations):
        sections.setdefault(setting.section, []).append(setting)
    parts = [DOCS_HEADER]
    for section, settings in sections.items():
        rows = [
            f"## {section}",
            "",
            "| Variable | Type | Default | Description |",
            "|---|---|---|---|",
        ]
        rows += [
            "| "
            + " | ".join(
                _cell(text)
                for text in (f"`{s.name}`", s.kind.describe(), _default_text(s), s.description)
            )
            + " |"
            for s in settings
        ]
        parts.append("\n".join(rows) + "\n")
    return "\n".join(parts)


def _default_text(setting: Setting[Any]) -> str:
    text = setting.default_doc
    if not text:
        empty = setting.default in ("", None, [], {})
        text = "–" if empty or setting.secret else f"`{setting.kind.show(setting.default)}`"
    if setting.required_in_production:
        text += " (required in production)"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- the core's settings -----------------------------------------------------------------------

GENERAL = "General"
DATABASE = "Database and job queue"
TELEPHONY = "Telephony"
WEB = "Web"
SECURITY = "Secrets and privacy"
CALLS = "Calls"

_DEV_SECRET_KEY = "rufbereit-development-secret-key"
_DEV_CALLER_HASH_SALT = "rufbereit-development-caller-hash-salt"
_RANDOM = "python -c 'import secrets; print(secrets.token_hex(32))'"


def _development_value(value: str) -> Derived:
    """``value`` in development and tests, nothing (so the start is refused) elsewhere."""
    return lambda values: value if values.get("ENV_NAME") in DEVELOPMENT_ENVS else ""


def _default_backend(values: Mapping[str, Any]) -> str:
    has_account = values.get("TWILIO_ACCOUNT_SID") and values.get("TWILIO_AUTH_TOKEN")
    return "twilio" if has_account else "console"


SETTINGS = Declarations()

ENV_NAME = SETTINGS.add(
    "RUFBEREIT_ENV",
    Choice(("production", "development", "testing"), case="lower"),
    "production",
    "Where this runs; `development` and `testing` have development secrets, insecure cookies and demo sign-ins.",
    section=GENERAL,
    key="ENV_NAME",
)
LOG_LEVEL = SETTINGS.add(
    "LOG_LEVEL",
    Choice(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), case="upper"),
    "INFO",
    "Logging level; phone numbers are always masked in logs.",
    section=GENERAL,
)
DEFAULT_TIMEZONE = SETTINGS.add(
    "DEFAULT_TIMEZONE",
    TimeZone(),
    "Europe/Berlin",
    "Time zone for new lines and shifts.",
    section=GENERAL,
)
DEFAULT_REGION = SETTINGS.add(
    "DEFAULT_REGION",
    Region(),
    "DE",
    "Region for phone numbers typed without a country code.",
    section=GENERAL,
)

DATABASE_URL = SETTINGS.add(
    "DATABASE_URL",
    DatabaseUrl(),
    DEFAULT_SQLITE_URL,
    "SQLAlchemy URL; PostgreSQL in production (`postgresql+psycopg://…`).",
    section=DATABASE,
)
DB_CONNECT_TIMEOUT = SETTINGS.add(
    "DB_CONNECT_TIMEOUT",
    Int(min=1),
    2,
    "Seconds to wait for a database connection before a webhook falls back.",
    section=DATABASE,
)
SQL_ECHO = SETTINGS.add(
    "SQL_ECHO", Bool(), False, "Log every SQL statement (debugging only).", section=DATABASE
)
REDIS_URL = SETTINGS.add(
    "REDIS_URL",
    Url(("redis", "rediss", "unix")),
    "",
    "Redis for the job queue (`scripts/run` starts an embedded one when unset).",
    section=DATABASE,
)
RQ_QUEUE = SETTINGS.add(
    "RQ_QUEUE",
    Str(),
    "rufbereit",
    "Prefix of the job queues' names (`<prefix>-urgent`, `-default`, `-bulk`).",
    section=DATABASE,
)

TELEPHONY_BACKEND = SETTINGS.add(
    "TELEPHONY_BACKEND",
    Choice(("twilio", "console")),
    _default_backend,
    "`console` logs SMS and calls instead of sending them.",
    section=TELEPHONY,
    default_doc="`twilio` if account and token are set, else `console`",
)
TWILIO_ACCOUNT_SID = SETTINGS.add(
    "TWILIO_ACCOUNT_SID", Str(), "", "Twilio account.", section=TELEPHONY
)
TWILIO_AUTH_TOKEN = SETTINGS.add(
    "TWILIO_AUTH_TOKEN",
    Str(),
    "",
    "Twilio auth token; webhooks without a valid signature are refused (403).",
    section=TELEPHONY,
    secret=True,
)
TWILIO_API_BASE_URL = SETTINGS.add(
    "TWILIO_API_BASE_URL",
    Url(strip_slash=True),
    "",
    "Base URL of a Twilio-compatible REST API (other providers, local test servers).",
    section=TELEPHONY,
    default_doc="Twilio's",
)

PUBLIC_BASE_URL = SETTINGS.add(
    "PUBLIC_BASE_URL",
    Url(strip_slash=True),
    "",
    "The public URL of this app, e.g. `https://hotline.example.org`; signatures are checked against it and callback URLs and links in texts start with it. Without it the web app takes it from each request, the worker sends links to `http://localhost:5000` and texts without a status callback (logged once).",
    section=WEB,
    default_doc="from the request",
)
PROXY_FIX_HOPS = SETTINGS.add(
    "PROXY_FIX_HOPS",
    Int(min=0),
    0,
    "Reverse proxies in front of the app whose `X-Forwarded-*` headers are trusted (0 = none). Set it to the number of proxies (1 for one nginx): otherwise the client address and the URL Twilio signed cannot be taken from them.",
    section=WEB,
)
PORT = SETTINGS.add(
    "PORT",
    Int(min=1, max=65535),
    5000,
    "Port of the web process (`scripts/run`, the Procfile).",
    section=WEB,
)
WEB_CONCURRENCY = SETTINGS.add(
    "WEB_CONCURRENCY",
    Int(min=1),
    lambda values: min(2 * (os.cpu_count() or 1) + 1, 9),
    "Web worker processes the Procfile starts (`gunicorn.conf.py`); they share sessions through `SECRET_KEY`.",
    section=WEB,
    default_doc="2 × cores + 1, at most 9",
)
WEB_WORKER_TIMEOUT = SETTINGS.add(
    "WEB_WORKER_TIMEOUT",
    Int(min=1, max=14),
    10,
    "Seconds after which gunicorn replaces a web worker stuck even past the webhook deadline (inside Twilio's 15 s).",
    section=WEB,
)
MAX_CONTENT_LENGTH = SETTINGS.add(
    "MAX_CONTENT_LENGTH",
    Int(min=1024),
    2 * 1024 * 1024,
    "Largest request body in bytes (uploads included); larger ones get a 413 page.",
    section=WEB,
)
CALLOUTS_EMBED_ORIGINS = SETTINGS.add(
    "CALLOUTS_EMBED_ORIGINS",
    Str(),
    "*",
    "Sites allowed to frame the public list of open call-outs (CSP `frame-ancestors` sources, space-separated).",
    section=WEB,
)

SECRET_KEY = SETTINGS.add(
    "SECRET_KEY",
    Str(),
    _development_value(_DEV_SECRET_KEY),
    "Signs sessions, CSRF tokens and sign-up codes; the same in every web worker and the worker, and kept across restarts.",
    section=SECURITY,
    secret=True,
    required_in_production=True,
    hint=f"set it to a long random string (e.g. `{_RANDOM}`)",
    default_doc="a fixed development value",
)
CALLER_HASH_SALT = SETTINGS.add(
    "CALLER_HASH_SALT",
    Str(),
    _development_value(_DEV_CALLER_HASH_SALT),
    "Salt for the hash that counts repeat callers without keeping their number; changing it starts the count afresh.",
    section=SECURITY,
    secret=True,
    required_in_production=True,
    hint=f"set it to a long random string, different from SECRET_KEY and kept forever (e.g. `{_RANDOM}`)",
    default_doc="a fixed development value",
)
CALLER_NUMBER_RETENTION_DAYS = SETTINGS.add(
    "CALLER_NUMBER_RETENTION_DAYS",
    Int(min=0),
    30,
    "Days a caller's plain number is kept (`rufbereit purge` forgets older ones).",
    section=SECURITY,
)
RECORDING_RETENTION_DAYS = SETTINGS.add(
    "RECORDING_RETENTION_DAYS",
    Int(min=0),
    90,
    "Days a voicemail recording link is kept.",
    section=SECURITY,
)

FALLBACK_NUMBER = SETTINGS.add(
    "FALLBACK_NUMBER",
    E164(),
    "",
    "Number rung when the database is unreachable and no line-specific fallback is known.",
    section=CALLS,
)
FALLBACK_NUMBERS = SETTINGS.add(
    "FALLBACK_NUMBERS",
    MapOf(E164(), E164(), example="+4930120000=+4930120099"),
    {},
    "Per-line fallback without the database: `+4930120000=+4930120099,+4989120000=+4989120099`.",
    section=CALLS,
)
QUEUE_CALLOUT_INTERVAL = SETTINGS.add(
    "QUEUE_CALLOUT_INTERVAL",
    Int(min=1),
    45,
    "Seconds between call-outs to operators while a caller waits in the queue.",
    section=CALLS,
)
FLOWS_DIR = SETTINGS.add(
    "FLOWS_DIR",
    Folder(),
    "",
    "Folder with the IVR flow files.",
    section=CALLS,
    default_doc="`ivr_flows/`",
)

# -- added with the fault, privacy and scheduling work ------------------------------------------

WEBHOOK_DEADLINE_SECONDS = SETTINGS.add(
    "WEBHOOK_DEADLINE_SECONDS",
    Float(min=0.1, max=12),
    2.5,
    "A Twilio webhook stops waiting (for a silent database, say) after this long and answers with the line's fallback number (0.1–12 s).",
    section=CALLS,
)
FALLBACK_SNAPSHOT_PATH = SETTINGS.add(
    "FALLBACK_SNAPSHOT_PATH",
    Str(),
    "var/fallback-numbers.json",
    "Local file keeping each line's fallback number, so a process started during a database outage still rings it (empty: memory only).",
    section=CALLS,
)
INBOUND_SPOOL_DIR = SETTINGS.add(
    "INBOUND_SPOOL_DIR",
    Str(),
    "var/inbound-spool",
    "Folder where inbound texts wait when neither the database nor Redis can take them.",
    section=DATABASE,
)
INBOUND_MESSAGE_RETENTION_DAYS = SETTINGS.add(
    "INBOUND_MESSAGE_RETENTION_DAYS",
    Int(min=1),
    30,
    "Days an inbound text's MessageSid and reply are kept to answer a redelivery once.",
    section=SECURITY,
)
REDIS_SOCKET_TIMEOUT = SETTINGS.add(
    "REDIS_SOCKET_TIMEOUT",
    Float(min=0.05, max=10),
    1.0,
    "Seconds a request waits for Redis before it leaves the work to the sweep.",
    section=DATABASE,
)
SCHEDULER_TICK_SECONDS = SETTINGS.add(
    "SCHEDULER_TICK_SECONDS",
    Float(min=0.05),
    5.0,
    "How often every worker checks the periodic jobs (sweeps, reminders, retention).",
    section=DATABASE,
)
SCHEDULER_DELAYED_SECONDS = SETTINGS.add(
    "SCHEDULER_DELAYED_SECONDS",
    Float(min=0.05),
    1.0,
    "How often due delayed jobs (next waves, retries, call-out rounds) are moved to their queue.",
    section=DATABASE,
)
SCHEDULER_TAKEOVER_SECONDS = SETTINGS.add(
    "SCHEDULER_TAKEOVER_SECONDS",
    Float(min=0.5),
    30.0,
    "A periodic job whose worker died runs again on another worker after at most this long.",
    section=DATABASE,
)
SCHEDULER_INTERVALS = SETTINGS.add(
    "SCHEDULER_INTERVALS",
    Str(),
    "",
    "Other intervals for periodic jobs, in seconds: `sweep-outbox=30,dispatch-sweep=60`.",
    section=DATABASE,
)
ALLOWED_COUNTRIES = SETTINGS.add(
    "ALLOWED_COUNTRIES",
    Str(),
    "DE",
    "Countries (ISO codes, comma-separated) whose mobile numbers operators, helpers and callback numbers may have.",
    section=SECURITY,
)
SIGNUP_ALLOWED_COUNTRIES = SETTINGS.add(
    "SIGNUP_ALLOWED_COUNTRIES",
    Str(),
    "DE",
    "Countries the public helper sign-up accepts (ALLOWED_COUNTRIES or fewer).",
    section=SECURITY,
)

# -- the outbound messaging pipeline (hotline.core.messaging) -----------------------------------

MESSAGING = "Outbound messages"


def _legacy(name: str, kind: Kind[Any], default: Any) -> Derived:
    """A default read from the older, dispatch-only variable when it is set."""

    def derived(_values: Mapping[str, Any]) -> Any:
        raw = os.environ.get(name, "")
        return kind.parse(raw) if raw else default

    return derived


SMS_PER_SECOND = SETTINGS.add(
    "SMS_PER_SECOND",
    Float(min=0),
    _legacy("DISPATCH_SMS_PER_SECOND", Float(min=0), 1.0),
    "Texts per second per sending number, in any one-second window (0 = unlimited).",
    section=MESSAGING,
    default_doc="`DISPATCH_SMS_PER_SECOND` if set, else 1",
)
CALLS_PER_SECOND = SETTINGS.add(
    "CALLS_PER_SECOND",
    Float(min=0),
    0.0,
    "Outbound calls per second per calling number (0 = unlimited: the provider queues calls).",
    section=MESSAGING,
)
MESSAGE_MAX_ATTEMPTS = SETTINGS.add(
    "MESSAGE_MAX_ATTEMPTS",
    Int(min=1),
    _legacy("DISPATCH_SEND_ATTEMPTS", Int(min=1), 5),
    "Provider attempts per message on 429/5xx; permanent errors are never retried.",
    section=MESSAGING,
    default_doc="`DISPATCH_SEND_ATTEMPTS` if set, else 5",
)
MESSAGE_BACKOFF_SECONDS = SETTINGS.add(
    "MESSAGE_BACKOFF_SECONDS",
    Float(min=0.1),
    2.0,
    "First retry delay; it doubles with each attempt.",
    section=MESSAGING,
)
MESSAGE_BACKOFF_CAP_SECONDS = SETTINGS.add(
    "MESSAGE_BACKOFF_CAP_SECONDS",
    Float(min=1),
    300.0,
    "Longest retry delay.",
    section=MESSAGING,
)
MESSAGE_SLICE_SECONDS = SETTINGS.add(
    "MESSAGE_SLICE_SECONDS",
    Float(min=0.05),
    1.0,
    "Longest a send job waits for a rate slot before it gives the worker back (so urgent work never waits behind bulk texts).",
    section=MESSAGING,
)
MESSAGE_RETENTION_DAYS = SETTINGS.add(
    "MESSAGE_RETENTION_DAYS",
    Int(min=1),
    30,
    "Days the number and text of a finished message are kept.",
    section=MESSAGING,
)

# -- e-mail (hotline.core.mail) ----------------------------------------------------------------

MAIL = "E-mail"


def _default_mail_backend(values: Mapping[str, Any]) -> str:
    if values.get("SMTP_HOST"):
        return "smtp"
    return "console" if values.get("ENV_NAME") in DEVELOPMENT_ENVS else "off"


SMTP_HOST = SETTINGS.add(
    "SMTP_HOST",
    Str(),
    "",
    "SMTP server e-mails are handed to (the relay of your provider).",
    section=MAIL,
)
SMTP_PORT = SETTINGS.add(
    "SMTP_PORT",
    Int(min=1, max=65535),
    lambda values: {"ssl": 465, "starttls": 587}.get(values.get("SMTP_TLS", ""), 25),
    "Port of the SMTP server.",
    section=MAIL,
    default_doc="587 with `starttls`, 465 with `ssl`, else 25",
)
SMTP_TLS = SETTINGS.add(
    "SMTP_TLS",
    Choice(("none", "starttls", "ssl"), case="lower"),
    "starttls",
    "`starttls` upgrades the connection (submission port 587), `ssl` is TLS from the start (465), `none` only for a relay on the same host.",
    section=MAIL,
)
SMTP_USERNAME = SETTINGS.add(
    "SMTP_USERNAME", Str(), "", "SMTP login (none: no authentication).", section=MAIL
)
SMTP_PASSWORD = SETTINGS.add(
    "SMTP_PASSWORD", Str(), "", "SMTP password.", section=MAIL, secret=True
)
SMTP_TIMEOUT_SECONDS = SETTINGS.add(
    "SMTP_TIMEOUT_SECONDS",
    Float(min=0.5, max=110),
    20.0,
    "Seconds to wait for the SMTP server at each step; a connection that fails is retried, an answer that never comes after the message was handed over counts as uncertain.",
    section=MAIL,
)
MAIL_BACKEND = SETTINGS.add(
    "MAIL_BACKEND",
    Choice(("off", "console", "smtp"), case="lower"),
    _default_mail_backend,
    "`smtp` sends e-mails through `SMTP_HOST`, `console` only logs them (development), `off` sends none: helpers are then texted whatever channel they chose.",
    section=MAIL,
    default_doc="`smtp` if `SMTP_HOST` is set, else `console` in development, `off` in production",
)
MAIL_FROM = SETTINGS.add(
    "MAIL_FROM",
    Str(),
    lambda values: "rufbereit@localhost" if values.get("ENV_NAME") in DEVELOPMENT_ENVS else "",
    "Sender address of every e-mail (`Rufbereit <hilfe@example.org>` or a bare address); rate limits are per sender.",
    section=MAIL,
    default_doc="`rufbereit@localhost` in development",
)
MAIL_UNSUBSCRIBE_ADDRESS = SETTINGS.add(
    "MAIL_UNSUBSCRIBE_ADDRESS",
    Str(),
    "",
    "Address of the `mailto:` unsubscribe in `List-Unsubscribe`; mails to it are fed to `rufbereit mail unsubscribe`.",
    section=MAIL,
    default_doc="the `MAIL_FROM` address",
)
MAIL_RATE_PER_SECOND = SETTINGS.add(
    "MAIL_RATE_PER_SECOND",
    Float(min=0),
    5.0,
    "E-mails per second per sender address, in any one-second window (0 = unlimited).",
    section=MAIL,
)
MAIL_BOUNCE_SECRET = SETTINGS.add(
    "MAIL_BOUNCE_SECRET",
    Str(),
    "",
    "Shared secret of the bounce webhook `POST /mail/bounces` (header `X-Rufbereit-Secret`); unset: the webhook answers 404 and bounces are fed with `rufbereit mail bounce`.",
    section=MAIL,
    secret=True,
)
MAIL_SOFT_BOUNCE_LIMIT = SETTINGS.add(
    "MAIL_SOFT_BOUNCE_LIMIT",
    Int(min=0),
    5,
    "Soft bounces (4.x.x) in a row after which an address counts as unreachable too (0 = never).",
    section=MAIL,
)


# -- abusive callers and redials (hotline.core.blocks, hotline.voice.callers) -------------------

BLOCK_DEFAULT_HOURS = SETTINGS.add(
    "BLOCK_DEFAULT_HOURS",
    Int(min=1, max=24 * 365),
    24,
    "Hours a caller stays blocked on a line after an operator texts SPERREN/BLOCK.",
    section=CALLS,
)
CALLER_CALLS_PER_HOUR = SETTINGS.add(
    "CALLER_CALLS_PER_HOUR",
    Int(min=0),
    10,
    "Calls one caller may make to one line in any hour before further calls are refused (0 = no limit).",
    section=CALLS,
)
REDIAL_WINDOW_MINUTES = SETTINGS.add(
    "REDIAL_WINDOW_MINUTES",
    Int(min=0),
    20,
    "A caller who calls again within this many minutes after a bridged call rings the operator they last spoke to first.",
    section=CALLS,
)

# -- budgets of the public pages (hotline.core.budgets) -----------------------------------------

BUDGETS = "Budgets of the public pages"

SIGNUP_CODES_PER_ADDRESS_HOUR = SETTINGS.add(
    "SIGNUP_CODES_PER_ADDRESS_HOUR",
    Int(min=0),
    10,
    "Sign-up codes texted per hour for one client address (0 = no limit).",
    section=BUDGETS,
)
SIGNUP_CODES_PER_NUMBER_HOUR = SETTINGS.add(
    "SIGNUP_CODES_PER_NUMBER_HOUR",
    Int(min=0),
    3,
    "Sign-up codes texted per hour to one phone number (0 = no limit).",
    section=BUDGETS,
)
SIGNUP_CODES_PER_HOUR = SETTINGS.add(
    "SIGNUP_CODES_PER_HOUR",
    Int(min=0),
    200,
    "Sign-up codes texted per hour in all (0 = no limit).",
    section=BUDGETS,
)
REGISTRATIONS_PER_ADDRESS_HOUR = SETTINGS.add(
    "REGISTRATIONS_PER_ADDRESS_HOUR",
    Int(min=0),
    5,
    "Organisation registrations per hour from one client address (0 = no limit).",
    section=BUDGETS,
)
REGISTRATIONS_PER_HOUR = SETTINGS.add(
    "REGISTRATIONS_PER_HOUR",
    Int(min=0),
    50,
    "Organisation registrations per hour in all (0 = no limit).",
    section=BUDGETS,
)
DAILY_TEXT_CAPS = SETTINGS.add(
    "DAILY_TEXT_CAPS",
    Str(),
    "signup_code=500,offer=5000",
    "Texts of a kind sent per local day before the rest wait for the next day and coordinators are alerted (`kind=count,…`; caller-facing kinds are never capped).",
    section=BUDGETS,
)
