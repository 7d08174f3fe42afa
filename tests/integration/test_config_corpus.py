#!/usr/bin/env python3
"""The corpus of broken configurations (tests/engine/config_corpus/<case>/) through the binary:
`riposte validate <case>/config` exits 1 and prints exactly the lines of <case>/expected.txt, each
prefixed with the directory given ("<dir>/file:line:column: path: message"), on stderr, and
nothing on stdout. The loader's own test (tests/engine/config_corpus_test.cpp) reads the same
cases. Needs no AWS.
"""
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
    BINARY = os.path.abspath(sys.argv.pop(1))
else:
    BINARY = os.environ.get("RIPOSTE_BIN", os.path.join(ROOT, "build/bin/riposte"))
CORPUS = os.path.join(ROOT, "tests", "engine", "config_corpus")


class ConfigCorpus(unittest.TestCase):
    def test_every_case_prints_its_expected_problems(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("RIPOSTE_CORPUS_")}
        cases = sorted(d for d in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, d)))
        self.assertGreaterEqual(len(cases), 19)
        for case in cases:
            with self.subTest(case=case):
                config = os.path.join(CORPUS, case, "config")
                with open(os.path.join(CORPUS, case, "expected.txt")) as f:
                    expected = [config + "/" + line for line in f.read().splitlines()]
                self.assertTrue(expected, case + ": a case expects at least one problem")
                r = subprocess.run([BINARY, "validate", config], capture_output=True, text=True,
                                   timeout=60, env=env)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr.splitlines(), expected)


if __name__ == "__main__":
    unittest.main(verbosity=2)
