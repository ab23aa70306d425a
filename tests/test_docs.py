"""The documentation's commands run as written: every ``scripts/rufbereit …`` named in the
README or docs/ is a command that exists, and every option it passes is one that command
takes; every relative link points to a file that exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from hotline import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
COMMAND_RE = re.compile(r"scripts/rufbereit ((?:[^`\n#|]|\\\n)+)")


def _documented_commands() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        for match in COMMAND_RE.finditer(text):
            found.append((path.name, match.group(1).strip()))
    return found


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli.main
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        if sub is None:
            break
        command, rest = sub, rest[1:]
    return command, rest


def test_the_docs_name_commands_at_all() -> None:
    assert len(_documented_commands()) >= 10


@pytest.mark.parametrize(("doc", "line"), _documented_commands())
def test_each_documented_command_exists_with_its_options(doc: str, line: str) -> None:
    words = shlex.split(line)
    command, rest = _resolve(words)
    assert not isinstance(command, click.Group), f"{doc}: `{line}` names no command"
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in known, f"{doc}: `{line}`: no option {word}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_relative_links_point_to_files_that_exist(path: Path) -> None:
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
