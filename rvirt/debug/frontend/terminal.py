"""The `(rvirt) ` prompt on a terminal: line editing, history and completion of command
names and symbols (prompt_toolkit, imported only here, only on a terminal).  C-a c at the
prompt hands the terminal back to the guest's console, as QEMU's monitor key does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rvirt.debug.frontend.session import Debugger

PROMPT = "(rvirt) "


class Prompt:
    CONSOLE = "\0console"  # what read() returns for C-a c

    def __init__(self, dbg: Debugger, commands: list[str]) -> None:
        self.dbg = dbg
        self.commands = commands
        self._session: Any = None
        self._symbols: list[str] | None = None

    def symbols(self) -> list[str]:
        if self._symbols is None:
            self._symbols = sorted({f.name for f in self.dbg.infos.functions()})
        return self._symbols

    def _make(self) -> Any:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import Completer, Completion
        from prompt_toolkit.history import InMemoryHistory
        from prompt_toolkit.key_binding import KeyBindings

        outer = self

        class _Completer(Completer):
            def get_completions(self, document: Any, complete_event: Any) -> Any:
                text = document.text_before_cursor
                words = text.split()
                if not words or (len(words) == 1 and not text.endswith(" ")):
                    word = words[0] if words else ""
                    for name in outer.commands:
                        if name.startswith(word):
                            yield Completion(name, -len(word))
                    return
                word = "" if text.endswith(" ") else words[-1]
                for name in outer.symbols():
                    if name.startswith(word) or name.split("::")[-1].startswith(word):
                        yield Completion(name, -len(word))

        keys = KeyBindings()

        @keys.add("c-a", "c")
        def _(event: Any) -> None:
            event.app.exit(result=Prompt.CONSOLE)

        return PromptSession(history=InMemoryHistory(), completer=_Completer(),
                             key_bindings=keys, complete_while_typing=False)

    def read(self) -> str | None:
        if self._session is None:
            self._session = self._make()
        try:
            return self._session.prompt(PROMPT)
        except EOFError:
            return None
        except KeyboardInterrupt:
            return ""
