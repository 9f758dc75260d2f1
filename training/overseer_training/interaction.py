"""Physically motivated interaction inputs of the interference model, computed inside the ONNX graph.

A tree ensemble splits on one input at a time, so a product such as "how much of the workload's time
is LLC-hit stalls" x "how loaded the node's DRAM is" must be spelled out for it to transfer between
workloads. Each interaction multiplies a solo-profile sensitivity by a node pressure:

  dram_x_latency   profile dram_bound_stall_fraction x loaded-latency growth lat(u')
  l3_x_latency     profile l3_bound_stall_fraction  x lat(u')   (LLC hits lost to sharing go to DRAM)
  l3_x_occupancy   profile l3_bound_stall_fraction  x node llc_occupancy_fraction
  l3_x_log_ws      profile l3_bound_stall_fraction  x ln(profile llc_working_set_bytes)
  l3_x_llc_demand  profile l3_bound_stall_fraction  x node l2_misses_per_kilo_instr x cpu_utilization
  dram_x_bw        profile dram_bound_stall_fraction x node mem_bandwidth_fraction_of_peak
  l3_x_bw          profile l3_bound_stall_fraction  x node mem_bandwidth_fraction_of_peak

followed by the three columns of a first-order physics prior of the slowdown (physics_prior.py): ln(S), the
pod's estimated LLC share over its working set, and the bandwidth share once it is added.

with u' = u + (profile read + write bytes/s) / peak the node's bandwidth share once the pod is added
(peak = (read + write) / u from the node's own counters; u' = u when the node has no read/write
counters) and lat(u) = min(u, 0.999)^2 / max(1e-3, 1 - min(u, 0.999)), the shape of a loaded-latency
curve. An interaction whose node inputs are absent is -1 (a value no real interaction takes).

The features exist once, as an ONNX graph: training computes them by running that graph with
onnxruntime, so the served model sees exactly the numbers it was trained on.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from .physics_prior import PRIOR_NAMES, PRIOR_NODE_INPUTS, PRIOR_PROFILE_INPUTS, prior_columns
from .schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES

INTERACTION_NAMES: tuple[str, ...] = (
    "dram_x_latency", "l3_x_latency", "l3_x_occupancy", "l3_x_log_ws", "l3_x_llc_demand", "dram_x_bw", "l3_x_bw",
) + PRIOR_NAMES
INTERACTION_COUNT = len(INTERACTION_NAMES)
ABSENT_VALUE = -1.0
NODE_INPUTS = ("mem_bandwidth_fraction_of_peak", "mem_read_bytes_per_sec", "mem_write_bytes_per_sec",
               "llc_occupancy_fraction", "l2_misses_per_kilo_instr", "cpu_utilization_fraction")
PROFILE_INPUTS = ("mem_read_bytes_per_sec", "mem_write_bytes_per_sec", "llc_working_set_bytes",
                  "l3_bound_stall_fraction", "dram_bound_stall_fraction")


class _Graph:
    def __init__(self, prefix: str, source: str, columns: list[int]):
        self.prefix, self.source = prefix, source
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0
        # Work on the transpose: every column becomes a contiguous [1, N] row. onnxruntime's broadcasting
        # of an [N, 1] column against a scalar walks N runs of length 1 and costs more than everything else.
        rows = self.op("Transpose", source, perm=[1, 0])
        picked = self.op("Gather", rows, self.const(columns, np.int64), axis=0)
        names = [f"{prefix}col_{c}" for c in columns]
        self.nodes.append(helper.make_node("Split", [picked, self.const([1] * len(columns), np.int64)], names,
                                           name=f"{prefix}split", axis=0))
        self._columns = dict(zip(columns, names, strict=True))

    def _name(self, hint: str) -> str:
        self._n += 1
        return f"{self.prefix}{hint}_{self._n}"

    def const(self, value: float | list[int], dtype=np.float32) -> str:
        name = self._name("c")
        self.inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs) -> str:
        out = self._name(kind.lower())
        self.nodes.append(helper.make_node(kind, list(inputs), [out], name=out, **attrs))
        return out

    def column(self, index: int) -> str:
        return self._columns[index]


def interaction_nodes(source: str, output: str, prefix: str = "ix_") -> tuple[list, list]:
    """Nodes and initializers computing `output` = [source, interactions] ([N, W] -> [N, W + INTERACTION_COUNT])."""
    f_col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    p_col = {n: 2 * FEATURE_COUNT + i for i, n in enumerate(PROFILE_FEATURE_NAMES)}
    node_inputs = list(dict.fromkeys(NODE_INPUTS + PRIOR_NODE_INPUTS))
    profile_inputs = list(dict.fromkeys(PROFILE_INPUTS + PRIOR_PROFILE_INPUTS))
    used = [f_col[n] for n in node_inputs] + [FEATURE_COUNT + f_col[n] for n in node_inputs] + \
        [p_col[n] for n in profile_inputs]
    g = _Graph(prefix, source, used)

    def node(name: str) -> str:
        return g.column(f_col[name])

    def present(*names: str) -> str:
        """Product of presence flags (exactly 0 or 1 in the input)."""
        flags = [g.column(FEATURE_COUNT + f_col[n]) for n in names]
        acc = flags[0]
        for f in flags[1:]:
            acc = g.op("Mul", acc, f)
        return acc

    def unless_absent(flag: str, value: str) -> str:
        """value where flag is 1, ABSENT_VALUE (-1) where it is 0: (value + 1) * flag - 1 (cheaper than Where)."""
        return g.op("Sub", g.op("Mul", g.op("Add", value, one), flag), one)

    def at_least(x: str, lo: float) -> str:
        return g.op("Clip", x, g.const(lo), "")

    one = g.const(1.0)
    u = node("mem_bandwidth_fraction_of_peak")
    node_bw = g.op("Add", node("mem_read_bytes_per_sec"), node("mem_write_bytes_per_sec"))
    own_bw = g.op("Add", g.column(p_col["mem_read_bytes_per_sec"]), g.column(p_col["mem_write_bytes_per_sec"]))
    peak = g.op("Div", node_bw, at_least(u, 1e-4))
    own_share = g.op("Div", own_bw, at_least(peak, 1.0))
    has_rw = present("mem_read_bytes_per_sec", "mem_write_bytes_per_sec")
    u_after = g.op("Add", u, g.op("Mul", own_share, has_rw))
    uc = g.op("Clip", u_after, "", g.const(0.999))
    lat = g.op("Div", g.op("Mul", uc, uc), at_least(g.op("Sub", one, uc), 1e-3))

    dram = g.column(p_col["dram_bound_stall_fraction"])
    l3 = g.column(p_col["l3_bound_stall_fraction"])
    log_ws = g.op("Log", at_least(g.column(p_col["llc_working_set_bytes"]), 1.0))
    demand = g.op("Mul", node("l2_misses_per_kilo_instr"), node("cpu_utilization_fraction"))
    has_u = present("mem_bandwidth_fraction_of_peak")
    cols = [
        unless_absent(has_u, g.op("Mul", dram, lat)),
        unless_absent(has_u, g.op("Mul", l3, lat)),
        unless_absent(present("llc_occupancy_fraction"), g.op("Mul", l3, node("llc_occupancy_fraction"))),
        g.op("Mul", l3, log_ws),
        unless_absent(present("l2_misses_per_kilo_instr", "cpu_utilization_fraction"), g.op("Mul", l3, demand)),
        unless_absent(has_u, g.op("Mul", dram, u)),
        unless_absent(has_u, g.op("Mul", l3, u)),
    ]
    cols += prior_columns(g.op, g.const, node, lambda n: present(n), lambda n: g.column(p_col[n]))
    stacked = g.op("Concat", *cols, axis=0)
    g.nodes.append(helper.make_node("Concat", [source, g.op("Transpose", stacked, perm=[1, 0])], [output],
                                    name=f"{prefix}concat", axis=1))
    return g.nodes, g.inits


_SESSIONS: dict[int, ort.InferenceSession] = {}


def _session(width: int) -> ort.InferenceSession:
    if width not in _SESSIONS:
        nodes, inits = interaction_nodes("x", "y")
        out_width = width + INTERACTION_COUNT
        graph = helper.make_graph(nodes, "overseer_interactions",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, width])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, out_width])],
                                  initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        onnx.checker.check_model(model)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        _SESSIONS[width] = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return _SESSIONS[width]


def with_interactions(x32: np.ndarray) -> np.ndarray:
    """[x32, interactions] as float32, computed by the same ONNX nodes the exported model runs."""
    x32 = np.ascontiguousarray(x32, dtype=np.float32)
    if len(x32) == 0:
        return np.zeros((0, x32.shape[1] + INTERACTION_COUNT), dtype=np.float32)
    return _session(x32.shape[1]).run(None, {"x": x32})[0]
