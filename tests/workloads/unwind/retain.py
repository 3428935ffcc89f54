"""Python as users run it: Debian's python3.11 (no frame pointers) keeps
about 20 MB in bytearrays, built in a function of its own, then says
"ready" on stderr and waits for a line on stdin (or its end) to exit.
tests/e2e/test_e2e_unwind.c asserts the native stack that holds them.
"""
import sys

COUNT = 20
SIZE = 1 << 20

kept = []


def retain(count, size):
    for _ in range(count):
        kept.append(bytearray(size))


retain(COUNT, SIZE)
sys.stderr.write("ready\n")
sys.stderr.flush()
sys.stdin.readline()
