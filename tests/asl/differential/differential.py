#!/usr/bin/env python3
"""Differential test: riposte's ASL interpreter vs moto's Step Functions executor.

Generates a deterministic corpus of state machines with inputs (Pass/Choice/Map/Parallel/
Fail/Wait 0 s/intrinsics/paths/errors; Tasks only as `.waitForTaskToken` callbacks answered
by the oracle's scripted fake Lambda functions), runs it once through
../shared/tools/asl_oracle.py --batch and once through riposte's asl_diff_runner, and
compares status, output and error (cause only for custom errors). Known, documented
disagreements (docs/playbooks.md) are listed in KNOWN below and reported, not failed.

Usage: differential.py --runner BUILD/bin/asl_diff_runner --oracle PATH/asl_oracle.py
       [--count 240] [--seed 7] [--keep DIR]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Disagreements documented in docs/playbooks.md: (predicate on the case, reason).
def _fractional_timestamp(case):
    d = json.dumps(case["definition"])
    t = case["input"].get("t", "") if isinstance(case["input"], dict) else ""
    return "Timestamp" in d and "." in t


def _err(*numbers):
    return lambda c: any(str(c["id"]).startswith("err-%d-" % n) for n in numbers)


def _cb(*numbers):
    return lambda c: str(c["id"]) in ["cb-%d" % n for n in numbers]


KNOWN = [
    (_err(5), "Map over a non-array: riposte States.Runtime, moto States.QueryEvaluationError"),
    (_err(2, 11, 12),
     "a failing intrinsic: riposte States.IntrinsicFailure (spec), moto States.Runtime"),
    (_err(10), "Catch States.BranchFailed on a failing branch: riposte catches (spec), moto does "
               "not match it"),
    (_err(14), "Catch States.TaskFailed on a branch's Fail state: riposte does not catch (spec: "
               "a Task state failed), moto matches every custom name"),
    (_cb(9), "a branch's callback failure without a cause, caught on the Parallel: riposte's "
             "error output has Cause null (AWS: an absent cause is null), moto's \"\""),
    (_cb(10), "a callback Task's timeout caught: riposte's error output has Cause null (AWS "
              "records no cause for it), moto's \"\""),
    (_fractional_timestamp,
     "RFC 3339 timestamps with fractional seconds: riposte accepts them (spec), moto does not"),
]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.n = 0
        # Set while the branches of a Parallel that has a failing branch of its own are made:
        # no Fail state then. When two branches fail with different errors, the Parallel's error
        # is the one that fails first, a race in Step Functions too (moto loses it to the other
        # branch under load): such a machine has no single right outcome to compare.
        self.one_failure = False

    def name(self):
        self.n += 1
        return "S%d" % self.n

    def input(self):
        r = self.r
        arr = [r.randint(-5, 20) for _ in range(r.randint(0, 3))]
        return {
            "n": r.randint(-10, 30),
            "f": r.choice([0.5, 2.25, -1.5, 10.0]),
            "s": r.choice(["alpha", "beta", "log-2024.txt", "", "a,b,c", "Zed"]),
            "b": r.choice([True, False]),
            "z": None,
            "t": r.choice(["2026-01-01T00:00:00Z", "2025-06-30T12:00:00.5Z", "not-a-time"]),
            "arr": arr,
            "objs": [{"id": i, "v": r.randint(0, 9), "tag": r.choice(["x", "y"])}
                     for i in range(r.randint(1, 3))],
            "obj": {"k": r.choice(["one", "two"]), "inner": {"deep": r.randint(0, 3)}},
        }

    # --- payload templates ------------------------------------------------------------
    def intrinsic(self):
        r = self.r
        return r.choice([
            "States.Format('n={} s={}', $.n, $.s)",
            "States.Format('{}', $.obj.k)",
            "States.ArrayLength($.arr)",
            "States.MathAdd($.n, 7)",
            "States.StringSplit('a,b,,c', ',')",
            "States.JsonToString($.obj)",
            "States.StringToJson(States.JsonToString($.objs))",
            "States.Array($.n, $.s, $.b, $.z)",
            "States.ArrayContains($.arr, 3)",
            "States.ArrayUnique(States.Array(1, 2, 1, $.n, 2))",
            "States.ArrayRange(1, 9, 2)",
            "States.ArrayPartition(States.ArrayRange(1, 7, 1), 3)",
            "States.Base64Encode($.s)",
            "States.Base64Decode(States.Base64Encode('riposte'))",
            "States.Hash($.s, 'SHA-256')",
            "States.Hash('x', 'MD5')",
            "States.JsonMerge($.obj, States.StringToJson('{\"k\": 3}'), false)",
            "States.ArrayGetItem(States.Array('p', 'q', 'r'), 1)",
            "States.ArrayLength(States.StringSplit($.s, ','))",
        ])

    def path(self):
        # Not generated, because moto's JSONPath (jsonpath-ng) differs from Step Functions'
        # (Jayway) there — see docs/playbooks.md: filters "[?(...)]", ".length()", "$..x"
        # with a single match, "[-1].field".
        return self.r.choice([
            "$.n", "$.s", "$.obj", "$.obj.inner.deep", "$.arr", "$.objs[0]", "$.objs[1:]",
            "$.objs[*].id", "$.arr[1:3]", "$$.State.Name", "$['obj']['k']", "$.z",
            "$.objs[0,1].tag", "$$.Execution.Input.n", "$.b", "$.objs[*]",
        ])

    def params(self, depth=0):
        r = self.r
        p = {}
        for i in range(r.randint(1, 2)):
            kind = r.random()
            if kind < 0.45:
                p["p%d.$" % i] = self.path()
            elif kind < 0.75:
                p["i%d.$" % i] = self.intrinsic()
            elif kind < 0.85 and depth < 2:
                p["nest%d" % i] = self.params(depth + 1)
            else:
                p["lit%d" % i] = r.choice([1, "txt", None, [1, {"a": "b"}], {"x": True}])
        return p

    # --- conditions ---------------------------------------------------------------------
    def condition(self, depth=0):
        r = self.r
        k = r.random()
        if depth < 2 and k < 0.15:
            return {"And": [self.condition(depth + 1) for _ in range(2)]}
        if depth < 2 and k < 0.3:
            return {"Or": [self.condition(depth + 1) for _ in range(2)]}
        if depth < 2 and k < 0.38:
            return {"Not": self.condition(depth + 1)}
        return r.choice([
            {"Variable": "$.n", "NumericGreaterThan": r.randint(-5, 25)},
            {"Variable": "$.n", "NumericLessThanEquals": r.randint(-5, 25)},
            {"Variable": "$.n", "NumericEquals": r.randint(0, 3)},
            {"Variable": "$.f", "NumericGreaterThanEquals": 1},
            {"Variable": "$.f", "NumericLessThan": 0},
            {"Variable": "$.n", "NumericGreaterThanPath": "$.obj.inner.deep"},
            {"Variable": "$.s", "StringEquals": "alpha"},
            {"Variable": "$.s", "StringLessThan": "beta"},
            {"Variable": "$.s", "StringGreaterThanEquals": "Zed"},
            {"Variable": "$.s", "StringMatches": "log-*.txt"},
            {"Variable": "$.s", "StringMatches": "*a*"},
            {"Variable": "$.s", "StringEqualsPath": "$.obj.k"},
            {"Variable": "$.b", "BooleanEquals": True},
            {"Variable": "$.b", "BooleanEqualsPath": "$.b"},
            {"Variable": "$.z", "IsNull": True},
            {"Variable": "$.missing", "IsPresent": False},
            {"Variable": "$.obj.k", "IsPresent": True},
            {"Variable": "$.n", "IsNumeric": True},
            {"Variable": "$.s", "IsString": False},
            {"Variable": "$.b", "IsBoolean": True},
            {"Variable": "$.t", "IsTimestamp": True},
            {"Variable": "$.t", "TimestampLessThan": "2025-12-31T00:00:00Z"},
            {"Variable": "$.t", "TimestampGreaterThanEquals": "2026-01-01T00:00:00Z"},
        ])

    # --- states -------------------------------------------------------------------------
    def chain(self, states, depth, length, final=None):
        """Adds `length` states to `states`; returns the first name. The last one ends (or
        goes to `final`)."""
        names = [self.name() for _ in range(length)]
        for i, nm in enumerate(names):
            nxt = names[i + 1] if i + 1 < len(names) else final
            self.state(states, nm, nxt, depth)
        return names[0]

    def link(self, st, nxt):
        if nxt:
            st["Next"] = nxt
        else:
            st["End"] = True
        return st

    def sub(self, depth, length=None):
        states = {}
        start = self.chain(states, depth + 1, length or self.r.randint(1, 2))
        return {"StartAt": start, "States": states}

    def state(self, states, nm, nxt, depth):
        r = self.r
        kinds = ["pass_params", "pass_result", "choice", "wait", "pass_paths"]
        if depth < 1:
            # moto runs a Map slowly (~0.4 s each): keep them to about a third of the corpus.
            kinds += ["parallel", "parallel_catch", "pass_params"]
            if r.random() < 0.45:
                kinds += ["map", "map_catch"]
        kind = r.choice(kinds)
        if kind == "pass_params":
            st = {"Type": "Pass", "Parameters": self.params(), "ResultPath": "$.r_" + nm}
            if r.random() < 0.2:
                st["OutputPath"] = r.choice(["$", "$$.Execution.Input"])
            states[nm] = self.link(st, nxt)
        elif kind == "pass_result":
            st = {"Type": "Pass", "Result": r.choice([{"a": 1}, [1, 2], "x", 3.5, None]),
                  "ResultPath": r.choice(["$.res", "$.obj.added", None, "$"])}
            if st["ResultPath"] == "$":
                # keep later paths resolvable
                st["Result"] = self.input()
            states[nm] = self.link(st, nxt)
        elif kind == "pass_paths":
            st = {"Type": "Pass", "InputPath": r.choice(["$", "$.obj", "$.objs[0]"]),
                  "ResultPath": "$.copy_" + nm}
            states[nm] = self.link(st, nxt)
        elif kind == "wait":
            states[nm] = self.link({"Type": "Wait", "Seconds": 0}, nxt)
        elif kind == "choice":
            yes, no = self.name(), self.name()
            rules = [dict(self.condition(), Next=yes)]
            second = r.random() < 0.3
            if second:
                rules.append(dict(self.condition(), Next=no))
            st = {"Type": "Choice", "Choices": rules}
            if r.random() < 0.85 or not second:
                st["Default"] = no
            states[nm] = st
            states[yes] = self.link({"Type": "Pass", "Result": "yes", "ResultPath": "$.took"}, nxt)
            if r.random() < 0.15 and not self.one_failure:
                states[no] = {"Type": "Fail", "Error": "Custom.No", "Cause": "took the no branch"}
            else:
                states[no] = self.link({"Type": "Pass", "Result": "no", "ResultPath": "$.took"}, nxt)
        elif kind in ("map", "map_catch"):
            st = {"Type": "Map", "ItemsPath": r.choice(["$.arr", "$.objs"]),
                  "MaxConcurrency": r.choice([0, 1, 2, 5]), "ResultPath": "$.m_" + nm}
            if r.random() < 0.6:
                sel = {"idx.$": "$$.Map.Item.Index", "val.$": "$$.Map.Item.Value",
                       "n.$": "$.n"}
                st["ItemSelector" if r.random() < 0.7 else "Parameters"] = sel
            proc = self.sub_item(depth, kind == "map_catch")
            st["ItemProcessor" if r.random() < 0.7 else "Iterator"] = proc
            if r.random() < 0.3:
                st["ResultSelector"] = {"count.$": "States.ArrayLength($)", "all.$": "$"}
            if kind == "map_catch":
                st["Catch"] = [{"ErrorEquals": [r.choice(["Item.Bad", "States.ALL"])],
                                "ResultPath": "$.caught", "Next": nxt or self.end(states)}]
            states[nm] = self.link(st, nxt)
        elif kind in ("parallel", "parallel_catch"):
            self.one_failure = kind == "parallel_catch"
            branches = [self.sub(depth) for _ in range(2)]
            self.one_failure = False
            if kind == "parallel_catch":
                branches.append({"StartAt": "Boom", "States": {"Boom": {
                    "Type": "Fail", "Error": r.choice(["Branch.Err", "Other.Err"]),
                    "Cause": "branch failed"}}})
            st = {"Type": "Parallel", "Branches": branches, "ResultPath": "$.p_" + nm}
            if kind == "parallel_catch":
                st["Catch"] = [{"ErrorEquals": ["Branch.Err"], "ResultPath": "$.caught",
                                "Next": nxt or self.end(states)}]
            states[nm] = self.link(st, nxt)

    def end(self, states):
        nm = self.name()
        states[nm] = {"Type": "Pass", "End": True}
        return nm

    def sub_item(self, depth, may_fail):
        r = self.r
        states = {}
        nm = self.name()
        if may_fail:
            ok = self.name()
            bad = self.name()
            states[nm] = {"Type": "Choice", "Choices": [
                {"Variable": "$", "IsNumeric": True, "Next": bad}], "Default": ok}
            states[bad] = {"Type": "Fail", "Error": "Item.Bad", "Cause": "numeric item"}
            states[ok] = {"Type": "Pass", "End": True}
            return {"StartAt": nm, "States": states}
        if r.random() < 0.7:
            states[nm] = {"Type": "Pass", "End": True}
        else:
            states[nm] = {"Type": "Pass", "Parameters": {"item.$": "$", "fmt.$":
                          "States.JsonToString($)"}, "End": True}
        return {"StartAt": nm, "States": states}

    def machine(self):
        self.n = 0
        states = {}
        start = self.chain(states, 0, self.r.randint(2, 3))
        m = {"StartAt": start, "States": states}
        return m


def error_cases():
    """Hand-written runtime-error cases on which both sides must agree."""
    cases = []
    defs = [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "$.nope", "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"x.$": "$.nope"},
                                          "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Pass",
                                          "Parameters": {"x.$": "States.ArrayGetItem($.arr, 99)"},
                                          "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericEquals": 12345, "Next": "B"}]}, "B": {"Type": "Succeed"}}},
        {"StartAt": "A", "States": {"A": {"Type": "Fail", "ErrorPath": "$.s",
                                          "CausePath": "States.Format('n is {}', $.n)"}}},
        {"StartAt": "A", "States": {"A": {"Type": "Map", "ItemsPath": "$.obj", "End": True,
                                          "ItemProcessor": {"StartAt": "P", "States": {
                                              "P": {"Type": "Pass", "End": True}}}}}},
        {"StartAt": "A", "States": {"A": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "OutputPath": "$.missing",
                                          "End": True}}},
        {"StartAt": "A", "States": {"A": {"Type": "Map", "ItemsPath": "$.arr", "End": True,
                                          "ItemProcessor": {"StartAt": "F", "States": {
                                              "F": {"Type": "Fail", "Error": "E.Item",
                                                    "Cause": "c"}}}}}},
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E.Branch"}}},
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}]}}},
        # 10: States.BranchFailed catches a branch's failure; the error output keeps its name.
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Next": "D", "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E.Branch",
                                              "Cause": "branch cause"}}},
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.BranchFailed"], "ResultPath": "$.caught",
                       "Next": "D"}]}, "D": {"Type": "Pass", "End": True}}},
        # 11: a failing intrinsic inside a branch, caught by its own name.
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Next": "D", "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True, "Parameters": {
                "v.$": "States.ArrayGetItem($.arr, 99)"}}}}],
            "Catch": [{"ErrorEquals": ["States.IntrinsicFailure"], "ResultPath": "$.caught",
                       "Next": "D"}]}, "D": {"Type": "Pass", "End": True}}},
        # 12: StringToJson of text that is not JSON, inside a branch, caught by States.ALL.
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Next": "D", "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "End": True, "Parameters": {
                "v.$": "States.StringToJson($.s)"}}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught",
                       "Next": "D"}]}, "D": {"Type": "Pass", "End": True}}},
        # 13: StringToJson of a blank string is null (AWS, recorded by LocalStack).
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {
            "v.$": "States.StringToJson($.blank)"}}}},
        # 14: States.TaskFailed on a Parallel does not catch a branch's Fail state (riposte:
        # it names a Task's failure); moto matches it against every non-States name.
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Next": "D", "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E.Branch",
                                              "Cause": "branch cause"}}}],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught",
                       "Next": "D"}]}, "D": {"Type": "Pass", "End": True}}},
        # 15: ... nor a States.* error raised in a branch (both sides agree: not caught).
        {"StartAt": "A", "States": {"A": {"Type": "Parallel", "Next": "D", "Branches": [
            {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
                {"Variable": "$.n", "NumericEquals": 12345, "Next": "E"}]},
                "E": {"Type": "Succeed"}}}],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught",
                       "Next": "D"}]}, "D": {"Type": "Pass", "End": True}}},
    ]
    for i, d in enumerate(defs):
        for j, inp in enumerate([{"n": 1, "s": "Err.X", "arr": [1, 2], "obj": {"a": 1},
                                  "blank": ""},
                                 {"n": 2, "s": "Other", "arr": [], "obj": {}, "blank": " "}]):
            cases.append({"id": "err-%d-%d" % (i, j), "definition": d, "input": inp})
    return cases


def callback_cases():
    """`.waitForTaskToken` Tasks answered by scripted fake Lambda functions (the oracle's
    FAKES; asl_diff_runner mirrors the callback behaviours): success through ResultSelector /
    ResultPath, failure through Catch and Retry, several tokens in a Parallel and a Map, and
    TimeoutSeconds / HeartbeatSeconds expiring (the oracle really waits: 1 s each)."""
    arn = "arn:aws:states:::lambda:invoke.waitForTaskToken"

    def task(fn, extra=None, payload=None):
        t = {"Type": "Task", "Resource": arn, "Parameters": {"FunctionName": fn, "Payload": dict(
            {"TaskToken.$": "$$.Task.Token"}, **(payload or {}))}}
        t.update(extra or {})
        return t

    def ok(v):
        return {"callback": {"token_path": "TaskToken", "success": v}}

    # No cause: moto 5.2.1 drops SendTaskFailure's cause (responses.py passes only the error),
    # so scripts give none; riposte then has a null cause, as AWS gives an absent one.
    def bad(e):
        return {"callback": {"token_path": "TaskToken", "failure": {"error": e}}}

    silent = {"callback": {"token_path": "TaskToken"}}
    end = {"Type": "Pass", "End": True}
    defs = [
        # 0: the answer is the Task's result, through ResultSelector and ResultPath.
        ({"StartAt": "T", "States": {"T": task("F", {"ResultSelector": {"v.$": "$.answer"},
                                                     "ResultPath": "$.r", "End": True},
                                                {"n.$": "$.n"})}},
         {"F": [ok({"answer": 42, "other": 1})]}),
        # 1: OutputPath and a scalar answer.
        ({"StartAt": "T", "States": {"T": task("F", {"ResultPath": "$.r", "OutputPath": "$.r",
                                                     "End": True})}},
         {"F": [ok("yes")]}),
        # 2: a failure, uncaught.
        ({"StartAt": "T", "States": {"T": task("F", {"End": True})}},
         {"F": [bad("Approval.Denied")]}),
        # 3-5: a failure caught by its name, by States.TaskFailed, by States.ALL.
    ] + [
        ({"StartAt": "T", "States": {"T": task("F", {"Next": "D", "Catch": [
            {"ErrorEquals": [name], "ResultPath": "$.err", "Next": "D"}]}), "D": end}},
         {"F": [bad("Approval.Denied")]})
        for name in ("Approval.Denied", "States.TaskFailed", "States.ALL")
    ] + [
        # 6: retried after a failure, then answered.
        ({"StartAt": "T", "States": {"T": task("F", {"End": True, "Retry": [
            {"ErrorEquals": ["Busy"], "IntervalSeconds": 1, "MaxAttempts": 2}]})}},
         {"F": [bad("Busy"), ok({"second": True})]}),
        # 7: two branches wait at once.
        ({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "A", "States": {"A": task("FA", {"End": True})}},
            {"StartAt": "B", "States": {"B": task("FB", {"End": True})}}]}}},
         {"FA": [ok("a")], "FB": [ok("b")]}),
        # 8: a Map whose iterations each wait (the n-th call answers n).
        ({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.arr", "End": True,
                                           "MaxConcurrency": 1, "ItemProcessor": {
                                               "StartAt": "I", "States": {"I": task(
                                                   "FM", {"End": True}, {"v.$": "$"})}}}}},
         {"FM": [ok(1), ok(2), ok(3), ok(4)]}),
        # 9: a branch's callback failure fails the Parallel, caught by States.TaskFailed.
        ({"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "D", "Catch": [
            {"ErrorEquals": ["States.TaskFailed"], "Next": "D"}], "Branches": [
            {"StartAt": "A", "States": {"A": task("FA", {"End": True})}}]}, "D": end}},
         {"FA": [bad("Denied")]}),
        # 10: TimeoutSeconds expires: States.Timeout, caught.
        ({"StartAt": "T", "States": {"T": task("F", {"TimeoutSeconds": 1, "Next": "D", "Catch": [
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.err", "Next": "D"}]}),
            "D": end}},
         {"F": [silent]}),
        # 11: HeartbeatSeconds expires: also States.Timeout (as AWS reports it), uncaught.
        ({"StartAt": "T", "States": {"T": task("F", {"HeartbeatSeconds": 1, "TimeoutSeconds": 30,
                                                     "End": True})}},
         {"F": [silent]}),
        # 12: ... and States.TaskFailed does not catch a timeout.
        ({"StartAt": "T", "States": {"T": task("F", {"TimeoutSeconds": 1, "Next": "D", "Catch": [
            {"ErrorEquals": ["States.TaskFailed"], "Next": "D"}]}), "D": end}},
         {"F": [silent]}),
    ]
    return [{"id": "cb-%d" % i, "definition": d, "input": {"n": 5, "arr": [1, 2, 3]},
             "lambdas": fakes} for i, (d, fakes) in enumerate(defs)]


def choice_cases(g):
    """Every generated Choice condition against inputs chosen to hit edge cases."""
    g.r = random.Random(11)
    conds = []
    for _ in range(60):
        c = g.condition(2)
        if c not in conds:
            conds.append(c)
    inputs = [
        {"n": 0, "f": 0.5, "s": "", "b": False, "z": None, "t": "2025-06-30T12:00:00.5Z",
         "obj": {"k": "one", "inner": {"deep": 0}}},
        {"n": 25, "f": -1.5, "s": "Zed", "b": True, "z": 1, "t": "2026-01-01T00:00:00Z",
         "obj": {"k": "Zed", "inner": {"deep": 30}}},
        {"n": 3, "f": 10.0, "s": "log-2024.txt", "b": True, "z": None, "t": "not-a-time",
         "obj": {"k": "log-2024.txt", "inner": {"deep": 2}}},
    ]
    cases = []
    for i, c in enumerate(conds):
        d = {"StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [dict(c, Next="Y")], "Default": "N"},
            "Y": {"Type": "Pass", "Result": "yes", "End": True},
            "N": {"Type": "Pass", "Result": "no", "End": True}}}
        for j, inp in enumerate(inputs):
            cases.append({"id": "choice-%d-%d" % (i, j), "definition": d, "input": inp})
    return cases


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def compare(ours, theirs):
    if ours["status"] != theirs["status"]:
        return "status %s (%s) vs oracle %s (%s: %s)" % (
            ours["status"], ours.get("error"), theirs["status"], theirs.get("error"),
            (theirs.get("cause") or "")[:160])
    if ours["status"] == "SUCCEEDED":
        if not same(ours["output"], theirs["output"]):
            return "output %s vs oracle %s" % (json.dumps(ours["output"])[:400],
                                               json.dumps(theirs["output"])[:400])
        return None
    if (ours.get("error") or None) != (theirs.get("error") or None):
        return "error %r vs oracle %r (%s)" % (ours.get("error"), theirs.get("error"),
                                               (theirs.get("cause") or "")[:160])
    err = ours.get("error") or ""
    if not err.startswith("States.") and (ours.get("cause") or None) != (theirs.get("cause") or None):
        return "cause %r vs oracle %r" % (ours.get("cause"), theirs.get("cause"))
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--oracle", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep")
    a = ap.parse_args()
    if not os.path.exists(a.oracle):
        print("differential: oracle not found at %s: skipped" % a.oracle, file=sys.stderr)
        return 77
    rnd = random.Random(a.seed)
    g = Gen(rnd)
    cases = []
    for i in range(a.count):
        m = g.machine()
        cases.append({"id": "gen-%d" % i, "definition": m, "input": g.input()})
    cases += error_cases()
    cases += choice_cases(g)
    cases += callback_cases()
    tmp = a.keep or tempfile.mkdtemp(prefix="asl-diff-")
    os.makedirs(tmp, exist_ok=True)
    path = os.path.join(tmp, "cases.jsonl")
    with open(path, "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")
    t0 = time.time()
    ours = subprocess.run([a.runner, path], capture_output=True, text=True, check=True).stdout
    t1 = time.time()
    # Through oracle_batch.py: moto publishes an execution's status before its output (see
    # there), which a loaded machine turns into an oracle that read no output.
    oracle = subprocess.run([sys.executable, os.path.join(HERE, "oracle_batch.py"), a.oracle,
                             "--batch", path, "--timeout", "20"],
                            capture_output=True, text=True)
    t2 = time.time()
    if oracle.returncode != 0 and not oracle.stdout:
        print(oracle.stderr[-2000:], file=sys.stderr)
        return 1
    mine = {}
    for line in ours.splitlines():
        r = json.loads(line)
        mine[str(r["id"])] = r
    theirs = {}
    for line in oracle.stdout.splitlines():
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        theirs[str(r["id"])] = r
    bad, known, skipped = [], [], 0
    for c in cases:
        cid = str(c["id"])
        if cid not in theirs or theirs[cid]["status"] in ("ORACLE_TIMEOUT", "INVALID_DEFINITION"):
            skipped += 1
            continue
        d = compare(mine[cid], theirs[cid])
        if d:
            reason = next((why for pred, why in KNOWN if pred(c)), None)
            (known if reason else bad).append((cid, d, reason))
    if a.keep:
        with open(os.path.join(tmp, "oracle.jsonl"), "w") as f:
            f.write(oracle.stdout)
        with open(os.path.join(tmp, "riposte.jsonl"), "w") as f:
            f.write(ours)
        with open(os.path.join(tmp, "disagreements.txt"), "w") as f:
            for cid, d, _ in bad + known:
                f.write("%s: %s\n" % (cid, d))
    compared = len(cases) - skipped
    print("differential: %d cases (%d generated machines), %d compared, %d agree, %d known "
          "disagreements, %d unexpected; riposte %.2fs, oracle %.1fs" % (
              len(cases), a.count, compared, compared - len(bad) - len(known), len(known),
              len(bad), t1 - t0, t2 - t1))
    for cid, d, reason in known:
        print("  known %s: %s [%s]" % (cid, d[:200], reason))
    for cid, d, _ in bad:
        print("  DISAGREE %s: %s" % (cid, d))
    if skipped > len(cases) // 10:
        print("differential: too many cases skipped (%d)" % skipped)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
