"""Configuration: every setting declared once, checked on start, documented from the
declarations; production refuses to start without its secrets; several web workers built
from one environment agree on sessions, CSRF tokens, sign-up codes and caller hashes."""

from __future__ import annotations

import itertools
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.test import Client

from dispatch.models import Helper
from hotline import cli, create_app
from hotline.app import SETTINGS
from hotline.core import config
from hotline.core.config import (
    ConfigError,
    Declarations,
    Int,
    current_settings,
    load_settings,
    render_docs,
)
from hotline.core.extensions import db
from hotline.core.telephony import RecordingTelephony
from hotline.core.worker import set_app
from hotline.voice.models import Call
from tests.conftest import TwilioDriver, make_line, test_config
from tests.dispatch_support import DISPATCH_CONFIG, messages
from tests.roster_support import login, make_user, post

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "configuration.md"
DEV = {"RUFBEREIT_ENV": "development"}
SECRETS = {"SECRET_KEY": "k" * 64, "CALLER_HASH_SALT": "s" * 64}
MISSING = {
    "SECRET_KEY": "SECRET_KEY is not set: set it to a long random string (e.g. "
    "`python -c 'import secrets; print(secrets.token_hex(32))'`)",
    "CALLER_HASH_SALT": "CALLER_HASH_SALT is not set: set it to a long random string, "
    "different from SECRET_KEY and kept forever (e.g. "
    "`python -c 'import secrets; print(secrets.token_hex(32))'`)",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No declared variable set in this process's environment (the suite's own
    ``DATABASE_URL``/``REDIS_URL`` included): the tests set exactly what they mean."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    return monkeypatch


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(SETTINGS, env)
    return list(caught.value.problems)


def services(database_url: str, redis_url: str) -> dict[str, object]:
    """``test_config`` without what the environment is meant to decide here."""
    overrides = test_config(database_url, redis_url, **DISPATCH_CONFIG)
    for key in ("ENV_NAME", "SECRET_KEY", "CALLER_HASH_SALT"):
        del overrides[key]
    return overrides


# -- types -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("DB_CONNECT_TIMEOUT", "7", 7),
        ("WEBHOOK_DEADLINE_SECONDS", "0.5", 0.5),
        ("SQL_ECHO", "yes", True),
        ("SQL_ECHO", "0", False),
        ("LOG_LEVEL", "debug", "DEBUG"),
        ("RUFBEREIT_ENV", "Development", "development"),
        ("DEFAULT_TIMEZONE", "America/New_York", "America/New_York"),
        ("DEFAULT_REGION", "at", "AT"),
        ("FALLBACK_NUMBER", "+49 30 120099", "+4930120099"),
        ("PUBLIC_BASE_URL", "https://hotline.example.org/", "https://hotline.example.org"),
        ("REDIS_URL", "unix:///run/redis.sock", "unix:///run/redis.sock"),
        ("DATABASE_URL", "postgresql+psycopg://u@db/x", "postgresql+psycopg://u@db/x"),
        ("DISPATCH_SMS_FROM", "MG" + "a" * 32, "MG" + "a" * 32),
        ("DISPATCH_SMS_FROM", "+49 157 99990000", "+4915799990000"),
        ("DISPATCH_QUIET_START", "23", 23),
        (
            "DISPATCH_COORDINATOR_NUMBERS",
            "+4915111110000, +4915111110001",
            ["+4915111110000", "+4915111110001"],
        ),
        (
            "FALLBACK_NUMBERS",
            "+4930120000=+4930120099; +4989120000 = +4989120099",
            {"+4930120000": "+4930120099", "+4989120000": "+4989120099"},
        ),
    ],
)
def test_each_type_parses_its_text_into_a_typed_value(name: str, raw: str, value: object) -> None:
    settings = load_settings(SETTINGS, {**DEV, name: raw})
    key = next(s.key for s in SETTINGS if s.name == name)
    assert settings[key] == value and type(settings[key]) is type(value)


