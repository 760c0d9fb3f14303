#!/usr/bin/env python3
"""Writes a copy of an ICU common data package (the icudt<N>l.dat that Foundation's static library
embeds) without the items Retort never reaches, for the release bundle (Tools/dist.sh).

Left out: the legacy charset converters (*.cnv: Retort reads and writes only UTF-8), the
transliterators (translit/), the spell-out number rules (rbnf/), the Unicode character names
(unames.icu) and the dictionaries of dictionary-based word breaking (brkitr/*.dict: Chinese,
Japanese, Thai, Lao, Khmer, Burmese). Every locale's formatting data, collation, time zones, break
rules and normalization stay, so numbers, dates and sorting read as in the full data.

usage: Tools/trim-icu-data.py IN.dat OUT.dat

The package format (ICU's common data, "CmnD"): a header of `headerSize` bytes (its first uint16),
then the table of contents: a uint32 item count, one (name offset, data offset) uint32 pair per item,
sorted by name, both offsets from the table's start; then the names, then the items, each 16-byte
aligned and running to the next item's offset. Before trimming, the script rewrites the package with
all its items and stops unless that gives the input's bytes back, so a layout it does not know is
an error, not a broken bundle.
"""

import re
import struct
import sys

LEFT_OUT = re.compile(r"^[^/]+/(.*\.cnv|translit/.*|rbnf/.*|unames\.icu|brkitr/.*\.dict)$")
ALIGNMENT = 16
PADDING = b"\xaa"  # what ICU's pkgdata pads with


def read_items(package):
    """The header bytes and the (name, data) items of a package, in table order."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27":
        sys.exit("error: not an ICU data package (no 0xda27 magic after the header size)")
    count = struct.unpack_from("<I", package, header_size)[0]
    entries = [struct.unpack_from("<II", package, header_size + 4 + 8 * index) for index in range(count)]
    ends = [data_offset for _, data_offset in entries[1:]] + [len(package) - header_size]
    items = []
    for (name_offset, data_offset), end in zip(entries, ends):
        name_start = header_size + name_offset
        name = package[name_start:package.index(b"\0", name_start)]
        items.append((name, package[header_size + data_offset:header_size + end]))
    return package[:header_size], items


def aligned(offset):
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def write_package(header, items):
    """A package of `items` (kept in their sorted order) behind `header`."""
    table_size = 4 + 8 * len(items)
    names = b"".join(name + b"\0" for name, _ in items)
    name_offsets, offset = [], table_size
    for name, _ in items:
        name_offsets.append(offset)
        offset += len(name) + 1
    data_offsets, offset = [], aligned(table_size + len(names))
    for _, data in items:
        data_offsets.append(offset)
        offset = aligned(offset + len(data))
    table = bytearray(struct.pack("<I", len(items)))
    for name_offset, data_offset in zip(name_offsets, data_offsets):
        table += struct.pack("<II", name_offset, data_offset)
    body = bytearray(table + names)
    for data_offset, (_, data) in zip(data_offsets, items):
        body += PADDING * (data_offset - len(body)) + data
    body += PADDING * (aligned(len(body)) - len(body))
    return header + bytes(body)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: Tools/trim-icu-data.py IN.dat OUT.dat")
    with open(sys.argv[1], "rb") as file:
        package = file.read()
    header, items = read_items(package)
    if write_package(header, items) != package:
        sys.exit("error: rewriting the package with all its items does not give the same bytes: its layout is not the one "
                 "this script knows (ICU's common data format changed?)")
    kept = [(name, data) for name, data in items if not LEFT_OUT.match(name.decode())]
    trimmed = write_package(header, kept)
    with open(sys.argv[2], "wb") as file:
        file.write(trimmed)
    left = sum(len(data) for name, data in items) - sum(len(data) for name, data in kept)
    print(f"ICU data: {len(kept)} of {len(items)} items, {len(trimmed)} bytes ({left} left out)")


if __name__ == "__main__":
    main()
