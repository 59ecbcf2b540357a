"""Reading what a page shows, for assertions about what a user sees."""

from html.parser import HTMLParser


class _Selects(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.current: str | None = None
        self.selected: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self.current = a.get("name")
            self.selected.setdefault(self.current or "", [])
        elif tag == "option" and self.current is not None and "selected" in a:
            self.selected[self.current].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.current = None


def selected(page: str, name: str) -> list[str]:
    """The selected option values of the select named `name`."""
    parser = _Selects()
    parser.feed(page)
    return parser.selected[name]


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            self.values[a["name"] or ""] = a.get("value") or ""


def input_value(page: str, name: str) -> str:
    """The value of the input named `name`."""
    parser = _Inputs()
    parser.feed(page)
    return parser.values[name]
