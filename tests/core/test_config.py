"""`mbk check` and `mbk serve` on broken deployments: one line per problem, naming the file and the key path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import Field
from typer.testing import CliRunner, Result

from core import cli as mbk
from core import cli_support
from core.config import StrictModel
from core.plugins import Plugin, PluginManager, hookimpl
from tests.core import dummy
from tests.support import builtin_plugins

ROOT = Path(__file__).resolve().parents[2]

PLATFORM = """
[platform]
name = { sv = "Test", en = "Test" }
"""

ALPHA = """
[office]
id = "alpha"
name = { sv = "Alfa" }
languages = ["sv", "en"]

[plugins]
enabled = ["tiny"]

[plugins.tiny]
services = [
  { id = "info", prefix = "A" },
  { id = "guidance", prefix = "B", seats = 2 },
]
"""

BETA = """
[office]
id = "beta"
name = { sv = "Beta" }
timezone = "Europe/Helsinki"
languages = ["fi", "sv"]
"""


class Service(StrictModel):
    id: str
    prefix: str = Field(pattern=r"^[A-Z]$")
    seats: int | None = None


class TinySettings(StrictModel):
    services: tuple[Service, ...] = ()
    opening_hour: int = Field(default=9, ge=0, le=23)


class Tiny:
    """A test plugin with a settings model that has lists, patterns and bounds (like a real queue)."""

    @hookimpl
    def mbk_register(self) -> Plugin:
        return Plugin(name="tiny", settings_model=TinySettings)


def plugins_with_test_doubles() -> PluginManager:
    manager = builtin_plugins()
    manager.register(Tiny(), "tiny")
    manager.register(dummy, "dummy")
    return manager




@pytest.fixture(autouse=True)
def plugins_for_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI normally loads installed entry points; tests decide exactly which plugins exist.
    monkeypatch.setattr(cli_support, "load_plugins", plugins_with_test_doubles)


def deployment(root: Path, offices: dict[str, str], platform: str = PLATFORM) -> Path:
    (root / "offices").mkdir(parents=True, exist_ok=True)
    (root / "platform.toml").write_text(platform, encoding="utf-8")
    for name, text in offices.items():
        (root / "offices" / f"{name}.toml").write_text(text, encoding="utf-8")
    return root


def check(root: Path) -> Result:
    return CliRunner().invoke(mbk.cli, ["check", "--deployment", str(root)])


def problem_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error: ")]


def assert_problem(result: Result, file: str, key: str, *words: str) -> str:
    """Exactly one line names this file and key path (and says the given words); the run failed."""
    assert result.exit_code == 2, result.output
    matching = [line for line in problem_lines(result) if f"{file}: {key}: " in line]
    assert len(matching) == 1, f"no single line for {file}: {key} in:\n{result.output}"
    for word in words:
        assert word in matching[0], matching[0]
    return matching[0]


def test_a_valid_deployment_passes(tmp_path: Path) -> None:
    result = check(deployment(tmp_path, {"alpha": ALPHA, "beta": BETA}))
    assert result.exit_code == 0, result.output
    assert "ok: 2 office(s)" in result.output and "alpha, beta" in result.output


def test_wrong_type_in_a_plugin_list(tmp_path: Path) -> None:
    result = check(deployment(tmp_path, {"alpha": ALPHA.replace("seats = 2", 'seats = "many"')}))
    assert_problem(result, "offices/alpha.toml", "plugins.tiny.services[1].seats", "integer", "'many'")


def test_value_breaking_a_rule(tmp_path: Path) -> None:
    result = check(deployment(tmp_path, {"alpha": ALPHA.replace('prefix = "B"', 'prefix = "bb"')}))
    assert_problem(result, "offices/alpha.toml", "plugins.tiny.services[1].prefix", "pattern", "'bb'")


def test_missing_required_fields(tmp_path: Path) -> None:
    office = ALPHA.replace('name = { sv = "Alfa" }\n', "").replace('{ id = "info", prefix = "A" }', '{ id = "info" }')
    result = check(deployment(tmp_path, {"alpha": office}))
    # a broken office section does not hide the problems of the plugin sections: one run shows both
    assert_problem(result, "offices/alpha.toml", "office.name", "required field is missing")
    assert_problem(result, "offices/alpha.toml", "plugins.tiny.services[0].prefix", "required field is missing")
    assert len(problem_lines(result)) == 2


def test_unknown_keys(tmp_path: Path) -> None:
    office = ALPHA.replace('languages = ["sv", "en"]', 'languages = ["sv", "en"]\ncolour = "red"')
    assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml", "office.colour",
                   "unknown key")
    office = ALPHA.replace("seats = 2", "seats = 2, colour = 'red'")
    assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml",
                   "plugins.tiny.services[1].colour", "unknown key")
    platform = PLATFORM + "\n[theme]\ncolour = 'red'\n"
    assert_problem(check(deployment(tmp_path, {"alpha": ALPHA}, platform)), "platform.toml", "theme", "unknown key")


def test_unknown_plugin_lists_the_installed_ones(tmp_path: Path) -> None:
    office = ALPHA.replace('enabled = ["tiny"]', 'enabled = ["tiny", "queu"]')
    line = assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml",
                          "plugins.enabled[1]", "unknown plugin 'queu'")
    assert "installed: appointments, dummy, kiosk, notify, queue, surveys, tiny" in line
    office = ALPHA + "\n[plugins.queu]\nx = 1\n"
    assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml", "plugins.queu",
                   "unknown plugin 'queu'", "installed: ")


def test_settings_for_a_plugin_the_office_does_not_enable(tmp_path: Path) -> None:
    office = ALPHA + '\n[plugins.dummy]\ngreeting = "hej"\n'
    assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml", "plugins.dummy",
                   "plugins.enabled does not list")


def test_two_offices_with_the_same_id(tmp_path: Path) -> None:
    result = check(deployment(tmp_path, {"alpha": ALPHA, "zeta": ALPHA}))
    assert_problem(result, "offices/zeta.toml", "office.id", "'alpha' is already used by", "offices/alpha.toml")


def test_a_language_without_translation(tmp_path: Path) -> None:
    office = ALPHA.replace('languages = ["sv", "en"]', 'languages = ["sv", "en", "xx"]')
    line = assert_problem(check(deployment(tmp_path, {"alpha": office})), "offices/alpha.toml",
                          "office.languages[2]", "no translation for language 'xx'")
    assert "ar" in line and "ti" in line  # the available ones are listed
    platform = PLATFORM + 'default_language = "de"\n'
    assert_problem(check(deployment(tmp_path, {"alpha": ALPHA}, platform)), "platform.toml",
                   "platform.default_language", "no translation for language 'de'")


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    broken = ALPHA.replace('id = "alpha"', 'id = "alpha')
    result = check(deployment(tmp_path, {"alpha": broken, "beta": BETA}))
    assert result.exit_code == 2
    [line] = problem_lines(result)
    assert "offices/alpha.toml: not valid TOML" in line and "line 3" in line


def test_unknown_time_zone(tmp_path: Path) -> None:
    office = BETA.replace("Europe/Helsinki", "Europe/Skarholmen")
    assert_problem(check(deployment(tmp_path, {"beta": office})), "offices/beta.toml", "office.timezone",
                   "unknown time zone", "Europe/Skarholmen")


def test_a_bad_platform_default_is_reported_in_platform_toml(tmp_path: Path) -> None:
    platform = PLATFORM + "\n[plugins.tiny]\nopening_hour = 25\n"
    assert_problem(check(deployment(tmp_path, {"alpha": ALPHA}, platform)), "platform.toml",
                   "plugins.tiny.opening_hour", "less than or equal to 23", "offices/alpha.toml")
    # an office overriding the default with a good value is fine
    office = ALPHA + "opening_hour = 8\n"
    assert check(deployment(tmp_path, {"alpha": office}, platform)).exit_code == 0


def test_directory_cross_references(tmp_path: Path) -> None:
    office = BETA + '\n[[directory.officers]]\nid = "a"\nname = "A"\nunit = "nowhere"\n'
    assert_problem(check(deployment(tmp_path, {"beta": office})), "offices/beta.toml", "directory.officers[0].unit",
                   "unknown unit 'nowhere'")


def test_plugin_cross_checks_name_file_and_key(tmp_path: Path) -> None:
    office = BETA + '\n[plugins]\nenabled = ["dummy"]\n[plugins.dummy]\ngreeting = "forbidden"\n'
    assert_problem(check(deployment(tmp_path, {"beta": office})), "offices/beta.toml", "plugins.dummy.greeting",
                   "not allowed")


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    alpha = ALPHA.replace('prefix = "B"', 'prefix = "bb"').replace("seats = 2", 'seats = "x"')
    beta = BETA.replace("Europe/Helsinki", "Mars/Olympus")
    result = check(deployment(tmp_path, {"alpha": alpha, "beta": beta}))
    assert len(problem_lines(result)) == 3, result.output
    assert "3 problem(s) in the deployment" in result.output


def test_serve_refuses_with_the_same_messages_and_starts_nothing(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(a))
    monkeypatch.setenv("MBK_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    root = deployment(tmp_path / "dep", {"beta": BETA.replace("Europe/Helsinki", "Mars/Olympus")})
    served = CliRunner().invoke(mbk.cli, ["serve", "--deployment", str(root)])
    checked = check(root)
    assert served.exit_code == 2
    assert problem_lines(served) == problem_lines(checked) != []
    assert "nothing was started" in served.output
    assert started == [] and not (tmp_path / "never.db").exists()


@pytest.mark.parametrize("name", ["demo", "stockholm"])
def test_bundled_deployments_pass(name: str) -> None:
    result = CliRunner().invoke(mbk.cli, ["check", "--deployment", str(ROOT / "deployments" / name)])
    assert result.exit_code == 0, result.output


def test_the_real_command_exits_non_zero(tmp_path: Path) -> None:
    # The installed `mbk` (real entry points, real process): exit status and stderr are what scripts see.
    root = deployment(tmp_path, {"beta": BETA.replace("Europe/Helsinki", "Mars/Olympus")})
    done = subprocess.run([sys.executable, "-c", "from core.cli import main; main()", "check", "--deployment",
                           str(root)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert f"error: {root / 'offices' / 'beta.toml'}: office.timezone: unknown time zone 'Mars/Olympus'" in done.stderr


def test_platform_settings_come_from_mbk_environment_variables(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    from core.config import PlatformSettings

    monkeypatch.setenv("MBK_DATABASE_URL", "postgresql+psycopg://mbk@db/mbk")
    monkeypatch.setenv("MBK_DEPLOYMENT", str(tmp_path))
    monkeypatch.setenv("MBK_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("MBK_RUN_DISPATCHER", "0")
    settings = PlatformSettings()
    assert settings.database_url == "postgresql+psycopg://mbk@db/mbk" and settings.deployment == tmp_path
    assert settings.effective_secret_key() == ("from-the-environment", False) and not settings.run_dispatcher
    monkeypatch.delenv("MBK_SECRET_KEY")
    key, generated = PlatformSettings().effective_secret_key()
    assert generated and len(key) >= 32


def test_plugins_and_urls_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBK_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    root = deployment(tmp_path / "dep", {"alpha": ALPHA, "beta": BETA.replace(
        'languages = ["fi", "sv"]', 'languages = ["fi", "sv"]\n[plugins]\nenabled = ["dummy"]\n'
        '[plugins.dummy]\ngreeting = "moi"')})
    listed = CliRunner().invoke(mbk.cli, ["plugins", "--deployment", str(root)])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[lines.index("dummy 1.0: test double") + 1].split() == ["enabled", "for:", "beta"]
    assert lines[lines.index("tiny 0: -") + 1].split() == ["enabled", "for:", "alpha"]
    assert lines[lines.index(next(line for line in lines if line.startswith("kiosk "))) + 1].endswith("no office")
    urls = CliRunner().invoke(mbk.cli, ["urls", "--deployment", str(root), "--base-url", "https://mbk.example.org/"])
    assert "https://mbk.example.org/beta/dummy" in urls.output and "https://mbk.example.org/alpha/admin" in urls.output
    assert "https://mbk.example.org/alpha/dummy" not in urls.output
