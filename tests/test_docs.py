"""The README is the user's manual: every command and option of `kg` is documented in it."""

from __future__ import annotations

import argparse
import re

from kg import cli, model

from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_command_and_option_is_documented():
    for name, sub in subcommands().items():
        assert f"kg {name}" in README, f"`kg {name}` is not in the README"
        for action in sub._actions:
            for opt in action.option_strings:
                if opt in ("-h", "--help"):
                    continue
                assert re.search(rf"kg {name}[^\n]*{re.escape(opt)}", README), f"`kg {name} {opt}` is not in the README"


def test_quick_start_commands_are_the_ones_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q --disable-pip-version-check -e '.[test]'" in ci and "python -m pytest -q" in ci
    first, second = re.findall(r"```sh\n(.+?)\n```", README, re.S)[:2]
    assert first.strip() == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/kg build"
    apt, rest = second.strip().split(" && ", 1)
    assert rest == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest -q"
    packages = apt.removeprefix("apt-get install -y ").split()
    assert packages and all(p in ci for p in packages), "the README's test command installs what .ci/run installs"


def test_every_claim_type_and_vocabulary_value_is_documented():
    for name in model.CLAIM_TYPES:
        assert f"| `{name}` |" in README, name
    for vocab in ("factuality", "medium", "abuse", "comparator"):
        for value in model.ENUMS[vocab]:
            assert f"`{value}`" in README, f"{vocab} value {value} is not documented"
    for act in model.ACTS:
        assert act in README, act


def test_curator_walkthrough_runs_as_written(tmp_path):
    """Run the README's walkthrough block (its /tmp paths moved into a test directory)."""
    import subprocess

    block = re.search(r"## For curators.*?```sh\n(.+?)\n```", README, re.S).group(1)
    import sys

    assert ".venv/bin/kg validate" in block and ".venv/bin/kg add" in block
    # the same commands, with this interpreter's kg (the tests may run from another venv)
    script = block.replace("/tmp/", f"{tmp_path}/").replace(".venv/bin/kg", f"{sys.executable} -m kg.cli")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("conforms: 0 violations, 0 warnings") == 2
    assert "added: annotations/005.yaml, articles/005_fixture.txt, entities.yaml" in done.stdout
    assert (tmp_path / "build-try" / "kg.trig").is_file()
