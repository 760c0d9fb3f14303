#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into Fuzz/Corpus/<target>/: a few valid files of each format
and a few broken ones. The IDX and CIFAR targets read their first byte as a mode (bit 0: gzip the rest
before reading; CIFAR bits 1-2: CIFAR-10, CIFAR-100 fine, CIFAR-100 coarse; IDX bit 1: labels of 10
classes); the argument target reads NUL-separated words. Inputs named crash-* are minimized crashes
the fuzzer found and are kept as they are.

usage: python3 Fuzz/make-seeds.py
"""
import gzip
import os
import random
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")
rng = random.Random(1)


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as file:
        file.write(data)


def noise(count):
    return bytes(rng.randrange(256) for _ in range(count))


# IDX: mode byte, then the file.
images = struct.pack(">IIII", 0x803, 3, 4, 5) + noise(60)
labels = struct.pack(">II", 0x801, 6) + bytes([0, 1, 2, 9, 3, 7])
write("idx", "images-raw", b"\x00" + images)
write("idx", "images-gzip", b"\x01" + images)
write("idx", "labels-raw", b"\x02" + labels)
write("idx", "labels-gzip", b"\x03" + labels)
write("idx", "images-pre-gzipped", b"\x00" + gzip.compress(images, mtime=0))
write("idx", "images-truncated", b"\x00" + images[:-5])
write("idx", "images-huge-header", b"\x01" + struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF))
write("idx", "labels-huge-count", b"\x00" + struct.pack(">II", 0x801, 0xFFFFFFFF) + b"\x01\x02")

# CIFAR: mode byte, then records of label byte(s) and 3,072 pixels.
def cifar10(label):
    return bytes([label]) + noise(3072)


def cifar100(coarse, fine):
    return bytes([coarse, fine]) + noise(3072)


write("cifar", "cifar10-two-records", b"\x00" + cifar10(3) + cifar10(9))
write("cifar", "cifar10-gzip", b"\x01" + cifar10(1))
write("cifar", "cifar100-fine", b"\x02" + cifar100(4, 99))
write("cifar", "cifar100-coarse-gzip", b"\x05" + cifar100(19, 0))
write("cifar", "cifar10-partial", b"\x00" + cifar10(3)[:-10])
write("cifar", "cifar10-pre-gzipped", b"\x00" + gzip.compress(cifar10(2), mtime=0))


# safetensors: the file itself.
def safetensors(header, data=b""):
    text = header.encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


write("safetensors", "two-tensors", safetensors(
    '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
    '"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}', struct.pack("<ffq", 1.5, -2, 7)))
dtypes = [("F64", 8), ("I64", 8), ("U64", 8), ("F32", 4), ("I32", 4), ("U32", 4), ("F16", 2), ("BF16", 2),
          ("I16", 2), ("U16", 2), ("U8", 1), ("I8", 1), ("BOOL", 1), ("F8_E5M2", 1), ("F8_E4M3", 1)]
entries, offset = [], 0
for index, (dtype, size) in enumerate(dtypes):
    entries.append(f'"t{index}":{{"dtype":"{dtype}","shape":[1,1],"data_offsets":[{offset},{offset + size}]}}')
    offset += size
write("safetensors", "all-dtypes", safetensors("{" + ",".join(entries) + "}", bytes(range(1, offset + 1))))
write("safetensors", "empty-shape-zero", safetensors('{"z":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}'))
write("safetensors", "huge-header-size", struct.pack("<Q", 2**63) + b"{}")
write("safetensors", "overflowing-shape",
      safetensors('{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}', bytes(4)))
write("safetensors", "escaped-names",
      safetensors('{"a\\u00e9\\n\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\x05"))

# Settings files: the JSON itself.
write("config", "train", b'{"model": "plane2", "dataset": "mnist", "epochs": 2, "batch-size": 64, "lr": 0.1, '
                         b'"milestones": [1, 2], "nesterov": true, "schedule": "multistep", "seed": 3, "limit": 100}')
write("config", "distill", b'{"student": "plane2", "teacher": "plane6", "teacher-weights": "t.safetensors", '
                           b'"loss": "kd", "temperature": 4, "epochs": 1}')
write("config", "online", b'{"models": "plane2,plane2", "method": "dml", "epochs": 1}')
write("config", "chain", b'{"models": "plane6,plane4,plane2", "teacher-weights": "t.safetensors", "epochs": 1}')
write("config", "prune", b'{"model": "plane6", "weights": "w.safetensors", "method": "magnitude", "sparsity": 0.5}')
write("config", "not-an-object", b"[1, 2, 3]")
write("config", "unicode-and-nesting", b'{"out": "runs/\\u00e9", "data-dir": [[[{"a": null}]]], "lr": 1e400}')


# Command lines: NUL-separated words.
def words(*items):
    return "\0".join(items).encode()


write("arguments", "train", words("train", "--model", "plane2", "--epochs=2", "--lr", "0.1", "--nesterov",
                                  "--milestones", "1,2", "--schedule", "multistep"))
write("arguments", "distill", words("distill", "--student", "plane2", "--teacher", "plane6", "--teacher-weights",
                                    "t.safetensors", "--loss", "kd", "--temperature", "4"))
write("arguments", "online", words("online", "--models", "plane2,plane4", "--epochs", "1"))
write("arguments", "help", words("--help", "train"))
write("arguments", "eval", words("eval", "--model", "plane2", "--weights", "w.safetensors", "--limit", "10"))
write("arguments", "chain", words("chain", "--models", "plane6,plane2", "--teacher-weights", "t.safetensors"))
write("arguments", "sweep", words("sweep-teachers", "--run", "runs/x", "--student", "plane2"))


# Images: a mode byte (bit 0: decode to 1 channel), then a PNG or JPEG file. PNGs are written here;
# JPEGs need an encoder, so they come from PIL when it is importable (the peers venv has it).
def png(width, height, depth, color_type, rows, chunks=()):
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0))
    body = b"".join(chunk(kind, data) for kind, data in chunks)
    raw = b"".join(b"\x00" + row for row in rows)
    return b"\x89PNG\r\n\x1a\n" + header + body + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


write("image", "png-gray-1bit", b"\x01" + png(9, 3, 1, 0, [noise(2) for _ in range(3)]))
write("image", "png-palette-trns", b"\x00" + png(5, 4, 4, 3, [noise(3) for _ in range(4)],
                                                 [(b"PLTE", noise(48)), (b"tRNS", noise(7))]))
write("image", "png-rgba-16bit", b"\x00" + png(3, 3, 16, 6, [noise(24) for _ in range(3)]))
write("image", "png-gray-alpha", b"\x01" + png(4, 2, 8, 4, [noise(8) for _ in range(2)]))
write("image", "png-truncated", b"\x00" + png(6, 6, 8, 2, [noise(18) for _ in range(6)])[:-30])
write("image", "not-an-image", b"\x00" + b"label,class\n1,cat\n")
try:
    import io
    from PIL import Image
    picture = Image.frombytes("RGB", (24, 16), noise(24 * 16 * 3))
    for name, mode, extra in [("jpeg-rgb", "RGB", {}), ("jpeg-gray", "L", {}), ("jpeg-cmyk", "CMYK", {})]:
        buffer = io.BytesIO()
        picture.convert(mode).save(buffer, "JPEG", quality=80, **extra)
        write("image", name, b"\x00" + buffer.getvalue())
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80, exif=exif.tobytes(), progressive=True)
    write("image", "jpeg-progressive-exif-6", b"\x01" + buffer.getvalue())
    write("image", "jpeg-truncated", b"\x00" + buffer.getvalue()[:-200])
except ImportError:
    print("PIL is not importable: no JPEG seeds written (run with the peers venv's python)")
