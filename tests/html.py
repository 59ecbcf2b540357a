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


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.current: dict[str, str] | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.current = {}
            self.forms.append((a.get("action") or "", self.current))
        elif self.current is not None and a.get("name"):
            name = a["name"] or ""
            if tag == "input" and a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.current[name] = a.get("value") or "y"
            elif tag in ("input", "select", "textarea", "button"):
                self.current.setdefault(name, a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


def post_forms(page: str, own_url: str) -> list[tuple[str, dict[str, str]]]:
    """Each POST form of the page: where it posts (its own page when it says nothing) and its
    fields with the values the page gives them."""
    parser = _Forms()
    parser.feed(page)
    return [(action or own_url, fields) for action, fields in parser.forms]


class _ElementText(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0
        self.text: list[str] = []
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth, self.found = 1, True

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)


def error_beside(page: str, field_id: str) -> str | None:
    """The message shown beside the field (its `<id>-error` element), or None if there is none."""
    parser = _ElementText(f"{field_id}-error")
    parser.feed(page)
    return " ".join("".join(parser.text).split()) if parser.found else None
