"""Flags shared by the command lines: generated config flags, `--help`, one-line errors.

- `define_config_flags()` defines one absl flag per `TrainConfig` field, from
  the field's `setting(...)`: help text, default, choices and bounds.
  `config_overrides()` reads back the flags given on the command line.
- `one_line_parser(program)` is the `flags_parser` of every CLI: a bad flag
  gives one line and exit status 2, and `--help` (`-h`, `--helpshort`) lists
  the program's own flags, grouped, and exits 0.

Nothing here imports TensorFlow, so `--help` answers at once.

Example:
    >>> define_config_flags()  # doctest: +SKIP
    >>> app.run(main, flags_parser=one_line_parser("kgan-train"))  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from absl import flags

# Flags defined by the functions below belong to the module that calls them.
flags.disclaim_key_flags()

FLAGS = flags.FLAGS
HELP_ARGS = ("--help", "-h", "-?", "--helpshort")
# Flag name -> the title of its section in --help (the config's groups).
_SECTION: dict[str, str] = {}


def define_config_flags(flag_values: flags.FlagValues = FLAGS) -> None:
    """Defines a flag for every `TrainConfig` field that has one (`setting(flag=True)`).

    Choices become enum flags (`--jit_compile=auto|true|false`), lists comma-
    separated lists, closed bounds absl bounds; an open bound (`lr > 0`) is
    stated in the help and checked by `TrainConfig.validate`.
    """
    from kgan.train.config import GROUPS

    for group, cls in GROUPS.items():
        title = f"{group} ({cls.__name__}): {_first_line(cls.__doc__)}"
        for s in cls.settings():
            if s.flag:
                _define(s, flag_values)
                _SECTION[s.name] = title


def _define(s: Any, flag_values: flags.FlagValues) -> None:
    help_text = s.help
    bounds: dict[str, float] = {}
    rule = s.rule
    if rule is not None and s.type in (int, float):
        if rule.low is not None and not rule.low_open:
            bounds["lower_bound"] = rule.low
        if rule.high is not None and not rule.high_open:
            bounds["upper_bound"] = rule.high
        if rule.low_open or rule.high_open:
            help_text += f" Must be {rule.describe()}."
    if s.choices is not None:
        texts = [_flag_text(c) for c in s.choices]
        flags.DEFINE_enum(s.name, _flag_text(s.default), texts, help_text, flag_values=flag_values)
    elif s.type is bool:
        flags.DEFINE_bool(s.name, s.default, help_text, flag_values=flag_values)
    elif s.type is int:
        flags.DEFINE_integer(s.name, s.default, help_text, flag_values=flag_values, **bounds)
    elif s.type is float:
        flags.DEFINE_float(s.name, s.default, help_text, flag_values=flag_values, **bounds)
    elif s.type is list:
        flags.DEFINE_list(s.name, s.default, help_text, flag_values=flag_values)
    else:
        flags.DEFINE_string(s.name, s.default, help_text, flag_values=flag_values)


def _flag_text(value: Any) -> str:
    """How a choice reads on the command line: "auto", "true", "2"."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def config_overrides(flag_values: flags.FlagValues = FLAGS) -> dict[str, Any]:
    """The config settings given on the command line, parsed to their field types.

    Raises:
        ValueError: for a list flag that is not comma-separated integers.
    """
    from kgan.train.config import SETTINGS

    overrides = {}
    for name, s in SETTINGS.items():
        if not s.flag or name not in flag_values or not flag_values[name].present:
            continue
        value = flag_values[name].value
        if s.choices is not None:
            value = {_flag_text(c): c for c in s.choices}[value]
        elif s.type is list:
            try:
                value = [int(v) for v in value]
            except ValueError:
                raise ValueError(
                    f"{name} must be comma-separated integers; got {','.join(value)!r}."
                ) from None
        overrides[name] = value
    return overrides


def one_line_parser(
    program: str, module: ModuleType | None = None
) -> Callable[[list[str]], list[str]]:
    """An `absl.app.run(flags_parser=...)` with kgan's `--help` and one-line flag errors.

    absl's own parser prints a two-line FATAL message for a bad flag; this
    prints `kgan-train: error: flag --epochs=0: ...` and exits with status 2.
    `--help` prints `module`'s docstring and its flags with their help and
    defaults (not absl's own flags: `--helpfull` lists those), and exits 0.

    Args:
        program: the command's name, for messages.
        module: the module whose flags `--help` lists (default: the caller's).
    """
    if module is None:
        module = sys.modules[sys._getframe(1).f_globals["__name__"]]

    def parse(argv: list[str]) -> list[str]:
        args = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
        if any(arg in HELP_ARGS for arg in args):
            print(usage(module))
            sys.exit(0)
        try:
            rest = FLAGS(argv)
        except flags.Error as err:
            message = " ".join(str(err).split())
            print(f"{program}: error: {message}", file=sys.stderr)
            sys.exit(2)
        if len(rest) > 1:
            print(
                f"{program}: error: unexpected arguments {rest[1:]}: every input is a --flag "
                "(--help lists them).",
                file=sys.stderr,
            )
            sys.exit(2)
        return rest

    return parse


def usage(module: ModuleType) -> str:
    """`module`'s docstring, then its flags in sections, each with its help and default."""
    sections: dict[str, list[Any]] = {"flags": []}
    for flag in FLAGS.get_key_flags_for_module(module):
        sections.setdefault(_SECTION.get(flag.name, "flags"), []).append(flag)
    lines = [(module.__doc__ or "").strip()]
    for title, members in sections.items():
        if members:
            lines += ["", title if title.endswith(".") else f"{title}:", *map(_describe, members)]
    lines += [
        "",
        "TensorFlow's, absl's and Keras's own messages are hidden: absl's -v 0 shows them.",
        "absl's own flags (logging, --flagfile, ...): --helpfull.",
    ]
    return "\n".join(lines)


def _describe(flag: flags.Flag) -> str:
    name = f"--[no]{flag.name}" if flag.boolean else f"--{flag.name}"
    text = flags.text_wrap(f"{name}: {flag.help}", indent="    ", firstline_indent="  ")
    notes = [f"(default: {flag.default_as_str})"] if flag.default_as_str else []
    if flag.parser.syntactic_help:
        notes.append(f"({flag.parser.syntactic_help})")
    if notes:
        text += "\n" + flags.text_wrap(" ".join(notes), indent="    ")
    return text


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc else ""
