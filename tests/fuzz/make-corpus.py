#!/usr/bin/python3
"""make-corpus.py -- writes the seed corpus of herd's fuzz targets.

    /usr/bin/python3 tests/fuzz/make-corpus.py

Rewrites tests/fuzz/corpus/<target>/ from the lists below (the files are
committed; run this after changing a list).  Each seed is a hand-written
case: valid input, pipelines, inline commands, limits, and edge cases.
The byte layout of each target's input is described at the top of its
fuzz_*.c file.
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def command(*arguments):
    """A RESP multibulk request."""
    out = b"*%d\r\n" % len(arguments)
    for argument in arguments:
        if isinstance(argument, str):
            argument = argument.encode()
        out += b"$%d\r\n%s\r\n" % (len(argument), argument)
    return out


# fuzz_resp: byte 0 = limits (2 bits each, low to high: inline length
# {64k,16,64,300}, bulk length {512m,1,16,200}, multibulk count
# {1m,1,4,40}, query buffer {1g,24,256,2048}); byte 1 = chunk seed
# (0 one byte at a time, 1 whole, else random sizes); then the stream.
def resp(limits, chunks, stream):
    return bytes([limits, chunks]) + stream


RESP = {
    "get": resp(0, 1, command("GET", "key")),
    "get-bytewise": resp(0, 0, command("GET", "key")),
    "set-binary": resp(0, 7, command("SET", "k\r\n\x00", b"\x00\xff\r\n")),
    "empty-argument": resp(0, 9, command("SET", "", "")),
    "pipeline": resp(0, 23, command("PING") + command("SET", "a", "1") +
                     command("GET", "a") + command("DEL", "a")),
    "pipeline-bytewise": resp(0, 0, command("MSET", "a", "1", "b", "2") +
                              command("MGET", "a", "b")),
    "inline-ping": resp(0, 1, b"PING\r\n"),
    "inline-lf-only": resp(0, 5, b"PING\nECHO hello\n"),
    "inline-quoted": resp(0, 11, b"SET \"a b\" 'c d'\r\n"),
    "inline-escapes": resp(0, 13, b"SET k \"\\x41\\n\\t\\\\\\\"\"\r\n"),
    "inline-unbalanced": resp(0, 1, b"SET \"a b\r\n"),
    "inline-quote-then-text": resp(0, 1, b"SET \"a\"b c\r\n"),
    "inline-blank-lines": resp(0, 3, b"\r\n\n   \r\nPING\r\n"),
    "inline-then-multibulk": resp(0, 17, b"PING\r\n" + command("ECHO", "x") +
                                  b"QUIT\r\n"),
    "inline-vertical-tab": resp(0, 1, b"a\x0bb \x0c c\r\n"),
    "inline-nul": resp(0, 1, b"SET k a\x00b\r\n"),
    "inline-too-long": resp(0x01, 0, b"X" * 20 + b"\r\n"),
    "inline-at-limit": resp(0x01, 1, b"Y" * 16 + b"\r\n"),
    "multibulk-zero": resp(0, 1, b"*0\r\n*-1\r\n" + command("PING")),
    "multibulk-negative-bulk": resp(0, 1, b"*1\r\n$-1\r\n"),
    "multibulk-bad-count": resp(0, 1, b"*x\r\n"),
    "multibulk-plus-count": resp(0, 1, b"*+1\r\n$4\r\nPING\r\n"),
    "multibulk-leading-zero": resp(0, 1, b"*01\r\n$4\r\nPING\r\n"),
    "multibulk-expected-dollar": resp(0, 1, b"*1\r\n:4\r\nPING\r\n"),
    "multibulk-bad-length": resp(0, 1, b"*1\r\n$abc\r\n"),
    "multibulk-over-count": resp(0x10, 1, command("GET", "a")),
    "multibulk-over-bulk": resp(0x04, 1, command("GET", "ab")),
    "multibulk-huge-count": resp(0, 1, b"*99999999999\r\n"),
    "multibulk-huge-bulk": resp(0, 1, b"*1\r\n$99999999999\r\n"),
    "multibulk-unchecked-bytes": resp(0, 1, b"*1\rX$4\rYPING..+OK\r\n"),
    "multibulk-incomplete": resp(0, 29, command("SET", "key", "value")[:-3]),
    "multibulk-long-header": resp(0x01, 0, b"*" + b"1" * 20 + b"\r\n"),
    "query-buffer-limit": resp(0x40, 3, b"*2\r\n$3\r\nGET\r\n$30\r\n" + b"v" * 30 + b"\r\n"),
    "query-buffer-pipeline": resp(0x80, 37, (command("SET", "k", "v" * 40)) * 5),
    "small-limits": resp(0x9a, 31, command("A", "B") + b"C D E\r\n" +
                         command("F" * 17)),
    "large-pipeline": resp(0, 41, command("INCR", "counter") * 60),
}

# fuzz_arguments: byte 0 < 128 gives max_arguments = byte 0 % 8, >= 128
# room for all; then the line.
ARGUMENTS = {
    "plain": b"\x80set key value",
    "blanks": b"\x80  a\tb\r\nc \x0b d\x0ce  ",
    "double-quoted": b"\x80\"hello world\" x",
    "single-quoted": b"\x80'it''s' 'a \\' b'",
    "escapes": b"\x80\"\\n\\r\\t\\b\\a\\\\\\\"\\z\"",
    "hex": b"\x80\"\\x41\\x4a\\xff\\x00\\xzz\\x4\"",
    "quote-in-word": b"\x80ab\"c d\"",
    "quote-then-text": b"\x80\"a\"b",
    "unbalanced-double": b"\x80\"abc",
    "unbalanced-single": b"\x80'abc",
    "trailing-backslash": b"\x80\"abc\\",
    "empty-quotes": b"\x80\"\" '' \"\"",
    "nul-bytes": b"\x80a\x00b \"\x00\"",
    "high-bytes": b"\x80\xff\xfe \"\xc3\xa9\"",
    "max-zero": b"\x00a",
    "max-two-of-three": b"\x02a b c",
    "max-three-of-three": b"\x03a b c",
    "max-before-unbalanced": b"\x01a b \"c",
    "empty": b"\x80",
    "only-blanks": b"\x80 \t\r\n",
    "config-line": b"\x80save 900 1 \"\" 'x'",
}

# fuzz_config: the contents of main.conf; good.conf and bad.conf exist
# beside it (see fuzz_config.c).
CONFIG = {
    "every-option": b"port 7000\noffset -12\nmaxmemory 64mb\nbuffer 1gb\n"
                    b"enabled no\nname herd-1\npolicy always\ncustom x y\n",
    "comments-and-blanks": b"# comment\n\n   \t\n  # indented comment\nport 1\n",
    "crlf": b"port 6380\r\nname x\r\n",
    "no-final-newline": b"port 6381",
    "case-insensitive": b"PORT 7001\nPolicy EverySec\nEnabled YES\n",
    "quoted-values": b"name \"a b\"\ncustom 'c d' \"e\\x41\" f\n",
    "unbalanced": b"name \"abc\n",
    "unknown-option": b"nosuchoption 1\n",
    "port-range": b"port 0\n",
    "port-too-big": b"port 65536\n",
    "port-not-number": b"port 12x\n",
    "integer-extremes": b"offset -9223372036854775808\noffset 9223372036854775807\n",
    "integer-overflow": b"offset 9223372036854775808\n",
    "memory-units": b"maxmemory 1k\nmaxmemory 1KB\nmaxmemory 2m\nmaxmemory 1g\n"
                    b"buffer 100b\n",
    "memory-overflow": b"buffer 99999999999gb\n",
    "memory-bad-unit": b"buffer 10tb\n",
    "boolean-bad": b"enabled maybe\n",
    "string-too-long": b"name 0123456789abcdefXYZ\n",
    "string-at-limit": b"name 012345678901234\n",
    "enum-bad": b"policy sometimes\n",
    "wrong-count": b"port 1 2\nport\n",
    "custom-refused": b"custom a b c\n",
    "custom-empty": b"custom\n",
    "include-good": b"include good.conf\nport 7002\n",
    "include-bad": b"port 7003\ninclude bad.conf\n",
    "include-missing": b"include missing.conf\n",
    "include-self": b"port 7004\ninclude main.conf\n",
    "include-outside": b"include /etc/hostname\n",
    "include-no-argument": b"include\n",
    "include-two-arguments": b"include good.conf bad.conf\n",
    "nul-in-line": b"name a\x00b\nport 7\x005\n",
    "long-line": b"name " + b"x" * 600 + b"\n",
}

# fuzz_framer: byte 0 = chunk seed; then the replies a node sends.
FRAMER = {
    "status": b"\x01+OK\r\n",
    "error": b"\x01-ERR unknown command 'x'\r\n",
    "integer": b"\x00:12345\r\n:-1\r\n",
    "bulk": b"\x07$5\r\nhello\r\n",
    "bulk-binary": b"\x00$4\r\n\r\n\x00\xff\r\n",
    "bulk-empty": b"\x03$0\r\n\r\n",
    "nil": b"\x01$-1\r\n*-1\r\n",
    "array": b"\x05*3\r\n$1\r\na\r\n:2\r\n+c\r\n",
    "array-empty": b"\x01*0\r\n",
    "array-nested": b"\x09*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n$-1\r\n",
    "array-depth-8": b"\x01" + b"*1\r\n" * 8 + b":1\r\n",
    "array-depth-9": b"\x01" + b"*1\r\n" * 9 + b":1\r\n",
    "array-depth-33": b"\x01" + b"*1\r\n" * 33 + b":1\r\n",
    "mget-reply": b"\x0b*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n",
    "scan-reply": b"\x0d*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
    "pipeline": b"\x11+OK\r\n:1\r\n$3\r\nabc\r\n*1\r\n:5\r\n-ERR x\r\n",
    "incomplete-bulk": b"\x01$10\r\nabc",
    "incomplete-array": b"\x01*3\r\n:1\r\n",
    "bad-type": b"\x01!x\r\n",
    "bulk-bad-terminator": b"\x01$3\r\nabcXY+OK\r\n",
    "line-lone-cr": b"\x01+a\rb\r\n",
    "line-lf-inside": b"\x01+a\nb\r\n",
    "integer-not-canonical": b"\x01:abc\r\n:-0\r\n:\r\n",
    "length-leading-zero": b"\x01$01\r\nx\r\n*01\r\n:1\r\n",
    "length-minus-zero": b"\x01$-0\r\n\r\n*-0\r\n",
    "length-minus-two": b"\x01$-2\r\n",
    "length-empty": b"\x01$\r\n",
    "length-huge": b"\x01$1099511627777\r\n",
    "array-huge": b"\x01*99999999999\r\n",
    "number-cr-lf-mismatch": b"\x01$3\rx",
}

# fuzz_glob: byte 0 bit 0 = nocase; byte 1 = pattern length; pattern;
# string.
def glob(pattern, string, nocase=0):
    return bytes([nocase, len(pattern)]) + pattern + string


GLOB = {
    "literal": glob(b"hello", b"hello"),
    "question": glob(b"h?llo", b"hallo"),
    "star": glob(b"h*llo", b"heeeello"),
    "stars": glob(b"*e*e*", b"heeeello"),
    "only-star": glob(b"*", b"anything"),
    "star-empty-string": glob(b"*", b""),
    "empty-empty": glob(b"", b""),
    "class": glob(b"h[ae]llo", b"hallo"),
    "class-negated": glob(b"h[^e]llo", b"hallo"),
    "class-range": glob(b"[a-c][z-x]", b"by"),
    "class-escape": glob(b"[\\]\\-]x", b"]x"),
    "class-unterminated": glob(b"ab[cd", b"abd"),
    "class-dash-end": glob(b"[a-]", b"]"),
    "class-empty": glob(b"[]a]", b"a"),
    "escape": glob(b"\\*\\?\\[", b"*?["),
    "trailing-backslash": glob(b"ab\\", b"ab\\"),
    "nocase": glob(b"HeLLo*", b"hello world", 1),
    "nocase-range": glob(b"[A-z]", b"_", 1),
    "nocase-class-escape": glob(b"[\\A]", b"a", 1),
    "high-bytes": glob(b"[\x80-\xff]?", b"\xfe\x01"),
    "binary": glob(b"a\x00*\x00", b"a\x00bc\x00"),
    "keyspace": glob(b"user:*:name", b"user:1000:name"),
    # Exponential for a naive recursive matcher (Redis before 7.0.9).
    "pathological-stars": glob(b"a*" * 127 + b"b", b"a" * 700),
    "pathological-question": glob(b"*?" * 60 + b"x", b"y" * 500),
    "pathological-classes": glob(b"*[ab]" * 50 + b"c", b"ab" * 300),
}

TARGETS = {
    "fuzz_resp": RESP,
    "fuzz_arguments": ARGUMENTS,
    "fuzz_config": CONFIG,
    "fuzz_framer": FRAMER,
    "fuzz_glob": GLOB,
}


def main():
    for target, seeds in TARGETS.items():
        directory = os.path.join(HERE, "corpus", target)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for name, data in seeds.items():
            with open(os.path.join(directory, name), "wb") as seed:
                seed.write(data)
        total = sum(len(data) for data in seeds.values())
        print("%-16s %3d seeds, %6d bytes" % (target, len(seeds), total))


if __name__ == "__main__":
    main()
