"""The office a command names (core.cli_support.named_office, core's and plugins' commands): found, or exit 2
saying why not."""

from __future__ import annotations

import pytest
import typer

from core.cli_support import named_office
from core.context import AppContext


def test_a_command_gets_the_office_it_names_or_exits_saying_why_not(ctx: AppContext,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert named_office(ctx, "rinkeby").id == "rinkeby"
    assert named_office(ctx, "skarholmen", "kiosk").id == "skarholmen"
    with pytest.raises(typer.Exit) as unknown:
        named_office(ctx, "atlantis")
    assert unknown.value.exit_code == 2
    assert "error: unknown office 'atlantis' (offices: rinkeby, skarholmen)" in capsys.readouterr().err
    with pytest.raises(typer.Exit) as disabled:
        named_office(ctx, "rinkeby", "kiosk")
    assert disabled.value.exit_code == 2
    assert "error: office 'rinkeby' does not enable the kiosk plugin" in capsys.readouterr().err
