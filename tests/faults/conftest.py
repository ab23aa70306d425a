"""The fault suite reports, per case, what was kept, lost and doubled.

A fault test takes the ``outcome`` fixture and records its counts; the summary at the end of
the run prints one line per case, so a run shows at a glance what each failure cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

_OUTCOMES: list[tuple[str, dict[str, int]]] = []


@dataclass
class Outcome:
    case: str

    def record(self, kept: int = 0, lost: int = 0, doubled: int = 0) -> None:
        _OUTCOMES.append((self.case, {"kept": kept, "lost": lost, "doubled": doubled}))


@pytest.fixture
def outcome(request: pytest.FixtureRequest) -> Outcome:
    return Outcome(request.node.name.removeprefix("test_").replace("_", " "))


def pytest_sessionfinish(session) -> None:  # noqa: ANN001
    """Under pytest-xdist each worker hands its outcomes to the controlling process."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fault_outcomes"] = list(_OUTCOMES)


def pytest_testnodedown(node, error) -> None:  # noqa: ANN001
    _OUTCOMES.extend(tuple(item) for item in node.workeroutput.get("fault_outcomes", []))


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if not _OUTCOMES:
        return
    terminalreporter.section("fault suite: what each failure kept, lost and doubled")
    for case, counts in _OUTCOMES:
        terminalreporter.write_line(
            f"kept {counts['kept']:>4}  lost {counts['lost']:>3}  doubled {counts['doubled']:>3}"
            f"  {case}"
        )
