#!/usr/bin/env python3
"""Writes each plain-text advisory fixture (tests/advisories/*.txt) in the other forms users have it in
(python3 stdlib only), so the parser can be checked to give the same entries and verdict for all:

  NAME.html         the page as a browser saves it, laid out like support.apple.com's: a <head> with a
                    script, a style and a title; navigation; the content in <div id="sections"> with
                    h1/h2 headings, the component as <h3> or as <p><b>..</b></p> (alternating), the
                    fields as one <p> each or as one <p> split by <br> (alternating); entities for
                    quotes, ampersands, accented letters and non-breaking spaces; decoy "Available for:"
                    and "Impact: ... kernel privileges" text inside the script, the style and a comment
  NAME.copied.txt   the text as copied from the page in a browser: navigation lines first, CRLF line
                    ends, U+00A0 after the field names, a blank line between paragraphs
  NAME.md           a Markdown mirror: YAML front matter (title, params.url), a link line, setext
                    headings, components as "### **X**", "**X**" or "### X" (alternating), "Released"
                    kept as it is

The HTML is read back with the standard library's html.parser (skipping script and style) and must
give every line of the fixture in order.

Usage: make_advisory_pages.py FIXTURE_DIR OUT_DIR
"""
import glob
import html
import html.parser
import os
import sys

NBSP = "\u00a0"
FIELDS = ("Available for:", "Impact:", "Description:")


def parse_fixture(text):
    """(title, blocks): blocks are lists of lines separated by blank lines in the fixture."""
    lines = text.split("\n")
    title = lines[0]
    blocks, cur = [], []
    for line in lines[1:]:
        if line.strip():
            cur.append(line)
        elif cur:
            blocks.append(cur)
            cur = []
    if cur:
        blocks.append(cur)
    return title, blocks


def is_entry(block):
    return len(block) > 1 and block[1].startswith("Available for:")


def esc(s, n):
    """HTML-escaped text; every other call also spells apostrophes and accented e as entities."""
    s = html.escape(s, quote=False)
    if n % 2:
        s = s.replace("'", "&#8217;").replace("\u00e9", "&eacute;")
    return s


def write_html(title, blocks):
    release = title.replace("About the security content of ", "")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en-US" class="no-js">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(title, 0)} - Apple Support</title>",
        "<script>window.decoy = 'Available for: nothing\\nImpact: kernel privileges <p>';</script>",
        "<style>.gb-paragraph::after { content: 'Impact: with kernel privileges'; }</style>",
        "</head>",
        '<body class="ac-gn-current-support">',
        '<nav id="ac-globalnav"><ul><li><a href="/">Apple</a></li><li><a href="/store">Store</a></li>'
        '<li><a href="/mac/">Mac</a></li></ul></nav>',
        '<main id="main"><div id="sections" class="main">',
        f'<div class="section"><h1 class="gb-header">{esc(title, 0)}</h1>',
        f'<p class="gb-paragraph">This document describes the security content of {esc(release, 0)}.</p>',
        "<!-- Available for: a comment is not content -->",
        f'<h2 class="gb-header">{esc(release, 0)}</h2></div>',
    ]
    n = 0
    for block in blocks:
        if not is_entry(block):
            out.append('<p class="gb-paragraph">' + "<br>".join(esc(l, n) for l in block) + "</p>")
            continue
        n += 1
        name, rest = block[0], block[1:]
        out.append(f'<h3 class="gb-header">{esc(name, n)}</h3>' if n % 2 else
                   f'<p class="gb-paragraph"><b>{esc(name, n)}</b></p>')
        def field(l):
            for f in FIELDS:
                if l.startswith(f):
                    return f"{f}&nbsp;{esc(l[len(f):].lstrip(), n)}"
            return esc(l, n)
        if n % 2:
            out.extend(f'<p class="gb-paragraph">{field(l)}</p>' for l in rest)
        else:
            out.append('<p class="gb-paragraph">' + "<br>\n".join(field(l) for l in rest) + "</p>")
    out += ["</div></main>", "<script>var x = '<h3>Kernel</h3>';</script>", "</body>", "</html>", ""]
    return "\n".join(out)


class TextOf(html.parser.HTMLParser):
    """The independent reader: text of every block element, skipping head, script and style."""
    BLOCKS = {"p", "h1", "h2", "h3", "div", "li", "br", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines, self.cur, self.skip = [], "", 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        if tag in self.BLOCKS:
            self.flush()

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip -= 1
        if tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur += data

    def flush(self):
        t = " ".join(self.cur.replace(NBSP, " ").split())
        if t:
            self.lines.append(t)
        self.cur = ""


def check_html(page, title, blocks):
    reader = TextOf()
    reader.feed(page)
    reader.close()
    reader.flush()
    want = [" ".join(title.split())] + [" ".join(l.split()) for b in blocks for l in b]
    got = iter(reader.lines)
    for w in want:  # every fixture line, in order
        if not any(g == w for g in got):
            sys.exit(f"html.parser does not read back the line {w!r}")


def write_copied(title, blocks):
    out = ["Apple", "Store", "Mac", "Support", "", title, "", ""]
    for block in blocks:
        for l in block:
            for f in FIELDS:
                if l.startswith(f):
                    l = f + NBSP + l[len(f):].lstrip()
            out += [l, ""]
        out.append("")
    return "\r\n".join(out)


def write_md(name, title, blocks):
    release = title.replace("About the security content of ", "")
    url = f"https://support.apple.com/en-us/{name}"
    out = ["---", f'title: "{release}"', "params:", f'  url: "{url}"', f'  canonicalURL: "{url}"',
           '  platforms: ["macOS"]', "---", "", f"[Original Advisory]({url})", "", title, "=" * len(title), "",
           release, "-" * len(release), ""]
    n = 0
    for block in blocks:
        if is_entry(block):
            n += 1
            c = block[0].replace("_", "\\_")
            out += [("### **%s**", "**%s**", "### %s")[n % 3] % c, ""]
            block = block[1:]
        for l in block:
            out += [l, ""]
    return "\n".join(out)


def main():
    fixtures, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    count = 0
    for path in sorted(glob.glob(os.path.join(fixtures, "*.txt"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not text.startswith("About the security content of "):
            continue
        name = os.path.basename(path)[:-4]
        title, blocks = parse_fixture(text)
        page = write_html(title, blocks)
        check_html(page, title, blocks)
        for suffix, content in ((".html", page), (".copied.txt", write_copied(title, blocks)),
                                (".md", write_md(name, title, blocks))):
            with open(os.path.join(out, name + suffix), "w", encoding="utf-8", newline="") as f:
                f.write(content)
        count += 1
    print(f"{out}: {count} advisories in 3 forms", file=sys.stderr)


if __name__ == "__main__":
    main()
