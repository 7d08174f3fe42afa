#!/usr/bin/env python3
"""Runs the shared ASL oracle (asl_oracle.py, given as the first argument; the rest are its own
arguments) with the end of a moto execution published in one step.

moto 5.2.1's BaseExecutionWorkerCommunication._reflect_execution_status, run on the execution's
worker thread, sets `exec_status` (SUCCEEDED / FAILED) *before* `output` (or `error` and
`cause`). The oracle polls `exec_status` from another thread and reads the rest as soon as it is
no longer RUNNING, so when the machine is loaded and the worker is preempted between the two
assignments it reads a SUCCEEDED execution with output null, or a FAILED one with no error
(the differential test's flaky "oracle null"). Here the status assignment is held back until the
other fields are set: whoever sees the final status sees the final output.

Usage: oracle_batch.py PATH/asl_oracle.py --batch CASES.jsonl [--timeout S] ...
"""
import importlib.util
import sys


class _HeldStatus:
    """Stands for the execution while moto records its end: every attribute goes through to
    the execution but `exec_status`, which is kept and assigned last."""

    def __init__(self, execution):
        object.__setattr__(self, "_execution", execution)
        object.__setattr__(self, "_status", execution.exec_status)

    def __getattr__(self, name):
        if name == "exec_status":
            return object.__getattribute__(self, "_status")
        return getattr(object.__getattribute__(self, "_execution"), name)

    def __setattr__(self, name, value):
        if name == "exec_status":
            object.__setattr__(self, "_status", value)
        else:
            setattr(object.__getattribute__(self, "_execution"), name, value)


def publish_end_atomically():
    from moto.stepfunctions.parser.backend import execution as ex

    cls = ex.BaseExecutionWorkerCommunication
    if getattr(cls, "_ordered_end", False):
        return
    reflect = cls._reflect_execution_status

    def ordered(self):
        real = self.execution
        held = _HeldStatus(real)
        self.execution = held
        try:
            reflect(self)
        finally:
            self.execution = real
        real.exec_status = object.__getattribute__(held, "_status")  # last: the end is whole

    cls._reflect_execution_status = ordered
    cls._ordered_end = True


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = importlib.util.spec_from_file_location("asl_oracle", sys.argv[1])
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    publish_end_atomically()
    oracle.main(sys.argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
