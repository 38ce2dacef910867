#!/usr/bin/env python3
"""reportpage.py: checks of the page `relayguard report --html` writes, for admin-report-html.sh.

  reportpage.py page PAGE.html
      The page is self-contained and its charts are XML: every <svg>...</svg> parses with
      xml.etree (well-formed, the SVG namespace), there is no <script>, <img>, <link>, <iframe>
      or event-handler attribute, no src= or href=, and the page ends with its footer.
      Prints the number of charts and of SVG text labels.

  reportpage.py png SHOT.png [#rrggbb ...]
      Decodes the PNG (zlib from the standard library, every row filter) and prints JSON:
      width, height, distinct colours, the share of non-white pixels, and how many pixels
      have each given colour exactly.

  reportpage.py dom DUMP.html
      The DOM Chromium dumped after loading the page (--dump-dom) is complete: it has the
      footer, every section and as many <svg> elements as the file.

Exit status 1 with a line on stderr when a check fails.
"""
import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

SECTIONS = ["decisions", "sessions", "tarpit", "clients", "refused-clients", "refused-recipients", "dnsbl"]


def die(message):
    print(f"reportpage.py: {message}", file=sys.stderr)
    sys.exit(1)


def check_page(path):
    page = open(path, encoding="utf-8").read()
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    if len(svgs) < 5:
        die(f"{path}: only {len(svgs)} charts")
    labels = 0
    for number, svg in enumerate(svgs, 1):
        try:
            root = ET.fromstring(svg)
        except ET.ParseError as error:
            die(f"{path}: chart {number} is not well-formed XML: {error}")
        if root.tag != "{http://www.w3.org/2000/svg}svg":
            die(f"{path}: chart {number} is not in the SVG namespace: {root.tag}")
        labels += sum(1 for _ in root.iter("{http://www.w3.org/2000/svg}text"))
    lowered = page.lower()
    for forbidden in ["<script", "<img", "<link", "<iframe", "<object", "<embed", " src=", " href=", "url(", "@import"]:
        if forbidden in lowered:
            die(f"{path}: the page contains {forbidden!r}")
    if re.search(r"<[^>]*\son[a-z]+\s*=", page, re.I):
        die(f"{path}: the page has an event-handler attribute")
    if not page.rstrip().endswith("</html>") or '<footer id="report-end">' not in page:
        die(f"{path}: the page does not end with its footer")
    for section in SECTIONS:
        if f'<section id="{section}">' not in page:
            die(f"{path}: no section {section}")
    print(json.dumps({"charts": len(svgs), "labels": labels}))


def decode_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        die(f"{path}: not a PNG")
    position, idat, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4, 0: 1, 4: 2}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        die(f"{path}: unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1:offset + 1 + stride])
        offset += 1 + stride
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 255
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif kind != 0:
            die(f"{path}: bad row filter {kind}")
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def png_stats(path, colours):
    width, height, channels, rows = decode_png(path)
    counts, non_white = {}, 0
    for row in rows:
        for x in range(0, len(row), channels):
            pixel = row[x:x + 3] if channels >= 3 else row[x:x + 1] * 3
            counts[pixel] = counts.get(pixel, 0) + 1
    for pixel, count in counts.items():
        if pixel != b"\xff\xff\xff":
            non_white += count
    wanted = {c: counts.get(bytes.fromhex(c.lstrip("#")), 0) for c in colours}
    print(json.dumps({"width": width, "height": height, "distinct_colours": len(counts),
                      "non_white_share": round(non_white / (width * height), 4), "colours": wanted}))


def check_dom(path, page_path):
    dom = open(path, encoding="utf-8", errors="replace").read()
    page = open(page_path, encoding="utf-8").read()
    if 'id="report-end"' not in dom:
        die(f"{path}: the loaded DOM has no footer: the page was not read to its end")
    for section in SECTIONS:
        if f'id="{section}"' not in dom:
            die(f"{path}: the loaded DOM has no section {section}")
    if dom.count("<svg") != page.count("<svg "):
        die(f"{path}: {dom.count('<svg')} svg elements in the DOM, {page.count('<svg ')} in the file")
    print(json.dumps({"dom_svg": dom.count("<svg")}))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "page":
        check_page(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "png":
        png_stats(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "dom":
        check_dom(sys.argv[2], sys.argv[3])
    else:
        die("usage: reportpage.py page PAGE | png PNG [#rrggbb ...] | dom DUMP PAGE")