def test_a_folder_setting_takes_an_existing_folder(tmp_path: Path) -> None:
    assert load_settings(SETTINGS, {**DEV, "FLOWS_DIR": str(tmp_path)})["FLOWS_DIR"] == str(
        tmp_path
    )


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("DB_CONNECT_TIMEOUT", "two", "DB_CONNECT_TIMEOUT must be a whole number, got 'two'"),
        ("DB_CONNECT_TIMEOUT", "0", "DB_CONNECT_TIMEOUT must be at least 1, got '0'"),
        (
            "WEBHOOK_DEADLINE_SECONDS",
            "-1",
            "WEBHOOK_DEADLINE_SECONDS must be between 0.1 and 12, got '-1'",
        ),
        ("WEBHOOK_DEADLINE_SECONDS", "nan", "WEBHOOK_DEADLINE_SECONDS must be a number, got 'nan'"),
        ("DISPATCH_QUIET_END", "24", "DISPATCH_QUIET_END must be between 0 and 23, got '24'"),
        ("SQL_ECHO", "maybe", "SQL_ECHO must be true or false (or 1/0, yes/no, on/off)"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("RUFBEREIT_ENV", "prod", "RUFBEREIT_ENV must be one of production, development"),
        ("DEFAULT_TIMEZONE", "Berlin", "DEFAULT_TIMEZONE must be an IANA time zone"),
        ("DEFAULT_REGION", "XX", "DEFAULT_REGION must be a two-letter region code such as DE"),
        ("FALLBACK_NUMBER", "030 120099", "FALLBACK_NUMBER must be a phone number in "),
        ("PUBLIC_BASE_URL", "hotline.example.org", "PUBLIC_BASE_URL must be a URL starting with"),
        ("REDIS_URL", "http://x", "REDIS_URL must be a URL starting with redis://, rediss://"),
        ("DATABASE_URL", "postgres://db/x", "DATABASE_URL names an unknown database 'postgres'"),
        ("DATABASE_URL", "not a url", "DATABASE_URL must be a database URL such as"),
        ("FLOWS_DIR", "/nonexistent/flows", "FLOWS_DIR must be an existing folder"),
        ("DISPATCH_SMS_FROM", "Rufbereit", "DISPATCH_SMS_FROM must be a Messaging Service SID"),
        ("DISPATCH_TIMEZONE", "Mars/Base", "DISPATCH_TIMEZONE must be an IANA time zone"),
        (
            "DISPATCH_COORDINATOR_NUMBERS",
            "+4915111110000,12",
            "DISPATCH_COORDINATOR_NUMBERS entry '12' must be a phone number",
        ),
        (
            "FALLBACK_NUMBERS",
            "+4930120000",
            "FALLBACK_NUMBERS entry '+4930120000' must look like +4930120000=+4930120099",
        ),
        ("AVAILABILITY_HOURS", "25", "AVAILABILITY_HOURS must be between 0 and 24"),
        ("LOGIN_MAX_FAILURES", "many", "LOGIN_MAX_FAILURES must be a whole number"),
    ],
)
def test_each_type_rejects_a_bad_value_naming_the_variable(
    name: str, raw: str, message: str
) -> None:
    [problem] = problems({**DEV, **SECRETS, name: raw})
    assert problem.startswith(message)


def test_every_problem_is_reported_at_once_one_line_each() -> None:
    found = problems({"DB_CONNECT_TIMEOUT": "x", "DISPATCH_MAX_WAVES": "0"})
    assert found == [
        "DB_CONNECT_TIMEOUT must be a whole number, got 'x'",
        "DISPATCH_MAX_WAVES must be at least 1, got '0'",
        MISSING["SECRET_KEY"],
        MISSING["CALLER_HASH_SALT"],
    ]


def test_an_empty_variable_counts_as_unset() -> None:
    settings = load_settings(SETTINGS, {**DEV, "QUEUE_CALLOUT_INTERVAL": "  "})
    assert settings["QUEUE_CALLOUT_INTERVAL"] == 45


def test_overrides_win_over_the_environment_and_are_taken_as_given() -> None:
    settings = load_settings(
        SETTINGS, {**DEV, "DISPATCH_MAX_WAVES": "lots"}, overrides={"DISPATCH_MAX_WAVES": 9}
    )
    assert settings["DISPATCH_MAX_WAVES"] == 9


def test_derived_defaults_follow_the_settings_they_depend_on() -> None:
    twilio = load_settings(
        SETTINGS, {**DEV, "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t"}
    )
    assert twilio["TELEPHONY_BACKEND"] == "twilio"
    assert load_settings(SETTINGS, DEV)["TELEPHONY_BACKEND"] == "console"


def test_twilio_without_its_account_is_refused() -> None:
    assert problems({**DEV, "TELEPHONY_BACKEND": "twilio"}) == [
        "TELEPHONY_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: set them "
        "from the Twilio console, or set TELEPHONY_BACKEND=console"
    ]


def test_a_setting_declared_twice_is_a_programming_error() -> None:
    extra = Declarations()
    extra.add("DB_CONNECT_TIMEOUT", Int(), 3, "Again.", section="X")
    with pytest.raises(ValueError, match="DB_CONNECT_TIMEOUT is declared twice"):
        load_settings([*SETTINGS, *extra], DEV)


