"""chipshock's exceptions (raised by the compiled core as well as the Python side)."""


class InputError(ValueError):
    """Bad input: a file, a dict or an argument chipshock refuses.

    Attributes:
        file: the file at fault ("" for an argument of the call; a dict input is named
            like ``"<market dict>"``).
        line: its line, or None (no file, or a dict input).
        field: the TOML field or the argument at fault ("" when none).
        hint: what to do about it ("" when chipshock has no suggestion).
        message: the message alone, without file, line and field.
    """

    def __init__(self, message, file="", line=0, field="", hint="", text=None):
        self.message = message
        self.file = file or ""
        dict_input = self.file.startswith("<") and self.file.endswith(">")
        self.line = line if line and not dict_input else None
        self.field = _argument_name(field) if not self.file else (field or "")
        self.hint = hint or ""
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.field:
            where += (": " if where else "") + self.field
        text = (where + ": " if where else "") + message
        if self.hint:
            text += f" (hint: {self.hint})"
        super().__init__(text)


class GpuUnavailable(RuntimeError):
    """backend="gpu" or "both" was asked for and no GPU is usable here (the reason is the
    message)."""


def _argument_name(option):
    """A command-line option as the Python argument's name: --steps-per-day -> steps_per_day."""
    names = {"--horizon": "horizon", "--out": "out", "--no-components": "components"}
    if not option:
        return ""
    if option in names:
        return names[option]
    return option.lstrip("-").replace("-", "_") if option.startswith("--") else option
