#!/usr/bin/env python3
"""Run a fuzz target on its committed seed corpus without writing into it.

usage: run_fuzz.py FUZZER CORPUS_DIR [libFuzzer options...]

The seeds go in as -seed_inputs, so libFuzzer keeps what it finds in
memory instead of adding files to the source tree. The replay build of a
target (no clang++) understands the same -seed_inputs option and ignores
the others.
"""
import os
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    fuzzer, corpus, *options = sys.argv[1:]
    seeds = sorted(os.path.join(corpus, name) for name in os.listdir(corpus))
    seeds = [s for s in seeds if os.path.isfile(s)]
    if not seeds:
        print(f"run_fuzz: no seed inputs in {corpus}", file=sys.stderr)
        return 1
    if any(',' in s for s in seeds):
        print("run_fuzz: a seed path contains ',', which -seed_inputs cannot carry",
              file=sys.stderr)
        return 1
    cmd = [fuzzer, '-seed_inputs=' + ','.join(seeds)] + options
    print(' '.join(cmd[:1] + cmd[2:]), f'({len(seeds)} seeds)', flush=True)
    rc = subprocess.run(cmd, check=False).returncode
    if rc < 0:  # killed by a signal (abort() in the replay build)
        print(f"run_fuzz: {fuzzer} died with signal {-rc}", file=sys.stderr)
        return 128 - rc
    return rc


if __name__ == '__main__':
    sys.exit(main())
