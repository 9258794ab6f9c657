"""argparse, made to talk: one-line errors with "did you mean", and defaults in ``--help``.

Python before 3.14 suggests nothing for a misspelled option or choice, and a subcommand's
unknown options reach the top-level parser, which does not know the subcommand's options:
:class:`Parser` names the closest spelling in both cases (``difflib``).
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Sequence
from typing import Any, NoReturn

from sae_core.errors import ConfigError


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """``" (did you mean --epochs?)"`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings]


class Parser(argparse.ArgumentParser):
    """One-line errors, each with a "did you mean" where a close spelling exists; ``--help``
    shows every option's default (:class:`HelpFormatter`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if choice:  # argparse (before 3.14) suggests nothing for a misspelled choice
            hint = did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
            message += hint.replace("mean ", "mean '").replace("?)", "'?)") if hint else ""
        raise ConfigError(f"{self.prog}: {message} (see --help)")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        # the top-level parser gets a subcommand's unknown options back: name them, with hints
        command = getattr(parsed, "command", None)
        if extras and self._subparsers is not None and command is not None:
            sub = self._subparsers._group_actions[0].choices[command]  # type: ignore[index]
            hints = [
                f"{e}{did_you_mean(e.split('=')[0], _option_strings(sub))}"
                for e in extras
                if e.startswith("-")
            ]
            if hints:
                self.error(f"unrecognized arguments: {', '.join(hints)}")
        return parsed, extras


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each default after its help line, lists as ``0.1,1``; none for unset
    values and flags, where "(default: None)" would say nothing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if default is None or isinstance(default, bool) or default == [] or not action.help:
            return action.help
        if "%(default)" in action.help:
            return action.help
        if isinstance(default, (list, tuple)):
            return f"{action.help} (default: {','.join(str(v) for v in default)})"
        return super()._get_help_string(action)
