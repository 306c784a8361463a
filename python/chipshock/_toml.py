"""Dicts of a TOML file's shape written as TOML text, keys in the dict's order (chipshock reads
a market's assets and a book's positions in the order their file gives them, so the order must
survive). Python's tomllib reads TOML but does not write it."""
import datetime
import math
import re

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps(table, where):
    """TOML text of `table`; `where` names it in TypeErrors (e.g. "market")."""
    if not isinstance(table, dict):
        raise TypeError(f"{where}: expected a dict, not {type(table).__name__}")
    lines = []
    _table(table, [], lines, where)
    return "\n".join(lines) + "\n"


def _key(k, where):
    if not isinstance(k, str):
        raise TypeError(f"{where}: keys must be strings, not {type(k).__name__}")
    return k if _BARE_KEY.match(k) else _string(k)


def _string(s):
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _is_table_array(v):
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def _value(v, where):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) or (hasattr(v, "__index__") and not isinstance(v, float)):
        return str(int(v))
    if isinstance(v, float) or hasattr(v, "__float__") and not isinstance(v, str):
        x = float(v)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat()
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, f"{where}[{i}]") for i, x in enumerate(v)) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k, where)} = {_value(x, f'{where}.{k}')}"
                               for k, x in v.items()) + "}"
    raise TypeError(f"{where}: a value of type {type(v).__name__} has no TOML form (use str, "
                    "int, float, bool, datetime.date, list or dict)")


def _table(table, path, lines, where):
    # Plain values first, then sub-tables and arrays of tables, each in the dict's order.
    for k, v in table.items():
        if not isinstance(v, dict) and not _is_table_array(v):
            lines.append(f"{_key(k, where)} = {_value(v, f'{where}.{k}')}")
    for k, v in table.items():
        sub = path + [_key(k, where)]
        if isinstance(v, dict):
            lines.append("")
            lines.append("[" + ".".join(sub) + "]")
            _table(v, sub, lines, f"{where}.{k}")
        elif _is_table_array(v):
            for i, item in enumerate(v):
                lines.append("")
                lines.append("[[" + ".".join(sub) + "]]")
                _table(item, sub, lines, f"{where}.{k}[{i}]")
