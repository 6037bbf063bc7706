"""Flag parsing shared by the command lines: bad flags give one line and exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

from absl import flags


def one_line_parser(program: str) -> Callable[[list[str]], list[str]]:
    """An `absl.app.run(flags_parser=...)` that reports a bad flag on one line.

    absl's own parser prints a two-line FATAL message; this prints
    `kgan-train: error: flag --epochs=0: ...` and exits with status 2.
    """

    def parse(argv: list[str]) -> list[str]:
        try:
            return flags.FLAGS(argv)
        except flags.Error as err:
            message = " ".join(str(err).split())
            print(f"{program}: error: {message}", file=sys.stderr)
            sys.exit(2)

    return parse
