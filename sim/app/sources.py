"""Where a scenario's values come from: the comments beside and above each key of its YAML files.

The shipped scenarios say the source of every value in comments (e.g.
`places: 120  # [ASSUMPTION] about 10 % above mean demand`). The app shows
them as help text, so they are read from the files themselves rather than
copied: for a key path, the comment on its line and the block of comment
lines just above it, in the file that set the value last (an intervention's
own comment before the baseline's); a key without one borrows its section's.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario.load import read_merged, read_yaml_mapping


def comment_of(line: str) -> str:
    """The comment at the end of a YAML line ('' if none): the text after a # outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[index + 1:].strip()
    return ""


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each key path of a YAML mapping -> the (0-based) line its key is on."""
    found: dict[tuple[str, ...], int] = {}

    def walk(node: yaml.Node, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*prefix, str(key.value))
                found[here] = key.start_mark.line
                walk(value, here)

    walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    return found


def file_comments(path: Path) -> dict[tuple[str, ...], str]:
    """Key path -> its comments in one file: the block just above its key, then the one on its line."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = {}
    for key_path, line in key_lines(text).items():
        above = []
        for previous in range(line - 1, -1, -1):
            stripped = lines[previous].strip()
            if not stripped.startswith("#"):
                break
            above.insert(0, stripped.lstrip("#").strip())
        words = " ".join(part for part in [" ".join(above), comment_of(lines[line])] if part)
        if words:
            comments[key_path] = words
    return comments


def chain_of(path: Path) -> list[Path]:
    """The scenario file and the files it extends, child first (read_merged has checked the chain)."""
    read_merged(path)  # refuses a missing file or a cycle with the loader's own message
    files = [path]
    while isinstance(parent := read_yaml_mapping(files[-1]).get("extends"), str):
        files.append(files[-1].parent / parent)
    return files


def value_sources(path: Path) -> dict[str, str]:
    """Dotted key path -> where its value comes from, for every key path written in a file of the scenario.

    A key path's source is in the file that sets it last (the child-most in
    the `extends` chain that writes it): the comment at its key or, failing
    that, at the nearest section above it in that same file.
    """
    sources: dict[str, str] = {}
    for file in chain_of(path):
        comments = file_comments(file)
        for key_path in key_lines(file.read_text(encoding="utf-8")):
            dotted = ".".join(key_path)
            if dotted in sources:
                continue  # a file further down the chain set it
            sources[dotted] = next(
                (comments[key_path[:n]] for n in range(len(key_path), 0, -1) if key_path[:n] in comments), "")
    return sources


def source_of(sources: dict[str, str], key_path: str) -> str:
    """The source of a key path, or of the nearest section above it; '' if nothing says."""
    parts = key_path.split(".")
    for length in range(len(parts), 0, -1):
        words = sources.get(".".join(parts[:length]))
        if words:
            return words
    return ""