def test_secret_values_are_masked_when_the_settings_are_printed() -> None:
    settings = load_settings(SETTINGS, {**SECRETS, "TWILIO_AUTH_TOKEN": "token-123"})
    assert "token-123" not in repr(settings) and SECRETS["SECRET_KEY"] not in repr(settings)


# -- the app and its typed settings -------------------------------------------------------------


def test_the_app_mirrors_every_setting_into_app_config(
    clean_env: pytest.MonkeyPatch, database_url: str, redis_url: str
) -> None:
    clean_env.setenv("RUFBEREIT_ENV", "development")
    clean_env.setenv("DISPATCH_MAX_WAVES", "5")
    clean_env.setenv("LOGIN_LOCK_MINUTES", "30")
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    settings = current_settings(app)
    assert {key: app.config[key] for key in settings} == dict(settings)
    assert settings[config.ENV_NAME] == "development"
    assert (app.config["DISPATCH_MAX_WAVES"], app.config["LOGIN_LOCK_MINUTES"]) == (5, 30)


# -- production secrets -------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["SECRET_KEY", "CALLER_HASH_SALT"])
def test_production_app_refuses_to_start_without_each_secret(
    clean_env: pytest.MonkeyPatch, missing: str
) -> None:
    for name, value in SECRETS.items():
        if name != missing:
            clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert caught.value.problems == (MISSING[missing],)


def test_an_unset_environment_counts_as_production(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app()
    assert caught.value.problems == (MISSING["SECRET_KEY"], MISSING["CALLER_HASH_SALT"])


@pytest.mark.parametrize("missing", ["SECRET_KEY", "CALLER_HASH_SALT"])
def test_worker_command_refuses_to_start_without_each_secret(
    clean_env: pytest.MonkeyPatch, missing: str
) -> None:
    clean_env.setenv("RUFBEREIT_ENV", "production")
    for name, value in SECRETS.items():
        if name != missing:
            clean_env.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["worker", "--burst"])
    assert result.exit_code == 1
    assert result.stderr == MISSING[missing] + "\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def run_gunicorn(tmp_path: Path, env: dict[str, str], *options: str) -> subprocess.CompletedProcess:
    """``gunicorn 'hotline:create_app()'`` as the Procfile starts it, from the repository."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    return subprocess.run(
        [
            gunicorn,
            "--bind",
            "127.0.0.1:0",
            "--no-control-socket",
            *options,
            "hotline:create_app()",
        ],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "CALLER_HASH_SALT"])
def test_gunicorn_refuses_to_start_without_each_secret(tmp_path: Path, missing: str) -> None:
    env = {"RUFBEREIT_ENV": "production"}
    env.update((name, value) for name, value in SECRETS.items() if name != missing)
    done = run_gunicorn(tmp_path, env, "--workers", "2")
    assert done.returncode == 1
    assert MISSING[missing] in done.stderr.splitlines()
    assert "Traceback" not in done.stderr and "Booting worker" not in done.stderr


def test_a_gunicorn_worker_started_without_the_config_file_stops_too(tmp_path: Path) -> None:
    """Without ``gunicorn.conf.py`` (started elsewhere) the worker's own start refuses."""
    empty = tmp_path / "gunicorn.conf.py"
    empty.write_text("", encoding="utf-8")
    done = run_gunicorn(tmp_path, {"RUFBEREIT_ENV": "production"}, "--config", str(empty))
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert MISSING["SECRET_KEY"] in lines and MISSING["CALLER_HASH_SALT"] in lines
    assert "Traceback" not in done.stderr


def test_development_starts_without_secrets_and_without_warnings(
    clean_env: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    database_url: str,
    redis_url: str,
) -> None:
    clean_env.setenv("RUFBEREIT_ENV", "development")
    with caplog.at_level(logging.WARNING):
        app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url})
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert app.config["SECRET_KEY"] and app.config["CALLER_HASH_SALT"]
    assert app.config["SECRET_KEY"] != app.config["CALLER_HASH_SALT"]


# -- the command line ---------------------------------------------------------------------------


