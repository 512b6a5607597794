"""User-facing errors: each is reported as one line on stderr with a non-zero exit."""


class RvirtError(Exception):
    """A problem with the user's input or environment (bad file, bad flag, port in use).

    The command line prints `rvirt: <message>` and exits with `status`; never a traceback.
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class MachineExit(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The guest asked the machine to stop (test finisher, HTIF, gdb kill, Ctrl-A x).

    Raised from deep inside a device write; the run loop lets it propagate to the owner of
    the machine, which exits the process with `status`.
    """

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason


class MachineReset(Exception):  # noqa: N818 - control-flow signal
    """The guest requested a system reset (sifive_test 0x7777): ROMs reloaded, hart at 0x1000."""
