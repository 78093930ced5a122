"""A mail's HTML made safe to show (nh3) and made into plain text to read."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# Ammonia's defaults less image maps (links a reader cannot see); no style attribute or
# element at all, so nothing can be positioned over the page that shows the mail.
_TAGS = set(nh3.ALLOWED_TAGS) - {"area", "map"}
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items() if tag in _TAGS}
# Their content goes too: code, styling, and what a mail client never shows.
_DROPPED_WITH_CONTENT = {
    "script", "style", "head", "title", "template", "noscript", "iframe", "object", "embed",
    "svg", "math", "xml", "frameset", "frame", "applet", "audio", "video", "canvas", "form",
    "select", "textarea", "button",
}  # fmt: skip
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_INLINE_IMAGE = re.compile(r"^(cid:\S+|data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+)$")


def _keep(tag: str, attribute: str, value: str) -> str | None:
    # An image fetched from anywhere tells its sender when and where the mail was read:
    # only images the mail carries itself (cid: parts, data: URIs) keep their source.
    if tag == "img" and attribute == "src":
        return value if _INLINE_IMAGE.match(value.strip()) else None
    if attribute in {"href", "cite", "src"}:  # cid: and data: are for images alone
        return value if value.strip().lower().startswith(_LINK_SCHEMES) else None
    return value


def sanitise(html: str) -> str:
    """No scripts, event handlers, styles, forms, frames or remote images; links open apart
    from the page (rel=noopener noreferrer nofollow) and only to http(s) and mailto."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep,
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
        url_schemes={"http", "https", "mailto", "cid", "data"},
        url_relative="deny",
    ).strip()


_BLOCKS = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul", "caption",
}  # fmt: skip
# Blocks that stand apart with a blank line; the other blocks (rows, items, divs) only begin
# a new line, as mail clients show them.
_PARAGRAPHS = {"p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "pre"}
_SKIPPED = _DROPPED_WITH_CONTENT - {"noscript"}
_VOID = {"br", "hr", "img", "wbr", "meta", "link", "input", "col", "base", "area", "source"}


class _Text(HTMLParser):
    """Block elements become lines, quotes (blockquote) become "> " lines as in a plain
    reply, list items "- ", links "words (address)" when the address is not the words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.quote = 0
        self.pre = 0
        self.skip: list[str] = []
        self.links: list[tuple[str, int]] = []

    def _break(self) -> None:
        text = "".join(self.line)
        if not self.pre:
            text = re.sub(r"[ \t\u00a0]+", " ", text).strip()
        self.lines.append(("> " * self.quote) + text if text or self.quote else text)
        self.line = []

    def _block(self, tag: str) -> None:
        if "".join(self.line).strip():
            self._break()
        if tag in _PARAGRAPHS and self.lines and self.lines[-1].strip("> "):
            self.lines.append(">" * self.quote)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if tag == self.skip[-1] and tag not in _VOID:
                self.skip.append(tag)
            return
        if tag in _SKIPPED:
            self.skip.append(tag)
            return
        values = dict(attrs)
        if tag == "br":
            self._break()
        elif tag in _BLOCKS:
            self._block(tag)
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.line.append("- ")
        elif tag in ("td", "th") and "".join(self.line).strip():
            self.line.append("  ")
        elif tag == "img" and (values.get("alt") or "").strip():
            self.line.append(f"[{(values['alt'] or '').strip()}]")
        elif tag == "a":
            self.links.append((values.get("href") or "", len("".join(self.line))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            words = "".join(self.line)[start:]
            target = href.strip()
            if target.lower().startswith(("http://", "https://")) and target not in words:
                self.line.append(f" ({target})")
        elif tag in _BLOCKS:
            self._block(tag)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                self.line.append(part)
        else:
            self.line.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        self._break()
        out: list[str] = []
        for line in self.lines:
            line = line.rstrip()
            if line.strip(">").strip() == "" and out and out[-1].strip(">").strip() == "":
                continue  # one blank line between paragraphs is enough
            out.append(line)
        return "\n".join(out).strip("\n")


def to_text(html: str) -> str:
    """Readable plain text of an HTML body."""
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; a surprise must not lose the text
        return re.sub(r"<[^>]*>", " ", html).strip()
    return parser.text()