def test_config_check_prints_every_problem_and_exits_1(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DISPATCH_WAVE_MINUTES", "soon")
    result = CliRunner().invoke(cli.main, ["config", "check"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "3 problem(s):",
        "DISPATCH_WAVE_MINUTES must be a whole number, got 'soon'",
        MISSING["SECRET_KEY"],
        MISSING["CALLER_HASH_SALT"],
    ]


def test_config_check_accepts_a_complete_production_environment(
    clean_env: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        clean_env.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == f"ok: {len(SETTINGS)} settings valid (RUFBEREIT_ENV=production)\n"


def test_docs_file_is_what_the_declarations_produce() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_docs(SETTINGS), (
        "docs/configuration.md is out of date: run `rufbereit config docs > docs/configuration.md`"
    )


def test_config_docs_command_prints_the_docs_file() -> None:
    result = CliRunner().invoke(cli.main, ["config", "docs"])
    assert result.exit_code == 0
    assert result.output == DOCS.read_text(encoding="utf-8")


def test_docs_list_every_setting_in_its_section_with_type_and_default() -> None:
    text = render_docs(SETTINGS)
    dispatch = text[text.index("## Dispatch") :]
    assert "| `DISPATCH_QUIET_START` | integer 0–23 | `21` |" in dispatch
    assert "| `SECRET_KEY` | text | a fixed development value (required in production) |" in text
    assert all(f"| `{s.name}` |" in text for s in SETTINGS)


# -- two web workers ----------------------------------------------------------------------------


class RoundRobin:
    """Two web workers behind a balancer: each request goes to the next one in turn."""

    def __init__(self, apps: list) -> None:
        self._apps = itertools.cycle(enumerate(apps))
        self.served: list[int] = []

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        index, app = next(self._apps)
        self.served.append(index)
        return app(environ, start_response)


@pytest.fixture(params=["development", "production"])
def workers(request, clean_env, connection, database_url, redis_url, redis):  # noqa: ANN001, ANN201
    """Two apps built from the same environment, as gunicorn's workers are; production has
    its secrets in the environment, development none."""
    clean_env.setenv("RUFBEREIT_ENV", request.param)
    if request.param == "production":
        for name, value in SECRETS.items():
            clean_env.setenv(name, value)
    apps = [
        create_app(services(database_url, redis_url), telephony=RecordingTelephony())
        for _ in range(2)
    ]
    db.bind_to(connection)
    set_app(apps[0])
    yield apps
    set_app(None)


def test_two_workers_share_the_session_and_csrf_tokens(workers, session) -> None:  # noqa: ANN001
    make_user(session, username="planung")
    balancer = RoundRobin(workers)
    browser = Client(balancer)
    # The sign-in form comes from one worker, the sign-in is posted to the other.
    signed_in = login(browser, "planung")
    assert signed_in.status_code == 302 and "anmelden" not in signed_in.location
    # The session the second worker signed is good on the first, and its CSRF token too.
    changed = post(browser, "/sprache", {"lang": "en", "next": "/dienstplan/"})
    assert changed.status_code == 302
    page = browser.get("/dienstplan/")
    assert page.status_code in (200, 302) and "anmelden" not in (page.location or "")
    assert balancer.served == [0, 1, 0, 1, 0]


def test_two_workers_with_different_secrets_do_not(
    clean_env, connection, database_url, redis_url, redis, session
) -> None:  # noqa: ANN001
    """The control for the test above: the shared secret is what makes it work."""
    apps = [
        create_app(
            {**test_config(database_url, redis_url), "SECRET_KEY": key},
            telephony=RecordingTelephony(),
        )
        for key in ("one-secret", "another-secret")
    ]
    db.bind_to(connection)
    make_user(session, username="planung")
    assert login(Client(RoundRobin(apps)), "planung").status_code == 400


def test_a_signup_code_from_one_worker_is_accepted_by_the_other(workers, session) -> None:  # noqa: ANN001
    browser = Client(RoundRobin(workers))
    form = browser.get("/hilfe/anmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    started = browser.post(
        "/hilfe/anmelden",
        data={
            "name": "Mia Muster",
            "phone": "0151 23456789",
            "postal_code": "33602",
            "radius_km": "8",
            "activities": ["shopping"],
            "languages": "de",
            "preferred_language": "de",
            "availability": "",
            "max_per_week": "2",
            "consent": "1",
            "csrf_token": token,
        },
    )
    assert started.status_code == 302
    [sms] = messages(session, "signup:")
    code = re.search(r"\d{6}", sms.body).group(0)
    confirmed = browser.post(started.location, data={"csrf_token": token, "code": code})
    assert confirmed.status_code == 200
    assert session.scalars(select(Helper.name)).all() == ["Mia Muster"]


def test_two_workers_hash_the_same_caller_alike(workers, session) -> None:  # noqa: ANN001
    make_line(session)
    for app, sid in zip(workers, ("CA" + "7" * 32, "CA" + "8" * 32), strict=True):
        TwilioDriver(app, call_sid=sid).twiml("/twilio/voice")
    hashes = session.scalars(select(Call.caller_hash)).all()
    assert len(hashes) == 2 and hashes[0] == hashes[1]
