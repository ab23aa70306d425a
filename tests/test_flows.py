"""Flow files: the shipped ones are valid, and every kind of mistake is reported with file
and line."""

import textwrap

import pytest
from click.testing import CliRunner

from hotline.cli import main as cli
from ivr_flows import FLOWS_DIR, FlowValidationError, NodeType, check_flows, load_flow, load_flows

VALID = """\
name: test
default_language: de
languages:
  de: {locale: de-DE, voice: Polly.Vicki}
  en: {locale: en-GB}
start: welcome
nodes:
  welcome:
    type: greeting
    say: {de: Hallo, en: Hello}
    next: menu
  menu:
    type: menu
    say: {de: "Drücken Sie 1", en: "Press 1"}
    options:
      "1": {next: route, speech: {de: [ja], en: [yes]}}
    on_failure: route
  route:
    type: route
"""


def write(tmp_path, text, name="flow.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(path):
    with pytest.raises(FlowValidationError) as info:
        load_flow(path)
    return [(e.path, e.line, e.message) for e in info.value.errors]


def test_shipped_flows_are_valid():
    flows, errors = load_flows(FLOWS_DIR)
    assert errors == []
    assert {"heimweg", "nachbarschaftshilfe"} <= set(flows)


def test_shipped_flows_speak_german_and_english():
    flows, _ = load_flows(FLOWS_DIR)
    for flow in flows.values():
        assert flow.default_language == "de"
        assert {"de", "en"} <= set(flow.languages)
        assert flow.languages["de"].locale == "de-DE"


def test_valid_flow_loads_with_its_nodes(tmp_path):
    flow = load_flow(write(tmp_path, VALID))
    assert flow.start == "welcome"
    assert flow.nodes["menu"].type == NodeType.MENU
    assert flow.nodes["menu"].options["1"].speech == {"de": ("ja",), "en": ("yes",)}


def test_yes_and_no_stay_words_not_booleans(tmp_path):
    flow = load_flow(write(tmp_path, VALID))
    assert flow.nodes["menu"].options["1"].speech["en"] == ("yes",)


def test_unknown_node_type_is_reported_with_line(tmp_path):
    path = write(tmp_path, VALID.replace("type: route", "type: teleport"))
    assert (
        "flow.yaml",
        18,
        "node 'route': unknown node type 'teleport' "
        "(known: greeting, language, menu, hours, route, goto, hangup, intake)",
    ) in errors_of(path)


def test_reference_to_unknown_node_is_reported(tmp_path):
    path = write(tmp_path, VALID.replace("next: menu", "next: menue"))
    errors = errors_of(path)
    assert ("flow.yaml", 8, "node 'welcome': unknown node 'menue'") in errors


def test_unreachable_node_is_reported(tmp_path):
    text = VALID + "  orphan:\n    type: hangup\n"
    errors = errors_of(write(tmp_path, text))
    assert errors == [("flow.yaml", 20, "node 'orphan': unreachable from start 'welcome'")]


def test_missing_prompt_for_a_declared_language_is_reported(tmp_path):
    path = write(tmp_path, VALID.replace("say: {de: Hallo, en: Hello}", "say: {de: Hallo}"))
    assert errors_of(path) == [
        ("flow.yaml", 10, "node 'welcome' say: missing prompt for language 'en'")
    ]


def test_loop_with_no_exit_is_reported(tmp_path):
    text = VALID.replace('"1": {next: route,', '"1": {next: welcome,').replace(
        "on_failure: route", "on_failure: welcome"
    )
    errors = errors_of(write(tmp_path, text))
    lines = {(line, msg.split(":")[0]) for _, line, msg in errors}
    assert (8, "node 'welcome'") in lines
    assert (12, "node 'menu'") in lines
    assert all("loop with no exit" in m or "unreachable" in m for _, _, m in errors)


def test_loop_without_caller_input_is_reported(tmp_path):
    text = VALID.replace("next: menu", "next: again") + (
        "  again:\n    type: goto\n    next: welcome\n"
    )
    errors = errors_of(write(tmp_path, text))
    assert any(line == 8 and "cycles without waiting for input" in m for _, line, m in errors)


def test_yaml_syntax_error_is_reported_with_line(tmp_path):
    path = write(tmp_path, VALID.replace("    next: menu", "    next: [menu"))
    [(name, line, message)] = errors_of(path)
    assert name == "flow.yaml" and line > 0 and message.startswith("YAML syntax error")


def test_language_choice_must_offer_every_declared_language(tmp_path):
    text = VALID.replace(
        "    next: menu\n  menu:",
        "    next: lang\n  lang:\n    type: language\n    say: {de: Eins, en: Two}\n"
        '    choices: {"1": de}\n    next: menu\n  menu:',
    )
    errors = errors_of(write(tmp_path, text))
    assert any("no choice for declared language 'en'" in m for _, _, m in errors)


def test_all_errors_of_a_file_are_reported_at_once(tmp_path):
    text = VALID.replace("say: {de: Hallo, en: Hello}", "say: {de: Hallo}").replace(
        "next: menu", "next: nowhere"
    )
    assert len(errors_of(write(tmp_path, text))) >= 2


def test_flows_check_command_passes_shipped_flows():
    result = CliRunner().invoke(cli, ["flows", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok")


def test_flows_check_command_prints_file_and_line_and_fails(tmp_path):
    path = write(tmp_path, VALID.replace("say: {de: Hallo, en: Hello}", "say: {de: Hallo}"))
    result = CliRunner().invoke(cli, ["flows", "check", str(path)])
    assert result.exit_code == 1
    assert "flow.yaml:10: node 'welcome' say: missing prompt for language 'en'" in result.output


def test_malformed_flow_is_left_out_and_the_others_still_load(tmp_path):
    write(tmp_path, VALID, "good.yaml")
    write(tmp_path, "nodes: [", "bad.yaml")
    flows, errors = load_flows(tmp_path)
    assert list(flows) == ["test"]
    assert errors[0].path == "bad.yaml"


def test_check_flows_accepts_files_and_folders(tmp_path):
    write(tmp_path, VALID)
    assert check_flows([tmp_path, tmp_path / "flow.yaml"]) == []
