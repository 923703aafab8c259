"""The repository's promises: CI runs the README's test command, which installs what the
tests need."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_ci_runs_the_readme_test_command():
    test_cmd = [c for c in _readme_commands() if "pytest" in c]
    assert len(test_cmd) == 1
    assert test_cmd[0] in (ROOT / ".ci" / "run").read_text()


def test_readme_main_job_runs_the_quickstart():
    assert any("ember.examples.quickstart" in c for c in _readme_commands())
